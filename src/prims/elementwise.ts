import { isArithmetic, mapArithmetic, mapBinary, mapUnary } from '../backend/cpu/elementwise.ts';
import { addOptional, expandTo } from '../ad/helpers.ts';
import type { GraphBuilder } from '../ir/builder.ts';
import type { NodeId } from '../ir/graph.ts';
import type { BinaryPrim, UnaryPrim } from '../ir/primitives.ts';
import { broadcastShapes, numel } from '../ir/shape.ts';
import { describeShapes } from '../ir/builder.ts';
import type { PrimitiveDef, TransposeRule } from './types.ts';

/** Local derivative of a unary function from its input x and output y; null when it is zero. */
type Derivative = (b: GraphBuilder, x: NodeId, y: NodeId) => NodeId | null;

/** An elementwise function of one argument: dy = f'(x) dx. */
function unary<P extends UnaryPrim>(f: (v: number) => number, wgsl: (x: string) => string, derivative: Derivative, flops = 1, transpose: TransposeRule<P> | null = null): PrimitiveDef<P> {
  return {
    wgsl: { kind: 'elementwise', expr: wgsl },
    arity: 1,
    shape: ([x]) => x,
    cpu: ([x], node, dtype) => mapUnary(x, dtype, node.op, f),
    jvp: ({ b, x: [x], y, dx: [dx] }) => {
      if (dx === null) return null;
      const d = derivative(b, x, y);
      return d === null ? null : b.mul(d, dx);
    },
    transpose,
    flops: (node) => flops * numel(node.shape),
    fold: f,
  };
}

/** Partial derivatives of a binary function; null entries are zero. Only called for arguments with a tangent. */
type Partials = (b: GraphBuilder, x: readonly NodeId[], y: NodeId, need: readonly boolean[]) => readonly (NodeId | null)[];

/** An elementwise function of two broadcast arguments: dy = ∂f/∂a da + ∂f/∂b db. */
function binary<P extends BinaryPrim>(f: (u: number, v: number) => number, wgsl: (a: string, b: string) => string, partials: Partials, flops = 1, transpose: TransposeRule<P> | null = null): PrimitiveDef<P> {
  return {
    wgsl: { kind: 'elementwise', expr: wgsl },
    arity: 2,
    shape: ([a, c]) => broadcastShapes(a, c) ?? `shapes ${describeShapes([a, c])} do not broadcast together`,
    // + − × ÷ have their loops written out (mapArithmetic: no call per element); the same numbers as f's.
    cpu: ([a, c], node, dtype) => (isArithmetic(node.op) ? mapArithmetic(a, c, node.shape, dtype, node.op) : mapBinary(a, c, node.shape, dtype, f)),
    jvp: ({ b, node, x, y, dx, argShapes }) => {
      const d = partials(b, x, y, dx.map((t) => t !== null));
      let total: NodeId | null = null;
      dx.forEach((t, i) => {
        if (t === null || d[i] === null) return;
        total = addOptional(b, total, b.mul(d[i]!, expandTo(b, t, argShapes[i], node.shape)));
      });
      return total;
    },
    transpose,
    flops: (node) => flops * numel(node.shape),
    fold: f,
  };
}

const zero: Derivative = () => null;
const noPartials: Partials = () => [null, null];

// Numerically stable forms: no overflow of exp for large |x|.
const sigmoid = (v: number) => (v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v)));
const softplus = (v: number) => Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v)));

type ElementwiseTable = { readonly [P in UnaryPrim | BinaryPrim]: PrimitiveDef<P> };

export const ELEMENTWISE: ElementwiseTable = {
  // d(-x) = -dx; linear, its own transpose.
  neg: unary((v) => -v, (x) => `-${x}`, (b) => b.constant(-1), 1, ({ b, ct }) => [b.neg(ct)]),
  // d sin x = cos x dx
  sin: unary(Math.sin, (x) => `sin(${x})`, (b, x) => b.unary('cos', x), 4),
  // d cos x = -sin x dx
  cos: unary(Math.cos, (x) => `cos(${x})`, (b, x) => b.neg(b.unary('sin', x)), 4),
  // d tan x = (1 + tan² x) dx
  tan: unary(Math.tan, (x) => `tan(${x})`, (b, _x, y) => b.add(b.constant(1), b.unary('square', y)), 4),
  // d eˣ = eˣ dx
  exp: unary(Math.exp, (x) => `exp(${x})`, (_b, _x, y) => y, 4),
  // d log x = dx / x
  log: unary(Math.log, (x) => `log(${x})`, (b, x) => b.div(b.constant(1), x), 4),
  // d √x = dx / (2√x)
  sqrt: unary(Math.sqrt, (x) => `sqrt(${x})`, (b, _x, y) => b.div(b.constant(0.5), y), 4),
  // d tanh x = (1 - tanh² x) dx
  tanh: unary(Math.tanh, (x) => `gl_tanh(${x})`, (b, _x, y) => b.sub(b.constant(1), b.unary('square', y)), 4),
  // d σ(x) = σ(x)(1 - σ(x)) dx
  sigmoid: unary(sigmoid, (x) => `gl_sigmoid(${x})`, (b, _x, y) => b.mul(y, b.sub(b.constant(1), y)), 4),
  // d relu x = [x > 0] dx
  relu: unary((v) => (v > 0 ? v : 0), (x) => `max(${x}, 0.0)`, (b, x) => b.apply('greater', [x, b.constant(0)], {})),
  // d |x| = sign(x) dx
  abs: unary(Math.abs, (x) => `abs(${x})`, (b, x) => b.unary('sign', x)),
  sign: unary((v) => (v > 0 ? 1 : v < 0 ? -1 : v === 0 ? 0 : NaN), (x) => `sign(${x})`, zero),
  // d softplus x = σ(x) dx
  softplus: unary(softplus, (x) => `gl_softplus(${x})`, (b, x) => b.unary('sigmoid', x), 4),
  // d x² = 2x dx
  square: unary((v) => v * v, (x) => `(${x} * ${x})`, (b, x) => b.mul(b.constant(2), x)),

  // d(a + b) = da + db; linear in both.
  add: binary((u, v) => u + v, (a, b) => `(${a} + ${b})`, (b) => [b.constant(1), b.constant(1)], 1, ({ ct }) => [ct, ct]),
  // d(a - b) = da - db
  sub: binary((u, v) => u - v, (a, b) => `(${a} - ${b})`, (b) => [b.constant(1), b.constant(-1)], 1, ({ b, ct }) => [ct, b.neg(ct)]),
  // d(ab) = b da + a db; bilinear: transposed with respect to whichever argument is the linear one.
  mul: binary((u, v) => u * v, (a, b) => `(${a} * ${b})`, (_b, [u, v]) => [v, u], 1, ({ b, ct, consts: [u, v] }) => [
    u === null ? b.mul(ct, v!) : null,
    v === null ? b.mul(ct, u!) : null,
  ]),
  // d(a / b) = da / b - (a / b) db / b; linear in a alone.
  div: binary((u, v) => u / v, (a, b) => `(${a} / ${b})`, (b, [, v], y) => [b.div(b.constant(1), v), b.neg(b.div(y, v))], 1, ({ b, ct, consts: [u, v] }) => {
    if (u !== null) throw new Error('div is not linear in its denominator');
    return [b.div(ct, v!), null];
  }),
  // d(aᵇ) = b aᵇ⁻¹ da + log(a) aᵇ db; the log is only built when b varies (so constant powers of negative a work).
  pow: binary(Math.pow, (a, b) => `gl_pow(${a}, ${b})`, (b, [u, v], y, need) => [
    need[0] ? b.mul(v, b.apply('pow', [u, b.sub(v, b.constant(1))], {})) : null,
    need[1] ? b.mul(b.unary('log', u), y) : null,
  ], 8),
  // d max(a, b) = [a > b] da + [a ≤ b] db (ties go to b).
  maximum: binary(Math.max, (a, b) => `max(${a}, ${b})`, (b, [u, v]) => {
    const aWins = b.apply('greater', [u, v], {});
    return [aWins, b.sub(b.constant(1), aWins)];
  }),
  // d min(a, b) = [a < b] da + [a ≥ b] db (ties go to b).
  minimum: binary(Math.min, (a, b) => `min(${a}, ${b})`, (b, [u, v]) => {
    const aWins = b.apply('greater', [v, u], {});
    return [aWins, b.sub(b.constant(1), aWins)];
  }),
  greater: binary((u, v) => (u > v ? 1 : 0), (a, b) => `select(0.0, 1.0, ${a} > ${b})`, noPartials),
  equal: binary((u, v) => (u === v ? 1 : 0), (a, b) => `select(0.0, 1.0, ${a} == ${b})`, noPartials),
};
