// The report as aligned text tables: ratios first, absolute times beside them, long strings
// ('auto''s reasons, errors, notes) as numbered footnotes under each table.
import type { AdCostRow, BenchReport, GemmRow, JacobianRow, Row } from './report.ts';

type Align = 'l' | 'r';

/** Columns padded to their widest cell; `align` has one letter per column. */
export function alignedTable(header: readonly string[], rows: readonly (readonly string[])[], align: string): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: readonly string[]) => cells
    .map((c, i) => ((align[i] as Align) === 'r' ? c.padStart(widths[i]) : c.padEnd(widths[i])))
    .join('  ')
    .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** Three significant digits, without exponents in the usual range; '—' for a missing value. */
export function num(x: number | null | undefined): string {
  if (x == null || !Number.isFinite(x)) return '—';
  const a = Math.abs(x);
  if (a !== 0 && (a < 1e-3 || a >= 1e6)) return x.toExponential(2);
  if (a >= 100) return x.toFixed(0);
  return x.toPrecision(3);
}

/** Numbered notes under a table; the same text gets the same number. */
export class Footnotes {
  private readonly texts: string[] = [];

  ref(text: string): string {
    let i = this.texts.indexOf(text);
    if (i < 0) i = this.texts.push(text) - 1;
    return `[${i + 1}]`;
  }

  render(): string {
    return this.texts.map((t, i) => `  [${i + 1}] ${t}`).join('\n');
  }

  get empty(): boolean {
    return this.texts.length === 0;
  }

  /** The notes in number order (note i + 1 is `list()[i]`). */
  list(): readonly string[] {
    return [...this.texts];
  }
}

function section(title: string, table: string, notes: Footnotes): string {
  return [title, '', table, ...(notes.empty ? [] : ['', notes.render()])].join('\n');
}

/** "cpu ✓ [2]": the backend, whether it measured faster (✓/✗), and the reason as a footnote. */
function autoCell(auto: { backend: string; reason: string } | null, right: boolean | null, notes: Footnotes): string {
  if (auto === null) return '—';
  const mark = right === null ? '' : right ? ' ✓' : ' ✗';
  return `${auto.backend}${mark} ${notes.ref(auto.reason)}`;
}

/** The row's trailing remarks: its error or note, as footnote references. */
function remarks(row: Row, notes: Footnotes): string {
  return [row.error === undefined ? '' : notes.ref(`error: ${row.error}`), row.note === undefined ? '' : notes.ref(row.note)].filter((s) => s !== '').join(' ');
}

function gemmTable(rows: readonly GemmRow[]): string {
  const notes = new Footnotes();
  const body = rows.map((r) => [
    r.id.replace(/^gemm /, ''), r.backend, r.dtype, num(r.gflops), num(r.kernelGflops), num(r.gpuOverCpu), num(r.ms),
    autoCell(r.auto, r.autoRight, notes), `${r.runs}`, remarks(r, notes),
  ]);
  return section(
    'GEMM: C = A @ B evaluated through the API (median wall time: upload, kernel, readback; kernel GFLOP/s from GPU timestamps)',
    alignedTable(['shape', 'backend', 'dtype', 'GFLOP/s', 'kernel GFLOP/s', 'gpu/cpu', 'ms', 'auto', 'runs', ''], body, 'lllrrrrlrl'),
    notes,
  );
}

function adTable(rows: readonly AdCostRow[]): string {
  const notes = new Footnotes();
  const body = rows.map((r) => [
    `${r.width}`, `${r.k}`, r.wrt, r.backend, num(r.jvpOverPrimal), num(r.vjpOverPrimal), `${num(r.model.jvpOverPrimal)}, ${num(r.model.vjpOverPrimal)}`,
    num(r.gpuOverCpu?.jvp), num(r.gpuOverCpu?.vjp), num(r.primalMs), num(r.jvpMs), num(r.vjpMs),
    r.auto === null ? '—' : `${autoCell(r.auto.jvp, null, notes)}, ${autoCell(r.auto.vjp, null, notes)}`, remarks(r, notes),
  ]);
  return section(
    'JVP and VJP cost against the primal: tanh(W2 tanh(W1 x + b1) + b2), n = h = m = width (for k > 1: one batched pass against k primal runs; FLOP model = the same ratios in FLOPs)',
    alignedTable(['width', 'k', 'wrt', 'backend', 'jvp/primal', 'vjp/primal', 'FLOP model', 'gpu/cpu jvp', 'gpu/cpu vjp', 'primal ms', 'jvp ms', 'vjp ms', 'auto (jvp, vjp)', ''], body, 'rrllrrrrrrrrll'),
    notes,
  );
}

function jacobianTable(rows: readonly JacobianRow[]): string {
  const notes = new Footnotes();
  const body = rows.map((r) => {
    const measured = r.fwdMs === null || r.revMs === null ? '—' : r.fwdMs <= r.revMs ? 'fwd' : 'rev';
    const agree = r.agreement === null ? '—' : `${r.agreement.ok ? '✓' : '✗'} ${num(r.agreement.scale === 0 ? 0 : r.agreement.maxAbsDiff / r.agreement.scale)}`;
    return [
      r.case, `${r.n}`, `${r.m}`, r.backend, num(r.fwdOverRev), measured, r.modelPick,
      num(r.gpuOverCpu?.fwd), num(r.gpuOverCpu?.rev), num(r.fwdMs), num(r.revMs), agree, r.passes === null ? '—' : `${r.passes.fwd}/${r.passes.rev}`,
      autoCell(r.auto, r.autoRight, notes), remarks(r, notes),
    ];
  });
  return section(
    'Full Jacobian ∂y/∂x: forward (n batched JVP seeds) vs reverse (m batched VJP seeds); agree = max |J_fwd − J_rev| / max |J|',
    alignedTable(
      ['case', 'n', 'm', 'backend', 'fwd/rev', 'faster', 'FLOP model', 'gpu/cpu fwd', 'gpu/cpu rev', 'fwd ms', 'rev ms', 'agree', 'passes', 'auto', ''],
      body, 'lrrlrllrrrrllll',
    ),
    notes,
  );
}

/** The whole report for people. */
export function formatReport(report: BenchReport): string {
  const { machine, adapter } = report;
  const head = [
    `machine: ${machine.cpus} × ${machine.cpuModel}, node ${machine.node}, load average ${machine.loadavg.start.toFixed(1)} → ${machine.loadavg.end.toFixed(1)}`,
    `adapter: ${adapter === null ? 'not requested' : adapter.available ? `${adapter.name}, binding limit ${adapter.maxStorageBufferBindingSize / 2 ** 20} MiB` : `unavailable (${adapter.reason})`}`,
    `dtypes: each backend's own (cpu f64, webgpu f32); ${report.options.preset} preset, ≥${report.options.repeats} timed runs after a warm-up; ${report.totalSeconds.toFixed(0)} s in all`,
    `auto: ✓/✗ = whether the backend it picked measured faster (for its Jacobian mode); ratios: < 1 means the left one is faster`,
  ];
  const parts = [head.join('\n')];
  const gemm = report.rows.filter((r): r is GemmRow => r.kind === 'gemm');
  const ad = report.rows.filter((r): r is AdCostRow => r.kind === 'ad-cost');
  const jac = report.rows.filter((r): r is JacobianRow => r.kind === 'jacobian');
  if (gemm.length > 0) parts.push(gemmTable(gemm));
  if (ad.length > 0) parts.push(adTable(ad));
  if (jac.length > 0) parts.push(jacobianTable(jac));
  return `${parts.join('\n\n')}\n`;
}
