// The Graph and Jacobian views in a real page with a real engine worker: the MLP's graph drawn with
// its labels, sweeps stepping through nodes in topological (forward) and reverse order, and the
// Jacobian heatmap with hover text and one JVP checked against its column.
import { afterEach, describe, expect, it } from 'vitest';
import { compileOrThrow, jacobian, randomValues } from '../../src/index.ts';
import { createContext, type AppContext } from '../../src/app/context.ts';
import { EngineClient } from '../../src/app/engine/client.ts';
import { DEFAULT_STATE, Store, type ViewName } from '../../src/app/state.ts';
import { displayGraph } from '../../src/app/views/graph-model.ts';
import { graphView } from '../../src/app/views/graph.ts';
import { jacobianView } from '../../src/app/views/jacobian.ts';
import { formatNumber } from '../../src/app/views/tensor-table.ts';
import '../../src/app/styles.css';

const until = async (condition: () => boolean, what: string, ms = 20_000) => {
  const start = performance.now();
  while (!condition()) {
    if (performance.now() - start > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

const engine = new EngineClient();
const program = compileOrThrow(DEFAULT_STATE.source, DEFAULT_STATE.sizes);
const { graph } = program;
const labelled = (name: string) => [...graph.labels!].find(([, l]) => l === name)![0];
const inputId = (name: string) => graph.inputs.find((p) => p.name === name)!.id;

let panel: HTMLElement;

function mount(view: ViewName): AppContext {
  panel = document.createElement('section');
  panel.className = 'panel';
  panel.style.width = '1100px';
  document.body.append(panel);
  const ctx = createContext(new Store({ ...DEFAULT_STATE, view }), engine);
  (view === 'graph' ? graphView : jacobianView).mount(panel, ctx);
  return ctx;
}

afterEach(() => panel.remove());

const button = (name: string) => [...panel.querySelectorAll('button')].find((b) => b.textContent === name)!;
const current = () => Number(panel.querySelector('.gnode.current')?.getAttribute('data-node') ?? NaN);
const caption = () => panel.querySelector('.graph-caption')!.textContent!;
const choose = (label: string, value: string) => {
  const select = panel.querySelector<HTMLSelectElement>(`select[aria-label="${label}"]`) ?? [...panel.querySelectorAll('label')].find((l) => l.textContent!.startsWith(label))!.querySelector('select')!;
  select.value = value;
  select.dispatchEvent(new Event('change'));
};

/** Clicks Step until the sweep ends, returning the node highlighted after each click. */
async function stepThrough(): Promise<number[]> {
  await until(() => !button('Step').disabled, 'the trace');
  const seen: number[] = [];
  while (!button('Step').disabled) {
    button('Step').click();
    seen.push(current());
  }
  return seen;
}

describe('the Graph view', () => {
  it('draws the MLP: inputs, labelled operations with shapes, outputs, and edges through folded reshapes', async () => {
    mount('graph');
    const titles = [...panel.querySelectorAll('.gnode .title')].map((t) => t.textContent);
    expect(titles).toEqual(expect.arrayContaining(['x', 'W1', 'b1', 'W2', 'b2', 'W1 @ x', 'hidden = tanh(·)', 'W2 @ hidden', 'y = tanh(·)', 'y × y', 'loss = 0.5 × ·']));
    expect(titles.some((t) => t!.includes('reshape'))).toBe(false);
    expect(panel.querySelectorAll('.gnode.input')).toHaveLength(5);
    const outputs = [...panel.querySelectorAll('.gnode.output .title')].map((t) => t.textContent);
    expect(outputs.sort()).toEqual(['loss = 0.5 × ·', 'y = tanh(·)']);
    const hidden = panel.querySelector(`.gnode[data-node="${labelled('hidden')}"]`)!;
    expect(hidden.querySelector('.shape')!.textContent).toBe('[5]');
    // One drawn edge per argument pair; x feeds the matmul directly (its reshape to [4, 1] is folded).
    expect(panel.querySelectorAll('path.gedge')).toHaveLength(displayGraph(graph).edges.length);
    const matmul = [...panel.querySelectorAll('.gnode')].find((g) => g.querySelector('.title')!.textContent === 'W1 @ x')!.getAttribute('data-node');
    expect(panel.querySelector(`path.gedge[data-from="${inputId('x')}"][data-to="${matmul}"]`)).not.toBeNull();
  });

  it('forward: Step lights the nodes from the seeded input to the outputs in topological order, with the rule in words', async () => {
    mount('graph');
    choose('seed input', 'W2');
    const seen = await stepThrough();
    expect(seen[0]).toBe(inputId('W2'));
    for (let k = 1; k < seen.length; k++) {
      expect(seen[k]).toBeGreaterThan(seen[k - 1]);
      // Every lit node reads something lit before it: the tangent arrives along an edge.
      expect(graph.nodes[seen[k]].args.some((a) => seen.slice(0, k).includes(a) || graph.nodes[a].args.some((b) => seen.slice(0, k).includes(b)))).toBe(true);
    }
    expect(seen).not.toContain(labelled('hidden'));
    expect(seen.at(-1)).toBe(labelled('loss'));
    expect(panel.querySelector('.graph-svg')!.classList.contains('sweep-fwd')).toBe(true);
    expect(panel.querySelectorAll('.gnode.off').length).toBeGreaterThan(0);
    expect(caption()).toMatch(/Done: the output tangents are the Jacobian's column for W2\[0,0\]/);
    expect(panel.querySelector('.graph-caption')!.getAttribute('aria-live')).toBe('polite');
  });

  it('forward: the caption at tanh states its JVP rule', async () => {
    mount('graph');
    await until(() => !button('Step').disabled, 'the trace');
    const captions = new Map<number, string>();
    while (!button('Step').disabled) {
      button('Step').click();
      captions.set(current(), caption());
    }
    expect(captions.get(inputId('x'))).toMatch(/^Seed: ẋ = e — x\[0\] gets tangent 1/);
    expect(captions.get(labelled('hidden'))).toBe('hidden = tanh(·) — ẏ = (1 − y²)·ẋ.');
  });

  it('reverse: Step lights the nodes from the seeded output back to every input, counting the uses of each adjoint', async () => {
    mount('graph');
    choose('Sweep', 'rev');
    choose('seed output', 'loss');
    await until(() => panel.querySelector<HTMLSelectElement>('select[aria-label="Element"]')!.options[0].text === 'loss', 'the loss seed');
    const captions = new Map<number, string>();
    const seen = await (async () => {
      await until(() => !button('Step').disabled, 'the trace');
      const ids: number[] = [];
      while (!button('Step').disabled) {
        button('Step').click();
        ids.push(current());
        captions.set(current(), caption());
      }
      return ids;
    })();
    expect(seen[0]).toBe(labelled('loss'));
    for (let k = 1; k < seen.length; k++) expect(seen[k]).toBeLessThan(seen[k - 1]);
    expect(new Set(seen.slice(-5))).toEqual(new Set(graph.inputs.map((p) => p.id)));
    expect(panel.querySelector('.graph-svg')!.classList.contains('sweep-rev')).toBe(true);
    // y is read twice by y * y: its adjoint gathers two contributions.
    expect(captions.get(labelled('y'))).toMatch(/y = tanh\(·\) — its adjoint accumulates from 2 uses and is now complete\. It passes back x̄ \+= \(1 − y²\)·ȳ\./);
    expect(captions.get(inputId('W1'))).toMatch(/adjoint of W1 is final: ∂loss\/∂W1, accumulated from 1 use/);
    expect(panel.querySelectorAll('path.gedge.lit')).toHaveLength(panel.querySelectorAll('path.gedge').length);
  });

  it('Space toggles play and Reset goes back to the start', async () => {
    mount('graph');
    await until(() => !button('Play').disabled, 'the trace');
    const play = button('Play');
    panel.dispatchEvent(new KeyboardEvent('keydown', { key: ' ', bubbles: true }));
    expect(play.getAttribute('aria-pressed')).toBe('true');
    expect(play.textContent).toBe('Pause');
    expect(Number.isNaN(current())).toBe(false);
    panel.dispatchEvent(new KeyboardEvent('keydown', { key: ' ', bubbles: true }));
    expect(play.getAttribute('aria-pressed')).toBe('false');
    button('Reset').click();
    expect(panel.querySelector('.gnode.current')).toBeNull();
    expect(caption()).toMatch(/^Forward mode: the tangent starts as e on x\[0\]/);
  });
});

describe('the Jacobian heatmap', () => {
  it('draws every cell of the MLP Jacobian with hover text, and one JVP equals the lit column', async () => {
    mount('jacobian');
    await until(() => panel.querySelector('canvas') !== null, 'the heatmap');
    const canvas = panel.querySelector('canvas')!;
    const { rows, cols, cell, left, top } = Object.fromEntries(Object.entries(canvas.dataset).map(([k, v]) => [k, Number(v)]));
    expect([rows, cols]).toEqual([program.outputWidth, program.inputWidth]);
    expect(cell).toBeGreaterThanOrEqual(3);

    const inputs = randomValues(program.inputs, DEFAULT_STATE.seed);
    const J = (await jacobian(program, inputs)).jacobian;
    // y is rows 0..2; W1 starts after x's 4 columns: W1[0,2] is column 6. Hover ∂y[1]/∂W1[0,2].
    const rect = canvas.getBoundingClientRect();
    const at = (r: number, c: number) => ({ clientX: rect.left + left + (c + 0.5) * cell, clientY: rect.top + top + (r + 0.5) * cell });
    canvas.dispatchEvent(new MouseEvent('mousemove', { ...at(1, 6), bubbles: true }));
    const tooltip = panel.querySelector<HTMLElement>('.heat-tooltip')!;
    expect(tooltip.hidden).toBe(false);
    expect(tooltip.textContent).toBe(`∂y[1]/∂W1[0,2] = ${formatNumber(J.y.W1.data[1 * 20 + 2])}`);
    expect(panel.querySelector('.heat-readout')!.textContent).toContain('block ∂y/∂W1, 3 × 20');

    // The cells are painted: a nonzero entry is not the background.
    const ctx2d = canvas.getContext('2d')!;
    const dpr = window.devicePixelRatio || 1;
    const pixel = ctx2d.getImageData(Math.round((left + 6.5 * cell) * dpr), Math.round((top + 1.5 * cell) * dpr), 1, 1).data;
    expect(pixel[3]).toBe(255);

    // Click ∂loss/∂b1[3] (row 3, column 4 + 20 + 3): forward highlights its column; run that JVP.
    canvas.dispatchEvent(new MouseEvent('click', { ...at(3, 27), bubbles: true }));
    expect(panel.querySelector<HTMLSelectElement>('select[aria-label="Port"]')!.value).toBe('b1');
    expect(panel.querySelector<HTMLSelectElement>('select[aria-label="Element"]')!.value).toBe('3');
    button('Run this JVP').click();
    await until(() => panel.querySelector('.heat-comparison p') !== null, 'the JVP');
    expect(panel.querySelector('.heat-comparison p')!.textContent).toMatch(/^✓ One JVP with the seed e on b1\[3\] gives J·e.*it equals the lit column/);

    // Reverse: the row of loss, by one VJP.
    const mode = panel.querySelector<HTMLSelectElement>('select[aria-label="Highlight"]')!;
    mode.value = 'rev';
    mode.dispatchEvent(new Event('change'));
    const port = panel.querySelector<HTMLSelectElement>('select[aria-label="Port"]')!;
    port.value = 'loss';
    port.dispatchEvent(new Event('change'));
    button('Run this VJP').click();
    await until(() => panel.querySelector('.heat-comparison p') !== null, 'the VJP');
    expect(panel.querySelector('.heat-comparison p')!.textContent).toMatch(/^✓ One VJP with the seed e on loss gives eᵀJ.*it equals the lit row/);
  });

  it('explains why it does not draw a Jacobian over the cell cap', async () => {
    panel = document.createElement('section');
    document.body.append(panel);
    const ctx = createContext(new Store({ ...DEFAULT_STATE, view: 'jacobian', sizes: { n: 40, h: 30, m: 10 } }), engine);
    jacobianView.mount(panel, ctx);
    expect(panel.querySelector('canvas')).toBeNull();
    expect(panel.querySelector('.explain')!.textContent).toMatch(/more than the 4096 this heatmap draws/);
  });
});
