// The block loop of the WebAssembly GEMM, cut into jobs that threads can share (see threads.ts).

/** Words of a job list, in this order, as written by gemmJobParams and read by runGemmJobs. */
export const JOB_PARAMS = 13;

/** Where the packed operands are and how the product is cut: what runGemmJobs needs besides gemmBlock. */
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

export function jobCount(j: GemmJobs): number {
  return Math.ceil(j.mTiles / j.rowBlockTiles) * Math.ceil(j.nTiles / j.chunkTiles);
}

export function gemmJobParams(j: GemmJobs): number[] {
  return [j.aStart, j.bStart, j.cStart, j.K, j.kc, j.mTiles, j.nTiles, j.rowBlockTiles, j.chunkTiles, j.rows, j.cols, j.Np, j.bytes];
}

/**
 * Runs jobs first, first + stride, … of the product described by `p` (gemmJobParams). A job is one block
 * of rows of C times one chunk of its columns; it walks k in order, so every element of C adds its k
 * terms in the same order whichever thread runs it and however the jobs are dealt out: the bits never
 * depend on the number of threads.
 *
 * Self-contained (no imports, closures or inner functions): helper threads run this function's own
 * source text (threads.ts), so the main thread and the helpers share one implementation.
 */
export function runGemmJobs(
  gemmBlock: (a: number, b: number, c: number, mTiles: number, nTiles: number, kc: number, aPanelBytes: number, bPanelBytes: number, ldcBytes: number, accumulate: number) => void,
  p: ArrayLike<number>,
  first: number,
  stride: number,
): void {
  const aStart = p[0], bStart = p[1], cStart = p[2], K = p[3], kcMax = p[4], mTiles = p[5], nTiles = p[6];
  const rowBlockTiles = p[7], chunkTiles = p[8], rows = p[9], cols = p[10], Np = p[11], bytes = p[12];
  const chunks = Math.ceil(nTiles / chunkTiles);
  const jobs = Math.ceil(mTiles / rowBlockTiles) * chunks;
  for (let job = first; job < jobs; job += stride) {
    const t0 = Math.floor(job / chunks) * rowBlockTiles;
    const n0 = (job % chunks) * chunkTiles;
    const tiles = Math.min(rowBlockTiles, mTiles - t0);
    const panels = Math.min(chunkTiles, nTiles - n0);
    for (let k0 = 0; k0 < K; k0 += kcMax) {
      const kc = Math.min(kcMax, K - k0);
      gemmBlock(
        (aStart + (t0 * K + k0) * rows) * bytes,
        (bStart + (n0 * K + k0) * cols) * bytes,
        (cStart + t0 * rows * Np + n0 * cols) * bytes,
        tiles, panels, kc, K * rows * bytes, K * cols * bytes, Np * bytes, k0 === 0 ? 0 : 1,
      );
    }
  }
}
