import type { Tensor } from '../../index.ts';
import { h } from '../dom.ts';

/** 6 significant digits, no exponent for ordinary magnitudes. */
export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? 'NaN' : v > 0 ? '∞' : '−∞';
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a >= 1e-4 && a < 1e6 ? String(Number(v.toPrecision(6))) : v.toExponential(3);
}

const MAX_CELLS = 24;

/**
 * A tensor as a labelled table: a scalar as one number, a vector as one row, a matrix as rows;
 * large ones show their corners with "…" and a min / max / mean summary.
 */
export function tensorTable(name: string, t: Tensor): HTMLElement {
  const shape = t.shape.length === 0 ? 'scalar' : `[${t.shape.join(', ')}]`;
  const caption = h('div', { class: 'tensor-caption' }, [h('strong', { text: name }), ` ${shape}`]);
  if (t.shape.length === 0) return h('div', { class: 'tensor' }, [caption, h('div', { class: 'scalar', text: formatNumber(t.data[0]) })]);
  const rows = t.shape.length === 1 ? 1 : t.shape.slice(0, -1).reduce((a, b) => a * b, 1);
  const cols = t.shape[t.shape.length - 1];
  const pick = (n: number) => (n <= MAX_CELLS ? [...Array(n).keys()] : [...[...Array(MAX_CELLS / 2).keys()], -1, ...[...Array(MAX_CELLS / 2).keys()].map((i) => n - MAX_CELLS / 2 + i)]);
  const table = h('table', { class: 'tensor-table' });
  for (const r of pick(rows)) {
    const tr = h('tr');
    for (const c of pick(cols)) {
      const cell = r < 0 || c < 0 ? '…' : formatNumber(t.data[r * cols + c]);
      tr.append(h('td', { text: cell }));
    }
    table.append(tr);
  }
  const parts: Node[] = [caption, table];
  if (rows > MAX_CELLS || cols > MAX_CELLS) {
    let min = Infinity;
    let max = -Infinity;
    let sum = 0;
    for (const v of t.data) {
      min = Math.min(min, v);
      max = Math.max(max, v);
      sum += v;
    }
    parts.push(h('div', { class: 'tensor-summary', text: `min ${formatNumber(min)} · max ${formatNumber(max)} · mean ${formatNumber(sum / t.data.length)}` }));
  }
  return h('div', { class: 'tensor' }, parts);
}
