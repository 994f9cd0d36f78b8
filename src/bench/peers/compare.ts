// Measuring one task on every system, in Node or in a browser's worker: the inputs and the f64
// reference answer are made once, each formulation's first answer is checked against it, a wrong
// answer is reported and never timed, and the timed runs of every system go side by side. Loading the
// systems is the environment's business.
import { agreement, errorMessage, measureSideBySide, TOLERANCE, type MeasurePolicy } from '../measure.ts';
import { referenceAnswer } from './ours.ts';
import type { PeerRow } from './report.ts';
import type { Formulation, PeerSystem } from './system.ts';
import { taskInputs, type Answer, type HostInputs, type PeerTask } from './tasks.ts';

/** Relative tolerance for every answer: all systems compute in f32. */
export const RELATIVE_TOLERANCE = TOLERANCE.f32;

/** How a task is measured, and who hears about it. */
export interface CompareOptions {
  readonly policy: MeasurePolicy;
  /** Checked before each call: an aborted comparison stops there. */
  readonly signal?: AbortSignal;
  /** Awaited before each call, e.g. to let a worker see a cancel message. */
  readonly pause?: () => Promise<void>;
  /** One line per measured formulation, for a progress log. */
  readonly progress?: (line: string) => void;
  /** Each system's rows once the task is measured. */
  readonly onRows?: (system: PeerSystem, rows: readonly PeerRow[]) => void;
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

/** A formulation's row before it is measured: what it is, and how to run it with its answer checked. */
interface Entry {
  readonly system: PeerSystem;
  readonly formulation: Formulation;
  readonly base: Omit<PeerRow, 'ms' | 'runs' | 'maxAbsDiff' | 'scale' | 'note'>;
  checked: Checked | null;
}

/** A system's formulations of `t`, or the row that says why it has none. */
function formulationsOf(s: PeerSystem, t: PeerTask, inputs: HostInputs): Formulation[] | PeerRow {
  let formulations: Formulation[] | { unsupported: string };
  try {
    formulations = s.formulations(t, inputs);
  } catch (err) {
    formulations = { unsupported: `failed to set up: ${errorMessage(err)}` };
  }
  if (Array.isArray(formulations)) return formulations;
  return { system: s.system, device: s.device, fn: t.fn, task: t.task, n: t.n, m: t.m, k: t.k, formulation: null, manual: false, ms: null, runs: 0, maxAbsDiff: null, scale: null, note: formulations.unsupported };
}

/**
 * One task on every one of `systems`, against one reference answer. Every formulation's first (cold)
 * answer is checked before it is timed, and a wrong one is reported instead; the timed runs of all the
 * formulations then go round by round (measureSideBySide), so that ours and the peers' are timed in the
 * same moments. Aborts propagate.
 */
export async function measureTask(t: PeerTask, systems: readonly PeerSystem[], options: CompareOptions): Promise<PeerRow[]> {
  const inputs = taskInputs(t);
  const reference = await referenceAnswer(t, inputs);
  const bySystem = new Map<PeerSystem, (PeerRow | Entry)[]>();
  const entries: Entry[] = [];
  for (const s of systems) {
    const found = formulationsOf(s, t, inputs);
    const items = Array.isArray(found)
      ? found.map((f): Entry => ({ system: s, formulation: f, checked: null, base: { system: s.system, device: s.device, fn: t.fn, task: t.task, n: t.n, m: t.m, k: t.k, formulation: f.name, manual: f.manual } }))
      : [found];
    bySystem.set(s, items);
    entries.push(...items.filter((x): x is Entry => 'checked' in x));
  }
  const calls = entries.map((e) => async () => {
    const answer = await e.formulation.run();
    if (e.checked === null) {
      e.checked = checkAnswer(t, answer, reference);
      if (e.checked.problem !== null) throw new WrongAnswer(e.checked.problem);
    }
    return null;
  });
  let timings: Awaited<ReturnType<typeof measureSideBySide<null>>>;
  try {
    timings = await measureSideBySide(calls, options.policy, async () => {
      await options.pause?.();
      options.signal?.throwIfAborted();
    });
  } finally {
    for (const e of entries) e.formulation.dispose?.();
  }
  const rowOf = new Map(entries.map((e, i): [Entry, PeerRow] => {
    const timing = timings[i];
    const c = e.checked as Checked | null;
    if ('error' in timing) {
      const note = timing.error instanceof WrongAnswer ? timing.error.message : `failed: ${errorMessage(timing.error)}`;
      return [e, { ...e.base, ms: null, runs: 0, maxAbsDiff: c?.maxAbsDiff ?? null, scale: c?.scale ?? null, note }];
    }
    return [e, { ...e.base, ms: timing.ms, runs: timing.runs, maxAbsDiff: c!.maxAbsDiff, scale: c!.scale, note: timing.warm ? null : 'one cold run (too slow to repeat)' }];
  }));
  const rows: PeerRow[] = [];
  for (const s of systems) {
    const mine = bySystem.get(s)!.map((x) => ('checked' in x ? rowOf.get(x)! : x));
    for (const row of mine) {
      if (row.formulation !== null) options.progress?.(`  ${s.system} ${s.device}, ${row.formulation}: ${row.ms === null ? row.note : `${row.ms.toFixed(2)} ms, max |Δ| ${row.maxAbsDiff!.toExponential(1)}`}`);
    }
    options.onRows?.(s, mine);
    rows.push(...mine);
  }
  return rows;
}
