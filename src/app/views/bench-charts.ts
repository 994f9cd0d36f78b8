// The Benchmark view's three Chart.js charts: time against width (measured and the FLOP model), the
// forward/reverse crossover over the n × m grid, and JVP/VJP cost relative to the primal. Colours and
// font sizes come from the page's CSS variables, so the charts follow the theme and large-text mode.
import {
  Chart, LinearScale, LineController, LineElement, LogarithmicScale, PointElement, Legend, Title, Tooltip,
  type ChartDataset, type Plugin, type ScaleOptions, type TooltipItem,
} from 'chart.js';
import { MatrixController, MatrixElement } from 'chartjs-chart-matrix';
import type { BenchBackend, BenchPoint } from '../engine/bench-task.ts';
import {
  crossoverContour, divergingColor, divergingPosition, formatRatio, heatCells, modelScale, RATIO_OCTAVES, ratio, scalePairs, slicePoints,
  type HeatCell, type HeatSource, type Slice,
} from './bench-data.ts';

Chart.register(LineController, LineElement, PointElement, LinearScale, LogarithmicScale, Legend, Title, Tooltip, MatrixController, MatrixElement);

/** The page's colours and text size, read from CSS variables. */
export interface Theme {
  readonly text: string;
  readonly muted: string;
  readonly border: string;
  readonly panel: string;
  readonly forward: string;
  readonly reverse: string;
  readonly fontSize: number;
}

export function readTheme(): Theme {
  const css = getComputedStyle(document.documentElement);
  const v = (name: string, fallback: string) => css.getPropertyValue(name).trim() || fallback;
  return {
    text: v('--text', '#1d2433'),
    muted: v('--muted', '#5b6475'),
    border: v('--border', '#d8dce4'),
    panel: v('--panel', '#ffffff'),
    forward: v('--forward', '#1f8a5b'),
    reverse: v('--reverse', '#c2410c'),
    fontSize: Math.round(0.85 * (parseFloat(v('--font-size', '15px')) || 15)),
  };
}

/** What the charts show. */
export interface ChartInput {
  readonly points: readonly BenchPoint[];
  readonly ns: readonly number[];
  readonly ms: readonly number[] | null;
  readonly nName: string;
  readonly mName: string | null;
  readonly slice: Slice;
  readonly heatSource: HeatSource;
}

const BACKEND_LABEL: Record<BenchBackend, string> = { cpu: 'CPU', webgpu: 'WebGPU' };
const POINT_STYLE: Record<BenchBackend, 'circle' | 'triangle'> = { cpu: 'circle', webgpu: 'triangle' };

const backendsOf = (points: readonly BenchPoint[]) => (['cpu', 'webgpu'] as const).filter((b) => points.some((p) => p.backend === b));

function sliceAxisTitle(input: ChartInput): string {
  switch (input.slice.kind) {
    case 'diagonal': return `${input.nName} = ${input.mName} (log scale)`;
    case 'vary-n': return `${input.nName}${input.slice.m === null ? '' : `, with ${input.mName} = ${input.slice.m}`} (log scale)`;
    case 'vary-m': return `${input.mName}, with ${input.nName} = ${input.slice.n} (log scale)`;
    default: return input.slice satisfies never;
  }
}

/** The canvas gets the panel's colour behind it, so a PNG export is readable in either theme. */
export const background = (theme: () => Theme): Plugin => ({
  id: 'panelBackground',
  beforeDraw(chart) {
    const { ctx } = chart;
    ctx.save();
    ctx.fillStyle = theme().panel;
    ctx.fillRect(0, 0, chart.width, chart.height);
    ctx.restore();
  },
});

export function baseOptions(t: Theme) {
  return {
    animation: false as const,
    responsive: true,
    maintainAspectRatio: false,
    color: t.text,
    font: { size: t.fontSize },
    plugins: {
      legend: { labels: { color: t.text, font: { size: t.fontSize }, usePointStyle: true, filter: (item: { text: string }) => !item.text.includes('model') } },
      tooltip: { titleFont: { size: t.fontSize }, bodyFont: { size: t.fontSize } },
    },
  };
}

type LogAxis = ScaleOptions<'logarithmic'>;
type LinearAxis = ScaleOptions<'linear'>;

/** Room at either end of a width axis: a quarter octave. */
const EDGE = 2 ** 0.25;

function logAxis(t: Theme, title: string, ticks: readonly number[] | null, format: (v: number) => string): LogAxis {
  return {
    type: 'logarithmic',
    title: { display: true, text: title, color: t.text, font: { size: t.fontSize } },
    grid: { color: t.border },
    border: { color: t.muted },
    ticks: { color: t.text, font: { size: t.fontSize }, autoSkip: true, callback: (v) => format(Number(v)) },
    // Powers of two on the width axis, never 3 or 30: the grid has no such widths. The axis spans the
    // whole sweep from the start (ticks past the data's range would be drawn outside the plot), with a
    // quarter octave either side so the end points are not cut by the plot's edge.
    ...(ticks && ticks.length > 0 ? {
      min: ticks[0] / EDGE,
      max: ticks[ticks.length - 1] * EDGE,
      afterBuildTicks: (axis: { ticks: { value: number }[] }) => { axis.ticks = ticks.map((value) => ({ value })); },
    } : {}),
  };
}

/** "0.05 ms", "12 ms", "1.2 s" for a log time axis: only 1-2-5 steps are labelled. */
export function formatMs(v: number): string {
  const lead = v / 10 ** Math.floor(Math.log10(v) + 1e-9);
  if (![1, 2, 5].some((d) => Math.abs(lead - d) < 1e-6)) return '';
  return v >= 1000 ? `${v / 1000} s` : `${Number(v.toPrecision(2))} ms`;
}

/** Chart (a): full-Jacobian time against width by both modes; measured solid, FLOP model dashed. */
function timeDatasets(input: ChartInput, t: Theme): ChartDataset<'line'>[] {
  const datasets: ChartDataset<'line'>[] = [];
  for (const backend of backendsOf(input.points)) {
    const scale = modelScale(scalePairs(input.points, backend));
    const series = slicePoints(input.points, input.slice, backend);
    for (const mode of ['fwd', 'rev'] as const) {
      const color = mode === 'fwd' ? t.forward : t.reverse;
      const name = `${mode === 'fwd' ? 'forward (n JVPs)' : 'reverse (m VJPs)'} · ${BACKEND_LABEL[backend]}`;
      const ms = (p: BenchPoint) => (mode === 'fwd' ? p.fwdMs : p.revMs);
      const flops = (p: BenchPoint) => (mode === 'fwd' ? p.fwdFlops : p.revFlops);
      datasets.push({
        label: name,
        data: series.filter(({ point }) => ms(point) !== null && ms(point)! > 0).map(({ x, point }) => ({ x, y: ms(point)! })),
        borderColor: color, backgroundColor: color, borderWidth: 2.5, pointStyle: POINT_STYLE[backend], pointRadius: 5,
      });
      if (scale !== null) {
        datasets.push({
          label: `${name} · FLOP model`,
          data: series.filter(({ point }) => flops(point) > 0).map(({ x, point }) => ({ x, y: flops(point) * scale })),
          borderColor: color, backgroundColor: color, borderWidth: 1.5, borderDash: [7, 5], pointRadius: 0,
        });
      }
    }
  }
  return datasets;
}

/** Chart (c): one JVP and one VJP relative to one primal run; measured solid, FLOP model dashed. */
function primalDatasets(input: ChartInput, t: Theme): ChartDataset<'line'>[] {
  const datasets: ChartDataset<'line'>[] = [];
  const backends = backendsOf(input.points);
  for (const backend of backends) {
    const series = slicePoints(input.points, input.slice, backend);
    for (const mode of ['jvp', 'vjp'] as const) {
      const color = mode === 'jvp' ? t.forward : t.reverse;
      datasets.push({
        label: `${mode === 'jvp' ? 'one JVP' : 'one VJP'} ÷ primal · ${BACKEND_LABEL[backend]}`,
        data: series.flatMap(({ x, point }) => {
          const r = ratio(mode === 'jvp' ? point.jvpMs : point.vjpMs, point.primalMs);
          return r === null ? [] : [{ x, y: r }];
        }),
        borderColor: color, backgroundColor: color, borderWidth: 2.5, pointStyle: POINT_STYLE[backend], pointRadius: 5,
      });
    }
  }
  // The FLOP model does not depend on the backend: one dashed line per mode.
  const series = backends.length > 0 ? slicePoints(input.points, input.slice, backends[0]) : [];
  for (const mode of ['jvp', 'vjp'] as const) {
    const color = mode === 'jvp' ? t.forward : t.reverse;
    datasets.push({
      label: `${mode === 'jvp' ? 'JVP' : 'VJP'} FLOP model`,
      data: series.flatMap(({ x, point }) => {
        const r = ratio(mode === 'jvp' ? point.jvpFlops : point.vjpFlops, point.primalFlops);
        return r === null ? [] : [{ x, y: r }];
      }),
      borderColor: color, backgroundColor: color, borderWidth: 1.5, borderDash: [7, 5], pointRadius: 0,
    });
  }
  return datasets;
}

const TOOLTIP_MS = (item: TooltipItem<'line'>) => `${item.dataset.label}: ${Number((item.parsed.y ?? NaN).toPrecision(3))} ms`;

/** Draws each cell's ratio, the ratio = 1 boundary between cells, and a diverging colour bar. */
function crossoverPlugin(theme: () => Theme, state: () => { cells: readonly HeatCell[]; ns: readonly number[]; ms: readonly number[] }): Plugin<'matrix'> {
  return {
    id: 'crossover',
    afterDatasetsDraw(chart) {
      const t = theme();
      const { cells, ns, ms } = state();
      const { ctx, chartArea: area } = chart;
      const x = chart.scales.x;
      const y = chart.scales.y;
      if (!x || !y || !area) return;
      const cellW = Math.abs(x.getPixelForValue(1) - x.getPixelForValue(0));
      const cellH = Math.abs(y.getPixelForValue(1) - y.getPixelForValue(0));
      ctx.save();
      // The crossover: the ratio = 1 contour, drawn over the cells.
      ctx.strokeStyle = t.text;
      ctx.lineWidth = 3.5;
      ctx.lineCap = 'round';
      ctx.beginPath();
      for (const [[x0, y0], [x1, y1]] of crossoverContour(cells, ns, ms)) {
        ctx.moveTo(x.getPixelForValue(x0), y.getPixelForValue(y0));
        ctx.lineTo(x.getPixelForValue(x1), y.getPixelForValue(y1));
      }
      ctx.stroke();
      // Ratios in the cells, over the contour, when they fit.
      const font = Math.min(t.fontSize, cellH * 0.45, cellW / 3.2);
      if (font >= 9) {
        ctx.font = `${Math.round(font)}px system-ui, sans-serif`;
        ctx.textAlign = 'center';
        ctx.textBaseline = 'middle';
        for (const c of cells) {
          const [px, py] = [x.getPixelForValue(ns.indexOf(c.n)), y.getPixelForValue(ms.indexOf(c.m))];
          const label = formatRatio(c.ratio);
          const position = divergingPosition(c.ratio);
          // A patch of the cell's own colour behind the label keeps it readable where the contour passes.
          const w = ctx.measureText(label).width + 6;
          ctx.fillStyle = divergingColor(position, t.forward, t.panel, t.reverse);
          ctx.fillRect(px - w / 2, py - font * 0.65, w, font * 1.3);
          ctx.fillStyle = Math.abs(position) > 0.55 ? t.panel : t.text;
          ctx.fillText(label, px, py);
        }
      }
      // The legend: a vertical colour bar right of the plot, reverse-faster at the top.
      const barX = area.right + t.fontSize * 1.5;
      const barW = t.fontSize;
      const top = area.top + t.fontSize * 1.8;
      const bottom = area.bottom - t.fontSize * 1.8;
      const gradient = ctx.createLinearGradient(0, bottom, 0, top);
      for (let s = 0; s <= 8; s++) gradient.addColorStop(s / 8, divergingColor(s / 4 - 1, t.forward, t.panel, t.reverse));
      ctx.fillStyle = gradient;
      ctx.fillRect(barX, top, barW, bottom - top);
      ctx.strokeStyle = t.border;
      ctx.lineWidth = 1;
      ctx.strokeRect(barX, top, barW, bottom - top);
      ctx.font = `${t.fontSize}px system-ui, sans-serif`;
      ctx.textBaseline = 'middle';
      ctx.textAlign = 'left';
      ctx.fillStyle = t.text;
      for (let k = -RATIO_OCTAVES; k <= RATIO_OCTAVES; k += 2) {
        const py = bottom - ((k + RATIO_OCTAVES) / (2 * RATIO_OCTAVES)) * (bottom - top);
        ctx.fillText(k === 0 ? '1× (equal)' : k > 0 ? `${2 ** k}×` : `1/${2 ** -k}×`, barX + barW + 6, py);
        ctx.fillRect(barX + barW, py - 0.5, 4, 1);
      }
      ctx.font = `600 ${t.fontSize}px system-ui, sans-serif`;
      ctx.fillStyle = t.reverse;
      ctx.fillText('reverse faster', barX, area.top + t.fontSize * 0.6);
      ctx.fillStyle = t.forward;
      ctx.fillText('forward faster', barX, area.bottom - t.fontSize * 0.6);
      ctx.restore();
    },
  };
}

/**
 * A chart as a PNG data URL with its title drawn in (on the page the card's heading shows it), so an
 * exported image explains itself.
 */
export function chartPng(chart: Chart<'line'> | Chart<'matrix'> | Chart<'bar'>, title: string): string {
  const t = readTheme();
  const options = chart.options.plugins!.title!;
  Object.assign(options, { display: true, text: title, color: t.text, font: { size: Math.round(t.fontSize * 1.2), weight: 'bold' } });
  chart.update('none');
  const png = chart.toBase64Image();
  options.display = false;
  chart.update('none');
  return png;
}

/** The three charts, created on their canvases, redrawn by `update`. */
export interface BenchCharts {
  readonly time: Chart<'line'>;
  readonly crossover: Chart<'matrix'>;
  readonly primal: Chart<'line'>;
  update(input: ChartInput): void;
  /** Re-read the theme (colours, text size) and redraw. */
  retheme(): void;
  destroy(): void;
}

export function createBenchCharts(canvases: { time: HTMLCanvasElement; crossover: HTMLCanvasElement; primal: HTMLCanvasElement }): BenchCharts {
  let theme = readTheme();
  let input: ChartInput | null = null;
  let heat: { cells: readonly HeatCell[]; ns: readonly number[]; ms: readonly number[] } = { cells: [], ns: [], ms: [] };
  const themeNow = () => theme;
  const time = new Chart<'line'>(canvases.time, { type: 'line', data: { datasets: [] }, plugins: [background(themeNow)] });
  const crossover = new Chart<'matrix'>(canvases.crossover, { type: 'matrix', data: { datasets: [] }, plugins: [background(themeNow), crossoverPlugin(themeNow, () => heat)] });
  const primal = new Chart<'line'>(canvases.primal, { type: 'line', data: { datasets: [] }, plugins: [background(themeNow)] });

  const draw = () => {
    if (input === null) return;
    const t = theme;
    const widths = input.slice.kind === 'vary-m' ? input.ms ?? [] : input.ns;
    const widthAxis = logAxis(t, sliceAxisTitle(input), widths, (v) => String(v));

    time.data.datasets = timeDatasets(input, t);
    time.options = {
      ...baseOptions(t),
      scales: { x: widthAxis, y: logAxis(t, 'time for the full Jacobian (ms, log scale)', null, formatMs) },
      plugins: { ...baseOptions(t).plugins, tooltip: { ...baseOptions(t).plugins.tooltip, callbacks: { label: TOOLTIP_MS } } },
    };
    time.update();

    const ms = input.ms ?? [];
    const cells = heatCells(input.points, input.heatSource);
    heat = { cells, ns: input.ns, ms };
    const indexAxis = (values: readonly number[], title: string): LinearAxis => ({
      // The matrix controller reverses y by default; here m grows upwards like every other axis.
      type: 'linear', min: -0.5, max: values.length - 0.5, offset: false, reverse: false,
      title: { display: true, text: title, color: t.text, font: { size: t.fontSize } },
      grid: { display: false },
      border: { color: t.muted },
      ticks: { color: t.text, font: { size: t.fontSize }, callback: (v) => String(values[Number(v)] ?? '') },
      // One tick per cell, at its centre.
      afterBuildTicks: (axis) => { axis.ticks = values.map((_, i) => ({ value: i })); },
    });
    crossover.data.datasets = [{
      label: 'forward time ÷ reverse time',
      data: cells.map((c) => ({ x: input!.ns.indexOf(c.n), y: ms.indexOf(c.m), v: c.ratio })),
      backgroundColor: (ctx) => {
        const v = (ctx.raw as { v?: number } | undefined)?.v;
        return v === undefined ? 'transparent' : divergingColor(divergingPosition(v), t.forward, t.panel, t.reverse);
      },
      borderColor: t.border,
      borderWidth: 1,
      width: ({ chart }) => Math.max(1, (chart.chartArea?.width ?? 0) / Math.max(1, input!.ns.length) - 2),
      height: ({ chart }) => Math.max(1, (chart.chartArea?.height ?? 0) / Math.max(1, ms.length) - 2),
    }];
    crossover.options = {
      ...baseOptions(t),
      layout: { padding: { right: t.fontSize * 10 } },
      scales: { x: indexAxis(input.ns, `${input.nName} (log₂ steps)`), y: indexAxis(ms, `${input.mName ?? 'm'} (log₂ steps)`) },
      plugins: {
        legend: { display: false },
        tooltip: {
          ...baseOptions(t).plugins.tooltip,
          callbacks: {
            title: (items) => {
              const raw = items[0]?.raw as { x: number; y: number } | undefined;
              return raw ? `${input!.nName} = ${input!.ns[raw.x]}, ${input!.mName} = ${ms[raw.y]}` : '';
            },
            label: (item) => {
              const v = (item.raw as { v: number }).v;
              return v >= 1 ? `forward ÷ reverse = ${formatRatio(v)}: reverse is faster` : `forward ÷ reverse = ${formatRatio(v)}: forward is ${formatRatio(1 / v)} faster`;
            },
          },
        },
      },
    };
    crossover.update();

    primal.data.datasets = primalDatasets(input, t);
    primal.options = {
      ...baseOptions(t),
      scales: {
        x: widthAxis,
        y: {
          type: 'linear', beginAtZero: true,
          title: { display: true, text: 'cost ÷ one primal run (×)', color: t.text, font: { size: t.fontSize } },
          grid: { color: t.border }, border: { color: t.muted },
          ticks: { color: t.text, font: { size: t.fontSize }, callback: (v) => `${Number(Number(v).toPrecision(3))}×` },
        },
      },
      plugins: {
        ...baseOptions(t).plugins,
        legend: { labels: { ...baseOptions(t).plugins.legend.labels, filter: () => true } },
        tooltip: { ...baseOptions(t).plugins.tooltip, callbacks: { label: (item) => `${item.dataset.label}: ${Number((item.parsed.y ?? NaN).toPrecision(3))}×` } },
      },
    };
    primal.update();
  };

  return {
    time, crossover, primal,
    update(next) {
      input = next;
      draw();
    },
    retheme() {
      theme = readTheme();
      draw();
    },
    destroy() {
      time.destroy();
      crossover.destroy();
      primal.destroy();
    },
  };
}
