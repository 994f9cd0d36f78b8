import type { BinaryPrim, UnaryPrim } from '../../src/ir/primitives.ts';

// Where each primitive's random inputs are drawn from a uniform u in [0, 1): inside its domain, and
// away from kinks, so that finite differences and f32 comparisons are meaningful.

/** |x| in [0.2, 2] with a random sign: away from the kinks of relu, abs, sign and from division by 0. */
export const awayFromZero = (u: number): number => (u < 0.5 ? -1 : 1) * (0.2 + 3.6 * Math.abs(u - 0.5));

export const UNARY_DOMAINS: Partial<Record<UnaryPrim, (u: number) => number>> = {
  log: (u) => 0.2 + 3 * u,
  sqrt: (u) => 0.2 + 3 * u,
  tan: (u) => 2.4 * u - 1.2,
  relu: awayFromZero,
  abs: awayFromZero,
  sign: awayFromZero,
};

/** `arg` is the argument's position: denominators avoid 0, powers have a positive base. */
export const BINARY_DOMAINS: Partial<Record<BinaryPrim, (u: number, arg: number) => number>> = {
  div: (u, arg) => (arg === 1 ? awayFromZero(u) : 4 * u - 2),
  pow: (u, arg) => (arg === 0 ? 0.5 + 1.5 * u : 4 * u - 2),
};
