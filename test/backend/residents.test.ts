// Matrices kept in a kernel's memory for the rest of a pass (residents.ts), and the f64 → f32 rounding
// that brings f64 weights in (narrow-kernel.ts): every product reading a resident must give the bits of
// the same product over an f32 copy of the matrix, copied in on its own.
import { describe, expect, it } from 'vitest';
import { rng } from '../../src/api/random.ts';
import { wasmGemm } from '../../src/backend/cpu/wasm/gemm.ts';
import { ensureMemory, kernelFor } from '../../src/backend/cpu/wasm/module.ts';
import { residentStart, reuseMatricesDuring, scratchStart } from '../../src/backend/cpu/wasm/residents.ts';
import { allocate, release } from '../../src/backend/cpu/tensor.ts';

const values = (n: number, seed: number) => {
  const next = rng(seed);
  // Values f32 cannot hold, and ties: 1 + 2⁻²⁴ rounds to even.
  return Float64Array.from({ length: n }, (_, i) => (i % 5 === 0 ? 1 + 2 ** -24 * (i % 3) : 2 * next() - 1));
};

describe('narrowRows (f64 rows rounded to f32 rows in the kernel)', () => {
  const kernel = kernelFor('f32')!;

  it('rounds as Float32Array does, pads with zeros and leaves the rest alone, at ragged widths', () => {
    const specials = [0, -0, 1 + 2 ** -24, 1 + 3 * 2 ** -24, 3.4028235677973366e38, 1e39, -1e39, 1e-46, 2 ** -149, NaN, Infinity, -Infinity, 1 / 3];
    for (const width of [1, 3, 4, 5, 8, 13, 64, 67]) {
      for (const [rows, pad] of [[1, 0], [3, 0], [5, 3], [2, 7]]) {
        const src = values(rows * width, width + rows);
        specials.forEach((v, i) => (src[(i * 7) % src.length] = v));
        const stride = width + pad;
        ensureMemory(kernel, 1 << 20);
        const mem64 = new Float64Array(kernel.memory.buffer);
        const mem32 = new Float32Array(kernel.memory.buffer);
        mem64.set(src, 0);
        const dst = 2 * src.length + 16; // f32 elements, past the f64 source
        mem32.fill(7, dst, dst + rows * stride + 4);
        kernel.narrowRows!(0, dst * 4, rows, width >> 2, width & 3, pad, width * 8, stride * 4);
        const want: number[] = [];
        for (let r = 0; r < rows; r++) want.push(...Float32Array.from(src.subarray(r * width, (r + 1) * width)), ...new Array<number>(pad).fill(0));
        const got = Array.from(mem32.subarray(dst, dst + rows * stride));
        // Compare bits: NaN and −0 included.
        expect(new Uint32Array(Float32Array.from(got).buffer), `${rows} × ${width} + ${pad}`).toEqual(new Uint32Array(Float32Array.from(want).buffer));
        expect(Array.from(mem32.subarray(dst + rows * stride, dst + rows * stride + 4))).toEqual([7, 7, 7, 7]);
      }
    }
  });
});

describe('matrices kept in the kernel for a pass', () => {
  const kernel = kernelFor('f32')!;
  type Op = (m: Float64Array | Float32Array) => number[];

  /** The products that read a matrix [rows, cols] (f64 or its f32 copy), each into a fresh f32 C. */
  function productsOf(rows: number, cols: number): Record<string, Op> {
    const x = Float32Array.from(values(2 * Math.max(rows, cols), 11));
    const X = Float32Array.from(values(67 * Math.max(rows, cols), 12));
    const run = (M: number, N: number, K: number, a: Float32Array | Float64Array, ta: boolean, b: Float32Array | Float64Array, tb: boolean) => {
      const c = new Float32Array(M * N);
      expect(wasmGemm(M, N, K, { data: a, offset: 0, trans: ta }, { data: b, offset: 0, trans: tb }, c, 0)).toBe(true);
      return Array.from(c);
    };
    return {
      // W x (matvec), [x; ẋ] Wᵀ (matvec2), xᵀ W (axpyMatvec), and GEMMs with W as A or B, either way round.
      'W x': (m) => run(rows, 1, cols, m, false, x, false),
      '[x, ẋ] Wᵀ': (m) => run(2, rows, cols, x, false, m, true),
      'xᵀ W': (m) => run(1, cols, rows, x, false, m, false),
      'X W': (m) => run(67, cols, rows, X, false, m, false),
      'X Wᵀ': (m) => run(67, rows, cols, X, false, m, true),
      'W Xᵀ': (m) => run(rows, 67, cols, m, false, X, true),
      'Wᵀ X': (m) => run(cols, 67, rows, m, true, X, false),
    };
  }

  it('give every product the bits of an f32 copy copied in on its own, whichever reads the matrix first, at ragged sizes', () => {
    for (const [rows, cols] of [[70, 37], [33, 130], [256, 256], [129, 67]]) {
      const w64 = values(rows * cols, rows + cols);
      const ops = productsOf(rows, cols);
      // Outside a pass nothing is kept: each product copies its matrix in.
      const want = Object.fromEntries(Object.entries(ops).map(([name, op]) => [name, op(Float32Array.from(w64))]));
      for (const first of Object.keys(ops)) {
        // Whatever the memory held before (NaN here) must reach no result: padding is written as zeros, and
        // reads past a matrix feed only sums nobody reads.
        new Float32Array(kernel.memory.buffer).fill(NaN);
        reuseMatricesDuring(() => {
          for (const name of [first, ...Object.keys(ops), first]) expect(ops[name](w64), `${rows}×${cols}: ${name} after ${first}`).toEqual(want[name]);
        });
      }
    }
  });

  it('are kept by the unpacked kernels within a pass only, and survive the GEMMs and copies of later products', () => {
    const n = 96;
    const w = values(n * n, 3);
    const other = values(n * n, 4);
    const x = Float32Array.from(values(n, 5));
    const wx = (m: Float64Array) => {
      const c = new Float32Array(n);
      wasmGemm(n, 1, n, { data: m, offset: 0, trans: false }, { data: x, offset: 0, trans: false }, c, 0);
      return Array.from(c);
    };
    const want = wx(w);
    expect(residentStart(kernel, { data: w, offset: 0, trans: false }, n, n)).toBeNull();
    reuseMatricesDuring(() => {
      wx(w);
      expect(residentStart(kernel, { data: w, offset: 0, trans: false }, n, n)).toBe(0);
      expect(scratchStart(kernel)).toBe(n * n);
      // A GEMM and another matrix's product lay out their memory after it.
      const big = Float32Array.from(values(128 * n, 6));
      wasmGemm(128, n, n, { data: big, offset: 0, trans: false }, { data: Float32Array.from(other), offset: 0, trans: true }, new Float32Array(128 * n), 0);
      wx(other);
      expect(residentStart(kernel, { data: other, offset: 0, trans: false }, n, n)).toBe(n * n);
      expect(wx(w)).toEqual(want);
    });
    expect(scratchStart(kernel)).toBe(0);
    expect(residentStart(kernel, { data: w, offset: 0, trans: false }, n, n)).toBeNull();
  });

  it('tell apart the values a pooled array holds, and a caller\'s array changed between passes', () => {
    const n = 64;
    const x = Float32Array.from(values(n, 7));
    const wx = (m: Float32Array | Float64Array) => {
      const c = new Float32Array(n);
      wasmGemm(1, n, n, { data: x, offset: 0, trans: false }, { data: m, offset: 0, trans: true }, c, 0);
      return Array.from(c);
    };
    reuseMatricesDuring(() => {
      const first = allocate([n, n], 'f64').data as Float64Array;
      first.set(values(n * n, 8));
      wx(first);
      release(first);
      const second = allocate([n, n], 'f64').data as Float64Array;
      expect(second).toBe(first);
      second.set(values(n * n, 9));
      expect(wx(second)).toEqual(wx(Float32Array.from(second)));
    });
    const mine = values(n * n, 10);
    const before = reuseMatricesDuring(() => wx(mine));
    mine[3] += 1;
    expect(reuseMatricesDuring(() => wx(mine))).toEqual(wx(Float32Array.from(mine)));
    expect(wx(Float32Array.from(mine))).not.toEqual(before);
  });
});
