// The goals the peer comparison is held to, checked on one run's rows, so that every report says
// where we stand and by how much we miss:
//   - full Jacobians (both modes) and batched JVPs/VJPs (k > 1) at widths ≥ 256: at least 2× faster
//     than the fastest correct peer formulation, AD or written by hand;
//   - GEMM: at least as fast as the fastest peer GEMM;
//   - one JVP (k = 1) within 2.5× our primal, one VJP within 3×;
//   - every task at every width: at least as fast as the fastest correct peer formulation (issue 5 sets
//     this as the CPU's bar: "≥ 1× the best peer, same run"; the 2× goal is reported on both sides).
import type { PeerRow } from './report.ts';
import { cellMs, lineLabel, sideLines, type Line } from './summary.ts';
import type { Side } from './system.ts';

export interface BarCheck {
  readonly side: Side;
  readonly goal: string;
  /** Each line's measured value (a speed-up over the best peer, or a cost over our primal). */
  readonly values: readonly number[];
  /** How many of them meet the goal. */
  readonly met: number;
  /** The lines that miss it, the furthest first, with their values. */
  readonly misses: readonly { readonly line: string; readonly value: number }[];
}

/** Misses named in describeCheck; the rest are counted. */
const NAMED_MISSES = 4;

/** Derivative lines the 2× goal covers. */
const isBatchedDerivative = (l: Line) => l.n >= 256 && (l.task === 'jacfwd' || l.task === 'jacrev' || ((l.task === 'jvp' || l.task === 'vjp') && l.k > 1));

/** The fastest correct peer time of a line over ours (null when either is missing). */
function speedup(line: Line): number | null {
  const ours = cellMs(line.cells[0]);
  const peers = line.cells.slice(1).map(cellMs).filter((ms): ms is number => ms !== null);
  return ours === null || peers.length === 0 ? null : Math.min(...peers) / ours;
}

/** Our time of `task` (k = 1) over our primal of the same function and width, per line. */
function overPrimal(lines: readonly Line[], task: 'jvp' | 'vjp'): [Line, number][] {
  return lines.flatMap((l): [Line, number][] => {
    if (l.task !== task || l.k !== 1) return [];
    const primal = lines.find((p) => p.task === 'primal' && p.fn === l.fn && p.n === l.n);
    const [ours, base] = [cellMs(l.cells[0]), primal === undefined ? null : cellMs(primal.cells[0])];
    return ours === null || base === null ? [] : [[l, ours / base]];
  });
}

/** A speed-up goal (`at least`) or a cost goal (at most), over each line's measured value. */
function check(side: Side, goal: string, measured: readonly [Line, number | null][], bound: { atLeast: number } | { atMost: number }): BarCheck {
  const timed = measured.filter((e): e is [Line, number] => e[1] !== null);
  const meets = (v: number) => ('atLeast' in bound ? v >= bound.atLeast : v <= bound.atMost);
  const misses = timed.filter(([, v]) => !meets(v))
    .sort(([, a], [, b]) => ('atLeast' in bound ? a - b : b - a))
    .map(([line, value]) => ({ line: lineLabel(line), value }));
  return { side, goal, values: timed.map(([, v]) => v), met: timed.length - misses.length, misses };
}

/** Every goal on one side; goals with no measured line are left out. */
export function barChecks(rows: readonly PeerRow[], side: Side): BarCheck[] {
  const lines = sideLines(rows, side);
  const speedups = (ls: readonly Line[]) => ls.map((l): [Line, number | null] => [l, speedup(l)]);
  return [
    check(side, 'Jacobians and batched JVP/VJP, w ≥ 256: best peer / ours ≥ 2', speedups(lines.filter(isBatchedDerivative)), { atLeast: 2 }),
    check(side, 'GEMM: fastest peer / ours ≥ 1', speedups(lines.filter((l) => l.task === 'gemm')), { atLeast: 1 }),
    check(side, 'Every task and width: best peer / ours ≥ 1', speedups(lines), { atLeast: 1 }),
    check(side, 'JVP / primal (k = 1) ≤ 2.5', overPrimal(lines, 'jvp'), { atMost: 2.5 }),
    check(side, 'VJP / primal (k = 1) ≤ 3', overPrimal(lines, 'vjp'), { atMost: 3 }),
  ].filter((c) => c.values.length > 0);
}

/** "met in 7 of 24 (0.95–2.39); missed by jvp layer w=256 k=64 (0.95), ..." (the furthest first). */
export function describeCheck(c: BarCheck): string {
  const range = `${Math.min(...c.values).toPrecision(3)}–${Math.max(...c.values).toPrecision(3)}`;
  const verdict = c.met === c.values.length ? 'met' : c.met === 0 ? 'not met' : `met in ${c.met} of ${c.values.length}`;
  const named = c.misses.slice(0, NAMED_MISSES).map((m) => `${m.line} (${m.value.toPrecision(3)})`);
  const more = c.misses.length - named.length;
  const missed = named.length === 0 ? '' : `; missed by ${named.join(', ')}${more > 0 ? ` and ${more} more` : ''}`;
  return `${c.goal}: ${verdict} (${range})${missed}`;
}
