import { stridedCopy } from '../backend/cpu/elementwise.ts';
import { broadcastStrides } from '../backend/cpu/strided.ts';
import { sumToShape } from '../ad/helpers.ts';
import { broadcastsTo, formatShape, numel, shapesEqual, stridesOf, type Shape } from '../ir/shape.ts';
import type { PrimitiveDef } from './types.ts';

/** Checks that `shape` ends in the core shape `core`; returns the leading (batch) dims or an error. */
function splitCore(shape: Shape, core: Shape, what: string): Shape | string {
  const batch = shape.slice(0, shape.length - core.length);
  if (shape.length < core.length || !shapesEqual(shape.slice(batch.length), core)) {
    return `${what} expects an argument ending in ${formatShape(core)}, got ${formatShape(shape)}`;
  }
  return batch;
}

export const broadcast: PrimitiveDef<'broadcast'> = {
  arity: 1,
  wgsl: { kind: 'index' },
  shape: ([x], { from, to }) => {
    const batch = splitCore(x, from, 'broadcast');
    if (typeof batch === 'string') return batch;
    if (!broadcastsTo(from, to)) return `cannot broadcast ${formatShape(from)} to ${formatShape(to)}`;
    return [...batch, ...to];
  },
  cpu: ([x], node, dtype) => {
    const batch = node.shape.length - node.params.to.length;
    const coreStrides = broadcastStrides(node.params.from, node.params.to);
    // Batch dims pass through with the argument's own strides; the core reads with broadcast strides.
    const strides = [...stridesOf(x.shape).slice(0, batch), ...coreStrides];
    return stridedCopy(x, strides, node.shape, dtype);
  },
  // Broadcasting is linear: the tangent is broadcast, the cotangent summed back.
  jvp: ({ b, node, dx: [t] }) => (t === null ? null : b.broadcast(t, node.params.from, node.params.to)),
  transpose: ({ b, node, ct }) => [sumToShape(b, ct, node.params.to, node.params.from)],
  flops: () => 0,
};

export const reshape: PrimitiveDef<'reshape'> = {
  arity: 1,
  wgsl: { kind: 'index' },
  shape: ([x], { from, to }) => {
    const batch = splitCore(x, from, 'reshape');
    if (typeof batch === 'string') return batch;
    if (numel(from) !== numel(to)) return `cannot reshape ${formatShape(from)} to ${formatShape(to)}`;
    return [...batch, ...to];
  },
  // Row-major data is unchanged by a reshape: share it.
  cpu: ([x], node) => ({ shape: node.shape, data: x.data }),
  jvp: ({ b, node, dx: [t] }) => (t === null ? null : b.reshape(t, node.params.from, node.params.to)),
  transpose: ({ b, node, ct }) => [b.reshape(ct, node.params.to, node.params.from)],
  flops: () => 0,
};

export const transpose: PrimitiveDef<'transpose'> = {
  arity: 1,
  wgsl: { kind: 'index' },
  shape: ([x]) => (x.length < 2 ? `transpose needs a matrix, got ${formatShape(x)}` : [...x.slice(0, -2), x[x.length - 1], x[x.length - 2]]),
  cpu: ([x], node, dtype) => {
    const strides = stridesOf(x.shape);
    const r = strides.length;
    [strides[r - 2], strides[r - 1]] = [strides[r - 1], strides[r - 2]];
    return stridedCopy(x, strides, node.shape, dtype);
  },
  jvp: ({ b, dx: [t] }) => (t === null ? null : b.transpose(t)),
  transpose: ({ b, ct }) => [b.transpose(ct)],
  flops: () => 0,
};
