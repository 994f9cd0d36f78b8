// What `npm run bench -- --peers --json` prints.
import type { DeviceName, SystemName } from './system.ts';
import type { FnName, TaskName } from './tasks.ts';
import type { MachineInfo } from '../report.ts';

/** One formulation of one task on one system and device. Times are medians in ms, readback included. */
export interface PeerRow {
  readonly system: SystemName;
  /** 'cpu' (Gradient Lab's interpreter), 'wasm' (jax-js, TF.js) or 'webgpu' (the shared adapter). */
  readonly device: DeviceName;
  /** The function: 'layer', 'mlp', 'loss' or 'gemm' (see tasks.ts). */
  readonly fn: FnName;
  readonly task: TaskName;
  /** n inputs, m outputs, k directions per pass (see PeerTask). */
  readonly n: number;
  readonly m: number;
  readonly k: number;
  /** How the system computed it, e.g. 'jit(vmap(jvp))'; null when it could not. */
  readonly formulation: string | null;
  /** A derivative written out by hand rather than derived by the system's AD. */
  readonly manual: boolean;
  /**
   * Median wall time (over rounds, the fastest round's); null when unsupported, failed, or the answer
   * was wrong (never timed).
   */
  readonly ms: number | null;
  /** Each round's median, in order (see CompareOptions.rounds); absent in reports from before rounds. */
  readonly roundMs?: readonly number[];
  /** Timed runs behind the median (after a warm-up whose answer was checked). */
  readonly runs: number;
  /** max |answer − reference|, the reference being Gradient Lab's CPU interpreter in f64. */
  readonly maxAbsDiff: number | null;
  /** max |reference|: differences are judged against RELATIVE_TOLERANCE times this. */
  readonly scale: number | null;
  /** Why there is no time (not supported, could not load, wrong answer, error), or null. */
  readonly note: string | null;
}

export interface PeersReport {
  /** The WebGPU adapter every WebGPU row ran on, e.g. "google swiftshader ... (software adapter)". */
  readonly adapter: string;
  readonly machine: MachineInfo;
  /** Installed versions of the peers. */
  readonly versions: Readonly<Record<string, string>>;
  /** `rounds` is absent in reports from before rounds (one round). */
  readonly options: { readonly widths: readonly number[]; readonly tasks: readonly TaskName[]; readonly ks?: readonly number[]; readonly formulations?: readonly string[]; readonly repeats: number; readonly rounds?: number; readonly preset: 'quick' | 'default' | 'full' };
  /** An answer is wrong when maxAbsDiff > tolerance × scale. */
  readonly tolerance: number;
  readonly totalSeconds: number;
  readonly rows: readonly PeerRow[];
}
