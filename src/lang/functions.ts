import { unreduce } from '../ad/helpers.ts';
import type { GraphBuilder } from '../ir/builder.ts';
import type { NodeId } from '../ir/graph.ts';
import type { UnaryPrim } from '../ir/primitives.ts';
import { formatShape, numel, type Shape } from '../ir/shape.ts';

/** A problem with one call, located at argument `arg` (or the whole call when undefined). */
export class CallError extends Error {
  constructor(message: string, readonly arg?: number) {
    super(message);
  }
}

/** What a function sees: the graph builder, its evaluated arguments and the literal axis, if any. */
export interface CallContext {
  readonly b: GraphBuilder;
  readonly args: readonly NodeId[];
  /** The integer axis argument (already checked against the first argument's rank), if given. */
  readonly axis: number | undefined;
}

/** One built-in function of the language, with the documentation the editor shows on hover. */
export interface FunctionDef {
  /** Accepted numbers of arguments. */
  readonly arity: readonly number[];
  /** Position of an argument that must be an integer literal axis (not a value), if any. */
  readonly axisArg?: number;
  readonly signature: string;
  readonly doc: string;
  readonly shapes: string;
  /** The differentiation rule in math, for the hover card. */
  readonly derivative: string;
  lower(ctx: CallContext): NodeId;
}

/** All axes of a value of this shape, as negative axes. */
const allAxes = (shape: Shape) => shape.map((_, i) => i - shape.length);

/** Axes to reduce: the given axis, or all of them. */
function reduceAxes(b: GraphBuilder, x: NodeId, axis: number | undefined): number[] {
  const shape = b.shape(x);
  return axis === undefined ? allAxes(shape) : [axis - shape.length];
}

function elementwise(prim: UnaryPrim, doc: string, derivative: string): FunctionDef {
  return {
    arity: [1],
    signature: `${prim}(x)`,
    doc,
    shapes: 'elementwise: any shape → the same shape',
    derivative,
    lower: ({ b, args: [x] }) => b.unary(prim, x),
  };
}

/** Matrix product with NumPy's rules for vectors: a vector operand is a column (right) or row (left). */
export function matmul(b: GraphBuilder, x: NodeId, y: NodeId): NodeId {
  const [sx, sy] = [b.shape(x), b.shape(y)];
  if (sx.length === 0 || sy.length === 0) throw new CallError(`'@' needs vectors or matrices, got ${formatShape(sx)} @ ${formatShape(sy)}: use '*' to scale by a scalar`);
  const inner = (s: Shape, left: boolean) => (s.length === 1 ? s[0] : left ? s[1] : s[0]);
  if (inner(sx, true) !== inner(sy, false)) {
    throw new CallError(`cannot multiply ${formatShape(sx)} @ ${formatShape(sy)}: the inner sizes ${inner(sx, true)} and ${inner(sy, false)} must be equal`);
  }
  const a = sx.length === 1 ? b.reshape(x, sx, [1, sx[0]]) : x;
  const c = sy.length === 1 ? b.reshape(y, sy, [sy[0], 1]) : y;
  const product = b.matmul(a, c);
  const full = b.shape(product);
  const result = [...(sx.length === 2 ? [sx[0]] : []), ...(sy.length === 2 ? [sy[1]] : [])];
  return b.reshape(product, full, result);
}

/** softmax along `axes`: exp(x - logsumexp(x)), stable for large x. */
function softmax(b: GraphBuilder, x: NodeId, axes: number[]): NodeId {
  const lse = b.apply('logsumexp', [x], { axes });
  return b.unary('exp', b.sub(x, unreduce(b, lse, b.shape(x), axes)));
}

/** The language's built-in functions. */
export const FUNCTIONS: Readonly<Record<string, FunctionDef>> = {
  sin: elementwise('sin', 'Sine (radians).', 'd sin(x) = cos(x) dx'),
  cos: elementwise('cos', 'Cosine (radians).', 'd cos(x) = -sin(x) dx'),
  tan: elementwise('tan', 'Tangent (radians).', 'd tan(x) = (1 + tan(x)²) dx'),
  exp: elementwise('exp', 'Exponential eˣ.', 'd exp(x) = exp(x) dx'),
  log: elementwise('log', 'Natural logarithm.', 'd log(x) = dx / x'),
  sqrt: elementwise('sqrt', 'Square root.', 'd sqrt(x) = dx / (2 sqrt(x))'),
  tanh: elementwise('tanh', 'Hyperbolic tangent.', 'd tanh(x) = (1 - tanh(x)²) dx'),
  sigmoid: elementwise('sigmoid', 'Logistic function 1 / (1 + e⁻ˣ).', 'd σ(x) = σ(x)(1 - σ(x)) dx'),
  relu: elementwise('relu', 'max(x, 0).', 'd relu(x) = [x > 0] dx'),
  abs: elementwise('abs', 'Absolute value.', 'd |x| = sign(x) dx'),
  square: elementwise('square', 'x².', 'd x² = 2x dx'),
  softplus: elementwise('softplus', 'log(1 + eˣ), a smooth relu.', 'd softplus(x) = σ(x) dx'),
  pow: {
    arity: [2],
    signature: 'pow(a, b)',
    doc: 'a raised to the power b, like a ^ b.',
    shapes: 'elementwise with broadcasting',
    derivative: 'd aᵇ = b aᵇ⁻¹ da + log(a) aᵇ db',
    lower: ({ b, args: [x, y] }) => b.apply('pow', [x, y], {}),
  },
  max: {
    arity: [1, 2],
    signature: 'max(x) | max(a, b)',
    doc: 'max(x): the largest element. max(a, b): the elementwise maximum.',
    shapes: 'max(x): any shape → scalar; max(a, b): elementwise with broadcasting',
    derivative: 'd max(x) = dx at the position of the maximum; d max(a, b) = [a > b] da + [a ≤ b] db',
    lower: ({ b, args }) => (args.length === 1 ? b.apply('reduce_max', [args[0]], { axes: allAxes(b.shape(args[0])) }) : b.apply('maximum', [args[0], args[1]], {})),
  },
  min: {
    arity: [1, 2],
    signature: 'min(x) | min(a, b)',
    doc: 'min(x): the smallest element. min(a, b): the elementwise minimum.',
    shapes: 'min(x): any shape → scalar; min(a, b): elementwise with broadcasting',
    derivative: 'd min(x) = dx at the position of the minimum; d min(a, b) = [a < b] da + [a ≥ b] db',
    lower: ({ b, args }) => (args.length === 1 ? b.neg(b.apply('reduce_max', [b.neg(args[0])], { axes: allAxes(b.shape(args[0])) })) : b.apply('minimum', [args[0], args[1]], {})),
  },
  sum: {
    arity: [1, 2],
    axisArg: 1,
    signature: 'sum(x) | sum(x, axis)',
    doc: 'Sum of all elements, or along one axis (0 = down the rows, 1 = across the columns).',
    shapes: 'sum(x): any shape → scalar; sum(A, 0): [m, n] → [n]; sum(A, 1): [m, n] → [m]',
    derivative: 'd Σx = Σ dx; its transpose spreads the cotangent back over the summed axis',
    lower: ({ b, args: [x], axis }) => b.sum(x, reduceAxes(b, x, axis)),
  },
  mean: {
    arity: [1, 2],
    axisArg: 1,
    signature: 'mean(x) | mean(x, axis)',
    doc: 'Mean of all elements, or along one axis.',
    shapes: 'like sum',
    derivative: 'd mean(x) = mean(dx)',
    lower: ({ b, args: [x], axis }) => {
      const axes = reduceAxes(b, x, axis);
      const count = axis === undefined ? numel(b.shape(x)) : b.shape(x)[axis];
      return b.div(b.sum(x, axes), b.constant(count));
    },
  },
  logsumexp: {
    arity: [1, 2],
    axisArg: 1,
    signature: 'logsumexp(x) | logsumexp(x, axis)',
    doc: 'log(Σ eˣ), computed stably (the maximum is subtracted first).',
    shapes: 'like sum',
    derivative: 'd logsumexp(x) = Σ softmax(x) dx',
    lower: ({ b, args: [x], axis }) => b.apply('logsumexp', [x], { axes: reduceAxes(b, x, axis) }),
  },
  softmax: {
    arity: [1, 2],
    axisArg: 1,
    signature: 'softmax(x) | softmax(x, axis)',
    doc: 'exp(x) / Σ exp(x), along the last axis by default (each row of a matrix).',
    shapes: 'any shape → the same shape',
    derivative: 'd softmax(x) = s ⊙ (dx - Σ s dx) with s = softmax(x)',
    lower: ({ b, args: [x], axis }) => {
      const shape = b.shape(x);
      return softmax(b, x, shape.length === 0 ? [] : [(axis ?? shape.length - 1) - shape.length]);
    },
  },
  norm: {
    arity: [1],
    signature: 'norm(x)',
    doc: 'Euclidean (Frobenius) norm √(Σ x²).',
    shapes: 'any shape → scalar',
    derivative: 'd ‖x‖ = (x · dx) / ‖x‖',
    lower: ({ b, args: [x] }) => b.unary('sqrt', b.sum(b.unary('square', x), allAxes(b.shape(x)))),
  },
  dot: {
    arity: [2],
    signature: 'dot(a, b)',
    doc: 'Dot product of two vectors (for matrices, the same as a @ b).',
    shapes: '[n], [n] → scalar',
    derivative: 'd(a · b) = da · b + a · db',
    lower: ({ b, args: [x, y] }) => matmul(b, x, y),
  },
  transpose: {
    arity: [1],
    signature: 'transpose(A)',
    doc: 'Matrix transpose Aᵀ (a vector or scalar is returned unchanged).',
    shapes: '[m, n] → [n, m]',
    derivative: 'd Aᵀ = (dA)ᵀ',
    lower: ({ b, args: [x] }) => (b.shape(x).length === 2 ? b.transpose(x) : x),
  },
};

/** Names a function call could have meant, nearest first (for "did you mean" hints). */
export function suggest(name: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(name.length / 3)) + 1;
  for (const c of candidates) {
    const d = editDistance(name, c);
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length];
}
