// The peer comparison's two Chart.js bar charts: each system's median time per task and width (log
// scale), and each peer's time over ours (log scale, a line at 1: above it ours is faster). Colours
// are the Okabe–Ito palette, distinct for colour-blind readers; the table under the charts has the
// same numbers.
import { BarController, BarElement, CategoryScale, Chart, Legend, LogarithmicScale, Title, Tooltip, type ChartDataset, type Plugin, type TooltipItem } from 'chart.js';
import type { Column } from '../../bench/peers/summary.ts';
import { background, baseOptions, formatMs, readTheme, type Theme } from './bench-charts.ts';
import type { BarSeries, PeerChartData } from './bench-peers-data.ts';

Chart.register(BarController, BarElement, CategoryScale, LogarithmicScale, Legend, Title, Tooltip);

/**
 * A column's colour: ours blue, jax-js orange (by hand: reddish purple), TF.js bluish green (on its
 * plain-JavaScript cpu backend: vermillion).
 */
function colourOf(column: Column): string {
  if (column.system === 'gradient-lab') return '#0072B2';
  if (column.system === 'tfjs') return column.device === 'cpu' ? '#D55E00' : '#009E73';
  return column.manual ? '#CC79A7' : '#E69F00';
}

/** "jax-js", "jax-js, by hand", "TF.js", "TF.js, JavaScript" (its cpu backend beside its wasm one), "ours". */
export function seriesName(column: Column): string {
  if (column.system === 'tfjs' && column.device === 'cpu') return 'TF.js, JavaScript';
  const name = column.system === 'gradient-lab' ? 'ours' : column.system === 'tfjs' ? 'TF.js' : 'jax-js';
  return column.manual ? `${name}, by hand` : name;
}

const num = (v: number) => Number(v.toPrecision(3));

/** The tooltip's lines for one bar: its value, how it was computed, and its error against the reference. */
function tooltipLines(series: readonly BarSeries[], unit: 'ms' | 'ratio') {
  return (item: TooltipItem<'bar'>): string[] => {
    const s = series[item.datasetIndex];
    const d = s.details[item.dataIndex];
    const value = s.values[item.dataIndex];
    const head = `${seriesName(s.column)}: ${value === null ? 'no time' : unit === 'ms' ? `${num(value)} ms` : `${num(value)}× ours`}`;
    return [
      head,
      ...(d.formulation === null ? [] : [`  ${d.formulation}`]),
      ...(d.maxAbsDiff === null ? [] : [`  max |Δ| vs f64 reference: ${d.maxAbsDiff.toExponential(1)}`]),
      ...(d.note === null ? [] : [`  ${d.note}`]),
    ];
  };
}

/** Draws a dashed line at ratio 1 across the plot. */
const parityLine = (theme: () => Theme): Plugin<'bar'> => ({
  id: 'parityLine',
  afterDatasetsDraw(chart) {
    const y = chart.scales.y;
    const area = chart.chartArea;
    if (!y || !area) return;
    const py = y.getPixelForValue(1);
    if (py < area.top || py > area.bottom) return;
    const { ctx } = chart;
    ctx.save();
    ctx.strokeStyle = theme().text;
    ctx.setLineDash([6, 4]);
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    ctx.moveTo(area.left, py);
    ctx.lineTo(area.right, py);
    ctx.stroke();
    ctx.restore();
  },
});

/** Bars of times rise from the axis; bars of ratios from 1, up where ours is faster and down where the peer is. */
function datasets(series: readonly BarSeries[], base?: number): ChartDataset<'bar', (number | null)[]>[] {
  return series.map((s) => ({
    ...(base === undefined ? {} : { base }),
    label: seriesName(s.column),
    data: s.values.map((v) => (v !== null && v > 0 ? v : null)),
    backgroundColor: colourOf(s.column),
    borderColor: colourOf(s.column),
    borderWidth: 1,
  }));
}

function formatRatioTick(v: number): string {
  const lead = v / 10 ** Math.floor(Math.log10(v) + 1e-9);
  return [1, 2, 5].some((d) => Math.abs(lead - d) < 1e-6) ? `${Number(v.toPrecision(2))}×` : '';
}

function options(t: Theme, axisTitle: string, format: (v: number) => string, series: () => readonly BarSeries[], unit: 'ms' | 'ratio') {
  const base = baseOptions(t);
  const axisText = { color: t.text, font: { size: t.fontSize } };
  return {
    ...base,
    plugins: {
      ...base.plugins,
      legend: { labels: { ...axisText } },
      title: { display: false, text: '' },
      tooltip: { ...base.plugins.tooltip, callbacks: { label: (item: TooltipItem<'bar'>) => tooltipLines(series(), unit)(item) } },
    },
    scales: {
      x: { type: 'category' as const, grid: { display: false }, border: { color: t.muted }, ticks: { ...axisText, autoSkip: false, maxRotation: 60, minRotation: 30 } },
      y: {
        type: 'logarithmic' as const,
        title: { display: true, text: axisTitle, ...axisText },
        grid: { color: t.border },
        border: { color: t.muted },
        ticks: { ...axisText, callback: (v: number | string) => format(Number(v)) },
      },
    },
  };
}

/** The two charts, created on their canvases, redrawn by `update`. */
export interface PeerCharts {
  readonly time: Chart<'bar', (number | null)[], string>;
  readonly ratio: Chart<'bar', (number | null)[], string>;
  update(data: PeerChartData): void;
  retheme(): void;
}

export function createPeerCharts(canvases: { time: HTMLCanvasElement; ratio: HTMLCanvasElement }): PeerCharts {
  let theme = readTheme();
  let data: PeerChartData = { labels: [], times: [], ratios: [] };
  const timeOptions = () => options(theme, 'median ms per call (log scale)', formatMs, () => data.times, 'ms');
  const ratioOptions = () => options(theme, 'peer ÷ ours (log; above 1: ours faster)', formatRatioTick, () => data.ratios, 'ratio');
  const time = new Chart<'bar', (number | null)[], string>(canvases.time, {
    type: 'bar', data: { labels: [], datasets: [] }, options: timeOptions(), plugins: [background(() => theme)],
  });
  const ratio = new Chart<'bar', (number | null)[], string>(canvases.ratio, {
    type: 'bar', data: { labels: [], datasets: [] }, options: ratioOptions(), plugins: [background(() => theme), parityLine(() => theme)],
  });
  return {
    time,
    ratio,
    update(next) {
      data = next;
      time.data = { labels: [...next.labels], datasets: datasets(next.times) };
      ratio.data = { labels: [...next.labels], datasets: datasets(next.ratios, 1) };
      time.update('none');
      ratio.update('none');
    },
    retheme() {
      theme = readTheme();
      time.options = timeOptions();
      ratio.options = ratioOptions();
      time.update('none');
      ratio.update('none');
    },
  };
}
