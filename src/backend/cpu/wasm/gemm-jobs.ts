// The block loop of the WebAssembly GEMM as a table of gemmBlock calls, cut into jobs that threads can
// share (threads.ts). The table lives in the kernel's own memory, where helper threads read it.

/** Words per call: gemmBlock's ten arguments (see GemmKernelExports). */
export const CALL_WORDS = 10;

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

/** A table of calls: job j is calls j·perJob … (j + 1)·perJob − 1, its blocks of k in order. */
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
      ], w);
      w += CALL_WORDS;
    }
  }
  return { jobs, perJob, words };
}

type GemmBlock = (a: number, b: number, c: number, mTiles: number, nTiles: number, kc: number, aPanelBytes: number, bPanelBytes: number, ldcBytes: number, accumulate: number) => void;

/**
 * Runs jobs first, first + stride, … of the table at word `table` of `ints`. Helper threads run the same
 * loop (threads.ts, HELPER_SOURCE), written there as plain JavaScript.
 */
export function runCalls(gemmBlock: GemmBlock, ints: Int32Array, table: number, jobs: number, perJob: number, first: number, stride: number): void {
  for (let job = first; job < jobs; job += stride) {
    for (let r = 0; r < perJob; r++) {
      const o = table + (job * perJob + r) * CALL_WORDS;
      gemmBlock(ints[o], ints[o + 1], ints[o + 2], ints[o + 3], ints[o + 4], ints[o + 5], ints[o + 6], ints[o + 7], ints[o + 8], ints[o + 9]);
    }
  }
}
