import { type Shape } from '../../ir/shape.ts';

/**
 * Strides that read a tensor of `shape` as if it had been broadcast to `outShape` (right-aligned):
 * broadcast dimensions get stride 0. `outShape` must be a valid broadcast target of `shape`.
 */
export function broadcastStrides(shape: Shape, outShape: Shape): number[] {
  const strides = new Array<number>(outShape.length).fill(0);
  let s = 1;
  for (let i = 1; i <= shape.length; i++) {
    const d = shape[shape.length - i];
    strides[outShape.length - i] = d === 1 ? 0 : s;
    s *= d;
  }
  return strides;
}

/**
 * Walks the elements of `outShape` in row-major order, calling `row(outOffset, offsets, length)` once per
 * innermost row, where `offsets[t]` is where operand t's row starts under its `strides[t]`. The caller's
 * inner loop then steps operand t by `strides[t][rank - 1]`. Counters, not per-element index math.
 */
export function forEachRow(
  outShape: Shape,
  strides: readonly (readonly number[])[],
  row: (outOffset: number, offsets: Int32Array | number[], length: number) => void,
): void {
  const rank = outShape.length;
  const total = outShape.reduce((a, b) => a * b, 1);
  if (total === 0) return;
  if (rank === 0) {
    row(0, strides.map(() => 0), 1);
    return;
  }
  const inner = outShape[rank - 1];
  const counter = new Int32Array(rank);
  const offsets = new Array<number>(strides.length).fill(0);
  for (let out = 0; out < total; out += inner) {
    row(out, offsets, inner);
    // Odometer increment over the outer dimensions.
    for (let d = rank - 2; d >= 0; d--) {
      counter[d]++;
      for (let t = 0; t < strides.length; t++) offsets[t] += strides[t][d];
      if (counter[d] < outShape[d]) break;
      for (let t = 0; t < strides.length; t++) offsets[t] -= strides[t][d] * outShape[d];
      counter[d] = 0;
    }
  }
}
