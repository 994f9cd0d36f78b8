// Measuring one task on every system, in Node or in a browser's worker: the inputs and the f64
// reference answer are made once, each formulation's warm-up answer is checked against it, and a
// wrong answer is reported and never timed. Loading the systems is the environment's business.
import { agreement, errorMessage, measure, TOLERANCE, type MeasurePolicy } from '../measure.ts';
import { referenceAnswer } from './ours.ts';
import type { PeerRow } from './report.ts';
import type { Formulation, PeerSystem } from './system.ts';
import { taskInputs, type Answer, type HostInputs, type PeerTask } from './tasks.ts';

/** Relative tolerance for every answer: all systems compute in f32. */
export const RELATIVE_TOLERANCE = TOLERANCE.f32;

/** How a task is measured, and who hears about it. */
export interface CompareOptions {
  readonly policy: MeasurePolicy;
  /** Checked before each formulation: an aborted comparison stops there. */
  readonly signal?: AbortSignal;
  /** Awaited before each formulation, e.g. to let a worker see a cancel message. */
  readonly pause?: () => Promise<void>;
  /** One line per finished formulation, for a progress log. */
  readonly progress?: (line: string) => void;
  /** Each system's rows as soon as they are final (after the last round). */
  readonly onRows?: (system: PeerSystem, rows: readonly PeerRow[]) => void;
  /**
   * Rounds of timing (default 1). Each round times every system in turn again, and a row's time is its
   * fastest round's median. On a shared machine the speed moves by 1.5× and more over seconds, for every
   * system alike, while one system's medians take a fraction of a second: with the systems timed in turn
   * once, one of them can land in a slow stretch and the other not. Rounds give each the same chances.
   * A row that was not timed warm in the first round (slow enough for one cold run, unsupported, wrong)
   * is not measured again.
   */
  readonly rounds?: number;
  /**
   * The peers' formulations to time: those whose names contain one of these (ours always run). Unset:
   * all. At 4096 a peer's AD Jacobian takes many minutes to hours, and its closed form seconds.
   */
  readonly formulations?: readonly string[];
}

/** An answer that disagrees with the reference: the row reports it instead of a time. */
class WrongAnswer extends Error {}

/** max |answer − reference| and, for a wrong square Jacobian, whether it is the transpose. */
export function checkAnswer(t: PeerTask, answer: Answer, reference: Float64Array | Float32Array) {
  const got = Float64Array.from(answer);
  const agree = agreement(got, reference, RELATIVE_TOLERANCE);
  if (agree.ok) return { ...agree, problem: null };
  if (got.length !== reference.length) return { ...agree, maxAbsDiff: Infinity, problem: `wrong answer: ${got.length} values, expected ${reference.length}` };
  let what = 'wrong answer';
  if ((t.task === 'jacfwd' || t.task === 'jacrev') && t.n === t.m) {
    const transposed = new Float64Array(got.length);
    for (let i = 0; i < t.m; i++) for (let j = 0; j < t.n; j++) transposed[i * t.n + j] = got[j * t.m + i];
    if (agreement(transposed, reference, RELATIVE_TOLERANCE).ok) what += ': it is Jᵀ, the transpose of the Jacobian';
  }
  const problem = `${what} (max |Δ| ${agree.maxAbsDiff.toExponential(2)} > tolerance ${agree.tolerance.toExponential(2)})`;
  return { ...agree, problem };
}

type Checked = ReturnType<typeof checkAnswer>;

async function measureFormulation(s: PeerSystem, t: PeerTask, f: Formulation, reference: Float64Array | Float32Array, policy: MeasurePolicy): Promise<PeerRow> {
  const base = { system: s.system, device: s.device, fn: t.fn, task: t.task, n: t.n, m: t.m, k: t.k, formulation: f.name, manual: f.manual };
  let checked: Checked | null = null;
  try {
    // The warm-up run's answer is checked before any timed run: a wrong answer is never timed.
    const timing = await measure(async () => {
      const answer = await f.run();
      if (checked === null) {
        checked = checkAnswer(t, answer, reference);
        if (checked.problem !== null) throw new WrongAnswer(checked.problem);
      }
      return null;
    }, policy);
    const { maxAbsDiff, scale } = checked!;
    return { ...base, ms: timing.ms, runs: timing.runs, maxAbsDiff, scale, note: timing.warm ? null : 'one cold run (too slow to repeat)' };
  } catch (err) {
    const c = checked as Checked | null;
    const note = err instanceof WrongAnswer ? err.message : `failed: ${errorMessage(err)}`;
    return { ...base, ms: null, runs: 0, maxAbsDiff: c?.maxAbsDiff ?? null, scale: c?.scale ?? null, note };
  } finally {
    f.dispose?.();
  }
}

/**
 * Every formulation of one system for one task (those named in `only` and chosen by `options.formulations`,
 * when given); a system without
 * one gets a row that says why.
 */
async function measureSystem(s: PeerSystem, t: PeerTask, inputs: HostInputs, reference: Float64Array | Float32Array, options: CompareOptions, only?: ReadonlySet<string>): Promise<PeerRow[]> {
  let formulations: Formulation[] | { unsupported: string };
  try {
    formulations = s.formulations(t, inputs);
  } catch (err) {
    formulations = { unsupported: `failed to set up: ${errorMessage(err)}` };
  }
  if (!Array.isArray(formulations)) {
    const note = formulations.unsupported;
    return [{ system: s.system, device: s.device, fn: t.fn, task: t.task, n: t.n, m: t.m, k: t.k, formulation: null, manual: false, ms: null, runs: 0, maxAbsDiff: null, scale: null, note }];
  }
  const rows: PeerRow[] = [];
  for (const f of formulations) {
    const chosen = s.system === 'gradient-lab' || (options.formulations?.some((part) => f.name.includes(part)) ?? true);
    if (!chosen || (only !== undefined && !only.has(f.name))) {
      f.dispose?.();
      continue;
    }
    await options.pause?.();
    options.signal?.throwIfAborted();
    const row = await measureFormulation(s, t, f, reference, options.policy);
    options.progress?.(`  ${s.system} ${s.device}, ${f.name}: ${row.ms === null ? row.note : `${row.ms.toFixed(2)} ms, max |Δ| ${row.maxAbsDiff!.toExponential(1)}`}`);
    rows.push(row);
  }
  return rows;
}

/** Whether a row was timed warm, so that another round can time it again. */
const timedWarm = (r: PeerRow) => r.ms !== null && r.note === null;

/**
 * One task on each of `systems` in turn, `options.rounds` times, against one reference answer. Aborts
 * propagate.
 */
export async function measureTask(t: PeerTask, systems: readonly PeerSystem[], options: CompareOptions): Promise<PeerRow[]> {
  const inputs = taskInputs(t);
  const reference = await referenceAnswer(t, inputs);
  const rounds = Math.max(1, Math.floor(options.rounds ?? 1));
  const rowsOf = new Map<PeerSystem, PeerRow[]>();
  for (let round = 0; round < rounds; round++) {
    for (const s of systems) {
      const first = rowsOf.get(s);
      const again = first === undefined ? undefined : new Set(first.filter(timedWarm).map((r) => r.formulation!));
      const mine = again?.size === 0 ? [] : await measureSystem(s, t, inputs, reference, options, again);
      const merged = first === undefined ? mine.map((r) => ({ ...r, roundMs: r.ms === null ? [] : [r.ms] })) : first.map((r) => faster(r, mine.find((m) => m.formulation === r.formulation && r.formulation !== null)));
      rowsOf.set(s, merged);
      if (round === rounds - 1) options.onRows?.(s, merged);
    }
  }
  return systems.flatMap((s) => rowsOf.get(s)!);
}

/** A row with another round's time added: the faster median stands, with its own runs. */
function faster(row: PeerRow, next: PeerRow | undefined): PeerRow {
  if (next === undefined || !timedWarm(row) || !timedWarm(next)) return row;
  const roundMs = [...(row.roundMs ?? []), next.ms!];
  return next.ms! < row.ms! ? { ...row, ms: next.ms, runs: next.runs, roundMs } : { ...row, roundMs };
}
