// Whether the GEMM's helper threads are worth waking right now.
//
// Sharing a product pays only when the helpers get a core of their own. On a busy machine they do not:
// another process on the second core, or a VM whose second vCPU is away for minutes at a time (seen on the
// benchmark machine: a 256³ product took 0.50 ms on two threads in some stretches and 0.9-1.05 ms in others,
// against 0.86 ms on one). A helper that loses its core holding a job makes the caller wait for that job:
// with a CPU hog on one of 2 cores, 256³ took 2.0 ms on two threads against 0.86 on one, 64×256×256 0.46
// against 0.24. So each shared run is judged against what the caller's own pace says one thread would have
// taken, and after a few runs in a row that sharing made clearly slower, products run on the caller alone
// for a while, then sharing is tried again. Runs that sharing merely failed to speed up do not count: in
// the machine's slow-thread stretches, sharing still won on average while many runs were no faster (a
// 256-wide MLP JVP with 256 tangents took 2.35 ms with those counted, 1.99 with sharing always on).

/** Runs in a row that sharing must make slower before products run alone. */
export const STRIKES = 3;
/** How long products first run alone; doubled each time sharing fails again when retried, up to MAX_SOLO_MS. */
export const SOLO_MS = 100;
export const MAX_SOLO_MS = 1600;
/** A shared run that takes more than this multiple of one thread's estimated time was made slower by sharing. */
const SLOWER = 1.25;

/**
 * Whether sharing made a run slower: it took `totalMs`, and the caller ran `mine` of the `jobs` jobs in
 * `mineMs`, so one thread at the caller's pace would have taken jobs / mine × mineMs. A run whose helpers
 * took none of the jobs counts as slower too.
 */
export function sharingHurt(jobs: number, mine: number, mineMs: number, totalMs: number): boolean {
  if (mine === 0) return false; // the helpers took every job: they were certainly running
  // Helpers that took no job at all only cost: woken, they spin on the caller's core.
  if (mine === jobs && jobs > 1) return true;
  return totalMs > SLOWER * ((mineMs * jobs) / mine);
}

/** The verdicts of recent shared runs, and whether to share now (times in ms, e.g. performance.now()). */
export class SharingPolicy {
  private strikes = 0;
  private soloMs = SOLO_MS;
  private soloUntil = -Infinity;

  /** Whether products should be shared at time `now`. */
  allows(now: number): boolean {
    return now >= this.soloUntil;
  }

  /** Forgets every verdict: the next product is shared. */
  reset(): void {
    this.strikes = 0;
    this.soloMs = SOLO_MS;
    this.soloUntil = -Infinity;
  }

  /** Records whether sharing made a run that ended at `now` slower. */
  record(hurt: boolean, now: number): void {
    if (!hurt) {
      this.strikes = 0;
      this.soloMs = SOLO_MS;
      return;
    }
    if (++this.strikes < STRIKES) return;
    this.strikes = 0;
    this.soloUntil = now + this.soloMs;
    this.soloMs = Math.min(MAX_SOLO_MS, 2 * this.soloMs);
  }
}
