// f64 inputs of a WebGPU run are rounded to f32 by WebAssembly SIMD (src/backend/cpu/wasm/round-to-f32.ts):
// the bits must be those Float32Array gives, whatever the value and wherever a chunk ends.
import { describe, expect, it } from 'vitest';
import { MAX_ROUNDED_VALUES, roundedToF32, roundInto } from '../../src/backend/cpu/wasm/round-to-f32.ts';
import { rng } from '../../src/api/random.ts';

const bitsOf = (a: Float32Array) => new Uint32Array(a.buffer, a.byteOffset, a.length);

function expectSameBits(src: Float64Array): void {
  const got = roundedToF32(src);
  expect(got).not.toBeNull();
  expect(got!.length).toBe(src.length);
  const want = Float32Array.from(src);
  expect(Array.from(bitsOf(got!))).toEqual(Array.from(bitsOf(want)));
}

describe('roundedToF32', () => {
  it('rounds special values as Float32Array does: NaN, ±∞, ±0, overflow, underflow, subnormals, ties', () => {
    const tie = 1 + 2 ** -24; // exactly halfway between two f32s: ties go to even (1)
    const tieUp = 1 + 3 * 2 ** -24; // halfway, the even neighbour is above
    expectSameBits(Float64Array.of(Number.NaN, Infinity, -Infinity, 0, -0, 3.5e38, -1e39, 1e-46, -1e-46, 1e-40, 2 ** -149, tie, tieUp, -tie, Math.PI, 1 / 3, 16_777_217));
  });

  it('every length around the vector width and the 4096-value chunks', () => {
    const next = rng(7);
    for (const n of [0, 1, 2, 3, 4, 5, 7, 8, 4095, 4096, 4097, 8195, 65536]) {
      expectSameBits(Float64Array.from({ length: n }, () => (next() - 0.5) * 10 ** Math.floor(next() * 20 - 10)));
    }
  });

  it('the largest input it takes, and none larger (those are converted by the caller)', () => {
    const next = rng(3);
    expectSameBits(Float64Array.from({ length: MAX_ROUNDED_VALUES }, () => next() - 0.5));
    expect(roundedToF32(new Float64Array(MAX_ROUNDED_VALUES + 1))).toBeNull();
  });

  it('roundInto: any length, in parts of at most MAX_ROUNDED_VALUES, into the array given', () => {
    const next = rng(11);
    for (const n of [0, 5, MAX_ROUNDED_VALUES, 2 * MAX_ROUNDED_VALUES + 3]) {
      const src = Float64Array.from({ length: n }, () => (next() - 0.5) * 1e3);
      const dst = new Float32Array(n).fill(Number.NaN);
      expect(roundInto(dst, src)).toBe(true);
      expect(Array.from(bitsOf(dst))).toEqual(Array.from(bitsOf(Float32Array.from(src))));
    }
    expect(() => roundInto(new Float32Array(3), new Float64Array(4))).toThrow(RangeError);
  });

  it('the view is of memory that is not shared (Dawn in Node refuses shared memory), reused by the next call', () => {
    const a = roundedToF32(Float64Array.of(1, 2, 3))!;
    expect(a.buffer instanceof ArrayBuffer).toBe(true);
    const b = roundedToF32(Float64Array.of(4, 5, 6))!;
    expect(b.buffer).toBe(a.buffer);
    expect(Array.from(a)).toEqual([4, 5, 6]);
  });
});
