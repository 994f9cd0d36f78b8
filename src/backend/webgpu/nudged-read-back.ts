// How a run in a browser gets its read-back answered soon after its work is done.
//
// Why: Chromium's GPU process answers a map request at once when the work before it is done, and
// otherwise only when something makes it look again: its own poll, about 2 ms after the last message
// it handled, or another buffer's map request. Measured in Chromium 156 on SwiftShader (2-core Intel
// Xeon), in the engine's worker: a 256-wide layer's JVP, whose kernels take about 0.4 ms, read back
// 2.6 ms after submit with the request sent once its error scopes had answered (0.5 ms), and 1.3 ms
// with the request held back until 1 ms. Holding the request back needs to know when the work ends, and
// a request sent too early costs a whole poll again (session 10 tried learning that time: rows with
// one direction halved, others doubled).
//
// So the read-back is asked for at submit, and small "nudges" (a map request on a 16-byte buffer that
// no run writes, answered on arrival) follow until it is answered: from shortly before the work's
// expected end (NudgeHistory), at growing gaps, and one more when the run's error scopes answer if that
// is not earlier (GpuRuntime.run). The first nudge that reaches the GPU process after the work ends gets
// the read-back answered too. Same layer JVP: 3.0 → 1.3-1.5 ms. Nudges cost a message each, and on a
// software adapter the CPU they take is the adapter's, so they start as late as the plan's recent runs
// allow, their gaps grow, and they stop once a gap would be as long as the poll's.
//
// The gaps are timed with Atomics.waitAsync, which wakes within about 0.1 ms in a worker (setTimeout
// takes whole milliseconds, and at least 4 once nested). It needs a SharedArrayBuffer, so a page that
// is not cross-origin isolated (a static host that cannot send COOP/COEP headers) times them with
// setTimeout instead, a millisecond or more apart: measured there, the same layer JVP 2.9 → 1.1-1.4 ms
// and the layer's Jacobians 2.8-2.9 → 1.3-1.6.

/** The first gap between nudges; later gaps grow by NUDGE_GROWTH. */
export const FIRST_NUDGE_GAP_MS = 0.3;

/** How much each unanswered nudge's gap grows: a run far from done is nudged a few times, not hundreds. */
export const NUDGE_GROWTH = 1.5;

/** Nudging stops before a gap this long: the poll answers as soon. */
export const POLL_MS = 2;

/**
 * An answer arrives 0.3-0.5 ms after a request that finds the work done: a plan whose last answer came at
 * A had its work done by about A - ANSWER_MS.
 */
export const ANSWER_MS = 0.5;

/**
 * Nudging starts this long before the work's expected end (A - ANSWER_MS), so that one nudge comes just
 * before it and the next, a gap later, just after. Every nudge that arrives while the work runs costs the
 * work itself: on a 2-core machine the GPU process's thread that answers it takes SwiftShader's core.
 * Measured in Chromium 156 on SwiftShader (2-core Intel Xeon, the engine's calls in a worker,
 * interleaved, medians of 25): nudging from 0.8 A - 0.5 ms with one more nudge at the error scopes'
 * answer (0.3-0.5 ms after submit), as before, the kernels' own time was 10-25% longer in most 256-wide
 * calls than nudging from here, and the calls 0.98-1.17× as long at 256 (8 of 10 slower) and 0.98-1.16×
 * at 64. Starting 0.3 ms early instead of 0.15 was 0.94-1.02× as fast; 0 no different.
 */
export const NUDGE_LEAD_MS = 0.15;

/** One plan's recent read-backs in a browser, from which its next run's first nudge is timed. */
export class NudgeHistory {
  /** The last two submit-to-answer times, oldest first. */
  private recent: number[] = [];

  /**
   * Milliseconds after submit at which nudging starts: at once until the plan has run twice, then
   * NUDGE_LEAD_MS before the work's end as the shorter of its last two answers tells it (one slow run
   * does not delay the next). When a run's first nudge comes after its work's end, its answer is earlier
   * and so is the next run's first nudge; when it comes before, the next gap's nudge answers, a little
   * later, and the start moves later by as much: it settles around the end.
   */
  firstNudgeMs(): number {
    if (this.recent.length < 2) return 0;
    return Math.max(0, Math.min(...this.recent) - ANSWER_MS - NUDGE_LEAD_MS);
  }

  /** Records a run's submit-to-answer time. */
  record(answeredMs: number): void {
    this.recent = [...this.recent.slice(-1), answeredMs];
  }
}

/** The gaps after each nudge, in order: FIRST_NUDGE_GAP_MS growing by NUDGE_GROWTH while under POLL_MS. */
export function nudgeGapsMs(): number[] {
  const gaps: number[] = [];
  for (let gap = FIRST_NUDGE_GAP_MS; gap < POLL_MS; gap *= NUDGE_GROWTH) gaps.push(gap);
  return gaps;
}

/** A wait that does not block the thread. */
export type Pause = (ms: number) => Promise<void>;

/** The pause between nudges: precisePause where there is one, else timerPause. */
export function nudgePause(): Pause {
  return precisePause() ?? timerPause;
}

/** setTimeout, whose delays are whole milliseconds: at least one, so that the nudges do not come back to back. */
export const timerPause: Pause = (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(1, Math.ceil(ms))));

/** Atomics.waitAsync on memory of its own, to a fraction of a millisecond (needs cross-origin isolation), or null. */
export function precisePause(): Pause | null {
  const waitAsync = (Atomics as { waitAsync?: (a: Int32Array, i: number, v: number, t: number) => { async: boolean; value: Promise<unknown> | string } }).waitAsync;
  if (typeof SharedArrayBuffer === 'undefined' || waitAsync === undefined) return null;
  let cell: Int32Array;
  try {
    cell = new Int32Array(new SharedArrayBuffer(4));
  } catch {
    return null;
  }
  return async (ms) => {
    const result = waitAsync(cell, 0, 0, ms);
    if (result.async) await result.value;
  };
}

/**
 * Waits for `answer`, nudging from `firstNudgeMs` after `submittedAt` (performance.now()) at the gaps of
 * nudgeGapsMs until it settles. Returns the number of nudges sent.
 */
export async function nudgeUntilAnswered(answer: Promise<unknown>, submittedAt: number, firstNudgeMs: number, nudge: () => void, pause: Pause): Promise<number> {
  let settled = false;
  const done = answer.then(
    () => (settled = true),
    () => (settled = true),
  );
  const untilStart = firstNudgeMs - (performance.now() - submittedAt);
  if (untilStart > 0) await Promise.race([done, pause(untilStart)]);
  let nudges = 0;
  for (const gap of nudgeGapsMs()) {
    if (settled) break;
    nudge();
    nudges++;
    await Promise.race([done, pause(gap)]);
  }
  await done;
  return nudges;
}
