// The benchmark's report: what `--json` prints, and what the table is drawn from.
import type { DType } from '../backend/cpu/tensor.ts';
import type { Agreement } from './measure.ts';

export type BackendName = 'cpu' | 'webgpu';

/** What `backend: 'auto'` chose for a graph, and its reason string (RunStats.reason). */
export interface AutoPick {
  readonly backend: BackendName;
  readonly reason: string;
}

/** Fields every row has. Times are medians in milliseconds, wall clock, readback included. */
export interface RowBase {
  /** A stable key for the case, shared by its cpu and webgpu rows, e.g. "jacobian square 256". */
  readonly id: string;
  readonly backend: BackendName;
  /** The backend in words, e.g. "WebGPU (google swiftshader ... (software adapter))". */
  readonly device: string;
  readonly dtype: DType;
  /** Timed runs behind each median (after one warm-up), the fewest over the row's measurements. */
  readonly runs: number;
  /** False when the row was too slow to repeat and its only sample includes pipeline compiles. */
  readonly warm: boolean;
  /** Set instead of times when the row could not be measured or its results were wrong. */
  readonly error?: string;
  /** Anything unusual about how the row ran, e.g. lowered device limits. */
  readonly note?: string;
}

/** GEMM throughput: one program `C = A @ B` (or `T @ transpose(W)`), evaluated. */
export interface GemmRow extends RowBase {
  readonly kind: 'gemm';
  /** C[M, N] = A[M, K] · op(B); transB marks the batched-JVP shape T · Wᵀ. */
  readonly shape: { readonly M: number; readonly N: number; readonly K: number; readonly transB: boolean };
  readonly flops: number;
  /** Median wall time: upload, kernel and readback. */
  readonly ms: number | null;
  readonly gflops: number | null;
  /** Median GPU time from timestamp queries (kernels only); null on the CPU or without timestamps. */
  readonly kernelMs: number | null;
  readonly kernelGflops: number | null;
  /** Largest relative error of 16 sampled entries against an f64 dot product of the same inputs. */
  readonly spotError: number | null;
  /** This row's ms over the CPU row's (webgpu rows only; >1 means the GPU was slower). */
  readonly gpuOverCpu: number | null;
  readonly auto: AutoPick | null;
  /** On webgpu rows with a CPU twin: whether 'auto' picked the backend that measured faster. */
  readonly autoRight: boolean | null;
}

/** Cost of JVP and VJP against the primal for the square MLP at one width. */
export interface AdCostRow extends RowBase {
  readonly kind: 'ad-cost';
  /** n = h = m. */
  readonly width: number;
  /** Directions per pass: 1, or a batch of k tangents (JVP) / cotangents (VJP) in one pass. */
  readonly k: number;
  /** Which inputs have directions: only x, or every input (x, W1, b1, W2, b2). */
  readonly wrt: 'x' | 'all';
  readonly primalMs: number | null;
  readonly jvpMs: number | null;
  readonly vjpMs: number | null;
  /** jvpMs / (k · primalMs): a batched pass against k separate primal runs. */
  readonly jvpOverPrimal: number | null;
  readonly vjpOverPrimal: number | null;
  /** The same ratios by the FLOP model (derived graph FLOPs over k · primal FLOPs): the cost with no overheads. */
  readonly model: { readonly jvpOverPrimal: number; readonly vjpOverPrimal: number };
  /** jvpMs and vjpMs over the CPU row's (webgpu rows only). */
  readonly gpuOverCpu: { readonly jvp: number | null; readonly vjp: number | null } | null;
  readonly auto: { readonly jvp: AutoPick; readonly vjp: AutoPick } | null;
}

/** A full Jacobian w.r.t. x by forward and by reverse mode on one backend. */
export interface JacobianRow extends RowBase {
  readonly kind: 'jacobian';
  /** 'square' (n = h = m), 'tall' (few inputs, many outputs), 'loss' (many inputs, one scalar). */
  readonly case: 'square' | 'tall' | 'loss';
  /** Jacobian width (inputs, columns), height (outputs, rows), and hidden units. */
  readonly n: number;
  readonly m: number;
  readonly hidden: number;
  readonly fwdMs: number | null;
  readonly revMs: number | null;
  /** fwdMs / revMs: below 1 forward mode was faster. */
  readonly fwdOverRev: number | null;
  /** The FLOP model's estimate of each mode, and the mode `jacobian(..., { mode: 'auto' })` picks by it. */
  readonly flops: { readonly fwd: number; readonly rev: number };
  readonly modelPick: 'fwd' | 'rev';
  /** Seeds per pass and passes, per mode (chunks that fit the memory budget and binding limits). */
  readonly chunk: { readonly fwd: number; readonly rev: number } | null;
  readonly passes: { readonly fwd: number; readonly rev: number } | null;
  /** The forward-mode Jacobian against the reverse-mode one (checked before any time is reported). */
  readonly agreement: Agreement | null;
  /** This backend's Jacobian against the CPU's (webgpu rows, when the CPU row ran). */
  readonly vsCpu: Agreement | null;
  readonly gpuOverCpu: { readonly fwd: number | null; readonly rev: number | null } | null;
  /** What 'auto' does for this Jacobian: the mode by the FLOP model, then the backend by calibration. */
  readonly auto: (AutoPick & { readonly mode: 'fwd' | 'rev' }) | null;
  /** On webgpu rows with a CPU twin: whether 'auto''s backend measured faster in 'auto''s mode. */
  readonly autoRight: boolean | null;
}

export type Row = GemmRow | AdCostRow | JacobianRow;

/** The adapter the WebGPU rows ran on, or why there was none. */
export type AdapterInfo =
  | {
    readonly available: true;
    readonly name: string;
    readonly isFallbackAdapter: boolean;
    readonly maxStorageBufferBindingSize: number;
    readonly timestamps: boolean;
  }
  | { readonly available: false; readonly reason: string };

/** The machine a benchmark ran on (both command lines report it). */
export interface MachineInfo {
  readonly cpus: number;
  readonly cpuModel: string;
  readonly node: string;
  readonly platform: string;
  /** 1-minute load average at the start and the end: other work on the machine skews times. */
  readonly loadavg: { readonly start: number; readonly end: number };
}

/** The whole `--json` output. */
export interface BenchReport {
  /** null when the WebGPU backend was not requested. */
  readonly adapter: AdapterInfo | null;
  readonly machine: MachineInfo;
  readonly options: {
    readonly widths: readonly number[];
    readonly backends: readonly BackendName[];
    readonly repeats: number;
    readonly preset: 'quick' | 'default' | 'full';
  };
  readonly totalSeconds: number;
  readonly rows: readonly Row[];
}
