// Timing and comparison helpers. Every timed call goes through the public API, which returns host
// arrays: on WebGPU that means the upload, the kernels and the readback (mapAsync) all fall inside
// the timed region, as a user of the library would see them.
import type { FloatArray } from '../backend/cpu/tensor.ts';

/** How much measuring each quantity may cost. */
export interface MeasurePolicy {
  /** Timed runs after the warm-up, at least (unless the budget runs out first). */
  readonly repeats: number;
  /** Fast measurements keep repeating until their timed runs add up to this (at most MAX_RUNS). */
  readonly minMs: number;
  /** Stop adding timed runs once they have taken this long together (at least one always runs). */
  readonly budgetMs: number;
  /**
   * A warm-up slower than this is used as the only sample: for rows that take minutes, the first
   * run's pipeline compiles are noise, and a second run would double the cost.
   */
  readonly coldOnlyMs: number;
  /**
   * Calls per sample double until one sample lasts this long, and a sample's time is per call:
   * for coarse timers (a browser's worker rounds to 0.1 ms). Unset: one call per sample.
   */
  readonly minSampleMs?: number;
  /**
   * Untimed calls after the checked cold run until they add up to this: JavaScript engines compile
   * hot code in tiers, so a call that takes microseconds needs thousands of runs before its time is
   * the steady state a user's loop sees. Every system gets the same warm-up. Unset: none.
   */
  readonly warmUpMs?: number;
}

const MAX_RUNS = 100;
const MAX_CALLS_PER_SAMPLE = 1024;
const MAX_WARM_UP_CALLS = 10_000;

/** The time `calls` back-to-back calls take, and the last one's result. */
async function sampleMs<T>(fn: () => Promise<T>, calls: number): Promise<{ ms: number; last: T }> {
  const start = performance.now();
  let last = await fn();
  for (let i = 1; i < calls; i++) last = await fn();
  return { ms: performance.now() - start, last };
}

/** A measurement: the median of the timed runs, and the first (cold) run's result for checking. */
export interface Timing<T> {
  readonly ms: number;
  /** Timed runs behind the median (the cold run counts when it was the only one). */
  readonly runs: number;
  /** False when the only sample was the cold run (see MeasurePolicy.coldOnlyMs). */
  readonly warm: boolean;
  /** What the cold run returned, e.g. a Jacobian to compare between modes. */
  readonly result: T;
  /** What every timed run returned (its stats, say), in order. */
  readonly timed: readonly T[];
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Runs `fn` once to warm up (compiles pipelines, fills buffer pools), then times it under `policy`. */
export async function measure<T>(fn: () => Promise<T>, policy: MeasurePolicy): Promise<Timing<T>> {
  const start = performance.now();
  const result = await fn();
  const coldMs = performance.now() - start;
  if (coldMs > policy.coldOnlyMs) return { ms: coldMs, runs: 1, warm: false, result, timed: [result] };
  const warmUpStart = performance.now();
  for (let i = 0; i < MAX_WARM_UP_CALLS && performance.now() - warmUpStart < (policy.warmUpMs ?? 0); i++) await fn();
  const minSampleMs = policy.minSampleMs ?? 0;
  let calls = 1;
  // Calibrating calls are extra warm-up: none unless asked for.
  while (minSampleMs > 0 && calls < MAX_CALLS_PER_SAMPLE && (await sampleMs(fn, calls)).ms < minSampleMs) calls *= 2;
  const samples: number[] = [];
  const timed: T[] = [];
  let spent = 0;
  for (;;) {
    const n = samples.length;
    if (n >= MAX_RUNS || (n >= 1 && spent >= policy.budgetMs) || (n >= policy.repeats && spent >= policy.minMs)) break;
    const sample = await sampleMs(fn, calls);
    timed.push(sample.last);
    samples.push(sample.ms / calls);
    spent += sample.ms;
  }
  return { ms: median(samples), runs: samples.length, warm: true, result, timed };
}

/** How closely two arrays agree, relative to the larger one's size. */
export interface Agreement {
  readonly maxAbsDiff: number;
  /** max |a|, |b|: differences are judged against it. */
  readonly scale: number;
  /** The largest difference allowed: relative tolerance × scale. */
  readonly tolerance: number;
  readonly ok: boolean;
}

/**
 * Relative tolerances for comparing Jacobians. In f32 each entry is a sum of up to a few thousand
 * products with rounding error near √K·2⁻²⁴ of its terms' size; 1e-4 of the largest entry leaves
 * room for that and still catches a wrong row or column, whose error is of the order of the scale.
 */
export const TOLERANCE = { f64: 1e-9, f32: 1e-4 } as const;

/** max |a - b| against `relTol` · max(|a|, |b|); a NaN anywhere is a disagreement. */
export function agreement(a: FloatArray, b: FloatArray, relTol: number): Agreement {
  if (a.length !== b.length) return { maxAbsDiff: Infinity, scale: 0, tolerance: 0, ok: false };
  let diff = 0;
  let scale = 0;
  let finite = true;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (Number.isNaN(d)) finite = false;
    diff = Math.max(diff, d);
    scale = Math.max(scale, Math.abs(a[i]), Math.abs(b[i]));
  }
  const tolerance = relTol * scale;
  return { maxAbsDiff: diff, scale, tolerance, ok: finite && diff <= tolerance };
}

/** a / b, or null when either is missing. */
export function ratio(a: number | null | undefined, b: number | null | undefined): number | null {
  return a == null || b == null || b === 0 ? null : a / b;
}

/** The message of anything thrown. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
