// Rendering for the terminal and for --json: numbers, tensors, shapes, statistics and diagnostics.
import { formatDiagnostic, toNested, type Diagnostic, type Nested, type RunStats, type Tensor } from '../index.ts';

/** A shape as the language writes it: [3, 4], or "scalar". */
export function formatShape(shape: readonly number[]): string {
  return shape.length === 0 ? 'scalar' : `[${shape.join(', ')}]`;
}

/** About six significant digits; exponent form for very large or very small magnitudes. */
export function formatNumber(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return '0';
  const abs = Math.abs(x);
  if (abs >= 1e6 || abs < 1e-4) {
    const [mantissa, exponent] = x.toExponential(5).split('e');
    return `${String(Number(mantissa))}e${exponent}`;
  }
  return String(Number(x.toPrecision(6)));
}

/** A FLOP or byte count: exact when small, three significant digits when large. */
export function formatCount(x: number): string {
  return x < 1e5 ? String(Math.round(x)) : x.toExponential(2).replace('e+', 'e');
}

/** Past this many elements a tensor is summarised: each long axis shows its first and last three entries. */
const SUMMARY_THRESHOLD = 1000;
const EDGE = 3;

/** Indices to show along an axis of length `n` (null marks the elided middle). */
function shownIndices(n: number, summarise: boolean): (number | null)[] {
  if (!summarise || n <= 2 * EDGE) return Array.from({ length: n }, (_, i) => i);
  return [...Array.from({ length: EDGE }, (_, i) => i), null, ...Array.from({ length: EDGE }, (_, i) => n - EDGE + i)];
}

/**
 * A tensor as nested brackets, NumPy style: rows of a matrix on their own lines, entries right-aligned
 * to a common width, long axes elided with "..." when the tensor is large.
 */
export function formatTensor(t: Tensor): string {
  if (t.shape.length === 0) return formatNumber(t.data[0]);
  const summarise = t.data.length > SUMMARY_THRESHOLD;
  const strides = t.shape.map((_, d) => t.shape.slice(d + 1).reduce((a, b) => a * b, 1));
  const cells: string[] = [];
  // Collect the shown entries first, to find the column width.
  const collect = (dim: number, offset: number) => {
    for (const i of shownIndices(t.shape[dim], summarise)) {
      if (i === null) continue;
      if (dim === t.shape.length - 1) cells.push(formatNumber(t.data[offset + i]));
      else collect(dim + 1, offset + i * strides[dim]);
    }
  };
  collect(0, 0);
  const width = Math.max(...cells.map((c) => c.length));
  let next = 0;
  const render = (dim: number): string => {
    const indices = shownIndices(t.shape[dim], summarise);
    if (dim === t.shape.length - 1) {
      return `[${indices.map((i) => (i === null ? '...' : cells[next++].padStart(width))).join(', ')}]`;
    }
    const separator = `,${'\n'.repeat(t.shape.length - 1 - dim)}${' '.repeat(dim + 1)}`;
    return `[${indices.map((i) => (i === null ? '...' : render(dim + 1))).join(separator)}]`;
  };
  return render(0);
}

/** "name [3, 4] = value" (or "name = value" for a scalar), with a multi-line value indented below its label. */
export function labelled(label: string, t: Tensor): string {
  const value = formatTensor(t);
  const head = t.shape.length === 0 ? label : `${label} ${formatShape(t.shape)}`;
  if (!value.includes('\n')) return `${head} = ${value}`;
  return `${head} =\n${value.split('\n').map((line) => `  ${line}`).join('\n')}`;
}

/** Every named tensor, one `labelled` block each. */
export function labelledAll(values: Record<string, Tensor>, label: (name: string) => string = (n) => n): string[] {
  return Object.entries(values).map(([name, t]) => labelled(label(name), t));
}

/**
 * "CPU (interpreter, WebAssembly SIMD GEMM on 2 threads), f64 · 1.20 ms · 345 FLOPs (estimated) · peak 72 B", then GPU dispatches
 * and GPU time when the backend reports them, and on a second line why this backend ran when it was
 * not simply the one `requested` ('auto', or a fallback).
 */
export function formatStats(stats: RunStats, requested: string = stats.backend): string {
  const passes = stats.passes > 1 ? ` in ${stats.passes} passes` : '';
  const dispatches = stats.dispatches === undefined ? '' : ` · ${plural(stats.dispatches, 'GPU dispatch')}`;
  const gpuTime = typeof stats.gpuMs === 'number' ? ` (${stats.gpuMs.toFixed(2)} ms GPU time)` : '';
  const line = `${stats.device}, ${stats.dtype} · ${stats.ms.toFixed(2)} ms${passes} · ${formatCount(stats.flops)} FLOPs (estimated) · peak ${formatBytes(stats.peakBytes)}${dispatches}${gpuTime}`;
  return requested === stats.backend ? line : `${line}\nbackend: ${stats.reason}`;
}

/** "1 dispatch", "3 dispatches", "2 kernels". */
export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : /(s|sh|ch|x)$/.test(word) ? 'es' : 's'}`;
}

/** Rows of cells in columns two spaces apart, indented by two; the first column (an index) right-aligned. */
export function formatTable(rows: readonly (readonly string[])[]): string[] {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => `  ${r.map((cell, c) => (c === 0 ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join('  ')}`.trimEnd());
}

/** Workgroup counts as WebGPU's dispatchWorkgroups takes them: "(4, 1, 1)". */
export function formatWorkgroups(workgroups: readonly number[]): string {
  return `(${workgroups.join(', ')})`;
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`;
}

/** The JSON form of an output: its shape and its value as nested arrays. */
export function jsonValue(t: Tensor): { shape: number[]; value: Nested } {
  return { shape: [...t.shape], value: toNested(t) };
}

/** Nested arrays for each named tensor. */
export function jsonNested(values: Record<string, Tensor>): Record<string, Nested> {
  return Object.fromEntries(Object.entries(values).map(([name, t]) => [name, toNested(t)]));
}

/** {shape, value} for each named output, as `eval --json` prints them. */
export function jsonOutputs(values: Record<string, Tensor>): Record<string, { shape: number[]; value: Nested }> {
  return Object.fromEntries(Object.entries(values).map(([name, t]) => [name, jsonValue(t)]));
}

/** The four fields of the JSON error (and warning) contract. */
export function jsonDiagnostic(d: Pick<Diagnostic, 'message' | 'line' | 'column'> & { kind: string }): { kind: string; message: string; line: number; column: number } {
  return { kind: d.kind, message: d.message, line: d.line, column: d.column };
}

/**
 * A diagnostic for the terminal: "file:3:7 error: ..." with the source line and a caret when it is
 * about the program text, "gradient-lab: error: ..." otherwise.
 */
export function textDiagnostic(d: Diagnostic, source: string | undefined, fileName: string): string {
  if (d.line > 0 && source !== undefined) return `${fileName}:${formatDiagnostic(d, source)}`;
  return `gradient-lab: ${d.severity}: ${d.message}`;
}
