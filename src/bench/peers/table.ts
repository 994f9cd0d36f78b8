// The peer comparison as two text tables, one per side (CPU and WebGPU): a row per task, width and
// k; a column per system with its median ms; then each peer's time over ours.
import { alignedTable, Footnotes, num } from '../table.ts';
import { barChecks, describeCheck } from './bar.ts';
import type { PeersReport } from './report.ts';
import { cellMs, SIDE_COLUMNS, sideLines, type Cell } from './summary.ts';
import { SIDES, type Side } from './system.ts';

/** The fastest correct formulation's time, with footnotes for the ones that have a note. */
export function cellText(cell: Cell, notes: Footnotes): string {
  // The same defect at every width gets one footnote: the numbers stay in the JSON.
  const marks = [...new Set(cell.notes.map((n) => notes.ref(n.replace(/ \(max \|Δ\| .*\)$/, ''))))].join('');
  switch (cell.verdict) {
    case 'absent': return '—';
    case 'timed': return `${num(cellMs(cell))}${marks === '' ? '' : ` ${marks}`}`;
    case 'wrong': return `✗ ${marks}`;
    case 'unsupported': return `n/s ${marks}`;
    case 'unavailable': return `n/a ${marks}`;
    default: return cell.verdict satisfies never;
  }
}

function sideTable(report: PeersReport, side: Side): string | null {
  const { title, columns } = SIDE_COLUMNS[side];
  const lines = sideLines(report.rows, side);
  if (lines.length === 0) return null;
  const notes = new Footnotes();
  const body = lines.map((line) => [
    line.task, line.fn, `${line.n}`, `${line.k}`, ...line.cells.map((c) => cellText(c, notes)), ...line.ratios.map(num),
  ]);
  const header = ['task', 'fn', 'w', 'k', ...columns.map((c) => c.header), ...columns.slice(1).map((c) => `${c.header.replace(/ (wasm|webgpu)/, '')}/ours`)];
  const table = alignedTable(header, body, `llrr${'r'.repeat(columns.length * 2 - 1)}`);
  const footer = notes.render();
  return [title, '', table, ...(footer === '' ? [] : ['', footer])].join('\n');
}

/** The whole peer report for people. */
export function formatPeersReport(report: PeersReport): string {
  const { machine } = report;
  const head = [
    `machine: ${machine.cpus} × ${machine.cpuModel}, node ${machine.node}, load average ${machine.loadavg.start.toFixed(1)} → ${machine.loadavg.end.toFixed(1)}`,
    `adapter: ${report.adapter}`,
    `peers: ${Object.entries(report.versions).map(([name, v]) => `${name} ${v}`).join(', ')}`,
    `${(report.options.rounds ?? 1) > 1 ? `median ms per call, the fastest of ${report.options.rounds} rounds with the systems in turn` : 'median ms per call'} (host arrays in, answer read back); every system in f32; answers checked against ours in f64 (max |Δ| ≤ ${report.tolerance} · max |answer|) before timing; ${report.totalSeconds.toFixed(0)} s in all`,
    'ratios: peer ms / ours, so above 1 means ours is faster; "by hand" = the derivative written out as matrix products and jit-compiled; n/s = not supported, ✗ = wrong answer',
  ];
  const tables = SIDES.map((side) => sideTable(report, side)).filter((t): t is string => t !== null);
  const bar = SIDES.flatMap((side) => barChecks(report.rows, side).map((c) => `${side}: ${describeCheck(c)}`));
  const goals = bar.length === 0 ? [] : [['Against the bar (same run):', ...bar.map((l) => `  ${l}`)].join('\n')];
  return `${[head.join('\n'), ...tables, ...goals].join('\n\n')}\n`;
}
