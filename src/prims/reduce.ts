import { reduce, type Reduction } from '../backend/cpu/reduce.ts';
import { unreduce } from '../ad/helpers.ts';
import type { ReducePrim } from '../ir/primitives.ts';
import { formatShape, normalizeAxis, numel, type Shape } from '../ir/shape.ts';
import type { JvpRule, PrimitiveDef, TransposeRule } from './types.ts';

/** Output shape of reducing `x` over negative `axes`, or an error. */
function reducedShape(x: Shape, axes: readonly number[]): Shape | string {
  const normal = axes.map((a) => normalizeAxis(a, x.length));
  if (normal.some((a) => a === null) || axes.some((a) => a >= 0)) {
    return `cannot reduce ${formatShape(x)} over axes ${axes.join(', ')}`;
  }
  if (new Set(normal).size !== normal.length) return `repeated reduction axis in ${axes.join(', ')}`;
  return x.filter((_, i) => !normal.includes(i));
}

function reduction<P extends ReducePrim>(kind: Reduction, jvp: JvpRule<P>, transpose: TransposeRule<P> | null, flopsPerElement: number): PrimitiveDef<P> {
  return {
    arity: 1,
    wgsl: { kind: 'reduce', op: kind },
    shape: ([x], { axes }) => reducedShape(x, axes),
    cpu: ([x], node, dtype) => {
      const axes = node.params.axes.map((a) => normalizeAxis(a, x.shape.length)!);
      return reduce(x, axes, node.shape, kind, dtype);
    },
    jvp,
    transpose,
    flops: (_node, [x]) => flopsPerElement * numel(x),
  };
}

export const REDUCTIONS: { readonly [P in ReducePrim]: PrimitiveDef<P> } = {
  // d Σx = Σ dx; linear: the cotangent is spread back over the summed axes.
  sum: reduction<'sum'>(
    'sum',
    ({ b, node, dx: [t] }) => (t === null ? null : b.sum(t, node.params.axes)),
    ({ b, node, ct, argShapes: [x] }) => [unreduce(b, ct, x, node.params.axes)],
    1,
  ),
  // d max x = mean of dx over the positions that attain the max.
  reduce_max: reduction<'reduce_max'>(
    'max',
    ({ b, node, x: [x], y, dx: [t], argShapes: [shape] }) => {
      if (t === null) return null;
      const { axes } = node.params;
      const atMax = b.apply('equal', [x, unreduce(b, y, shape, axes)], {});
      return b.div(b.sum(b.mul(atMax, t), axes), b.sum(atMax, axes));
    },
    null,
    1,
  ),
  // d logsumexp x = Σ softmax(x) dx
  logsumexp: reduction<'logsumexp'>(
    'logsumexp',
    ({ b, node, x: [x], y, dx: [t], argShapes: [shape] }) => {
      if (t === null) return null;
      const { axes } = node.params;
      const softmax = b.unary('exp', b.sub(x, unreduce(b, y, shape, axes)));
      return b.sum(b.mul(softmax, t), axes);
    },
    null,
    5,
  ),
};
