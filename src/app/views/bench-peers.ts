// The Benchmark tab's "Compare with peers" section: the Node benchmark's peer comparison (jax-js and
// TF.js, every answer checked against our f64 CPU interpreter) run in the engine worker on this page's
// WebGPU adapter and the peers' WebAssembly backends, charted as times and peer/ours ratios, with a
// table of the same numbers and notes beneath, and CSV export.
import { Footnotes, num } from '../../bench/table.ts';
import { barChecks, describeCheck } from '../../bench/peers/bar.ts';
import { SIDE_COLUMNS, type Line } from '../../bench/peers/summary.ts';
import type { PeerRow } from '../../bench/peers/report.ts';
import { peerDevices, type Side } from '../../bench/peers/system.ts';
import { cellText } from '../../bench/peers/table.ts';
import { TASKS, type TaskName } from '../../bench/peers/tasks.ts';
import type { AppContext } from '../context.ts';
import { h } from '../dom.ts';
import { JobError, type Job } from '../engine/client.ts';
import type { PeerName, PeersSetup, PeersSpec, PeersUnit } from '../engine/peers-task.ts';
import { estimateRemainingMs, timeLeft } from './bench-data.ts';
import { createPeerCharts, seriesName, type PeerCharts } from './bench-peers-charts.ts';
import { lineLabel, peerChartData, peerLines, peersCsv, SOFTWARE_ADAPTER_NOTE } from './bench-peers-data.ts';
import { chartCard, csvButton as makeCsvButton, select } from './bench-ui.ts';

const WIDTHS = [8, 16, 32, 64, 128, 256, 512, 1024] as const;
const PEERS: readonly (readonly [PeerName, string])[] = [['jax-js', 'jax-js'], ['tfjs', 'TensorFlow.js']];
const SIDE_LABEL: Record<Side, string> = { cpu: 'CPU: ours (interpreter) vs peers on WebAssembly', webgpu: 'WebGPU: everyone on this page\'s adapter' };
const SIDE_SHORT: Record<Side, string> = { cpu: 'CPU / WebAssembly', webgpu: 'WebGPU' };

/** The comparison's settings, local to the section. */
interface Settings {
  widths: Set<number>;
  tasks: Set<TaskName>;
  sides: Set<Side>;
  peers: Set<PeerName>;
  repeats: number;
  rounds: number;
}

/** The section, and what the Benchmark view tells it. */
export interface PeersSection {
  readonly element: HTMLElement;
  /** Why WebGPU cannot be used here (null: it can); the WebGPU side is disabled while there is a reason. */
  setGpuProblem(problem: string | null): void;
  retheme(): void;
}

/** A row of checkboxes, one per option, each named `name` with its value. */
function checkboxes<T extends string | number>(legend: string, name: string, options: readonly (readonly [T, string])[], chosen: Set<T>, onChange: () => void, disabled: (v: T) => string | null = () => null): HTMLFieldSetElement {
  return h('fieldset', { class: 'peers-choice' }, [
    h('legend', { text: legend }),
    ...options.map(([value, text]) => {
      const why = disabled(value);
      return h('label', { class: 'field', attrs: { title: why ?? undefined } }, [
        h('input', {
          attrs: { type: 'checkbox', name, value: String(value), checked: chosen.has(value) && why === null, disabled: why !== null },
          on: { change: (e) => { if ((e.target as HTMLInputElement).checked) chosen.add(value); else chosen.delete(value); onChange(); } },
        }),
        h('span', { text: why === null ? text : `${text} — ${why}` }),
      ]);
    }),
  ]);
}

/** The table of one side's lines: each column's fastest correct time, then each peer's time over ours, notes numbered beneath. */
function sideTable(lines: readonly Line[], side: Side): HTMLElement {
  const { columns } = SIDE_COLUMNS[side];
  const present = columns.map((_, i) => lines.some((l) => l.cells[i].verdict !== 'absent'));
  const shown = columns.map((c, i) => ({ c, i })).filter(({ i }) => present[i]);
  const notes = new Footnotes();
  const th = (text: string) => h('th', { text, attrs: { scope: 'col' } });
  const head = h('tr', {}, [th('task'), th('fn'), th('w'), th('k'), ...shown.map(({ c }) => th(`${seriesName(c)} ms`)), ...shown.filter(({ i }) => i > 0).map(({ c }) => th(`${seriesName(c)} ÷ ours`))]);
  const body = lines.map((l) => h('tr', {}, [
    h('th', { text: l.task, attrs: { scope: 'row' } }), h('td', { text: l.fn }), h('td', { class: 'num', text: String(l.n) }), h('td', { class: 'num', text: String(l.k) }),
    ...shown.map(({ i }) => h('td', { class: `num verdict-${l.cells[i].verdict}`, text: cellText(l.cells[i], notes) })),
    ...shown.filter(({ i }) => i > 0).map(({ i }) => {
      const r = l.ratios[i - 1];
      return h('td', { class: `num ${r === null ? '' : r >= 1 ? 'ours-faster' : 'peer-faster'}`, text: num(r) });
    }),
  ]));
  const caption = h('caption', { text: `${SIDE_LABEL[side]}: median ms per call; ÷ ours above 1 means ours is faster; n/s = not supported, ✗ = wrong answer, n/a = could not run` });
  return h('div', { class: 'peers-table-wrap' }, [
    h('table', { class: 'peers-table' }, [caption, h('thead', {}, [head]), h('tbody', {}, body)]),
    ...(notes.empty ? [] : [h('ol', { class: 'peers-notes hint' }, notes.list().map((text) => h('li', { text })))]),
  ]);
}

/** Builds the section; its Run button starts the comparison in the engine worker. */
export function peersSection(ctx: AppContext): PeersSection {
  const settings: Settings = {
    widths: new Set([64]), tasks: new Set(TASKS), sides: new Set(['cpu', 'webgpu']), peers: new Set(['jax-js', 'tfjs']), repeats: 3, rounds: 3,
  };
  let gpuProblem: string | null = 'checking for WebGPU…';
  let rows: PeerRow[] = [];
  let plan: PeersUnit[] = [];
  let setup: PeersSetup | null = null;
  /** Page-side duration of each finished unit (for the remaining-time estimate). */
  let unitMs: number[] = [];
  let chartSide: Side = 'webgpu';
  /** Until the user picks a side, the charts show WebGPU once it has rows (the CPU side finishes each task first). */
  let sideChosen = false;
  let chartTask: TaskName | 'all' = 'all';
  let job: Job | null = null;
  let charts: PeerCharts | null = null;

  const choices = h('div', { class: 'controls peers-controls' });
  const planCount = h('span', { class: 'status' });
  const progress = h('progress', { attrs: { max: 1, value: 0, 'aria-label': 'Peer comparison progress' } });
  const status = h('span', { class: 'status', attrs: { role: 'status', 'aria-live': 'polite' } });
  const runButton = h('button', { class: 'primary', text: 'Run comparison', attrs: { type: 'button' }, on: { click: () => void run() } });
  const cancelButton = h('button', { text: 'Cancel', attrs: { type: 'button', disabled: true }, on: { click: () => job?.cancel() } });
  const csvButton = makeCsvButton('gradient-lab-peers.csv', () => peersCsv(rows));
  const setupLine = h('p', { class: 'hint peers-setup' });
  const sideSelect = h('select', { attrs: { name: 'peers-chart-side', 'aria-label': 'Side to chart' }, on: { change: () => { chartSide = sideSelect.value as Side; sideChosen = true; redraw(); } } });
  const taskSelect = h('select', { attrs: { name: 'peers-chart-task', 'aria-label': 'Task to chart' }, on: { change: () => { chartTask = taskSelect.value as TaskName | 'all'; redraw(); } } });
  const filters = [h('label', { class: 'field' }, [h('span', { text: 'Side' }), sideSelect]), h('label', { class: 'field' }, [h('span', { text: 'Task' }), taskSelect])];
  const timeCard = chartCard('Peers: median time per call', 'Each bar is the fastest correct formulation of a system for one task, function, width w (n = m = w) and k directions; host arrays in, answer read back. Hover a bar for its formulation and its largest difference from our f64 reference.', 'peers-time.png', () => charts?.time ?? null, filters);
  const ratioCard = chartCard('Peers: their time ÷ ours', 'Above the dashed line at 1, ours is faster; below it, the peer is. A missing bar means no time on one side (see the notes in the table).', 'peers-ratio.png', () => charts?.ratio ?? null);
  const chartsEl = h('div', { class: 'bench-charts' }, [timeCard.card, ratioCard.card]);
  const tableEl = h('div', { class: 'peers-tables' });

  const specOf = (): PeersSpec | { error: string } => {
    const widths = WIDTHS.filter((w) => settings.widths.has(w));
    const tasks = TASKS.filter((t) => settings.tasks.has(t));
    const sides = (['cpu', 'webgpu'] as const).filter((s) => settings.sides.has(s) && (s === 'cpu' || gpuProblem === null));
    const peers = PEERS.map(([p]) => p).filter((p) => settings.peers.has(p));
    if (widths.length === 0) return { error: 'Choose at least one width.' };
    if (tasks.length === 0) return { error: 'Choose at least one task.' };
    if (sides.length === 0) return { error: 'Choose at least one side.' };
    if (peers.length === 0) return { error: 'Choose at least one peer.' };
    return { widths, tasks, sides, peers, repeats: settings.repeats, rounds: settings.rounds };
  };

  const renderPlanCount = () => {
    const spec = specOf();
    if ('error' in spec) {
      planCount.textContent = spec.error;
      return;
    }
    const big = Math.max(...spec.widths) >= 512;
    // Ours on each side, and each peer on each of its devices there (TF.js has two on the CPU side).
    const systems = spec.sides.length + spec.peers.reduce((sum, peer) => sum + peerDevices(peer, spec.sides).length, 0);
    planCount.textContent = `${spec.widths.length} width${spec.widths.length === 1 ? '' : 's'} × ${spec.tasks.length} task${spec.tasks.length === 1 ? '' : 's'} on ${systems} system${systems === 1 ? '' : 's'}${big ? ' — widths of 512 and more take many minutes (full Jacobians on the CPU interpreter)' : ''}`;
  };

  const renderChoices = () => {
    choices.replaceChildren(
      checkboxes('Widths w', 'peers-width', WIDTHS.map((w) => [w, String(w)] as const), settings.widths, renderPlanCount),
      checkboxes('Tasks', 'peers-task', TASKS.map((t) => [t, t] as const), settings.tasks, renderPlanCount),
      checkboxes('Sides', 'peers-side', [['cpu', 'CPU (ours) vs WebAssembly (peers)'], ['webgpu', 'WebGPU (everyone)']] as const, settings.sides, renderPlanCount, (s) => (s === 'webgpu' ? gpuProblem : null)),
      checkboxes('Peers', 'peers-peer', PEERS, settings.peers, renderPlanCount),
      select('Timed samples', ['1', '3', '5', '7'].map((r) => [r, r] as const), String(settings.repeats), (v) => { settings.repeats = Number(v); }, 'peers-repeats'),
      select('Rounds', ['1', '2', '3'].map((r) => [r, r] as const), String(settings.rounds), (v) => { settings.rounds = Number(v); }, 'peers-rounds'),
    );
    renderPlanCount();
  };

  const redraw = () => {
    const sides = (['cpu', 'webgpu'] as const).filter((s) => rows.some((r) => (s === 'webgpu') === (r.device === 'webgpu')));
    if (!sideChosen && sides.includes('webgpu')) chartSide = 'webgpu';
    if (sides.length > 0 && !sides.includes(chartSide)) chartSide = sides[0];
    sideSelect.replaceChildren(...sides.map((s) => h('option', { text: SIDE_SHORT[s], attrs: { value: s } })));
    sideSelect.value = chartSide;
    const tasks = TASKS.filter((t) => rows.some((r) => r.task === t));
    if (chartTask !== 'all' && !tasks.includes(chartTask)) chartTask = 'all';
    taskSelect.replaceChildren(h('option', { text: 'all tasks', attrs: { value: 'all' } }), ...tasks.map((t) => h('option', { text: t, attrs: { value: t } })));
    taskSelect.value = chartTask;
    const lines = peerLines(rows, chartSide, chartTask);
    charts ??= createPeerCharts({ time: timeCard.canvas, ratio: ratioCard.canvas });
    charts.update(peerChartData(lines, chartSide));
    timeCard.canvas.setAttribute('aria-label', `Median time per call on ${SIDE_SHORT[chartSide]}: ${lines.map(lineLabel).join(', ')}; the table below has the numbers`);
    ratioCard.canvas.setAttribute('aria-label', `Peer time divided by ours on ${SIDE_SHORT[chartSide]}; the table below has the numbers`);
    const goals = barChecks(rows, chartSide);
    tableEl.replaceChildren(...(lines.length === 0 ? [] : [sideTable(lines, chartSide)]), ...(goals.length === 0 ? [] : [
      h('div', { class: 'peers-bar' }, [
        h('h3', { text: `${SIDE_SHORT[chartSide]}: against the goals (all tasks of this run)` }),
        h('ul', {}, goals.map((c) => h('li', { class: c.met === c.values.length ? 'ours-faster' : 'peer-faster', text: describeCheck(c) }))),
      ]),
    ]));
    csvButton.disabled = rows.length === 0;
  };

  const renderSetup = () => {
    if (setup === null) {
      setupLine.textContent = '';
      return;
    }
    const missing = setup.systems.filter((s) => s.description.includes(': ')).map((s) => s.description);
    setupLine.textContent = [
      `WebGPU adapter: ${setup.adapter}.`,
      ...(setup.softwareAdapter ? [SOFTWARE_ADAPTER_NOTE] : []),
      `Peers: ${Object.entries(setup.versions).map(([name, v]) => `${name} ${v}`).join(', ')}.`,
      `Every system computes in f32; each answer is checked against ours in f64 (max |Δ| ≤ ${setup.tolerance} · max |answer|) before it is timed.`,
      ...missing.map((m) => `Not available: ${m}.`),
    ].join(' ');
  };

  const run = async () => {
    job?.cancel();
    const spec = specOf();
    if ('error' in spec) {
      status.textContent = spec.error;
      return;
    }
    rows = [];
    plan = [];
    unitMs = [];
    setup = null;
    renderSetup();
    redraw();
    runButton.disabled = true;
    cancelButton.disabled = false;
    progress.value = 0;
    status.textContent = 'loading jax-js and TensorFlow.js…';
    let last = performance.now();
    const current = ctx.engine.run({ source: '', sizes: {}, seed: 0, backend: 'cpu', task: { kind: 'peers', spec } }, ({ done, total, data }) => {
      if (data?.kind === 'peers-plan') plan = [...data.plan];
      if (data?.kind === 'peers-setup') {
        setup = data.setup;
        renderSetup();
        last = performance.now();
      }
      if (data?.kind === 'peers-rows') {
        rows.push(...data.rows);
        const now = performance.now();
        unitMs.push(now - last);
        last = now;
        redraw();
      }
      progress.max = Math.max(total, 1);
      progress.value = done;
      const finished = plan.slice(0, unitMs.length).map((p, i) => ({ ...p, ms: unitMs[i] }));
      const left = estimateRemainingMs(finished, plan.slice(unitMs.length));
      status.textContent = setup === null ? 'loading jax-js and TensorFlow.js…' : `${done} / ${total} runs${left === null ? ', measuring the first…' : done < total ? `, ${timeLeft(left)}` : ''}`;
    });
    job = current;
    try {
      await current.result;
      status.textContent = `done: ${rows.length} rows`;
    } catch (err) {
      if (!(err instanceof JobError)) throw err;
      status.textContent = err.cancelled ? `cancelled after ${unitMs.length} of ${plan.length} runs` : `failed: ${err.message}`;
    } finally {
      if (job === current) {
        job = null;
        runButton.disabled = false;
        cancelButton.disabled = true;
      }
    }
  };

  const element = h('section', { class: 'peers', attrs: { 'aria-labelledby': 'peers-heading' } }, [
    h('h2', { text: 'Compare with peers', attrs: { id: 'peers-heading' } }),
    h('p', { class: 'explain', text: 'The same comparison as `npm run bench -- --peers`, in this browser: Gradient Lab against jax-js (under jit) and TensorFlow.js on the same tasks and inputs, every answer checked against our f64 CPU interpreter before it is timed. The WebGPU side runs every system on this page\'s adapter; the CPU side sets our CPU interpreter (its matrix products on a WebAssembly SIMD GEMM, shared with helper threads when the page is cross-origin isolated) against the peers\' WebAssembly backends. The peers are downloaded only when you run it.' }),
    choices, planCount,
    h('div', { class: 'controls peers-run' }, [runButton, cancelButton, progress, status, csvButton]),
    setupLine, chartsEl, tableEl,
  ]);
  renderChoices();
  redraw();
  return {
    element,
    setGpuProblem(problem) {
      gpuProblem = problem;
      renderChoices();
    },
    retheme: () => charts?.retheme(),
  };
}
