// The WebAssembly GEMM's work as tables of kernel calls, cut into jobs that threads can share (threads.ts):
// the packing of the operands, then the block loop. A table lives in the kernel's own memory, where helper
// threads read it.
import type { GemmKernelExports } from './gemm-kernel.ts';

/** The kernel functions a table can call, by the number in a call's last word. */
export const CALLABLE = ['gemmBlock', 'packA', 'packB', 'packAFromF64', 'packBFromF64'] as const;
export type Callable = (typeof CALLABLE)[number];

/** Words per call: up to ten arguments (gemmBlock's; a packing call uses six), then the function's number. */
export const CALL_WORDS = 11;
export const FUNCTION_WORD = 10;

/** Where the packed operands are and how the product is cut. */
export interface GemmJobs {
  /** Element offsets in the kernel's memory of packed A, packed B and C (padded to whole tiles). */
  readonly aStart: number;
  readonly bStart: number;
  readonly cStart: number;
  readonly K: number;
  /** Steps of k per gemmBlock call. */
  readonly kc: number;
  /** Micro-tiles along M and N (C is mTiles·rows × nTiles·cols, padded). */
  readonly mTiles: number;
  readonly nTiles: number;
  /** A job is up to rowBlockTiles × chunkTiles micro-tiles of C, over all of k. */
  readonly rowBlockTiles: number;
  readonly chunkTiles: number;
  /** Micro-tile rows and columns, the padded width of C, and bytes per element. */
  readonly rows: number;
  readonly cols: number;
  readonly Np: number;
  readonly bytes: number;
}

/** A table of calls: job j is calls j·perJob … (j + 1)·perJob − 1 (for gemmBlock, its blocks of k in order). */
export interface CallTable {
  readonly jobs: number;
  readonly perJob: number;
  readonly words: Int32Array;
}

/**
 * The gemmBlock calls of a product. A job is one block of rows of C times one chunk of its columns, and
 * walks k in order, so every element of C adds its k terms in the same order whichever thread runs the
 * job: the bits never depend on the number of threads.
 */
export function gemmCalls(j: GemmJobs): CallTable {
  const chunks = Math.ceil(j.nTiles / j.chunkTiles);
  const jobs = Math.ceil(j.mTiles / j.rowBlockTiles) * chunks;
  const perJob = Math.ceil(j.K / j.kc);
  const words = new Int32Array(jobs * perJob * CALL_WORDS);
  let w = 0;
  for (let job = 0; job < jobs; job++) {
    const t0 = Math.floor(job / chunks) * j.rowBlockTiles;
    const n0 = (job % chunks) * j.chunkTiles;
    for (let k0 = 0; k0 < j.K; k0 += j.kc) {
      words.set([
        (j.aStart + (t0 * j.K + k0) * j.rows) * j.bytes,
        (j.bStart + (n0 * j.K + k0) * j.cols) * j.bytes,
        (j.cStart + t0 * j.rows * j.Np + n0 * j.cols) * j.bytes,
        Math.min(j.rowBlockTiles, j.mTiles - t0),
        Math.min(j.chunkTiles, j.nTiles - n0),
        Math.min(j.kc, j.K - k0),
        j.K * j.rows * j.bytes,
        j.K * j.cols * j.bytes,
        j.Np * j.bytes,
        k0 === 0 ? 0 : 1,
        CALLABLE.indexOf('gemmBlock'),
      ], w);
      w += CALL_WORDS;
    }
  }
  return { jobs, perJob, words };
}

/**
 * Full panels of one operand to pack (see packPanels in gemm.ts): `panels` panels from byte `src` (vectors
 * `strideBytes` apart, steps of k `kStrideBytes` apart) into byte `dst`, each panel `panelSrcBytes` on in the
 * source and `panelDstBytes` on in the packed operand.
 */
export interface PackWork {
  readonly fn: Extract<Callable, 'packA' | 'packB' | 'packAFromF64' | 'packBFromF64'>;
  readonly src: number;
  readonly dst: number;
  readonly panels: number;
  readonly K: number;
  readonly strideBytes: number;
  readonly kStrideBytes: number;
  readonly panelSrcBytes: number;
  readonly panelDstBytes: number;
}

/**
 * The packing of full panels as a table of `parts` jobs per operand, each a run of consecutive panels
 * (one call each), so that threads pack their shares side by side. Where a value lands does not depend on
 * who packs it, so neither do the bits.
 */
export function packCalls(work: readonly PackWork[], parts: number): CallTable {
  const calls: number[][] = [];
  for (const p of work) {
    const per = Math.ceil(p.panels / parts);
    for (let first = 0; first < p.panels; first += per) {
      const count = Math.min(per, p.panels - first);
      calls.push([p.src + first * p.panelSrcBytes, p.dst + first * p.panelDstBytes, count, p.K, p.strideBytes, p.kStrideBytes, 0, 0, 0, 0, CALLABLE.indexOf(p.fn)]);
    }
  }
  const words = new Int32Array(calls.length * CALL_WORDS);
  calls.forEach((c, i) => words.set(c, i * CALL_WORDS));
  return { jobs: calls.length, perJob: 1, words };
}

type CallTarget = (...args: number[]) => void;
const targetsOf = new WeakMap<object, readonly CallTarget[]>();

/** The kernel's functions in CALLABLE's order (the f64 kernel has no packing from f64), looked up once per kernel. */
export function callTargets(kernel: Pick<GemmKernelExports, Callable>): readonly CallTarget[] {
  let targets = targetsOf.get(kernel);
  if (targets === undefined) {
    targets = CALLABLE.map((name) => (kernel[name] ?? missing(name)) as CallTarget);
    targetsOf.set(kernel, targets);
  }
  return targets;
}

function missing(name: string): () => never {
  return () => {
    throw new Error(`this GEMM kernel has no ${name}`);
  };
}

/** Words a table takes in the kernel's memory: its calls, then the counter threads claim jobs from. */
export const tableWords = (t: CallTable) => t.words.length + 1;

/** Writes table `t` at int32 word `at` of `ints`, with its claim counter at zero. */
export function placeTable(ints: Int32Array, at: number, t: CallTable): void {
  ints.set(t.words, at);
  ints[at + t.words.length] = 0;
}

/**
 * Runs jobs of the table at word `table` of `ints` (placed by placeTable), calling `targets`
 * (callTargets), until none is left: each thread sharing the table claims its next job from the counter
 * after the calls, so a thread that starts late or is slowed down (a busy core) leaves its jobs to the
 * others rather than holding them up. Helper threads run the same loop (threads.ts, HELPER_SOURCE),
 * written there as plain JavaScript. Returns how many jobs this thread ran.
 */
export function runCalls(targets: ReturnType<typeof callTargets>, ints: Int32Array, table: number, jobs: number, perJob: number): number {
  const counter = table + jobs * perJob * CALL_WORDS;
  let ran = 0;
  for (let job = Atomics.add(ints, counter, 1); job < jobs; job = Atomics.add(ints, counter, 1), ran++) {
    for (let r = 0; r < perJob; r++) {
      const o = table + (job * perJob + r) * CALL_WORDS;
      targets[ints[o + FUNCTION_WORD]](ints[o], ints[o + 1], ints[o + 2], ints[o + 3], ints[o + 4], ints[o + 5], ints[o + 6], ints[o + 7], ints[o + 8], ints[o + 9]);
    }
  }
  return ran;
}
