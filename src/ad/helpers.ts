import type { GraphBuilder } from '../ir/builder.ts';
import type { NodeId } from '../ir/graph.ts';
import { normalizeAxis, shapesEqual, type Shape } from '../ir/shape.ts';

/** Broadcast a tangent whose core shape is `from` up to the core shape `to` (batch dims kept). */
export function expandTo(b: GraphBuilder, t: NodeId, from: Shape, to: Shape): NodeId {
  return shapesEqual(from, to) ? t : b.broadcast(t, from, to);
}

/**
 * The transpose of broadcasting: sum a cotangent with core shape `from` down to the core shape `to`
 * that was broadcast to `from` (leading axes added by broadcasting, and size-1 axes that were stretched).
 */
export function sumToShape(b: GraphBuilder, ct: NodeId, from: Shape, to: Shape): NodeId {
  if (shapesEqual(from, to)) return ct;
  const lead = from.length - to.length;
  const axes: number[] = [];
  for (let i = 0; i < from.length; i++) {
    if (i < lead || (to[i - lead] === 1 && from[i] !== 1)) axes.push(i - from.length);
  }
  const summed = b.sum(ct, axes);
  const kept = from.filter((_, i) => !axes.includes(i - from.length));
  return b.reshape(summed, kept, to);
}

/** Core shape of `inShape` reduced over `axes` (negative, counting from the end) with the axes kept as 1s. */
export function keepDims(inShape: Shape, axes: readonly number[]): number[] {
  const reduced = new Set(axes.map((a) => normalizeAxis(a, inShape.length)));
  return inShape.map((d, i) => (reduced.has(i) ? 1 : d));
}

/** Spread a reduced value (core shape = inShape without `axes`) back over the reduced axes. */
export function unreduce(b: GraphBuilder, v: NodeId, inShape: Shape, axes: readonly number[]): NodeId {
  const kept = keepDims(inShape, axes);
  const reducedShape = kept.filter((_, i) => !axes.some((a) => normalizeAxis(a, inShape.length) === i));
  return b.broadcast(b.reshape(v, reducedShape, kept), kept, inShape);
}

/** Sum of two optional tangents (null stands for zero). */
export function addOptional(b: GraphBuilder, x: NodeId | null, y: NodeId | null): NodeId | null {
  if (x === null) return y;
  if (y === null) return x;
  return b.add(x, y);
}
