// What the peer comparison computes: small differentiation tasks on three functions and a GEMM,
// the host inputs every system receives, and the layout of every answer.
//
//   layer  y = tanh(W x + b)                       W [w, w]
//   mlp    y = tanh(W2 tanh(W1 x + b1) + b2)       W1, W2 [w, w]
//   loss   L = sum(tanh(W x)²)                     W [w, w], one scalar output
//   gemm   C = A B                                 A, B [w, w]
import { randomValues } from '../../api/values.ts';
import type { Tensor } from '../../backend/cpu/tensor.ts';
import { compileOrThrow, type Program } from '../../index.ts';
import { GEMM, MLP } from '../programs.ts';

export type FnName = 'layer' | 'mlp' | 'loss' | 'gemm';

/**
 * primal: f(x). jvp: k tangents of x pushed forward in one pass. vjp: k cotangents of y pulled back
 * to x in one pass. jacfwd / jacrev: the full ∂y/∂x by forward / reverse mode. hvp: H v of the
 * scalar loss (w.r.t. x). gemm: the plain product of two w × w matrices.
 */
export const TASKS = ['primal', 'jvp', 'vjp', 'jacfwd', 'jacrev', 'hvp', 'gemm'] as const;
export type TaskName = (typeof TASKS)[number];

/** Which function each task runs on. */
const FNS_OF: Record<TaskName, readonly FnName[]> = {
  primal: ['layer', 'mlp'],
  jvp: ['layer', 'mlp'],
  vjp: ['layer', 'mlp'],
  jacfwd: ['layer', 'mlp'],
  jacrev: ['layer', 'mlp'],
  hvp: ['loss'],
  gemm: ['gemm'],
};

/**
 * One measured case. n: inputs (x's length, or B's columns), m: outputs, k: directions per pass
 * (tangents, cotangents, identity seeds of a Jacobian: n for jacfwd and m for jacrev; 1 for the
 * primal and the HVP; the inner dimension for GEMM).
 */
export interface PeerTask {
  readonly fn: FnName;
  readonly task: TaskName;
  readonly n: number;
  readonly m: number;
  readonly k: number;
}

/**
 * The answer's layout, flattened row-major: primal y [m]; jvp [k, m] (one row per tangent, [m]
 * when k = 1); vjp [k, n]; jacfwd and jacrev J [m, n]; hvp H v [n]; gemm C [w, w].
 */
export type Answer = ArrayLike<number>;

export const LAYER = `input x[n]
input W[m, n]
input b[m]
output y = tanh(W @ x + b)
`;

export const LOSS = `input x[n]
input W[m, n]
t = tanh(W @ x)
output loss = sum(t * t)
`;

export function taskId(t: PeerTask): string {
  return `${t.fn}.${t.task} n=${t.n} m=${t.m} k=${t.k}`;
}

/** Directions per pass for the batched JVP and VJP rows at width w: 1, 64 and w itself. */
export function directionCounts(w: number, quick: boolean): number[] {
  return [...new Set(quick ? [1, Math.min(4, w)] : [1, 64, w])].filter((k) => k <= w);
}

/**
 * Every task of `names` at every width, in a stable order (width, then task, then function, then k).
 * `ks`, when given, keeps only the JVP and VJP rows with that many directions (at 4096, say, where a
 * peer's full-width batch takes many minutes); the Jacobians keep theirs.
 */
export function peerTasks(widths: readonly number[], names: readonly TaskName[], quick: boolean, ks?: readonly number[]): PeerTask[] {
  const tasks: PeerTask[] = [];
  for (const w of widths) {
    for (const task of TASKS.filter((t) => names.includes(t))) {
      for (const fn of FNS_OF[task]) {
        const m = fn === 'loss' ? 1 : w;
        const counts = task === 'jvp' || task === 'vjp' ? directionCounts(w, quick).filter((k) => ks?.includes(k) ?? true)
          : task === 'jacfwd' ? [w] : task === 'jacrev' ? [m] : task === 'gemm' ? [w] : [1];
        for (const k of counts) tasks.push({ fn, task, n: w, m, k });
      }
    }
  }
  return tasks;
}

const programs = new Map<string, Program>();

/** Gradient Lab's program for a task's function, compiled once per size. */
export function programOf(t: PeerTask): Program {
  const key = `${t.fn} ${t.n}`;
  let p = programs.get(key);
  if (p === undefined) {
    const w = t.n;
    switch (t.fn) {
      case 'layer': p = compileOrThrow(LAYER, { n: w, m: w }); break;
      case 'mlp': p = compileOrThrow(MLP, { n: w, h: w, m: w }); break;
      case 'loss': p = compileOrThrow(LOSS, { n: w, m: w }); break;
      case 'gemm': p = compileOrThrow(GEMM, { m: w, k: w, n: w }); break;
      default: throw new Error(t.fn satisfies never);
    }
    programs.set(key, p);
  }
  return p;
}

/** Host values every system is given: the function's inputs plus the task's directions. */
export type HostInputs = Readonly<Record<string, Tensor>>;

/** Rounds to f32 in place, so the f64 reference sees exactly the numbers the f32 systems see. */
function toF32Grid(t: Tensor): Tensor {
  for (let i = 0; i < t.data.length; i++) t.data[i] = Math.fround(t.data[i]);
  return t;
}

/**
 * Reproducible inputs. Weights are scaled by 1/√fan-in and biases by 0.1, so tanh does not
 * saturate and derivatives are not mostly zeros. Directions: T [k, n] tangents, U [k, m]
 * cotangents ([n] and [m] when k = 1), v [n] for the HVP.
 */
export function taskInputs(t: PeerTask, seed = 0): HostInputs {
  const program = programOf(t);
  const values = randomValues(program.inputs, seed);
  if (t.fn !== 'gemm') {
    for (const [name, value] of Object.entries(values)) {
      const factor = name.startsWith('W') ? 1 / Math.sqrt(value.shape[1]) : name.startsWith('b') ? 0.1 : 1;
      for (let i = 0; i < value.data.length; i++) value.data[i] *= factor;
    }
  }
  const batched = (k: number, size: number) => (k === 1 ? [size] : [k, size]);
  const directions = randomValues([
    ...(t.task === 'jvp' ? [{ name: 'T', shape: batched(t.k, t.n) }] : []),
    ...(t.task === 'vjp' ? [{ name: 'U', shape: batched(t.k, t.m) }] : []),
    ...(t.task === 'hvp' ? [{ name: 'v', shape: [t.n] }] : []),
  ], seed + 1);
  return Object.fromEntries(Object.entries({ ...values, ...directions }).map(([name, value]) => [name, toF32Grid(value)]));
}

/** The values of `inputs` as a fresh Float32Array, for systems that upload f32 data. */
export function f32(inputs: HostInputs, name: string): Float32Array {
  return Float32Array.from(inputs[name].data);
}

/** The answer's length for a task (see `Answer`). */
export function answerLength(t: PeerTask): number {
  switch (t.task) {
    case 'primal': return t.m;
    case 'jvp': return t.k * t.m;
    case 'vjp': return t.k * t.n;
    case 'jacfwd':
    case 'jacrev': return t.m * t.n;
    case 'hvp': return t.n;
    case 'gemm': return t.n * t.m;
    default: return t.task satisfies never;
  }
}

