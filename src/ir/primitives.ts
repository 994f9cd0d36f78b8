import type { Shape } from './shape.ts';

/**
 * Every primitive of the IR, declared once with its typed parameters.
 *
 * Batching convention (as in NumPy's generalised ufuncs): each primitive has a *core* signature on its
 * trailing dimensions, and any extra leading dimensions are batch dimensions that broadcast. Axis
 * parameters therefore count from the end (negative), and shape parameters describe core shapes only.
 * A rule written for one tangent or cotangent then works unchanged for a batch of k of them.
 */
export interface PrimParams {
  // Elementwise, one argument.
  neg: Empty;
  sin: Empty;
  cos: Empty;
  tan: Empty;
  exp: Empty;
  log: Empty;
  sqrt: Empty;
  tanh: Empty;
  sigmoid: Empty;
  relu: Empty;
  abs: Empty;
  sign: Empty;
  softplus: Empty;
  square: Empty;
  // Elementwise, two arguments, NumPy broadcasting.
  add: Empty;
  sub: Empty;
  mul: Empty;
  div: Empty;
  pow: Empty;
  maximum: Empty;
  minimum: Empty;
  /** 1 where a > b, else 0 (a mask; its derivative is zero). */
  greater: Empty;
  /** 1 where a == b, else 0. */
  equal: Empty;
  // Structural.
  /** Core shape `from` (the trailing dims of the argument) broadcast to core shape `to`. */
  broadcast: { readonly from: Shape; readonly to: Shape };
  /** Core shape `from` reinterpreted as `to` (same element count, row-major). */
  reshape: { readonly from: Shape; readonly to: Shape };
  /** Swap the last two axes. */
  transpose: Empty;
  // Reductions over `axes`, negative numbers counting from the end; reduced axes are removed.
  sum: { readonly axes: readonly number[] };
  reduce_max: { readonly axes: readonly number[] };
  logsumexp: { readonly axes: readonly number[] };
  /** [..., p, q] @ [..., q, r] → [..., p, r]; leading dims broadcast. */
  matmul: Empty;
}

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export type Empty = {};

export type Prim = keyof PrimParams;

/** Parameters of every node kind: the primitives plus the two leaves. */
export interface NodeParams extends PrimParams {
  input: { readonly name: string };
  /** A scalar constant; it broadcasts like any scalar. */
  const: { readonly value: number };
}

export type Op = keyof NodeParams;

export const UNARY_PRIMS = [
  'neg', 'sin', 'cos', 'tan', 'exp', 'log', 'sqrt', 'tanh', 'sigmoid', 'relu', 'abs', 'sign', 'softplus', 'square',
] as const satisfies readonly Prim[];

export const BINARY_PRIMS = [
  'add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum', 'greater', 'equal',
] as const satisfies readonly Prim[];

export type UnaryPrim = (typeof UNARY_PRIMS)[number];
export type BinaryPrim = (typeof BINARY_PRIMS)[number];
export type ElementwisePrim = UnaryPrim | BinaryPrim;
export type ReducePrim = 'sum' | 'reduce_max' | 'logsumexp';

export function isElementwise(op: Op): op is ElementwisePrim {
  return (UNARY_PRIMS as readonly string[]).includes(op) || (BINARY_PRIMS as readonly string[]).includes(op);
}
