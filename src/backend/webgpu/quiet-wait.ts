// How long a run in Node sleeps before it asks for its read-back.
//
// Why: Dawn's Node bindings poll for finished work with setImmediate for as long as any request (a
// buffer map, an error scope) is pending, so the main thread spins through the whole run. On a
// software adapter that spin takes a core from the adapter's own workers: measured on SwiftShader
// (2-core Intel Xeon), a 1024³ GEMM read back in 378 ms when the map was asked for at submit and in
// 303 ms when the process slept 300 ms first. A browser's GPU process does the work elsewhere and its
// page does not spin, so only Node sleeps (Gpu.browser). Nothing else may be pending meanwhile either:
// the upload belt's staging buffers are mapped again only after the read-back (a 1024-wide layer's JVP
// with 64 tangents, whose 4 MiB weight goes through the belt: 41 → 29 ms a call).
//
// How long: a fraction of the plan's last submit-to-read-back time, less a timer's slack. A run that
// got faster wakes early and spins for the rest; the next estimate is then its own (shorter) time,
// so the sleep converges on the work's time from below and never stretches a run by more than one
// timer's lateness. The first run of a plan, and runs of a few milliseconds, do not sleep.

/** The share of the last run's time to sleep through. */
export const QUIET_FRACTION = 0.8;

/** Subtracted for setTimeout firing late (Node's timers: about a millisecond). */
export const TIMER_SLACK_MS = 1;

/** Milliseconds to sleep after submitting, given the last submit-to-read-back time (undefined: none yet). */
export function quietDelayMs(lastWaitMs: number | undefined): number {
  if (lastWaitMs === undefined || !Number.isFinite(lastWaitMs)) return 0;
  return Math.max(0, Math.floor(QUIET_FRACTION * lastWaitMs - TIMER_SLACK_MS));
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
