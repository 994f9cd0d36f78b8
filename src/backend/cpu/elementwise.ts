import type { Shape } from '../../ir/shape.ts';
import { shapesEqual } from '../../ir/shape.ts';
import { broadcastStrides, forEachRow } from './strided.ts';
import { allocate, type DType, type Tensor } from './tensor.ts';

/** out[i] = f(x[i]). */
export function mapUnary(x: Tensor, dtype: DType, f: (v: number) => number): Tensor {
  const out = allocate(x.shape, dtype);
  const src = x.data;
  const dst = out.data;
  for (let i = 0; i < dst.length; i++) dst[i] = f(src[i]);
  return out;
}

/** out = f(a, b) elementwise with NumPy broadcasting to `outShape`. */
export function mapBinary(a: Tensor, b: Tensor, outShape: Shape, dtype: DType, f: (u: number, v: number) => number): Tensor {
  const out = allocate(outShape, dtype);
  const A = a.data;
  const B = b.data;
  const O = out.data;
  const n = O.length;
  if (shapesEqual(a.shape, outShape) && shapesEqual(b.shape, outShape)) {
    for (let i = 0; i < n; i++) O[i] = f(A[i], B[i]);
  } else if (A.length === 1 && shapesEqual(b.shape, outShape)) {
    const u = A[0];
    for (let i = 0; i < n; i++) O[i] = f(u, B[i]);
  } else if (B.length === 1 && shapesEqual(a.shape, outShape)) {
    const v = B[0];
    for (let i = 0; i < n; i++) O[i] = f(A[i], v);
  } else {
    const sa = broadcastStrides(a.shape, outShape);
    const sb = broadcastStrides(b.shape, outShape);
    const ia = sa[sa.length - 1] ?? 0;
    const ib = sb[sb.length - 1] ?? 0;
    forEachRow(outShape, [sa, sb], (o, off, len) => {
      let pa = off[0];
      let pb = off[1];
      for (let j = 0; j < len; j++, pa += ia, pb += ib) O[o + j] = f(A[pa], B[pb]);
    });
  }
  return out;
}

/** Copy of `x` read through arbitrary `strides` into a fresh row-major tensor of `outShape`. */
export function stridedCopy(x: Tensor, strides: readonly number[], outShape: Shape, dtype: DType): Tensor {
  const out = allocate(outShape, dtype);
  const src = x.data;
  const dst = out.data;
  const step = strides[strides.length - 1] ?? 0;
  forEachRow(outShape, [strides], (o, off, len) => {
    let p = off[0];
    for (let j = 0; j < len; j++, p += step) dst[o + j] = src[p];
  });
  return out;
}
