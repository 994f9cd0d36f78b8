import dagre from '@dagrejs/dagre';
import type { Tensor } from '../../index.ts';
import { svg } from '../dom.ts';
import type { DisplayGraph } from './graph-model.ts';
import { divergingColor, type Palette } from './jacobian-heatmap.ts';

// The Graph view's drawing: a dagre layout (top to bottom) turned into SVG boxes and curved edges,
// plus pan and zoom. It knows nothing about sweeps; the view sets classes and per-node data on it.

type NodeId = number;

/** Box geometry: titles are monospace, so their width follows from the character count. */
const CHAR = 7.9;
const BOX_HEIGHT = 60;
const PAD = 12;

export interface Box {
  readonly el: SVGGElement;
  /** Where the value and derivative strips go. */
  readonly data: SVGGElement;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

export interface Drawing {
  readonly content: SVGGElement;
  readonly width: number;
  readonly height: number;
  readonly boxes: ReadonlyMap<NodeId, Box>;
  readonly edges: readonly { readonly from: NodeId; readonly to: NodeId; readonly el: SVGPathElement }[];
}

/** Arrowhead markers for plain, forward and reverse edges; `prefix` keeps their ids unique in the page. */
export function arrowMarkers(prefix: string): SVGDefsElement {
  const defs = svg('defs');
  for (const kind of ['plain', 'fwd', 'rev']) {
    const marker = svg('marker', {
      id: `${prefix}-${kind}`, viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 9, markerHeight: 9,
      orient: 'auto-start-reverse', markerUnits: 'userSpaceOnUse',
    });
    marker.append(svg('path', { d: 'M 0 0 L 10 5 L 0 10 z', class: `arrow arrow-${kind}` }));
    defs.append(marker);
  }
  return defs;
}

/** A smooth path through dagre's edge points (quadratic pieces between midpoints). */
function curve(points: readonly { x: number; y: number }[]): string {
  let d = `M ${points[0].x} ${points[0].y}`;
  for (let i = 1; i < points.length - 1; i++) {
    const mid = { x: (points[i].x + points[i + 1].x) / 2, y: (points[i].y + points[i + 1].y) / 2 };
    d += ` Q ${points[i].x} ${points[i].y} ${i === points.length - 2 ? `${points[i + 1].x} ${points[i + 1].y}` : `${mid.x} ${mid.y}`}`;
  }
  if (points.length === 2) d += ` L ${points[1].x} ${points[1].y}`;
  return d;
}

/** Lays the graph out top to bottom and builds its SVG (boxes, titles, shapes, output rings, edges). */
export function drawGraph(model: DisplayGraph, markerPrefix: string): Drawing {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: 'TB', nodesep: 24, ranksep: 24, marginx: 16, marginy: 16 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const n of model.nodes) {
    const text = Math.max(n.title.length, n.shape.length + (n.outputs.length > 0 ? 10 + n.outputs.join(', ').length : 0), 15);
    g.setNode(String(n.id), { width: Math.round(text * CHAR + 2 * PAD), height: BOX_HEIGHT });
  }
  for (const e of model.edges) g.setEdge(String(e.from), String(e.to));
  dagre.layout(g);

  const content = svg('g', { class: 'graph-content' });
  const edgeLayer = svg('g', { class: 'edges' });
  const nodeLayer = svg('g', { class: 'nodes' });
  content.append(edgeLayer, nodeLayer);
  const edges = model.edges.map((e) => {
    const el = svg('path', { d: curve(g.edge(String(e.from), String(e.to)).points), class: 'gedge', 'data-from': e.from, 'data-to': e.to, 'marker-end': `url(#${markerPrefix}-plain)` });
    if (e.count > 1) el.append(svg('title', {}, `used ${e.count} times`));
    edgeLayer.append(el);
    return { from: e.from, to: e.to, el };
  });
  const boxes = new Map<NodeId, Box>();
  for (const n of model.nodes) {
    const { x, y, width, height } = g.node(String(n.id));
    const left = x - width / 2;
    const top = y - height / 2;
    const el = svg('g', { class: `gnode ${n.kind}${n.outputs.length > 0 ? ' output' : ''}`, 'data-node': n.id, transform: `translate(${left} ${top})` });
    const outputs = n.outputs.length > 0 ? ` · output ${n.outputs.join(', ')}` : '';
    el.append(svg('title', {}, `${n.title} ${n.shape}${outputs}`));
    if (n.outputs.length > 0) el.append(svg('rect', { class: 'ring', x: -4, y: -4, width: width + 8, height: height + 8, rx: n.kind === 'input' ? 22 : 9 }));
    el.append(
      svg('rect', { class: 'box', width, height, rx: n.kind === 'input' ? 18 : 5 }),
      svg('text', { class: 'title', x: width / 2, y: 16 }, n.title),
      svg('text', { class: 'shape', x: width / 2, y: 30 }, `${n.shape}${outputs}`),
    );
    const data = svg('g', { class: 'data' });
    el.append(data);
    nodeLayer.append(el);
    boxes.set(n.id, { el, data, x: left, y: top, width, height });
  }
  const { width = 0, height = 0 } = g.graph();
  return { content, width, height, boxes, edges };
}

const MAX_CELLS = 16;
/** Room for the "±0.0123" after a strip. */
const SCALE_TEXT = 46;

function format(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a >= 1e-3 && a < 1e4 ? String(Number(v.toPrecision(4))) : v.toExponential(2);
}

/** Two significant digits: "0.053", "2.5", "1.2e-5". */
function compact(v: number): string {
  return v >= 1e-3 && v < 1e4 ? String(Number(v.toPrecision(2))) : v.toExponential(1);
}

/**
 * Draws a node's numbers into its box: for a scalar the value and the derivative as text; for a
 * tensor a strip of cells each (up to 16 elements), colored on the diverging scale relative to that
 * strip's own largest magnitude, which is printed after it (a tangent or adjoint deep in the graph
 * can be orders of magnitude smaller than the seed, and would vanish on one shared scale).
 * A null tensor leaves its row empty.
 */
export function drawNodeData(box: Box, rows: readonly { symbol: string; tensor: Tensor | null }[], palette: Palette): void {
  box.data.replaceChildren();
  rows.forEach(({ symbol, tensor }, r) => {
    if (tensor === null) return;
    const y = 36 + r * 12;
    box.data.append(svg('text', { class: 'sym', x: 8, y: y + 9 }, symbol));
    if (tensor.shape.length === 0) {
      box.data.append(svg('text', { class: 'num', x: 24, y: y + 9 }, format(tensor.data[0])));
      return;
    }
    let scale = 0;
    for (const v of tensor.data) if (Number.isFinite(v)) scale = Math.max(scale, Math.abs(v));
    const n = tensor.data.length;
    const shown = Math.min(n, MAX_CELLS);
    const room = box.width - 24 - SCALE_TEXT - (n > shown ? 8 : 0);
    const cell = Math.min(12, room / shown);
    for (let i = 0; i < shown; i++) {
      const v = tensor.data[i];
      const rect = svg('rect', { class: 'cell', x: 24 + i * cell, y, width: Math.max(cell - 1, 1), height: 9, fill: divergingColor(scale > 0 ? v / scale : 0, palette) });
      rect.append(svg('title', {}, `${symbol}[${i}] = ${format(v)}`));
      box.data.append(rect);
    }
    const end = 24 + shown * cell;
    if (n > shown) box.data.append(svg('text', { class: 'more', x: end + 1, y: y + 9 }, '…'));
    box.data.append(svg('text', { class: 'scale', x: box.width - 6, y: y + 9 }, scale === 0 ? '0' : `±${compact(scale)}`));
  });
}

/** Wheel zoom (about the cursor), drag to pan, fit, and keeping a box in view. */
export class PanZoom {
  private k = 1;
  private tx = 0;
  private ty = 0;
  private drag: { x: number; y: number; tx: number; ty: number; moved: boolean } | null = null;

  constructor(private readonly svgEl: SVGSVGElement, private readonly target: () => SVGGElement | null, private readonly size: () => { width: number; height: number }) {
    svgEl.addEventListener('wheel', (e) => {
      e.preventDefault();
      const r = svgEl.getBoundingClientRect();
      this.zoomBy(Math.exp(-e.deltaY * 0.0015), e.clientX - r.left, e.clientY - r.top);
    }, { passive: false });
    svgEl.addEventListener('pointerdown', (e) => {
      if (e.button !== 0) return;
      this.drag = { x: e.clientX, y: e.clientY, tx: this.tx, ty: this.ty, moved: false };
    });
    svgEl.addEventListener('pointermove', (e) => {
      if (this.drag === null) return;
      const dx = e.clientX - this.drag.x;
      const dy = e.clientY - this.drag.y;
      if (!this.drag.moved && Math.hypot(dx, dy) < 4) return;
      if (!this.drag.moved) svgEl.setPointerCapture(e.pointerId);
      this.drag.moved = true;
      this.tx = this.drag.tx + dx;
      this.ty = this.drag.ty + dy;
      this.apply();
    });
    const end = () => {
      this.suppressClick = this.drag?.moved ?? false;
      this.drag = null;
    };
    svgEl.addEventListener('pointerup', end);
    svgEl.addEventListener('pointercancel', end);
    // A drag that ends on a node is not a click on it.
    svgEl.addEventListener('click', (e) => {
      if (this.suppressClick) e.stopPropagation();
      this.suppressClick = false;
    }, true);
  }

  private suppressClick = false;

  /**
   * 'all' shows the whole graph. 'auto' does too when that keeps the text legible (zoom ≥ 0.7);
   * otherwise it keeps a readable zoom, starts at the top, and leaves the rest to panning and to
   * `reveal`, which follows the sweep.
   */
  fit(mode: 'auto' | 'all' = 'all'): void {
    const { width, height } = this.size();
    const view = this.svgEl.getBoundingClientRect();
    if (width === 0 || view.width === 0) return;
    const whole = Math.min(1.15, view.width / width, view.height / height);
    const legible = mode === 'all' || whole >= 0.7;
    this.k = legible ? whole : 0.85;
    this.tx = (view.width - width * this.k) / 2;
    this.ty = legible ? (view.height - height * this.k) / 2 : 8;
    this.apply();
  }

  zoomBy(factor: number, cx?: number, cy?: number): void {
    const view = this.svgEl.getBoundingClientRect();
    const x = cx ?? view.width / 2;
    const y = cy ?? view.height / 2;
    const k = Math.min(4, Math.max(0.15, this.k * factor));
    this.tx = x - ((x - this.tx) * k) / this.k;
    this.ty = y - ((y - this.ty) * k) / this.k;
    this.k = k;
    this.apply();
  }

  /** Pans (without zooming) so the box is inside the view, if it is not already. */
  reveal(box: { x: number; y: number; width: number; height: number }): void {
    const view = this.svgEl.getBoundingClientRect();
    const left = box.x * this.k + this.tx;
    const top = box.y * this.k + this.ty;
    const right = left + box.width * this.k;
    const bottom = top + box.height * this.k;
    if (left >= 0 && top >= 0 && right <= view.width && bottom <= view.height) return;
    this.tx += view.width / 2 - (left + right) / 2;
    this.ty += view.height / 2 - (top + bottom) / 2;
    this.apply();
  }

  private apply(): void {
    this.target()?.setAttribute('transform', `translate(${this.tx} ${this.ty}) scale(${this.k})`);
  }
}
