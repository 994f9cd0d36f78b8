// The Benchmark and Explain tabs in a real page: a tiny sweep through the real engine worker fills
// the charts and exports CSV rows; Cancel stops a longer one; Explain states the cost model.
import { Chart } from 'chart.js';
import { afterAll, describe, expect, it } from 'vitest';
import { createContext, type AppContext } from '../../src/app/context.ts';
import { EngineClient } from '../../src/app/engine/client.ts';
import { DEFAULT_STATE, Store } from '../../src/app/state.ts';
import { benchView } from '../../src/app/views/bench.ts';
import { explainView } from '../../src/app/views/explain.ts';
import { getBrowserTestDevice } from '../support/browser-webgpu.ts';

const until = async (condition: () => boolean, what: string, ms = 60_000) => {
  const start = performance.now();
  while (!condition()) {
    if (performance.now() - start > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
};

function mount(view: typeof benchView, ctx: AppContext): HTMLElement {
  const panel = document.createElement('section');
  panel.style.width = '1100px';
  document.body.append(panel);
  view.mount(panel, ctx);
  return panel;
}

/** Picks a value in the named select and fires its change event. */
function choose(panel: HTMLElement, name: string, value: string): void {
  const el = panel.querySelector<HTMLSelectElement>(`select[name="${name}"]`)!;
  el.value = value;
  el.dispatchEvent(new Event('change'));
}

const button = (panel: HTMLElement, text: string) => [...panel.querySelectorAll('button')].find((b) => b.textContent === text)!;
const statusText = (panel: HTMLElement) => panel.querySelector('.bench-run .status')!.textContent ?? '';

describe('the Benchmark tab', () => {
  const engine = new EngineClient();
  const ctx = createContext(new Store({ ...DEFAULT_STATE, view: 'bench' }), engine);
  const panel = mount(benchView, ctx);
  afterAll(() => panel.remove());

  it('runs a 2 × 2 sweep on the CPU in the worker, fills the charts, and exports CSV', async () => {
    choose(panel, 'family', 'layer');
    choose(panel, 'n-from', '4');
    choose(panel, 'n-to', '8');
    choose(panel, 'm-from', '4');
    choose(panel, 'm-to', '8');
    choose(panel, 'runs', '1');
    expect(panel.querySelector('.bench-grid .status')!.textContent).toMatch(/^4 grid points × 1 backend/);
    button(panel, 'Run sweep').click();
    await until(() => statusText(panel).startsWith('done'), 'the sweep to finish');
    expect(statusText(panel)).toBe('done: 4 points');

    const [time, crossover, primal] = [...panel.querySelectorAll('canvas')].map((c) => Chart.getChart(c)!);
    // The diagonal n = m: measured forward and reverse, and the FLOP model of each.
    const labels = time.data.datasets.map((d) => d.label);
    expect(labels).toEqual(['forward (n JVPs) · CPU', 'forward (n JVPs) · CPU · FLOP model', 'reverse (m VJPs) · CPU', 'reverse (m VJPs) · CPU · FLOP model']);
    for (const d of time.data.datasets) expect(d.data).toHaveLength(2);
    expect(crossover.data.datasets[0].data).toHaveLength(4);
    for (const cell of crossover.data.datasets[0].data as { v: number }[]) expect(cell.v).toBeGreaterThan(0);
    expect(primal.data.datasets.find((d) => d.label === 'one JVP ÷ primal · CPU')!.data).toHaveLength(2);
    expect(time.toBase64Image()).toMatch(/^data:image\/png;base64,/);

    let blob: Blob | undefined;
    const original = URL.createObjectURL;
    URL.createObjectURL = (b: Blob | MediaSource) => { blob = b as Blob; return original.call(URL, b); };
    try {
      button(panel, 'Export CSV').click();
    } finally {
      URL.createObjectURL = original;
    }
    const lines = (await blob!.text()).trim().split('\n');
    expect(lines).toHaveLength(5);
    expect(lines[0]).toMatch(/^backend,dtype,n,m,jacobian_cols,jacobian_rows,fwd_ms,rev_ms,/);
    const ns = lines.slice(1).map((l) => l.split(',').slice(2, 4).join('x')).sort();
    expect(ns).toEqual(['4x4', '4x8', '8x4', '8x8']);
  });

  it('stops a longer sweep on Cancel and keeps the points measured so far', async () => {
    choose(panel, 'n-to', '256');
    choose(panel, 'm-to', '256');
    button(panel, 'Run sweep').click();
    await until(() => /^[1-9]\d* \/ 49 points/.test(statusText(panel)), 'the first point');
    button(panel, 'Cancel').click();
    await until(() => statusText(panel).startsWith('cancelled'), 'the cancel');
    const done = Number(/after (\d+) of 49/.exec(statusText(panel))![1]);
    expect(done).toBeGreaterThan(0);
    expect(done).toBeLessThan(49);
    expect(button(panel, 'Run sweep').disabled).toBe(false);
    const crossover = Chart.getChart(panel.querySelectorAll('canvas')[1])!;
    expect(crossover.data.datasets[0].data.length).toBeLessThanOrEqual(done);
  });
});

// In CI (CI or REQUIRE_WEBGPU) a missing adapter fails here instead of skipping.
const device = await getBrowserTestDevice();

describe.skipIf(device === null)('the Benchmark tab on WebGPU', () => {
  it('measures a point on WebGPU in f32 from the worker', async () => {
    const ctx = createContext(new Store({ ...DEFAULT_STATE, view: 'bench' }), new EngineClient());
    const panel = mount(benchView, ctx);
    await until(() => panel.querySelector<HTMLInputElement>('input[name="webgpu"]')?.disabled === false, 'the WebGPU check', 10_000);
    for (const [name, value] of [['n-from', '4'], ['n-to', '4'], ['m-from', '8'], ['m-to', '8'], ['runs', '1']]) choose(panel, name, value);
    panel.querySelector<HTMLInputElement>('input[name="cpu"]')!.click();
    panel.querySelector<HTMLInputElement>('input[name="webgpu"]')!.click();
    button(panel, 'Run sweep').click();
    await until(() => statusText(panel).startsWith('done'), 'the sweep to finish');
    const time = Chart.getChart(panel.querySelector('canvas')!)!;
    expect(time.data.datasets.map((d) => d.label)).toContain('forward (n JVPs) · WebGPU');
    let blob: Blob | undefined;
    const original = URL.createObjectURL;
    URL.createObjectURL = (b: Blob | MediaSource) => { blob = b as Blob; return original.call(URL, b); };
    button(panel, 'Export CSV').click();
    URL.createObjectURL = original;
    const [header, row] = (await blob!.text()).trim().split('\n');
    const cells = Object.fromEntries(row.split(',').map((v, i) => [header.split(',')[i], v]));
    expect(cells).toMatchObject({ backend: 'webgpu', dtype: 'f32', n: '4', m: '8' });
    expect(Number(cells.fwd_ms)).toBeGreaterThan(0);
    expect(Number(cells.rev_ms)).toBeGreaterThan(0);
    panel.remove();
  });
});

describe('the Explain tab', () => {
  it('explains the default program and updates when the sizes change', async () => {
    const store = new Store({ ...DEFAULT_STATE, view: 'explain' });
    const ctx = createContext(store, { run: () => { throw new Error('Explain never runs the engine'); } } as unknown as EngineClient);
    const panel = mount(explainView, ctx);
    expect(panel.querySelector('.explain-verdict')!.textContent).toMatch(/^Reverse mode: about 13× cheaper/); // the VJP's outer products cost m·n multiplies (no GEMM)
    expect(panel.querySelector('.explain-why')!.textContent).toContain('forward mode needs 47 JVP passes');
    store.update({ source: 'input x[n]\noutput loss = sum(x ^ 2)\n', sizes: { n: 4096 } });
    await until(() => panel.querySelector('.explain-why')?.textContent?.includes('4,096 JVP passes') === true, 'the debounced update', 3000);
    expect(panel.querySelector('.explain-why')!.textContent).toBe('Reverse mode wins: one scalar loss means one VJP pass, while forward mode needs 4,096 JVP passes — one per input.');
    panel.remove();
  });
});
