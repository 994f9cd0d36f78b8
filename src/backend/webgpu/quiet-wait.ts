// How long a run in Node sleeps before it asks for its read-back, and how it waits after asking.
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
// How long: a fraction of the plan's recent submit-to-read-back time, less a timer's slack. A run that
// got faster wakes early and waits for the rest (in slices, below); the next estimate is then its own
// (shorter) time, so the sleep converges on the work's time from below and never stretches a run by
// more than one timer's lateness. Runs of a few milliseconds do not sleep.
//
// Which time: the shorter of the plan's last two (WaitHistory), and none until it has run twice. A
// run's time is at least its sleep, so one slow run (a first dispatch, a collector's pause) used alone
// made the next runs sleep far past their work, each estimate only 0.8 of the last: measured on
// SwiftShader, a 256-wide layer's Jacobian that takes 1 ms ran 8.3, 6.9, 3.8 and 1.9 ms after one
// hiccup, and a benchmark round's median read 127 ms. A run whose read-back arrives as soon as it
// wakes has slept past its work by an unknown amount, so the next run does not sleep and measures it.

// After it asks: a run that took a while waits in slices. Each turn of the event loop (where Dawn's
// polling runs, by setImmediate) first blocks the thread for THROTTLE_SLICE_MS, so the main thread
// leaves the adapter's workers their cores instead of spinning through the rest of the work: measured on
// SwiftShader (2-core Intel Xeon, interleaved in one process, medians of 30, slices of 0.05 ms), a
// 256-wide layer's JVP with 64 tangents 3.35 → 2.84 ms, the MLP's 5.74 → 4.28, a 256³ GEMM 7.05 →
// 6.09, a 1024-wide layer's primal 5.19 → 3.83 (the tail after its sleep). Runs under THROTTLE_MIN_MS do not: detecting
// the answer up to a slice late cost them more than the core gained (64-wide runs of 0.4-1 ms,
// 0.74-0.96×).

/** The share of the last run's time to sleep through. */
export const QUIET_FRACTION = 0.8;

/** Subtracted for setTimeout firing late (Node's timers: about a millisecond). */
export const TIMER_SLACK_MS = 1;

/** A read-back that arrives within this long of the sleep's end was (probably) ready before it. */
export const OVERSLEPT_MS = 0.5;

/** Runs whose plan took at least this long in both of its last two runs wait for their read-back in slices. */
export const THROTTLE_MIN_MS = 1.5;

/**
 * How long each turn of the event loop blocks while a throttled read-back is pending (Atomics.wait adds
 * ~0.08 ms). Against 0.05 ms, 0.2 read 1.05-1.11× faster on every throttled 256-wide row (the polling
 * disturbs the workers less often); 0.5 was faster still on runs of 6 ms and slower on those of 2.5.
 */
export const THROTTLE_SLICE_MS = 0.2;

/** Milliseconds to sleep after submitting, given the last submit-to-read-back time (undefined: none yet). */
export function quietDelayMs(lastWaitMs: number | undefined): number {
  if (lastWaitMs === undefined || !Number.isFinite(lastWaitMs)) return 0;
  return Math.max(0, Math.floor(QUIET_FRACTION * lastWaitMs - TIMER_SLACK_MS));
}

/** One plan's recent runs in Node, from which its next run's sleep is chosen. */
export class WaitHistory {
  /** The last two submit-to-read-back times, oldest first. */
  private recent: number[] = [];
  private overslept = false;

  /** Milliseconds the next run sleeps after submitting. */
  nextSleepMs(): number {
    if (this.overslept || this.recent.length < 2) return 0;
    return quietDelayMs(Math.min(...this.recent));
  }

  /** Whether the next run waits for its read-back in slices (THROTTLE_MIN_MS). */
  throttles(): boolean {
    return this.recent.length >= 2 && Math.min(...this.recent) >= THROTTLE_MIN_MS;
  }

  /** Records a run: its submit-to-read-back time, its sleep, and how long after the sleep the read-back came. */
  record(waitMs: number, sleptMs: number, afterSleepMs: number): void {
    this.recent = [...this.recent.slice(-1), waitMs];
    this.overslept = sleptMs > 0 && afterSleepMs < OVERSLEPT_MS;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Blocks the calling thread for some milliseconds (Atomics.wait on memory of its own), or null where it may not. */
export type Block = (ms: number) => void;

/** A Block for Node's main thread; null without SharedArrayBuffer. */
export function blockingWait(): Block | null {
  if (typeof SharedArrayBuffer === 'undefined') return null;
  const cell = new Int32Array(new SharedArrayBuffer(4));
  return (ms) => void Atomics.wait(cell, 0, 0, ms);
}

/**
 * Until `answer` settles, blocks each turn of the event loop for THROTTLE_SLICE_MS (see above). The
 * turns go on through setImmediate, the phase where Dawn's Node bindings poll for finished work.
 */
export async function throttleUntilSettled(answer: Promise<unknown>, block: Block): Promise<void> {
  let settled = false;
  answer.then(
    () => (settled = true),
    () => (settled = true),
  );
  while (!settled) {
    block(THROTTLE_SLICE_MS);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}
