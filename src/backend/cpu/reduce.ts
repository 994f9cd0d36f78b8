import { stridesOf, type Shape } from '../../ir/shape.ts';
import { forEachRow } from './strided.ts';
import { allocate, type DType, type Tensor } from './tensor.ts';

export type Reduction = 'sum' | 'max' | 'logsumexp';

/**
 * Reduce `x` over `axes` (already normalised to 0..rank-1) into `outShape` (the kept dims, in order).
 * Walks x once per pass in memory order; the output offset moves with stride 0 along reduced axes.
 */
export function reduce(x: Tensor, axes: readonly number[], outShape: Shape, kind: Reduction, dtype: DType): Tensor {
  const rank = x.shape.length;
  const reduced = new Set(axes);
  const outStridesFull = stridesOf(outShape);
  const toOut = new Array<number>(rank);
  for (let d = 0, k = 0; d < rank; d++) toOut[d] = reduced.has(d) ? 0 : outStridesFull[k++];
  const inStrides = stridesOf(x.shape);
  const src = x.data;
  const inner = toOut[rank - 1] ?? 0;
  const innerIn = inStrides[rank - 1] ?? 0;

  const out = allocate(outShape, dtype);
  const acc = new Float64Array(out.data.length);
  if (kind === 'sum') {
    forEachRow(x.shape, [inStrides, toOut], (_o, off, len) => {
      let p = off[0];
      let q = off[1];
      for (let j = 0; j < len; j++, p += innerIn, q += inner) acc[q] += src[p];
    });
    out.data.set(acc);
    return out;
  }
  // max, and the first pass of logsumexp (subtracting the max keeps exp from overflowing).
  acc.fill(-Infinity);
  forEachRow(x.shape, [inStrides, toOut], (_o, off, len) => {
    let p = off[0];
    let q = off[1];
    for (let j = 0; j < len; j++, p += innerIn, q += inner) {
      const v = src[p];
      if (v > acc[q] || Number.isNaN(v)) acc[q] = v;
    }
  });
  if (kind === 'max') {
    out.data.set(acc);
    return out;
  }
  const sums = new Float64Array(acc.length);
  forEachRow(x.shape, [inStrides, toOut], (_o, off, len) => {
    let p = off[0];
    let q = off[1];
    for (let j = 0; j < len; j++, p += innerIn, q += inner) {
      const m = acc[q];
      sums[q] += Number.isFinite(m) ? Math.exp(src[p] - m) : src[p] === m ? 1 : 0;
    }
  });
  for (let i = 0; i < acc.length; i++) out.data[i] = acc[i] + Math.log(sums[i]);
  return out;
}
