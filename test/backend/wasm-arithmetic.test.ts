// + − × ÷ on the WebAssembly SIMD kernels (wasm/arithmetic.ts): the bits of the JS loop (arithmeticRow),
// whole operands or a row repeated down the rows, either operand, at ragged lengths, f32 and f64.
import { afterEach, describe, expect, it } from 'vitest';
import { rng } from '../../src/api/random.ts';
import { arithmeticRow, isColumnOf, mapArithmetic, type Arithmetic } from '../../src/backend/cpu/elementwise.ts';
import { numel } from '../../src/ir/shape.ts';
import { wasmArithmetic, WASM_ARITHMETIC_ELEMENTS, type Layout } from '../../src/backend/cpu/wasm/arithmetic.ts';
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
  it('give the JS loop\'s bits: whole operands, or either one a row repeated down the rows or one value per row, ragged lengths, f32 and f64', () => {
    const LAYOUTS: [Layout, Layout][] = [['whole', 'whole'], ['whole', 'row'], ['row', 'whole'], ['whole', 'column'], ['column', 'whole'], ['row', 'column'], ['column', 'row']];
    const size = (layout: Layout, rows: number, len: number) => (layout === 'whole' ? rows * len : layout === 'row' ? len : rows);
    // Where row r's element j of an operand is, and its step along the row.
    const start = (layout: Layout, r: number, len: number) => (layout === 'whole' ? r * len : layout === 'row' ? 0 : r);
    const step = (layout: Layout) => (layout === 'column' ? 0 : 1);
    for (const dtype of ['f32', 'f64'] as const) {
      for (const [rows, len] of [[1, 1024], [1, 1031], [5, 257], [64, 256], [3, 1023], [1030, 1], [257, 5]]) {
        const n = rows * len;
        for (const op of OPS) {
          for (const [la, lb] of LAYOUTS) {
            const A = randomArray(size(la, rows, len), rows + len, dtype);
            const B = randomArray(size(lb, rows, len), rows * len + 7, dtype);
            const make = () => (dtype === 'f64' ? new Float64Array(n) : new Float32Array(n));
            const want = make();
            for (let r = 0; r < rows; r++) arithmeticRow(op, want, r * len, A, start(la, r, len), step(la), B, start(lb, r, len), step(lb), len);
            const got = make();
            expect(wasmArithmetic(op, got, A, la, B, lb, rows, len), `${dtype} ${op} ${rows}×${len}`).toBe(true);
            expect(bits(got), `${dtype} ${op} ${rows}×${len} ${la} ∘ ${lb}`).toEqual(bits(want));
          }
        }
      }
    }
  });

  it('take a [.., rows, 1] operand times a whole one as one value per row in mapArithmetic, with the JS loop\'s bits', () => {
    for (const [colShape, outShape] of [[[256, 1], [256, 256]], [[2, 40, 1], [2, 40, 33]], [[1, 70, 1], [70, 30]]] as const) {
      const col = { shape: [...colShape], data: randomArray(numel(colShape), 1, 'f32') };
      const whole = { shape: [...outShape], data: randomArray(numel(outShape), 2, 'f32') };
      expect(isColumnOf(col, outShape)).toBe(true);
      for (const [a, b] of [[col, whole], [whole, col]]) {
        const viaWasm = mapArithmetic(a, b, [...outShape], 'f32', 'sub').data;
        setGemmMode('js');
        const viaJs = mapArithmetic(a, b, [...outShape], 'f32', 'sub').data;
        setGemmMode('auto');
        expect(bits(viaWasm), `${colShape} and ${outShape}`).toEqual(bits(viaJs));
      }
    }
    // Not one value per row: a row, a scalar, a column of another output, rows not all covered.
    for (const [shape, outShape] of [[[256], [256, 256]], [[1, 2], [2, 2]], [[3, 1], [2, 3, 4]], [[256, 1], [256, 1]], [[4, 1], [4, 2, 1]]]) {
      expect(isColumnOf({ shape, data: new Float32Array(numel(shape)) }, outShape), `${shape} in ${outShape}`).toBe(false);
    }
  });

  it('run through mapArithmetic for large nodes, JS for small ones and when the GEMM mode says js', () => {
    const a = { shape: [64, 256], data: randomArray(64 * 256, 1, 'f32') };
    const b = { shape: [256], data: randomArray(256, 2, 'f32') };
    const viaWasm = mapArithmetic(a, b, [64, 256], 'f32', 'div').data;
    setGemmMode('js');
    expect(bits(viaWasm)).toEqual(bits(mapArithmetic(a, b, [64, 256], 'f32', 'div').data));
    expect(wasmArithmetic('div', new Float32Array(64 * 256), a.data, 'whole', b.data, 'row', 64, 256)).toBe(false);
    setGemmMode('auto');
    const small = a.data.subarray(0, WASM_ARITHMETIC_ELEMENTS - 1);
    expect(wasmArithmetic('div', new Float32Array(small.length), small, 'whole', small, 'whole', 1, small.length)).toBe(false);
    // Operands of another dtype than the output are left to JS.
    expect(wasmArithmetic('add', new Float32Array(4096), new Float64Array(4096), 'whole', new Float32Array(4096), 'whole', 1, 4096)).toBe(false);
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
      expect(wasmArithmetic('mul', new Float32Array(8192), big, 'whole', big, 'whole', 1, 8192)).toBe(true);
      expect(wx()).toEqual(want);
    });
  });
});
