import { elementName, formatShape } from './graph-model.ts';
import './jacobian.css';

// The Jacobian as a heatmap on a canvas we draw ourselves. Why not chartjs-chart-matrix: it makes one
// Chart.js element per cell (4096 objects with animation and tooltip state), and everything this view
// is about (block separators and labels per (output, input), a dimmed matrix with one column or row
// lit, the single JVP/VJP drawn beside it) would be custom plugins anyway. Filling rectangles is a few
// lines, redraws instantly when the highlight moves, and keeps hover text in our own notation.

type Rgb = readonly [number, number, number];

/** The diverging scale's three anchors (negative, zero, positive), from the theme's CSS variables. */
export interface Palette {
  readonly neg: Rgb;
  readonly mid: Rgb;
  readonly pos: Rgb;
}

const LIGHT: Palette = { neg: [33, 102, 172], mid: [247, 247, 247], pos: [178, 24, 43] };

function parseHex(text: string, fallback: Rgb): Rgb {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(text.trim());
  return m === null ? fallback : [parseInt(m[1], 16), parseInt(m[2], 16), parseInt(m[3], 16)];
}

/** The palette of the current theme (--heat-neg, --heat-mid, --heat-pos). */
export function heatPalette(): Palette {
  const style = getComputedStyle(document.documentElement);
  return {
    neg: parseHex(style.getPropertyValue('--heat-neg'), LIGHT.neg),
    mid: parseHex(style.getPropertyValue('--heat-mid'), LIGHT.mid),
    pos: parseHex(style.getPropertyValue('--heat-pos'), LIGHT.pos),
  };
}

/**
 * Color of t ∈ [−1, 1] on the diverging scale: blue negative, neutral zero, red positive. The
 * intensity grows with √|t|, so entries a hundredth of the largest still show (derivatives span
 * orders of magnitude); the legends mark ±¼ of the range at the scale's midpoints to say so.
 */
export function divergingColor(t: number, palette: Palette = LIGHT): string {
  const u = Math.max(-1, Math.min(1, Number.isFinite(t) ? t : 0));
  const end = u < 0 ? palette.neg : palette.pos;
  const a = Math.sqrt(Math.abs(u));
  const c = palette.mid.map((m, i) => Math.round(m + (end[i] - m) * a));
  return `rgb(${c[0]}, ${c[1]}, ${c[2]})`;
}

/** A run of rows (one output) or columns (one input) of the Jacobian. */
export interface Span {
  readonly name: string;
  readonly shape: readonly number[];
  readonly start: number;
  readonly size: number;
}

/** The matrix to draw: m × n values in blocks, the rows grouped by output and the columns by input. */
export interface HeatmapData {
  readonly rows: readonly Span[];
  readonly cols: readonly Span[];
  /** Row-major m × n. */
  readonly values: Float64Array;
}

/** A lit column (a JVP's result) or row (a VJP's), and optionally that pass's own numbers drawn beside it. */
export interface Highlight {
  readonly kind: 'col' | 'row';
  readonly index: number;
  readonly probe: Float64Array | null;
}

function spanAt(spans: readonly Span[], i: number): { span: Span; offset: number } {
  const span = spans.find((s) => i >= s.start && i < s.start + s.size)!;
  return { span, offset: i - span.start };
}

const FONT = '12px system-ui, sans-serif';
const LABEL_ROW = 15;

/** Draws the heatmap and answers what is under the pointer. */
export class Heatmap {
  readonly canvas: HTMLCanvasElement;
  readonly m: number;
  readonly n: number;
  readonly maxAbs: number;
  private cell = 12;
  private left = 0;
  private top = 0;
  private labelRows: number[] = [];

  constructor(readonly data: HeatmapData) {
    this.canvas = document.createElement('canvas');
    this.m = data.rows.reduce((s, r) => s + r.size, 0);
    this.n = data.cols.reduce((s, c) => s + c.size, 0);
    let max = 0;
    for (const v of data.values) if (Number.isFinite(v)) max = Math.max(max, Math.abs(v));
    this.maxAbs = max;
  }

  /** "∂y[2]/∂W1[1,3] = 0.0123" for cell (r, c). */
  describe(r: number, c: number, format: (v: number) => string): string {
    const row = spanAt(this.data.rows, r);
    const col = spanAt(this.data.cols, c);
    return `∂${elementName(row.span.name, row.span.shape, row.offset)}/∂${elementName(col.span.name, col.span.shape, col.offset)} = ${format(this.data.values[r * this.n + c])}`;
  }

  /** The (output, input) block holding cell (r, c): "block ∂y/∂W1, 3 × 20". */
  block(r: number, c: number): string {
    const row = spanAt(this.data.rows, r).span;
    const col = spanAt(this.data.cols, c).span;
    return `block ∂${row.name}/∂${col.name}, ${row.size} × ${col.size}`;
  }

  /** The cell under a point in client coordinates, or null. */
  cellAt(clientX: number, clientY: number): { r: number; c: number } | null {
    const rect = this.canvas.getBoundingClientRect();
    const c = Math.floor((clientX - rect.left - this.left) / this.cell);
    const r = Math.floor((clientY - rect.top - this.top) / this.cell);
    return r >= 0 && r < this.m && c >= 0 && c < this.n ? { r, c } : null;
  }

  /** Client coordinates of the center of cell (r, c). */
  cellCenter(r: number, c: number): { x: number; y: number } {
    const rect = this.canvas.getBoundingClientRect();
    return { x: rect.left + this.left + (c + 0.5) * this.cell, y: rect.top + this.top + (r + 0.5) * this.cell };
  }

  /** Sizes cells to fit `width` CSS pixels (3 to 32 px per cell, so the biggest matrices scroll). */
  layout(width: number): void {
    const ctx = this.canvas.getContext('2d')!;
    ctx.font = FONT;
    const rowLabel = Math.max(...this.data.rows.map((r) => ctx.measureText(this.rowLabel(r)).width));
    this.left = Math.ceil(rowLabel) + 16;
    const room = width - this.left - 70;
    this.cell = Math.max(3, Math.min(32, Math.floor(room / this.n), Math.floor(560 / this.m)));
    // Column labels go on the first of up to four rows where they do not overlap a neighbour.
    const ends: number[] = [];
    this.labelRows = this.data.cols.map((col) => {
      const w = ctx.measureText(this.colLabel(col)).width;
      const x0 = this.left + (col.start + col.size / 2) * this.cell - w / 2;
      let row = ends.findIndex((end) => end < x0 - 6);
      if (row === -1) row = Math.min(ends.length, 3);
      ends[row] = x0 + w;
      return row;
    });
    this.top = (Math.max(0, ...this.labelRows) + 1) * LABEL_ROW + 8;
    const cssW = this.left + this.n * this.cell + 70;
    const cssH = this.top + this.m * this.cell + this.cell + 30;
    const dpr = window.devicePixelRatio || 1;
    this.canvas.width = Math.round(cssW * dpr);
    this.canvas.height = Math.round(cssH * dpr);
    this.canvas.style.width = `${cssW}px`;
    this.canvas.style.height = `${cssH}px`;
    // The geometry, for tests and tools that point at cells.
    Object.assign(this.canvas.dataset, { rows: String(this.m), cols: String(this.n), cell: String(this.cell), left: String(this.left), top: String(this.top) });
  }

  private rowLabel(row: Span): string {
    return row.shape.length === 0 ? row.name : `${row.name} ${formatShape(row.shape)}`;
  }

  private colLabel(col: Span): string {
    return col.size * this.cell >= 70 ? `${col.name} ${formatShape(col.shape)}` : col.name;
  }

  /** Redraws everything: cells, block grid and labels, the lit column or row with its pass, the cursor. */
  draw(highlight: Highlight | null, cursor: { r: number; c: number } | null): void {
    const ctx = this.canvas.getContext('2d')!;
    const dpr = window.devicePixelRatio || 1;
    const style = getComputedStyle(this.canvas);
    const color = (name: string) => style.getPropertyValue(name).trim() || '#888';
    const palette = heatPalette();
    const { cell, left, top, m, n } = this;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    ctx.font = FONT;
    const scale = this.maxAbs > 0 ? 1 / this.maxAbs : 0;
    const gap = cell >= 8 ? 1 : 0;
    for (let r = 0; r < m; r++) {
      for (let c = 0; c < n; c++) {
        const v = this.data.values[r * n + c];
        if (v === 0) continue;
        ctx.fillStyle = divergingColor(v * scale, palette);
        ctx.fillRect(left + c * cell, top + r * cell, cell - gap, cell - gap);
      }
    }
    const sweep = highlight?.kind === 'col' ? color('--forward') : color('--reverse');
    if (highlight !== null) {
      // Dim everything but the lit column or row.
      ctx.fillStyle = color('--panel');
      ctx.globalAlpha = 0.5;
      if (highlight.kind === 'col') {
        ctx.fillRect(left, top, highlight.index * cell, m * cell);
        ctx.fillRect(left + (highlight.index + 1) * cell, top, (n - highlight.index - 1) * cell, m * cell);
      } else {
        ctx.fillRect(left, top, n * cell, highlight.index * cell);
        ctx.fillRect(left, top + (highlight.index + 1) * cell, n * cell, (m - highlight.index - 1) * cell);
      }
      ctx.globalAlpha = 1;
    }
    // Block grid and labels.
    ctx.strokeStyle = color('--muted');
    ctx.lineWidth = 1;
    ctx.strokeRect(left - 0.5, top - 0.5, n * cell + 1, m * cell + 1);
    ctx.fillStyle = color('--text');
    ctx.textBaseline = 'middle';
    ctx.textAlign = 'right';
    for (const row of this.data.rows) {
      if (row.start > 0) this.line(ctx, left - 6, top + row.start * cell, left + n * cell, top + row.start * cell);
      ctx.fillText(this.rowLabel(row), left - 8, top + (row.start + row.size / 2) * cell);
    }
    ctx.textAlign = 'center';
    this.data.cols.forEach((col, i) => {
      if (col.start > 0) this.line(ctx, left + col.start * cell, top - 6, left + col.start * cell, top + m * cell);
      ctx.fillText(this.colLabel(col), left + (col.start + col.size / 2) * cell, 8 + this.labelRows[i] * LABEL_ROW);
    });
    if (highlight !== null) this.drawHighlight(ctx, highlight, sweep, palette, scale);
    if (cursor !== null) {
      const row = spanAt(this.data.rows, cursor.r).span;
      const col = spanAt(this.data.cols, cursor.c).span;
      ctx.strokeStyle = color('--text');
      ctx.lineWidth = 1;
      ctx.setLineDash([4, 3]);
      ctx.strokeRect(left + col.start * cell - 0.5, top + row.start * cell - 0.5, col.size * cell, row.size * cell);
      ctx.setLineDash([]);
      ctx.lineWidth = 2;
      ctx.strokeRect(left + cursor.c * cell - 1, top + cursor.r * cell - 1, cell + 1, cell + 1);
    }
  }

  private drawHighlight(ctx: CanvasRenderingContext2D, h: Highlight, sweep: string, palette: Palette, scale: number): void {
    const { cell, left, top, m, n } = this;
    ctx.strokeStyle = sweep;
    ctx.fillStyle = sweep;
    ctx.lineWidth = 2.5;
    ctx.textAlign = 'left';
    if (h.kind === 'col') {
      ctx.strokeRect(left + h.index * cell - 1.5, top - 1.5, cell + 2, m * cell + 3);
      if (h.probe === null) return;
      // The JVP's own result, one value per row, right of the matrix.
      const x = left + n * cell + 14;
      h.probe.forEach((v, r) => {
        if (v === 0) return;
        ctx.fillStyle = divergingColor(v * scale, palette);
        ctx.fillRect(x, top + r * cell, cell - (cell >= 8 ? 1 : 0), cell - (cell >= 8 ? 1 : 0));
      });
      ctx.strokeStyle = sweep;
      ctx.strokeRect(x - 1.5, top - 1.5, cell + 2, m * cell + 3);
      ctx.fillStyle = sweep;
      ctx.textAlign = 'center';
      ctx.fillText('J·e', x + cell / 2, top - 9);
    } else {
      ctx.strokeRect(left - 1.5, top + h.index * cell - 1.5, n * cell + 3, cell + 2);
      if (h.probe === null) return;
      // The VJP's own result, one value per column, under the matrix.
      const y = top + m * cell + 14;
      h.probe.forEach((v, c) => {
        if (v === 0) return;
        ctx.fillStyle = divergingColor(v * scale, palette);
        ctx.fillRect(left + c * cell, y, cell - (cell >= 8 ? 1 : 0), cell - (cell >= 8 ? 1 : 0));
      });
      ctx.strokeStyle = sweep;
      ctx.strokeRect(left - 1.5, y - 1.5, n * cell + 3, cell + 2);
      ctx.fillStyle = sweep;
      ctx.textAlign = 'right';
      ctx.fillText('eᵀJ', left - 8, y + cell / 2);
    }
  }

  private line(ctx: CanvasRenderingContext2D, x0: number, y0: number, x1: number, y1: number): void {
    ctx.beginPath();
    ctx.moveTo(Math.round(x0) - 0.5, Math.round(y0) - 0.5);
    ctx.lineTo(Math.round(x1) - 0.5, Math.round(y1) - 0.5);
    ctx.stroke();
  }
}
