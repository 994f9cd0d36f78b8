import type { CheckReport, Diagnostic, JacobianMode, JacobianResult, RunStats, SweepTrace, Tensor } from '../../index.ts';
import type { BackendChoice } from '../state.ts';
import type { BenchPoint, BenchProgress, BenchSpec } from './bench-task.ts';
import type { PeersProgress, PeersResult, PeersSpec } from './peers-task.ts';

/** A computation the page asks the engine worker for. */
export type Task =
  | { readonly kind: 'evaluate' }
  /** Forward mode: a seeded random direction on `input` (or on every input when ''). */
  | { readonly kind: 'jvp'; readonly input: string }
  /** Reverse mode: a seeded random cotangent on `output` (or on every output when ''). */
  | { readonly kind: 'vjp'; readonly output: string }
  | { readonly kind: 'grad'; readonly output: string }
  | { readonly kind: 'jacobian'; readonly mode: JacobianMode | 'auto'; readonly foldSeeds?: boolean }
  | { readonly kind: 'hvp'; readonly output: string }
  | { readonly kind: 'check' }
  /** A traced sweep for teaching: forward from e_index on input `port`, or reverse from e_index on output `port` (CPU, f64). */
  | { readonly kind: 'trace'; readonly mode: 'fwd' | 'rev'; readonly port: string; readonly index: number }
  /** A forward-vs-reverse sweep over widths; the request's own source and sizes are not used. */
  | { readonly kind: 'bench'; readonly spec: BenchSpec }
  /** Gradient Lab against jax-js and TF.js (the Node benchmark's peer comparison); source and sizes are not used. */
  | { readonly kind: 'peers'; readonly spec: PeersSpec };

export interface RunRequest {
  readonly type: 'run';
  readonly id: number;
  readonly source: string;
  readonly sizes: Readonly<Record<string, number>>;
  readonly seed: number;
  readonly backend: BackendChoice;
  readonly task: Task;
}

export interface CancelRequest {
  readonly type: 'cancel';
  readonly id: number;
}

export type WorkerRequest = RunRequest | CancelRequest;

/** Structured-cloneable results of each task. */
export type TaskResult =
  | { readonly kind: 'evaluate'; readonly outputs: Record<string, Tensor>; readonly stats: RunStats }
  | { readonly kind: 'jvp'; readonly outputs: Record<string, Tensor>; readonly direction: Record<string, Tensor>; readonly tangents: Record<string, Tensor>; readonly stats: RunStats }
  | { readonly kind: 'vjp'; readonly outputs: Record<string, Tensor>; readonly seed: Record<string, Tensor>; readonly cotangents: Record<string, Tensor>; readonly stats: RunStats }
  | { readonly kind: 'grad'; readonly output: string; readonly value: number; readonly gradient: Record<string, Tensor>; readonly stats: RunStats }
  | { readonly kind: 'jacobian'; readonly result: JacobianResult }
  | { readonly kind: 'hvp'; readonly output: string; readonly direction: Record<string, Tensor>; readonly hvp: Record<string, Tensor>; readonly stats: RunStats }
  | { readonly kind: 'check'; readonly report: CheckReport; readonly ms: number }
  | { readonly kind: 'trace'; readonly trace: SweepTrace }
  | { readonly kind: 'bench'; readonly points: readonly BenchPoint[] }
  | { readonly kind: 'peers'; readonly result: PeersResult };

/** Data some tasks stream with their progress (a bench sweep sends its plan, then each finished point; a peer comparison likewise its rows). */
export type ProgressData = BenchProgress | PeersProgress;

export type WorkerResponse =
  | { readonly type: 'result'; readonly id: number; readonly result: TaskResult; readonly warnings: readonly Diagnostic[] }
  | { readonly type: 'progress'; readonly id: number; readonly done: number; readonly total: number; readonly data?: ProgressData }
  | { readonly type: 'error'; readonly id: number; readonly diagnostics: readonly Diagnostic[]; readonly cancelled: boolean };
