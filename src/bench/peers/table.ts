// The peer comparison as two text tables, one per side (CPU and WebGPU): a row per task, width and
// k; a column per system with its median ms; then each peer's time over ours.
import { ratio } from '../measure.ts';
import { alignedTable, Footnotes, num } from '../table.ts';
import type { PeerRow, PeersReport } from './report.ts';
import type { DeviceName, SystemName } from './system.ts';
import { TASKS } from './tasks.ts';

/** A column: one system on one device, its AD formulations or its hand-written ones. */
interface Column {
  readonly header: string;
  readonly system: SystemName;
  readonly device: DeviceName;
  readonly manual: boolean;
}

const SIDES: readonly { title: string; columns: readonly Column[] }[] = [
  {
    title: 'CPU: Gradient Lab (TypeScript interpreter) against jax-js and TF.js on WebAssembly',
    columns: [
      { header: 'ours cpu', system: 'gradient-lab', device: 'cpu', manual: false },
      { header: 'jax-js wasm', system: 'jax-js', device: 'wasm', manual: false },
      { header: 'jax-js wasm, by hand', system: 'jax-js', device: 'wasm', manual: true },
      { header: 'TF.js wasm', system: 'tfjs', device: 'wasm', manual: false },
    ],
  },
  {
    title: 'WebGPU: every system on the same adapter',
    columns: [
      { header: 'ours webgpu', system: 'gradient-lab', device: 'webgpu', manual: false },
      { header: 'jax-js webgpu', system: 'jax-js', device: 'webgpu', manual: false },
      { header: 'jax-js webgpu, by hand', system: 'jax-js', device: 'webgpu', manual: true },
      { header: 'TF.js webgpu', system: 'tfjs', device: 'webgpu', manual: false },
    ],
  },
];

/** The fastest correct formulation's time, with footnotes for the ones that have a note. */
function cell(rows: readonly PeerRow[], notes: Footnotes): { text: string; ms: number | null } {
  if (rows.length === 0) return { text: '—', ms: null };
  const timed = rows.filter((r) => r.ms !== null);
  const best = timed.length === 0 ? null : timed.reduce((a, b) => (b.ms! < a.ms! ? b : a));
  // The same defect at every width gets one footnote: the numbers stay in the JSON.
  const refs = rows.filter((r) => r.note !== null).map((r) => {
    const note = r.note!.replace(/ \(max \|Δ\| .*\)$/, '');
    return notes.ref(r.formulation === null ? note : `${r.formulation}: ${note}`);
  });
  const marks = [...new Set(refs)].join('');
  if (best !== null) return { text: `${num(best.ms)}${marks === '' ? '' : ` ${marks}`}`, ms: best.ms };
  const word = rows.some((r) => r.note?.startsWith('wrong answer')) ? '✗' : rows.some((r) => r.note?.startsWith('not supported')) ? 'n/s' : 'n/a';
  return { text: `${word} ${marks}`, ms: null };
}

function sideTable(report: PeersReport, title: string, columns: readonly Column[]): string | null {
  const mine = report.rows.filter((r) => columns.some((c) => c.system === r.system && c.device === r.device));
  if (mine.length === 0) return null;
  const notes = new Footnotes();
  const keys = [...new Map(mine.map((r) => [`${r.n} ${TASKS.indexOf(r.task)} ${r.fn} ${r.k}`, r])).values()];
  const body = keys.map((key) => {
    const same = mine.filter((r) => r.n === key.n && r.task === key.task && r.fn === key.fn && r.k === key.k);
    const cells = columns.map((c) => cell(same.filter((r) => r.system === c.system && r.device === c.device && r.manual === c.manual), notes));
    const ours = cells[0].ms;
    return [key.task, key.fn, `${key.n}`, `${key.k}`, ...cells.map((c) => c.text), ...cells.slice(1).map((c) => num(ratio(c.ms, ours)))];
  });
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
    `median ms per call (host arrays in, answer read back); every system in f32; answers checked against ours in f64 (max |Δ| ≤ ${report.tolerance} · max |answer|) before timing; ${report.totalSeconds.toFixed(0)} s in all`,
    'ratios: peer ms / ours, so above 1 means ours is faster; "by hand" = the derivative written out as matrix products and jit-compiled; n/s = not supported, ✗ = wrong answer',
  ];
  const tables = SIDES.map((s) => sideTable(report, s.title, s.columns)).filter((t): t is string => t !== null);
  return `${[head.join('\n'), ...tables].join('\n\n')}\n`;
}
