// The Benchmark tab: sweep n and m over powers of two, time the full Jacobian by forward mode (n JVP
// seeds) and reverse mode (m VJP seeds) on the CPU and WebGPU in the engine worker, and chart it live.
import type { AppContext, View } from '../context.ts';
import { sizeNames } from '../context.ts';
import { h } from '../dom.ts';
import { BENCH_FAMILIES, benchGrid, MAX_BENCH_WIDTH, powersOfTwo, type BenchBackend, type BenchPoint, type BenchSpec, type PlannedPoint } from '../engine/bench-task.ts';
import { JobError, type Job } from '../engine/client.ts';
import { createBenchCharts, type BenchCharts } from './bench-charts.ts';
import { peersSection } from './bench-peers.ts';
import { chartCard, csvButton as makeCsvButton, select, webgpuUnavailable } from './bench-ui.ts';
import { estimateRemainingMs, timeLeft, sliceKey, sliceLabel, slicesFor, toCsv, type HeatSource, type Slice } from './bench-data.ts';
import './bench.css';

const WIDTHS = powersOfTwo(1, MAX_BENCH_WIDTH);
const CURRENT = 'current';

/** The sweep's settings, local to the tab. */
interface Settings {
  family: string;
  /** For the current program: which size names are n and m ('' = none), and the input differentiated. */
  nSize: string;
  mSize: string;
  wrt: string;
  nLo: number;
  nHi: number;
  mLo: number;
  mHi: number;
  backends: Record<BenchBackend, boolean>;
  runs: number;
}

/** The spec a run sends to the worker, or the reason there is none. */
function specFor(settings: Settings, ctx: AppContext): BenchSpec | { error: string } {
  const ns = powersOfTwo(settings.nLo, settings.nHi);
  const ms = powersOfTwo(settings.mLo, settings.mHi);
  const backends = (['cpu', 'webgpu'] as const).filter((b) => settings.backends[b]);
  if (backends.length === 0) return { error: 'Choose at least one backend.' };
  const common = { ns, ms, backends, runs: settings.runs, seed: ctx.store.state.seed };
  const family = BENCH_FAMILIES.find((f) => f.id === settings.family);
  if (family !== undefined) return { ...common, label: family.id, source: family.source, nSize: family.nSize, mSize: family.mSize, others: family.others, wrt: family.wrt };
  const { source, sizes } = ctx.store.state;
  const compiled = ctx.program();
  if (!compiled.ok) return { error: 'The program has errors: fix it, or pick a preset family.' };
  const names = sizeNames(source);
  if (!names.includes(settings.nSize)) return { error: 'The program has no size names to sweep (write dims like x[n]), or pick a preset family.' };
  if (settings.mSize === settings.nSize) return { error: 'n and m must be different size names.' };
  const others = Object.fromEntries(names.filter((s) => s !== settings.nSize && s !== settings.mSize).map((s) => [s, sizes[s] ?? 4]));
  const wrt = compiled.program.inputs.some((p) => p.name === settings.wrt) ? settings.wrt : compiled.program.inputs[0]?.name;
  if (wrt === undefined) return { error: 'The program has no inputs.' };
  return { ...common, label: 'program', source, nSize: settings.nSize, mSize: settings.mSize === '' ? null : settings.mSize, others, wrt };
}

/** The Benchmark view. */
export const benchView: View = {
  name: 'bench',
  label: 'Benchmark',
  mount(panel, ctx) {
    const settings: Settings = {
      family: BENCH_FAMILIES[0].id, nSize: '', mSize: '', wrt: '', nLo: 4, nHi: 64, mLo: 4, mHi: 64,
      backends: { cpu: true, webgpu: false }, runs: 3,
    };
    let gpuProblem: string | null = 'checking for WebGPU…';
    let points: BenchPoint[] = [];
    let plan: PlannedPoint[] = [];
    /** The grid and names the shown points belong to. */
    let shown: { ns: number[]; ms: number[] | null; nName: string; mName: string | null } = { ns: [], ms: null, nName: 'n', mName: 'm' };
    let slice: Slice = { kind: 'diagonal' };
    let heatSource: HeatSource = 'cpu';
    /** Until the user picks a source, the heatmap shows the first backend measured. */
    let heatChosen = false;
    let job: Job | null = null;
    let charts: BenchCharts | null = null;

    const controls = h('div', { class: 'controls bench-controls' });
    const gridLine = h('div', { class: 'controls bench-grid' });
    const note = h('p', { class: 'hint bench-note' });
    const progress = h('progress', { attrs: { max: 1, value: 0, 'aria-label': 'Sweep progress' } });
    const status = h('span', { class: 'status', attrs: { role: 'status', 'aria-live': 'polite' } });
    const runButton = h('button', { class: 'primary', text: 'Run sweep', attrs: { type: 'button' }, on: { click: () => void run() } });
    const cancelButton = h('button', { text: 'Cancel', attrs: { type: 'button', disabled: true }, on: { click: () => job?.cancel() } });
    const csvButton = makeCsvButton('gradient-lab-bench.csv', () => toCsv(points));
    const runLine = h('div', { class: 'controls bench-run' }, [runButton, cancelButton, progress, status, csvButton]);
    const failures = h('div', { class: 'bench-failures' });

    const sliceSelect = h('select', { attrs: { 'aria-label': 'Which widths to plot' }, on: { change: () => {
      slice = slicesFor(shown.ns, shown.ms).find((s) => sliceKey(s) === sliceSelect.value) ?? slice;
      redraw();
    } } });
    const heatSelect = h('select', { attrs: { 'aria-label': 'Ratio from' }, on: { change: () => {
      heatSource = heatSelect.value as HeatSource;
      heatChosen = true;
      redraw();
    } } });
    const timeCard = chartCard('Full Jacobian: time against width', 'Solid: measured (median of the timed runs). Dashed: the FLOP model of the same derived graphs, scaled by one factor per backend (measured ms per FLOP), so the gap between the dashed lines is the model\'s own forward/reverse ratio.', 'bench-time.png', () => charts?.time ?? null, [h('label', { class: 'field' }, [h('span', { text: 'Plot' }), sliceSelect])]);
    const crossCard = chartCard('Crossover: forward time ÷ reverse time', 'Each cell is one (n, m): green where forward mode (n JVPs) is faster, orange where reverse mode (m VJPs) is faster; the thick line is the crossover, where the ratio passes 1.', 'bench-crossover.png', () => charts?.crossover ?? null, [h('label', { class: 'field' }, [h('span', { text: 'Ratio from' }), heatSelect])]);
    const primalCard = chartCard('One JVP and one VJP, relative to the primal', 'The cost of one derivative pass divided by one evaluation of the program. Theory bounds both by a small constant (the cheap-gradient principle); at small widths fixed per-step costs dominate the measurement.', 'bench-primal.png', () => charts?.primal ?? null);
    const chartsEl = h('div', { class: 'bench-charts' }, [timeCard.card, crossCard.card, primalCard.card]);

    const redraw = () => {
      const slices = slicesFor(shown.ns, shown.ms);
      if (!slices.some((s) => sliceKey(s) === sliceKey(slice))) slice = slices[0];
      sliceSelect.replaceChildren(...slices.map((s) => h('option', { text: sliceLabel(s, shown.nName, shown.mName), attrs: { value: sliceKey(s) } })));
      sliceSelect.value = sliceKey(slice);
      const sources: [HeatSource, string][] = [
        ...(['cpu', 'webgpu'] as const).filter((b) => points.some((p) => p.backend === b)).map((b) => [b, b === 'cpu' ? 'measured on the CPU' : 'measured on WebGPU'] as [HeatSource, string]),
        ['model', 'FLOP model'],
      ];
      if (!heatChosen || !sources.some(([s]) => s === heatSource)) heatSource = sources[0][0];
      heatSelect.replaceChildren(...sources.map(([v, text]) => h('option', { text, attrs: { value: v } })));
      heatSelect.value = heatSource;
      crossCard.card.hidden = shown.ms === null;
      charts ??= createBenchCharts({ time: timeCard.canvas, crossover: crossCard.canvas, primal: primalCard.canvas });
      charts.update({ points, ns: shown.ns, ms: shown.ms, nName: shown.nName, mName: shown.mName, slice, heatSource });
      csvButton.disabled = points.length === 0;
      const failed = points.filter((p) => p.error !== undefined);
      failures.replaceChildren(...(failed.length === 0 ? [] : [h('details', {}, [
        h('summary', { class: 'warning', text: `${failed.length} point${failed.length === 1 ? '' : 's'} could not be (fully) measured` }),
        h('ul', {}, failed.map((p) => h('li', { text: `${p.backend} ${shown.nName} = ${p.n}${p.m === null ? '' : `, ${shown.mName} = ${p.m}`}: ${p.error}` }))),
      ])]));
    };

    const renderControls = () => {
      const isCurrent = settings.family === CURRENT;
      const fields: HTMLElement[] = [
        select('Workload', [...BENCH_FAMILIES.map((f) => [f.id, f.label] as const), [CURRENT, 'the current program']], settings.family, (v) => { settings.family = v; renderControls(); }, 'family'),
      ];
      let nName = 'n';
      let mName: string | null = 'm';
      if (isCurrent) {
        const names = sizeNames(ctx.store.state.source);
        const compiled = ctx.program();
        const inputs = compiled.ok ? compiled.program.inputs.map((p) => p.name) : [];
        if (!names.includes(settings.nSize)) settings.nSize = names[0] ?? '';
        if (settings.mSize !== '' && (!names.includes(settings.mSize) || settings.mSize === settings.nSize)) settings.mSize = '';
        if (settings.mSize === '' && names.length > 1) settings.mSize = names.find((s) => s !== settings.nSize) ?? '';
        if (!inputs.includes(settings.wrt)) settings.wrt = inputs[0] ?? '';
        fields.push(
          select('n =', names.map((s) => [s, s] as const), settings.nSize, (v) => { settings.nSize = v; renderControls(); }, 'n-size'),
          select('m =', [['', '— (not swept)'], ...names.filter((s) => s !== settings.nSize).map((s) => [s, s] as const)], settings.mSize, (v) => { settings.mSize = v; renderControls(); }, 'm-size'),
          select('Jacobian w.r.t.', inputs.map((s) => [s, s] as const), settings.wrt, (v) => { settings.wrt = v; }, 'wrt'),
        );
        const fixed = names.filter((s) => s !== settings.nSize && s !== settings.mSize).map((s) => `${s} = ${ctx.store.state.sizes[s] ?? 4}`);
        note.textContent = `${compiled.ok ? '' : 'The program has errors. '}Every output is differentiated with respect to ${settings.wrt || 'the chosen input'}${fixed.length > 0 ? `; other sizes stay fixed: ${fixed.join(', ')}` : ''}.`;
        nName = settings.nSize || 'n';
        mName = settings.mSize === '' ? null : settings.mSize;
      } else {
        const family = BENCH_FAMILIES.find((f) => f.id === settings.family)!;
        note.textContent = `${family.note} The Jacobian is taken with respect to ${family.wrt}.`;
        nName = family.nSize;
        mName = family.mSize;
      }
      const gpuLabel = h('label', { class: 'field', attrs: { title: gpuProblem ?? 'WebGPU computes in f32' } }, [
        h('input', { attrs: { type: 'checkbox', name: 'webgpu', checked: settings.backends.webgpu && gpuProblem === null, disabled: gpuProblem !== null }, on: { change: (e) => { settings.backends.webgpu = (e.target as HTMLInputElement).checked; renderGridCount(); } } }),
        h('span', { text: gpuProblem === null ? 'WebGPU (f32)' : `WebGPU — ${gpuProblem}` }),
      ]);
      fields.push(
        h('label', { class: 'field' }, [
          h('input', { attrs: { type: 'checkbox', name: 'cpu', checked: settings.backends.cpu }, on: { change: (e) => { settings.backends.cpu = (e.target as HTMLInputElement).checked; renderGridCount(); } } }),
          h('span', { text: 'CPU (f64)' }),
        ]),
        gpuLabel,
        select('Runs per point', ['1', '3', '5', '7'].map((r) => [r, r] as const), String(settings.runs), (v) => { settings.runs = Number(v); }, 'runs'),
      );
      controls.replaceChildren(...fields);
      const widthOptions = WIDTHS.map((w) => [String(w), String(w)] as const);
      const range = (axis: 'n' | 'm', label: string) => {
        const lo = axis === 'n' ? 'nLo' : 'mLo';
        const hi = axis === 'n' ? 'nHi' : 'mHi';
        return h('span', { class: 'bench-range' }, [
          select(`${label} from`, widthOptions, String(settings[lo]), (v) => { settings[lo] = Number(v); renderGridCount(); }, `${axis}-from`),
          select('to', widthOptions, String(settings[hi]), (v) => { settings[hi] = Number(v); renderGridCount(); }, `${axis}-to`),
        ]);
      };
      gridLine.replaceChildren(range('n', nName), ...(mName === null ? [] : [range('m', mName)]), gridCount);
      renderGridCount();
    };
    const gridCount = h('span', { class: 'status' });
    const renderGridCount = () => {
      const spec = specFor(settings, ctx);
      if ('error' in spec) {
        gridCount.textContent = spec.error;
        return;
      }
      const cells = benchGrid(spec.ns, spec.mSize === null ? null : spec.ms).length;
      const big = Math.max(...spec.ns, ...(spec.mSize === null ? [] : spec.ms)) >= 1024;
      gridCount.textContent = `${cells} grid point${cells === 1 ? '' : 's'} × ${spec.backends.length} backend${spec.backends.length === 1 ? '' : 's'}${big ? ' — widths of 1024 and more can take minutes per point' : ''}`;
    };

    const run = async () => {
      job?.cancel();
      const spec = specFor(settings, ctx);
      if ('error' in spec) {
        status.textContent = spec.error;
        return;
      }
      points = [];
      plan = [];
      shown = { ns: [...spec.ns], ms: spec.mSize === null ? null : [...spec.ms], nName: spec.nSize, mName: spec.mSize };
      redraw();
      runButton.disabled = true;
      cancelButton.disabled = false;
      progress.value = 0;
      status.textContent = 'planning…';
      const request = { source: spec.source, sizes: {}, seed: spec.seed, backend: 'cpu' as const, task: { kind: 'bench' as const, spec } };
      const current = ctx.engine.run(request, ({ done, total, data }) => {
        if (data?.kind === 'bench-plan') plan = [...data.plan];
        if (data?.kind === 'bench-point') {
          points.push(data.point);
          redraw();
        }
        progress.max = Math.max(total, 1);
        progress.value = done;
        const finished = plan.slice(0, points.length).map((p, i) => ({ ...p, ms: points[i].elapsedMs }));
        const left = estimateRemainingMs(finished, plan.slice(points.length));
        status.textContent = `${done} / ${total} points${left === null ? ', measuring the first…' : done < total ? `, ${timeLeft(left)}` : ''}`;
      });
      job = current;
      try {
        await current.result;
        status.textContent = `done: ${points.length} points`;
      } catch (err) {
        if (!(err instanceof JobError)) throw err;
        status.textContent = err.cancelled ? `cancelled after ${points.length} of ${plan.length} points` : `failed: ${err.message}`;
      } finally {
        if (job === current) {
          job = null;
          runButton.disabled = false;
          cancelButton.disabled = true;
        }
      }
    };

    const peers = peersSection(ctx);
    panel.append(
      h('p', { class: 'explain', text: 'Time the full Jacobian both ways over a grid of widths: forward mode pushes n tangent seeds (one JVP per input), reverse mode pulls m cotangent seeds (one VJP per output). Each point is the median of a few runs after a warm-up; it runs in the engine worker, so the page stays responsive.' }),
      controls, note, gridLine, runLine, failures, chartsEl,
      peers.element,
    );
    ctx.store.subscribe((s, prev) => {
      if (s.theme !== prev.theme || s.largeFont !== prev.largeFont) {
        charts?.retheme();
        peers.retheme();
      }
      if (settings.family === CURRENT && (s.source !== prev.source || s.sizes !== prev.sizes)) renderControls();
    });
    renderControls();
    redraw();
    void webgpuUnavailable().then((problem) => {
      gpuProblem = problem;
      renderControls();
      peers.setGpuProblem(problem);
    });
  },
};
