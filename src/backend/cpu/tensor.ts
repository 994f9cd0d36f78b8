import { numel, type Shape } from '../../ir/shape.ts';

/** Floating-point precision a backend computes in. */
export type DType = 'f64' | 'f32';

export type FloatArray = Float64Array | Float32Array;

/** A dense row-major array with its shape. */
export interface Tensor {
  readonly shape: Shape;
  readonly data: FloatArray;
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
