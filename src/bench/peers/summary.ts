// The peer comparison's rows arranged for reading, shared by the Node tables and the playground's
// chart and table: per side, one line per task, function, width and k; one cell per column (a system
// on a device, its AD formulations or its hand-written ones) holding the fastest correct time and the
// notes of the rest; and each peer's time over ours.
import { ratio } from '../measure.ts';
import type { PeerRow } from './report.ts';
import type { DeviceName, Side, SystemName } from './system.ts';
import { TASKS, type FnName, type TaskName } from './tasks.ts';

/** A column: one system on one device, its AD formulations or its hand-written ones. */
export interface Column {
  readonly header: string;
  readonly system: SystemName;
  readonly device: DeviceName;
  readonly manual: boolean;
}

/** Each side's title and columns; the first column is ours, the one every ratio divides by. */
export const SIDE_COLUMNS: Readonly<Record<Side, { readonly title: string; readonly columns: readonly Column[] }>> = {
  cpu: {
    title: 'CPU: Gradient Lab (interpreter, WebAssembly SIMD GEMM) against jax-js and TF.js on WebAssembly, and TF.js in plain JavaScript',
    columns: [
      { header: 'ours cpu', system: 'gradient-lab', device: 'cpu', manual: false },
      { header: 'jax-js wasm', system: 'jax-js', device: 'wasm', manual: false },
      { header: 'jax-js wasm, by hand', system: 'jax-js', device: 'wasm', manual: true },
      { header: 'TF.js wasm', system: 'tfjs', device: 'wasm', manual: false },
      { header: 'TF.js cpu', system: 'tfjs', device: 'cpu', manual: false },
    ],
  },
  webgpu: {
    title: 'WebGPU: every system on the same adapter',
    columns: [
      { header: 'ours webgpu', system: 'gradient-lab', device: 'webgpu', manual: false },
      { header: 'jax-js webgpu', system: 'jax-js', device: 'webgpu', manual: false },
      { header: 'jax-js webgpu, by hand', system: 'jax-js', device: 'webgpu', manual: true },
      { header: 'TF.js webgpu', system: 'tfjs', device: 'webgpu', manual: false },
    ],
  },
};

/**
 * What a cell shows: a time; or why not, the worst reason first: a wrong answer, not supported,
 * anything else (failed, could not load); or 'absent' when the column has no rows at all.
 */
export type Verdict = 'timed' | 'wrong' | 'unsupported' | 'unavailable' | 'absent';

export interface Cell {
  readonly column: Column;
  readonly rows: readonly PeerRow[];
  /** The fastest correct formulation, or null. */
  readonly best: PeerRow | null;
  readonly verdict: Verdict;
  /** Each distinct note of the cell's rows, prefixed with its formulation. */
  readonly notes: readonly string[];
}

/** One task, function, width and k on one side. */
export interface Line {
  readonly side: Side;
  readonly task: TaskName;
  readonly fn: FnName;
  readonly n: number;
  readonly m: number;
  readonly k: number;
  /** One per column of the side, ours first. */
  readonly cells: readonly Cell[];
  /** Each peer column's ms over ours (above 1: ours is faster), in column order after ours. */
  readonly ratios: readonly (number | null)[];
}

/** How charts and reports name a line, e.g. "vjp layer w=64 k=8" (k only where it is a number of directions). */
export function lineLabel(line: Pick<Line, 'task' | 'fn' | 'n' | 'k'>): string {
  const fn = line.fn === line.task ? '' : ` ${line.fn}`;
  const k = line.k === 1 || line.task === 'jacfwd' || line.task === 'jacrev' || line.task === 'gemm' ? '' : ` k=${line.k}`;
  return `${line.task}${fn} w=${line.n}${k}`;
}

function cellOf(column: Column, rows: readonly PeerRow[]): Cell {
  const timed = rows.filter((r) => r.ms !== null);
  const best = timed.length === 0 ? null : timed.reduce((a, b) => (b.ms! < a.ms! ? b : a));
  const notes = [...new Set(rows.filter((r) => r.note !== null).map((r) => (r.formulation === null ? r.note! : `${r.formulation}: ${r.note}`)))];
  const verdict: Verdict = rows.length === 0 ? 'absent'
    : best !== null ? 'timed'
      : rows.some((r) => r.note?.startsWith('wrong answer')) ? 'wrong'
        : rows.some((r) => r.note?.startsWith('not supported')) ? 'unsupported' : 'unavailable';
  return { column, rows, best, verdict, notes };
}

/** A line's cell's time, or null. */
export const cellMs = (cell: Cell): number | null => cell.best?.ms ?? null;

/** The lines of one side, ordered by width, then task (as in TASKS), function and k as the rows came. */
export function sideLines(rows: readonly PeerRow[], side: Side): Line[] {
  const { columns } = SIDE_COLUMNS[side];
  const mine = rows.filter((r) => columns.some((c) => c.system === r.system && c.device === r.device));
  const keyOf = (r: PeerRow) => `${r.n} ${r.task} ${r.fn} ${r.k}`;
  const firsts = [...new Map(mine.map((r) => [keyOf(r), r] as const)).values()];
  firsts.sort((a, b) => a.n - b.n || TASKS.indexOf(a.task) - TASKS.indexOf(b.task));
  return firsts.map((key) => {
    const same = mine.filter((r) => keyOf(r) === keyOf(key));
    const cells = columns.map((c) => cellOf(c, same.filter((r) => r.system === c.system && r.device === c.device && r.manual === c.manual)));
    const ours = cellMs(cells[0]);
    return { side, task: key.task, fn: key.fn, n: key.n, m: key.m, k: key.k, cells, ratios: cells.slice(1).map((c) => ratio(cellMs(c), ours)) };
  });
}
