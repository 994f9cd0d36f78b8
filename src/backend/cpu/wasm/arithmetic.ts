// The CPU interpreter's large + − × ÷ nodes on the WebAssembly SIMD kernels (arithmetic-kernel.ts).
import type { Arithmetic } from '../elementwise.ts';
import type { FloatArray } from '../tensor.ts';
import { LANES } from './gemm-kernel.ts';
import { arithmeticExport } from './arithmetic-kernel.ts';
import { ensureMemory, gemmMode, kernelFor } from './module.ts';
import { scratchStart } from './residents.ts';

/**
 * Outputs smaller than this stay in JS, which copies nothing in and out. Measured (µs, medians, a [k, w] ⊙
 * [w] multiply through mapArithmetic, JS against wasm): f32 [1, 256] 1.5 and 2.0, [4, 256] 3.6 and 2.6,
 * [64, 256] 35 and 8.3, [1024, 1024] 2195 and 470; f64 [2, 256] 2.4 and 2.7, [4, 256] 3.9 and 3.5,
 * [64, 256] 33 and 15, [1024, 1024] 2093 and 1588.
 */
export const WASM_ARITHMETIC_ELEMENTS = 1024;

/**
 * How an operand of a `rows` × `len` output is laid out: every value (`whole`), one row repeated down the
 * rows (`row`: a batch times a local derivative), or one value per row (`column`: [rows, 1], a Jacobian's
 * rows scaled by a local derivative).
 */
export type Layout = 'whole' | 'row' | 'column';

/**
 * O = A ∘ B over `rows` rows of `len` values, A and B laid out as `aLayout` and `bLayout` (not both
 * `column`), all of O's dtype: by the wasm kernel, with A and B copied into its memory past the pass's
 * resident matrices and the result copied out. The same bits as the JS loop (arithmeticKernel). Returns
 * false, having written nothing, when the kernel is unavailable or not wanted (setGemmMode('js')), or the
 * output is small; the caller then runs the JS loop.
 */
export function wasmArithmetic(op: Arithmetic, O: FloatArray, A: FloatArray, aLayout: Layout, B: FloatArray, bLayout: Layout, rows: number, len: number): boolean {
  const n = rows * len;
  if (n < WASM_ARITHMETIC_ELEMENTS || gemmMode() === 'js' || (aLayout === 'column' && bLayout === 'column')) return false;
  const dtype = O instanceof Float64Array ? 'f64' : 'f32';
  if (A.constructor !== O.constructor || B.constructor !== O.constructor) return false;
  const kernel = kernelFor(dtype);
  if (kernel === null) return false;
  const bytes = O.BYTES_PER_ELEMENT;
  const lanes = LANES[dtype];
  const aStart = scratchStart(kernel);
  const bStart = aStart + Math.ceil(A.length / lanes) * lanes;
  const oStart = bStart + Math.ceil(B.length / lanes) * lanes;
  if (!ensureMemory(kernel, (oStart + n) * bytes)) return false;
  const mem = dtype === 'f64' ? new Float64Array(kernel.memory.buffer) : new Float32Array(kernel.memory.buffer);
  mem.set(A, aStart);
  mem.set(B, bStart);
  const rowBytes = (layout: Layout) => (layout === 'whole' ? len * bytes : layout === 'column' ? bytes : 0);
  const perRow = aLayout === 'column' ? 'a' : bLayout === 'column' ? 'b' : 'none';
  kernel[arithmeticExport(op, perRow)](aStart * bytes, bStart * bytes, oStart * bytes, rows, Math.floor(len / lanes), len % lanes, rowBytes(aLayout), rowBytes(bLayout));
  O.set(mem.subarray(oStart, oStart + n));
  return true;
}
