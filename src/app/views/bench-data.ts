// The Benchmark view's numbers, kept apart from the DOM and Chart.js so they can be tested in Node:
// CSV, the remaining-time estimate, the FLOP model scaled to measured time, chart series and colours.
import type { BenchBackend, BenchPoint, PlannedPoint } from '../engine/bench-task.ts';

/** The CSV columns, in order: plain identifiers and numbers only, no units. */
const CSV_COLUMNS: readonly [string, (p: BenchPoint) => number | string | null][] = [
  ['backend', (p) => p.backend],
  ['dtype', (p) => p.dtype],
  ['n', (p) => p.n],
  ['m', (p) => p.m],
  ['jacobian_cols', (p) => p.cols],
  ['jacobian_rows', (p) => p.rows],
  ['fwd_ms', (p) => p.fwdMs],
  ['rev_ms', (p) => p.revMs],
  ['fwd_over_rev', (p) => ratio(p.fwdMs, p.revMs)],
  ['primal_ms', (p) => p.primalMs],
  ['jvp_ms', (p) => p.jvpMs],
  ['vjp_ms', (p) => p.vjpMs],
  ['jvp_over_primal', (p) => ratio(p.jvpMs, p.primalMs)],
  ['vjp_over_primal', (p) => ratio(p.vjpMs, p.primalMs)],
  ['fwd_flops', (p) => p.fwdFlops],
  ['rev_flops', (p) => p.revFlops],
  ['primal_flops', (p) => p.primalFlops],
  ['jvp_flops', (p) => p.jvpFlops],
  ['vjp_flops', (p) => p.vjpFlops],
  ['fwd_passes', (p) => p.fwdPasses],
  ['rev_passes', (p) => p.revPasses],
  ['runs', (p) => p.runs],
];

/** a / b, or null when either is missing or b is 0. */
export function ratio(a: number | null, b: number | null): number | null {
  return a === null || b === null || b === 0 ? null : a / b;
}

/** One row per point under a header row; a missing value is an empty cell. */
export function toCsv(points: readonly BenchPoint[]): string {
  const cell = (v: number | string | null) => (v === null ? '' : typeof v === 'number' ? (Number.isFinite(v) ? String(Number(v.toPrecision(6))) : '') : v);
  const lines = [CSV_COLUMNS.map(([name]) => name).join(',')];
  for (const p of points) lines.push(CSV_COLUMNS.map(([, get]) => cell(get(p))).join(','));
  return `${lines.join('\n')}\n`;
}

/** time ≈ fixedMs + flops · msPerFlop, fitted to finished points. */
export interface TimeFit {
  readonly fixedMs: number;
  readonly msPerFlop: number;
}

/**
 * Least-squares fit of time against FLOPs, both coefficients kept non-negative: each point has a fixed
 * cost (dispatch, allocation, timer loops) and a cost proportional to its work. With one point, or a
 * fit that would need a negative coefficient, the time is taken as proportional to the work alone.
 */
export function fitTime(done: readonly { readonly work: number; readonly ms: number }[]): TimeFit | null {
  if (done.length === 0) return null;
  const sumW = done.reduce((s, d) => s + d.work, 0);
  const sumMs = done.reduce((s, d) => s + d.ms, 0);
  const proportional = { fixedMs: 0, msPerFlop: sumW > 0 ? sumMs / sumW : 0 };
  if (sumW === 0) return { fixedMs: sumMs / done.length, msPerFlop: 0 };
  if (done.length < 2) return proportional;
  const k = done.length;
  const meanW = sumW / k;
  const meanMs = sumMs / k;
  let cov = 0;
  let varW = 0;
  for (const d of done) {
    cov += (d.work - meanW) * (d.ms - meanMs);
    varW += (d.work - meanW) ** 2;
  }
  if (varW === 0) return proportional;
  const msPerFlop = cov / varW;
  const fixedMs = meanMs - msPerFlop * meanW;
  if (msPerFlop <= 0) return { fixedMs: meanMs, msPerFlop: 0 };
  if (fixedMs < 0) return proportional;
  return { fixedMs, msPerFlop };
}

/**
 * Milliseconds left: each remaining point's FLOP work at the rate measured on its backend so far
 * (the other backends' rate when its own has no point yet). Null before any point has finished.
 */
export function estimateRemainingMs(done: readonly (PlannedPoint & { readonly ms: number })[], remaining: readonly PlannedPoint[]): number | null {
  const overall = fitTime(done);
  if (overall === null) return null;
  const fits = new Map<BenchBackend, TimeFit>();
  for (const backend of new Set(done.map((d) => d.backend))) fits.set(backend, fitTime(done.filter((d) => d.backend === backend))!);
  let ms = 0;
  for (const r of remaining) {
    const fit = fits.get(r.backend) ?? overall;
    ms += fit.fixedMs + fit.msPerFlop * r.work;
  }
  return ms;
}

/** The time still to wait, for a status line: "under a second left", "about 12 s left", "about 3 min left". */
export function timeLeft(ms: number): string {
  const s = ms / 1000;
  if (s < 1) return 'under a second left';
  if (s < 90) return `about ${Math.round(s)} s left`;
  if (s < 90 * 60) return `about ${Math.round(s / 60)} min left`;
  return `about ${(s / 3600).toFixed(1)} h left`;
}

/**
 * The factor that turns the FLOP model into milliseconds on one backend: the geometric mean of
 * measured ms / modelled FLOPs over both modes, which is the best fit of a line of slope 1 on a
 * log-log chart. One factor for both modes, so the dashed lines keep the model's own fwd/rev ratio.
 */
export function modelScale(pairs: readonly { readonly flops: number; readonly ms: number | null }[]): number | null {
  const logs = pairs.filter((p) => p.ms !== null && p.ms > 0 && p.flops > 0).map((p) => Math.log(p.ms! / p.flops));
  if (logs.length === 0) return null;
  return Math.exp(logs.reduce((s, x) => s + x, 0) / logs.length);
}

/** Both modes' (FLOPs, ms) pairs of one backend's points, for `modelScale`. */
export function scalePairs(points: readonly BenchPoint[], backend: BenchBackend): { flops: number; ms: number | null }[] {
  return points.filter((p) => p.backend === backend).flatMap((p) => [{ flops: p.fwdFlops, ms: p.fwdMs }, { flops: p.revFlops, ms: p.revMs }]);
}

/** Which line through the grid the width charts follow. */
export type Slice =
  | { readonly kind: 'diagonal' }
  | { readonly kind: 'vary-n'; readonly m: number | null }
  | { readonly kind: 'vary-m'; readonly n: number };

/** The slices a grid offers: the diagonal n = m when both axes share values, every row and every column. */
export function slicesFor(ns: readonly number[], ms: readonly number[] | null): Slice[] {
  if (ms === null || ms.length === 0) return [{ kind: 'vary-n', m: null }];
  const shared = ns.filter((n) => ms.includes(n));
  return [
    ...(shared.length >= 2 ? [{ kind: 'diagonal' } as const] : []),
    ...[...ms].reverse().map((m) => ({ kind: 'vary-n', m }) as const),
    ...[...ns].reverse().map((n) => ({ kind: 'vary-m', n }) as const),
  ];
}

export function sliceKey(s: Slice): string {
  switch (s.kind) {
    case 'diagonal': return 'diagonal';
    case 'vary-n': return `vary-n:${s.m ?? ''}`;
    case 'vary-m': return `vary-m:${s.n}`;
    default: return s satisfies never;
  }
}

export function sliceLabel(s: Slice, nName: string, mName: string | null): string {
  switch (s.kind) {
    case 'diagonal': return `${nName} = ${mName} (diagonal)`;
    case 'vary-n': return s.m === null ? `vary ${nName}` : `vary ${nName}, ${mName} = ${s.m}`;
    case 'vary-m': return `vary ${mName}, ${nName} = ${s.n}`;
    default: return s satisfies never;
  }
}

/** A slice's points of one backend, ordered by the width that varies (`x`). */
export function slicePoints(points: readonly BenchPoint[], slice: Slice, backend: BenchBackend): { x: number; point: BenchPoint }[] {
  const on = points.filter((p) => p.backend === backend);
  const picked = (() => {
    switch (slice.kind) {
      case 'diagonal': return on.filter((p) => p.n === p.m).map((p) => ({ x: p.n, point: p }));
      case 'vary-n': return on.filter((p) => p.m === slice.m).map((p) => ({ x: p.n, point: p }));
      case 'vary-m': return on.filter((p) => p.n === slice.n && p.m !== null).map((p) => ({ x: p.m!, point: p }));
      default: return slice satisfies never;
    }
  })();
  return picked.sort((a, b) => a.x - b.x);
}

/** One cell of the crossover heatmap: forward time / reverse time (> 1: reverse mode is faster). */
export interface HeatCell {
  readonly n: number;
  readonly m: number;
  readonly ratio: number;
}

/** Where the heatmap's ratios come from: a backend's measurements, or the FLOP model. */
export type HeatSource = BenchBackend | 'model';

export function heatCells(points: readonly BenchPoint[], source: HeatSource): HeatCell[] {
  const cells: HeatCell[] = [];
  const seen = new Set<string>();
  for (const p of points) {
    if (p.m === null) continue;
    const r = source === 'model' ? ratio(p.fwdFlops, p.revFlops) : p.backend === source ? ratio(p.fwdMs, p.revMs) : null;
    const key = `${p.n},${p.m}`;
    if (r === null || !(r > 0) || seen.has(key)) continue;
    seen.add(key);
    cells.push({ n: p.n, m: p.m, ratio: r });
  }
  return cells;
}

/** A line segment in grid-index coordinates (cell centres at integers). */
export type Segment = readonly [readonly [number, number], readonly [number, number]];

/**
 * The ratio = 1 contour over the grid (marching squares on log ratio, cell centres at integer
 * coordinates, crossings linearly interpolated). A ratio of exactly 1 counts as just above, so a
 * diagonal of ties draws a line through their centres. A grid one cell wide gets a short bar across
 * each crossing instead. Squares with an unmeasured corner are skipped.
 */
export function crossoverContour(cells: readonly HeatCell[], ns: readonly number[], ms: readonly number[]): Segment[] {
  const level = new Map(cells.map((c) => [`${ns.indexOf(c.n)},${ms.indexOf(c.m)}`, Math.log2(c.ratio) || 1e-9]));
  const at = (i: number, j: number) => level.get(`${i},${j}`);
  /** Where the contour crosses the edge from (i, j) to (k, l), if it does. */
  const crossing = (i: number, j: number, k: number, l: number): [number, number] | null => {
    const a = at(i, j);
    const b = at(k, l);
    if (a === undefined || b === undefined || a * b > 0) return null;
    const t = a / (a - b);
    return [i + t * (k - i), j + t * (l - j)];
  };
  const segments: Segment[] = [];
  if (ns.length === 1 || ms.length === 1) {
    for (let i = 0; i < ns.length; i++) {
      for (let j = 0; j < ms.length; j++) {
        const across = crossing(i, j, i + 1, j);
        if (across) segments.push([[across[0], across[1] - 0.5], [across[0], across[1] + 0.5]]);
        const up = crossing(i, j, i, j + 1);
        if (up) segments.push([[up[0] - 0.5, up[1]], [up[0] + 0.5, up[1]]]);
      }
    }
    return segments;
  }
  for (let i = 0; i + 1 < ns.length; i++) {
    for (let j = 0; j + 1 < ms.length; j++) {
      if ([at(i, j), at(i + 1, j), at(i, j + 1), at(i + 1, j + 1)].includes(undefined)) continue;
      // Around the square: bottom, right, top, left.
      const points = [crossing(i, j, i + 1, j), crossing(i + 1, j, i + 1, j + 1), crossing(i, j + 1, i + 1, j + 1), crossing(i, j, i, j + 1)].filter((p) => p !== null);
      if (points.length === 2) segments.push([points[0], points[1]]);
      if (points.length === 4) segments.push([points[0], points[1]], [points[2], points[3]]);
    }
  }
  return segments;
}

/** Colour scale limit: ratios beyond 2^±RATIO_OCTAVES get the full colour. */
export const RATIO_OCTAVES = 4;

/** Where a ratio sits on the diverging scale: -1 (forward 16× faster) … 0 (equal) … 1 (reverse 16× faster). */
export function divergingPosition(r: number): number {
  return Math.max(-1, Math.min(1, Math.log2(r) / RATIO_OCTAVES));
}

type Rgb = readonly [number, number, number];

/** '#rgb' or '#rrggbb' (CSS variables here are hex), or 'rgb(r, g, b)'. */
export function parseColor(css: string): Rgb {
  const s = css.trim();
  const hex = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(s);
  if (hex) {
    const h = hex[1].length === 3 ? [...hex[1]].map((c) => c + c).join('') : hex[1];
    return [0, 2, 4].map((i) => parseInt(h.slice(i, i + 2), 16)) as unknown as Rgb;
  }
  const rgb = /^rgba?\(\s*(\d+)[\s,]+(\d+)[\s,]+(\d+)/i.exec(s);
  if (rgb) return [Number(rgb[1]), Number(rgb[2]), Number(rgb[3])];
  return [128, 128, 128];
}

/** The diverging colour of a position t in [-1, 1]: `negative` at -1, `middle` at 0, `positive` at 1. */
export function divergingColor(t: number, negative: string, middle: string, positive: string): string {
  const [from, to] = [parseColor(middle), parseColor(t < 0 ? negative : positive)];
  const a = Math.min(1, Math.abs(t));
  const mix = from.map((c, i) => Math.round(c + (to[i] - c) * a));
  return `rgb(${mix[0]}, ${mix[1]}, ${mix[2]})`;
}

/** A ratio for a chart label: "16×", "1.5×", "0.25×". */
export function formatRatio(r: number): string {
  return r >= 10 ? `${Math.round(r)}×` : r >= 1 ? `${r.toFixed(1)}×` : `${r.toPrecision(2)}×`;
}
