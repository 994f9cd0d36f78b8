// The goals the peer comparison is held to, checked on one run's rows, so that every report says
// where we stand and by how much we miss:
//   - full Jacobians (both modes) and batched JVPs/VJPs (k > 1) at widths ≥ 256: at least 2× faster
//     than the fastest correct peer formulation, AD or written by hand;
//   - GEMM: at least as fast as the fastest peer GEMM;
//   - one JVP (k = 1) within 2.5× our primal, one VJP within 3×;
//   - every task at every width: at least as fast as the fastest correct peer formulation (issue 5 sets
//     this as the CPU's bar: "≥ 1× the best peer, same run"; the 2× goal is reported on both sides).
import type { PeerRow } from './report.ts';
import { cellMs, sideLines, type Line } from './summary.ts';
import type { Side } from './system.ts';

export interface BarCheck {
  readonly side: Side;
  readonly goal: string;
  /** Each line's measured value (a speed-up over the best peer, or a cost over our primal). */
  readonly values: readonly number[];
  /** How many of them meet the goal. */
  readonly met: number;
}

/** Derivative lines the 2× goal covers. */
const isBatchedDerivative = (l: Line) => l.n >= 256 && (l.task === 'jacfwd' || l.task === 'jacrev' || ((l.task === 'jvp' || l.task === 'vjp') && l.k > 1));

/** The fastest correct peer time of a line over ours (null when either is missing). */
function speedup(line: Line): number | null {
  const ours = cellMs(line.cells[0]);
  const peers = line.cells.slice(1).map(cellMs).filter((ms): ms is number => ms !== null);
  return ours === null || peers.length === 0 ? null : Math.min(...peers) / ours;
}

/** Our time of `task` (k = 1) over our primal of the same function and width. */
function overPrimal(lines: readonly Line[], task: 'jvp' | 'vjp'): number[] {
  return lines.flatMap((l) => {
    if (l.task !== task || l.k !== 1) return [];
    const primal = lines.find((p) => p.task === 'primal' && p.fn === l.fn && p.n === l.n);
    const [ours, base] = [cellMs(l.cells[0]), primal === undefined ? null : cellMs(primal.cells[0])];
    return ours === null || base === null ? [] : [ours / base];
  });
}

function check(side: Side, goal: string, values: readonly (number | null)[], meets: (v: number) => boolean): BarCheck {
  const measured = values.filter((v): v is number => v !== null);
  return { side, goal, values: measured, met: measured.filter(meets).length };
}

/** Every goal on one side; goals with no measured line are left out. */
export function barChecks(rows: readonly PeerRow[], side: Side): BarCheck[] {
  const lines = sideLines(rows, side);
  return [
    check(side, 'Jacobians and batched JVP/VJP, w ≥ 256: best peer / ours ≥ 2', lines.filter(isBatchedDerivative).map(speedup), (v) => v >= 2),
    check(side, 'GEMM: fastest peer / ours ≥ 1', lines.filter((l) => l.task === 'gemm').map(speedup), (v) => v >= 1),
    check(side, 'Every task and width: best peer / ours ≥ 1', lines.map(speedup), (v) => v >= 1),
    check(side, 'JVP / primal (k = 1) ≤ 2.5', overPrimal(lines, 'jvp'), (v) => v <= 2.5),
    check(side, 'VJP / primal (k = 1) ≤ 3', overPrimal(lines, 'vjp'), (v) => v <= 3),
  ].filter((c) => c.values.length > 0);
}

/** "met in 7 of 24 (0.95–2.39)" */
export function describeCheck(c: BarCheck): string {
  const range = `${Math.min(...c.values).toPrecision(3)}–${Math.max(...c.values).toPrecision(3)}`;
  const verdict = c.met === c.values.length ? 'met' : c.met === 0 ? 'not met' : `met in ${c.met} of ${c.values.length}`;
  return `${c.goal}: ${verdict} (${range})`;
}
