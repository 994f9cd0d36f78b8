// The peer comparison's numbers for the Benchmark tab, apart from the DOM and Chart.js so they can be
// tested in Node: chart series (time per column, peer/ours ratios) and CSV. Lines, cells and ratios
// come from the Node benchmark's summary (src/bench/peers/summary.ts).
import type { PeerRow } from '../../bench/peers/report.ts';
import { cellMs, lineLabel, SIDE_COLUMNS, sideLines, type Cell, type Column, type Line } from '../../bench/peers/summary.ts';
import { SIDES, sideOf, type Side } from '../../bench/peers/system.ts';
import type { TaskName } from '../../bench/peers/tasks.ts';

/** A chart category: one line of a side (summary.ts names lines for the report too). */
export { lineLabel };

/** Said under a run on an adapter that computes on the CPU, where the WebGPU numbers mean something else. */
export const SOFTWARE_ADAPTER_NOTE = 'It runs WGSL on the CPU (a software adapter, such as SwiftShader): every WebGPU time here is CPU time plus the round trips to the browser\'s GPU process (about half a millisecond a call in Chromium), so the CPU side usually gets the same answers sooner, and rows made mostly of matrix products are set by how fast the adapter multiplies.';

/** What a tooltip says of one bar besides its value. */
export interface BarDetail {
  readonly formulation: string | null;
  readonly maxAbsDiff: number | null;
  /** The cell's notes: why there is no bar (wrong answer, not supported, failed), or what else its formulations met. */
  readonly note: string | null;
}

/** One bar series: a column's times (ms) or its ratio to ours, one value per category (null: no bar). */
export interface BarSeries {
  readonly column: Column;
  readonly values: readonly (number | null)[];
  readonly details: readonly BarDetail[];
}

export interface PeerChartData {
  readonly labels: readonly string[];
  /** Every column with at least one row, ours first. */
  readonly times: readonly BarSeries[];
  /** Every peer column with at least one row: its ms over ours. */
  readonly ratios: readonly BarSeries[];
}

const detailOf = (cell: Cell): BarDetail => ({
  formulation: cell.best?.formulation ?? null,
  maxAbsDiff: cell.best?.maxAbsDiff ?? cell.rows.find((r) => r.maxAbsDiff !== null)?.maxAbsDiff ?? null,
  note: cell.notes.length === 0 ? null : cell.notes.join('; '),
});

/** The lines of one side for the chart and table, optionally only one task's. */
export function peerLines(rows: readonly PeerRow[], side: Side, task: TaskName | 'all'): Line[] {
  return sideLines(rows, side).filter((l) => task === 'all' || l.task === task);
}

/** Chart series for lines of one side: times of every column, ratios of every peer column. */
export function peerChartData(lines: readonly Line[], side: Side): PeerChartData {
  const { columns } = SIDE_COLUMNS[side];
  const present = columns.map((_, i) => lines.some((l) => l.cells[i].verdict !== 'absent'));
  const series = (i: number, value: (l: Line) => number | null): BarSeries => ({
    column: columns[i],
    values: lines.map(value),
    details: lines.map((l) => detailOf(l.cells[i])),
  });
  const indices = columns.map((_, i) => i).filter((i) => present[i]);
  return {
    labels: lines.map(lineLabel),
    times: indices.map((i) => series(i, (l) => cellMs(l.cells[i]))),
    ratios: indices.filter((i) => i > 0).map((i) => series(i, (l) => l.ratios[i - 1])),
  };
}

/** A CSV field: quoted when it holds a comma, quote or line break. */
function csvField(v: string | number | boolean | null): string {
  if (v === null) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(Number(v.toPrecision(6))) : '';
  const s = String(v);
  return /[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** The CSV columns: a row's own fields, then its side and its time over ours on that side (the same task, function, width and k). */
const PEERS_CSV_HEADER = ['side', 'system', 'device', 'task', 'fn', 'n', 'm', 'k', 'formulation', 'manual', 'ms', 'runs', 'max_abs_diff', 'scale', 'over_ours', 'note', 'round_ms'];

/** One line per row, in the order measured; round_ms lists every round's median (ms is the smallest). */
export function peersCsv(rows: readonly PeerRow[]): string {
  const ourMs = new Map<string, number | null>();
  const key = (side: Side, r: Pick<PeerRow, 'task' | 'fn' | 'n' | 'k'>) => `${side} ${r.task} ${r.fn} ${r.n} ${r.k}`;
  for (const side of SIDES) for (const line of sideLines(rows, side)) ourMs.set(key(side, line), cellMs(line.cells[0]));
  const lines = [PEERS_CSV_HEADER.join(',')];
  for (const r of rows) {
    const side = sideOf(r.device);
    const ours = ourMs.get(key(side, r)) ?? null;
    const over = r.ms === null || ours === null || ours === 0 ? null : r.ms / ours;
    lines.push([side, r.system, r.device, r.task, r.fn, r.n, r.m, r.k, r.formulation, r.manual, r.ms, r.runs, r.maxAbsDiff, r.scale, over, r.note, r.roundMs?.join(' ') ?? null].map(csvField).join(','));
  }
  return `${lines.join('\n')}\n`;
}
