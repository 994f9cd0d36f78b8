// + − × ÷ on the WebAssembly SIMD kernels (wasm/arithmetic.ts): the bits of the JS loop (arithmeticRow),
// whole operands or a row repeated down the rows, either operand, at ragged lengths, f32 and f64.
import { afterEach, describe, expect, it } from 'vitest';
import { rng } from '../../src/api/random.ts';
import { arithmeticRow, mapArithmetic, type Arithmetic } from '../../src/backend/cpu/elementwise.ts';
import { wasmArithmetic, WASM_ARITHMETIC_ELEMENTS } from '../../src/backend/cpu/wasm/arithmetic.ts';
import { wasmGemm } from '../../src/backend/cpu/wasm/gemm.ts';
import { setGemmMode } from '../../src/backend/cpu/wasm/module.ts';
import { reuseMatricesDuring } from '../../src/backend/cpu/wasm/residents.ts';
import type { DType, FloatArray } from '../../src/backend/cpu/tensor.ts';

const OPS: Arithmetic[] = ['add', 'sub', 'mul', 'div'];
const SPECIALS = [0, -0, NaN, Infinity, -Infinity, 1e-45, -1e-40, 3e38, -3e38, 1 / 3, 1 + 2 ** -23, 5e-324, 1e308];

function randomArray(n: number, seed: number, dtype: DType): FloatArray {
  const next = rng(seed);
  const values = Array.from({ length: n }, (_, i) => (i % 11 === 3 ? SPECIALS[(i + seed) % SPECIALS.length] : 4 * next() - 2));
  return dtype === 'f64' ? Float64Array.from(values) : Float32Array.from(values);
}

/** Bits of an array, so that −0 differs from +0; every NaN is one value (payloads are the hardware's). */
const bits = (x: FloatArray) => {
  const raw: ArrayLike<bigint | number> = x instanceof Float64Array ? new BigUint64Array(x.buffer, x.byteOffset, x.length) : new Uint32Array(x.buffer, x.byteOffset, x.length);
  return Array.from(raw, (b, i) => (Number.isNaN(x[i]) ? 'NaN' : b));
};

afterEach(() => setGemmMode('auto'));

describe('wasm + − × ÷', () => {
  it('give the JS loop\'s bits: whole operands, or either one a row repeated down the rows, ragged lengths, f32 and f64', () => {
    for (const dtype of ['f32', 'f64'] as const) {
      for (const [rows, len] of [[1, 1024], [1, 1031], [5, 257], [64, 256], [3, 1023], [1030, 1]]) {
        const n = rows * len;
        for (const op of OPS) {
          for (const [aRepeats, bRepeats] of [[false, false], [false, true], [true, false]]) {
            const A = randomArray(aRepeats ? len : n, rows + len, dtype);
            const B = randomArray(bRepeats ? len : n, rows * len + 7, dtype);
            const make = () => (dtype === 'f64' ? new Float64Array(n) : new Float32Array(n));
            const want = make();
            for (let r = 0; r < rows; r++) arithmeticRow(op, want, r * len, A, aRepeats ? 0 : r * len, 1, B, bRepeats ? 0 : r * len, 1, len);
            const got = make();
            expect(wasmArithmetic(op, got, A, B, rows, len), `${dtype} ${op} ${rows}×${len}`).toBe(true);
            expect(bits(got), `${dtype} ${op} ${rows}×${len} ${aRepeats ? 'row' : 'whole'} ∘ ${bRepeats ? 'row' : 'whole'}`).toEqual(bits(want));
          }
        }
      }
    }
  });

  it('run through mapArithmetic for large nodes, JS for small ones and when the GEMM mode says js', () => {
    const a = { shape: [64, 256], data: randomArray(64 * 256, 1, 'f32') };
    const b = { shape: [256], data: randomArray(256, 2, 'f32') };
    const viaWasm = mapArithmetic(a, b, [64, 256], 'f32', 'div').data;
    setGemmMode('js');
    expect(bits(viaWasm)).toEqual(bits(mapArithmetic(a, b, [64, 256], 'f32', 'div').data));
    expect(wasmArithmetic('div', new Float32Array(64 * 256), a.data, b.data, 64, 256)).toBe(false);
    setGemmMode('auto');
    expect(wasmArithmetic('div', new Float32Array(WASM_ARITHMETIC_ELEMENTS - 1), a.data.subarray(0, WASM_ARITHMETIC_ELEMENTS - 1), a.data.subarray(0, WASM_ARITHMETIC_ELEMENTS - 1), 1, WASM_ARITHMETIC_ELEMENTS - 1)).toBe(false);
    // Operands of another dtype than the output are left to JS.
    expect(wasmArithmetic('add', new Float32Array(4096), new Float64Array(4096), new Float32Array(4096), 1, 4096)).toBe(false);
  });

  it('leave the pass\'s resident matrices alone', () => {
    const n = 128;
    const W = randomArray(n * n, 3, 'f64').map((v) => (Number.isFinite(v) ? v : 0.5)) as Float64Array;
    const x = randomArray(n, 4, 'f32').map((v) => (Number.isFinite(v) ? v : 0.25)) as Float32Array;
    const wx = () => {
      const c = new Float32Array(n);
      wasmGemm(n, 1, n, { data: W, offset: 0, trans: false }, { data: x, offset: 0, trans: false }, c, 0);
      return bits(c);
    };
    const want = wx();
    reuseMatricesDuring(() => {
      wx();
      const big = randomArray(8192, 5, 'f32');
      expect(wasmArithmetic('mul', new Float32Array(8192), big, big, 1, 8192)).toBe(true);
      expect(wx()).toEqual(want);
    });
  });
});
