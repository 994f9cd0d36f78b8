// The Benchmark tab's "Compare with peers" section in a real page: a tiny comparison (width 8, the
// JVP and the VJP, both sides, jax-js and TF.js) through the real engine worker, which loads the peers
// lazily (TF.js's .wasm from Vite asset URLs). Checks every row's answer against the f64 reference,
// the charts' series, the table and its notes, and the CSV.
import { Chart } from 'chart.js';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createContext } from '../../src/app/context.ts';
import { EngineClient } from '../../src/app/engine/client.ts';
import { DEFAULT_STATE, Store } from '../../src/app/state.ts';
import { benchView } from '../../src/app/views/bench.ts';

const until = async (condition: () => boolean, what: string, ms = 240_000) => {
  const start = performance.now();
  while (!condition()) {
    if (performance.now() - start > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

/** Sets the named checkbox with this value, firing its change event when it changes. */
function tick(root: HTMLElement, name: string, value: string, on: boolean): void {
  const box = root.querySelector<HTMLInputElement>(`input[name="${name}"][value="${value}"]`)!;
  expect(box, `${name}=${value}`).not.toBeNull();
  if (box.checked !== on) box.click();
}

const button = (root: HTMLElement, text: string) => [...root.querySelectorAll('button')].find((b) => b.textContent === text)!;

/** Splits one CSV line (fields may be quoted). */
function fields(line: string): string[] {
  const out: string[] = [];
  const re = /("(?:[^"]|"")*"|[^,]*)(,|$)/g;
  for (let m = re.exec(line); m !== null && m[0] !== ''; m = re.exec(line)) {
    out.push(m[1].startsWith('"') ? m[1].slice(1, -1).replaceAll('""', '"') : m[1]);
    if (m[2] === '') break;
  }
  return out;
}

describe('the Benchmark tab: compare with peers', () => {
  const engine = new EngineClient();
  const ctx = createContext(new Store({ ...DEFAULT_STATE, view: 'bench' }), engine);
  const panel = document.createElement('section');
  panel.style.width = '1100px';
  document.body.append(panel);
  benchView.mount(panel, ctx);
  const section = panel.querySelector<HTMLElement>('section.peers')!;
  afterAll(() => panel.remove());

  it('runs jax-js and TF.js against ours at width 8 on both sides, checks every answer, and charts and tabulates them', async () => {
    // Wait for the WebGPU check to enable (or explain) the WebGPU side.
    await until(() => !section.querySelector<HTMLInputElement>('input[name="peers-side"][value="webgpu"]')!.parentElement!.textContent!.includes('checking'), 'the WebGPU check', 30_000);
    const gpu = !section.querySelector<HTMLInputElement>('input[name="peers-side"][value="webgpu"]')!.disabled;
    if (inject('requireWebgpu')) expect(gpu).toBe(true);
    tick(section, 'peers-width', '64', false);
    tick(section, 'peers-width', '8', true);
    for (const task of ['primal', 'jacfwd', 'jacrev', 'hvp', 'gemm']) tick(section, 'peers-task', task, false);
    tick(section, 'peers-side', 'cpu', true);
    if (gpu) tick(section, 'peers-side', 'webgpu', true);
    const repeats = section.querySelector<HTMLSelectElement>('select[name="peers-repeats"]')!;
    repeats.value = '1';
    repeats.dispatchEvent(new Event('change'));
    const rounds = section.querySelector<HTMLSelectElement>('select[name="peers-rounds"]')!;
    expect(rounds.value, 'three rounds unless told').toBe('3');
    rounds.value = '2';
    rounds.dispatchEvent(new Event('change'));
    // The CPU side: ours, jax-js and TF.js on wasm, TF.js on its JavaScript backend; WebGPU: ours and both peers.
    expect(section.textContent).toContain(`1 width × 2 tasks on ${4 + (gpu ? 3 : 0)} systems`);

    button(section, 'Run comparison').click();
    const status = () => section.querySelector('.peers-run [role="status"]')!.textContent ?? '';
    await until(() => status().startsWith('done') || status().startsWith('failed'), 'the comparison to finish');
    expect(status()).toMatch(/^done: \d+ rows$/);
    expect(section.querySelector('.peers-setup')!.textContent).toMatch(/@jax-js\/jax \d+\.\d+\.\d+/);

    // The CSV holds every row: an answer is timed only when it agrees with the f64 reference.
    let blob: Blob | undefined;
    const original = URL.createObjectURL;
    URL.createObjectURL = (b: Blob | MediaSource) => { blob = b as Blob; return original.call(URL, b); };
    try {
      button(section, 'Export CSV').click();
    } finally {
      URL.createObjectURL = original;
    }
    const [header, ...lines] = (await blob!.text()).trim().split('\n');
    const names = header.split(',');
    expect(names).toEqual(['side', 'system', 'device', 'task', 'fn', 'n', 'm', 'k', 'formulation', 'manual', 'ms', 'runs', 'max_abs_diff', 'scale', 'over_ours', 'note', 'round_ms']);
    const rows = lines.map((l) => Object.fromEntries(fields(l).map((v, i) => [names[i], v])));
    const systems = [['gradient-lab', 'cpu'], ['jax-js', 'wasm'], ['tfjs', 'wasm'], ['tfjs', 'cpu'], ...(gpu ? [['gradient-lab', 'webgpu'], ['jax-js', 'webgpu'], ['tfjs', 'webgpu']] : [])];
    for (const [system, device] of systems) {
      const mine = rows.filter((r) => r.system === system && r.device === device);
      expect(mine.length, `${system} on ${device} has rows`).toBeGreaterThan(0);
      for (const r of mine) {
        expect(r.n).toBe('8');
        if (r.ms === '') {
          expect(r.note, `${system} ${device} ${r.task} ${r.fn} k=${r.k}`).not.toBe('');
          continue;
        }
        expect(Number(r.ms)).toBeGreaterThan(0);
        // Two rounds, each timing every system in turn; the row keeps the faster.
        const roundMs = r.round_ms.split(' ').map(Number);
        expect(roundMs, `${system} ${device} ${r.formulation}: rounds`).toHaveLength(2);
        expect(Number(r.ms) / Math.min(...roundMs), 'ms is the faster round (to the CSV\'s 6 digits)').toBeCloseTo(1, 5);
        expect(Number(r.max_abs_diff), `${system} ${device} ${r.formulation}`).toBeLessThanOrEqual(1e-4 * Number(r.scale));
      }
      // Ours always runs; TF.js has no forward mode; every system has a VJP.
      if (system === 'gradient-lab') expect(mine.filter((r) => r.ms === '').map((r) => r.note), `ours on ${device}`).toEqual([]);
      if (system === 'tfjs') for (const r of mine.filter((x) => x.task === 'jvp')) expect(r.note).toMatch(/^not supported/);
      expect(mine.some((r) => r.task === 'vjp' && r.ms !== ''), `${system} on ${device} timed a VJP`).toBe(true);
    }

    // The charts show the chosen side: one category per (task, fn, k); times for every system, ratios for the peers.
    const [time, ratio] = [...section.querySelectorAll('canvas')].map((c) => Chart.getChart(c)!);
    const categories = 2 * 2 * 2; // jvp and vjp × layer and mlp × k = 1 and 8
    expect(time.data.labels).toHaveLength(categories);
    expect(time.data.labels).toContain('vjp layer w=8 k=8');
    // The CPU side has TF.js twice: on its WebAssembly backend and on its plain-JavaScript one.
    const peerSeries = ['jax-js', 'jax-js, by hand', 'TF.js', ...(gpu ? [] : ['TF.js, JavaScript'])];
    expect(time.data.datasets.map((d) => d.label)).toEqual(['ours', ...peerSeries]);
    expect(ratio.data.datasets.map((d) => d.label)).toEqual(peerSeries);
    for (const d of time.data.datasets.slice(0, 3)) expect((d.data as (number | null)[]).every((v) => v !== null && v > 0)).toBe(true);
    expect(time.toBase64Image()).toMatch(/^data:image\/png;base64,/);

    // The table beneath has the same lines, TF.js's JVPs marked not supported with a note.
    const table = () => section.querySelector<HTMLTableElement>('.peers-table')!;
    expect(table().caption!.textContent).toMatch(gpu ? /^WebGPU/ : /^CPU/);
    expect(table().tBodies[0].rows).toHaveLength(categories);
    const jvpRow = [...table().tBodies[0].rows].find((r) => r.cells[0].textContent === 'jvp')!;
    expect(jvpRow.textContent).toContain('n/s');
    expect(section.querySelector('.peers-notes')!.textContent).toContain('TF.js has no forward mode');

    // The other side redraws the charts and the table.
    const sideSelect = section.querySelector<HTMLSelectElement>('select[name="peers-chart-side"]')!;
    expect([...sideSelect.options].map((o) => o.value)).toEqual(gpu ? ['cpu', 'webgpu'] : ['cpu']);
    sideSelect.value = 'cpu';
    sideSelect.dispatchEvent(new Event('change'));
    expect(table().caption!.textContent).toMatch(/^CPU/);
    const taskSelect = section.querySelector<HTMLSelectElement>('select[name="peers-chart-task"]')!;
    taskSelect.value = 'vjp';
    taskSelect.dispatchEvent(new Event('change'));
    expect(time.data.labels).toHaveLength(4);
    expect(table().tBodies[0].rows).toHaveLength(4);
  });
});
