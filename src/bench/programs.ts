// The programs the benchmark runs, written in the language, and the inputs it feeds them.
import { compileOrThrow, randomValues, type Program, type Tensor } from '../index.ts';

/** f(x) = tanh(W₂ tanh(W₁ x + b₁) + b₂): n inputs, h hidden units, m outputs. */
export const MLP = `input x[n]
input W1[h, n]
input b1[h]
input W2[m, h]
input b2[m]

hidden = tanh(W1 @ x + b1)
output y = tanh(W2 @ hidden + b2)
`;

/** The same network reduced to one scalar: many inputs, one output (reverse mode's best case). */
export const MLP_LOSS = `input x[n]
input W1[h, n]
input b1[h]
input W2[m, h]
input b2[m]

hidden = tanh(W1 @ x + b1)
y = tanh(W2 @ hidden + b2)
output loss = 0.5 * sum(y * y)
`;

/** One matrix product C[m, n] = A[m, k] · B[k, n]. */
export const GEMM = `input A[m, k]
input B[k, n]
output C = A @ B
`;

/**
 * The product inside a batched JVP of W @ x: k tangents as the rows of T, times Wᵀ
 * (the shape the JVP transform emits, so the same kernel configuration runs).
 */
export const GEMM_TANGENTS = `input T[k, n]
input W[m, n]
output C = T @ transpose(W)
`;

/** One Jacobian case: the program, its sizes, and what it shows. */
export interface MlpCase {
  /** 'square' (n = h = m), 'tall' (few inputs, many outputs) or 'loss' (many inputs, one scalar). */
  readonly name: 'square' | 'tall' | 'loss';
  readonly source: string;
  readonly n: number;
  readonly h: number;
  readonly m: number;
}

/** Inputs taller cases use: few enough that forward mode clearly wins. */
export const TALL_INPUTS = 8;

export function squareCase(width: number): MlpCase {
  return { name: 'square', source: MLP, n: width, h: width, m: width };
}

export function tallCase(width: number): MlpCase {
  return { name: 'tall', source: MLP, n: Math.min(TALL_INPUTS, width), h: width, m: width };
}

export function lossCase(width: number): MlpCase {
  return { name: 'loss', source: MLP_LOSS, n: width, h: width, m: width };
}

export function compileCase(c: MlpCase): Program {
  return compileOrThrow(c.source, { n: c.n, h: c.h, m: c.m });
}

/** Jacobian height: the number of scalar outputs. */
export function outputsOf(c: MlpCase): number {
  return c.name === 'loss' ? 1 : c.m;
}

/**
 * Reproducible inputs with weights scaled by 1/√fan-in, so the pre-activations stay O(1) at every
 * width: with unit-variance weights tanh saturates at large widths, the Jacobian is almost all
 * zeros, and agreement between modes would prove nothing.
 */
export function mlpInputs(program: Program, seed = 0): Record<string, Tensor> {
  const values = randomValues(program.inputs, seed);
  const scale = (name: string, factor: number) => {
    const data = values[name].data;
    for (let i = 0; i < data.length; i++) data[i] *= factor;
  };
  scale('W1', 1 / Math.sqrt(values.W1.shape[1]));
  scale('W2', 1 / Math.sqrt(values.W2.shape[1]));
  scale('b1', 0.1);
  scale('b2', 0.1);
  return values;
}

/** Random standard-normal values for every input of a program (the GEMM operands). */
export function gemmInputs(program: Program, seed = 0): Record<string, Tensor> {
  return randomValues(program.inputs, seed);
}
