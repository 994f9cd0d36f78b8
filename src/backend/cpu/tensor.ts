import { numel, type Shape } from '../../ir/shape.ts';

/** Floating-point precision a backend computes in. */
export type DType = 'f64' | 'f32';

export type FloatArray = Float64Array | Float32Array;

/** A dense row-major array with its shape. */
export interface Tensor {
  readonly shape: Shape;
  readonly data: FloatArray;
}

/**
 * A matrix the CPU interpreter passes to the matmul kernel without copying it: `shape` is the logical one,
 * and `data` holds the row-major transpose of its last two dims (a `transpose` read in place, see
 * interpreter.ts). The matmul kernel, which hands gemm a `trans` flag instead, is the only one given these.
 */
export interface StoredTransposed extends Tensor {
  readonly transposed: true;
}

/** Whether `t`'s data is the transpose of its last two dims (see StoredTransposed). */
export function isStoredTransposed(t: Tensor): t is StoredTransposed {
  return (t as Partial<StoredTransposed>).transposed === true;
}

export function allocate(shape: Shape, dtype: DType): Tensor {
  const n = numel(shape);
  return { shape, data: dtype === 'f64' ? new Float64Array(n) : new Float32Array(n) };
}

export function dtypeOf(data: FloatArray): DType {
  return data instanceof Float64Array ? 'f64' : 'f32';
}

/** A copy of `t` converted to `dtype` (or `t` itself when it already has it). */
export function toDType(t: Tensor, dtype: DType): Tensor {
  if (dtypeOf(t.data) === dtype) return t;
  return { shape: t.shape, data: dtype === 'f64' ? Float64Array.from(t.data) : Float32Array.from(t.data) };
}

export const BYTES_PER_ELEMENT: Record<DType, number> = { f64: 8, f32: 4 };
