// The built app in a real Chromium, used as a person would: type a program, run it on WebGPU, read
// an error, step through a reverse sweep, run a benchmark, open share links (honest and hostile),
// and fall back to the CPU where WebGPU is missing. Every flow must leave no uncaught page error.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { decodeState, encodeState } from '../../src/app/share.ts';
import { SOFTWARE_ADAPTER_NOTE } from '../../src/app/views/bench-peers-data.ts';
import { DEFAULT_STATE, type BackendChoice, type TaskMode, type ViewName } from '../../src/app/state.ts';
import { canvasColours, editorText, launchChromium, openApp, screenshot, serveBuiltApp, typeProgram, type AppPage, type ServedApp } from '../support/e2e.ts';

/** axe-core, injected into the page for the accessibility audit. */
const AXE_SCRIPT = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

/** A small program with one vector and one scalar output; every line ends in a closing bracket. */
const PROGRAM = 'input x[n]\ninput W[m, n]\noutput y = tanh(W @ x)\noutput loss = sum(y * y)';

/** Slow steps (a WebGPU run on SwiftShader, a benchmark sweep) get this long to show their result. */
const SLOW = { timeout: 60_000 };

let app: ServedApp;
let browser: Browser;
let opened: AppPage[] = [];

beforeAll(async () => {
  [app, browser] = await Promise.all([serveBuiltApp(), launchChromium({ webgpu: true })]);
});

afterAll(async () => {
  await browser?.close();
  await app?.close();
});

/** Opens the app in `on` (the WebGPU browser by default); afterEach checks the page stayed error-free. */
async function open(hash = '', on: Browser = browser): Promise<AppPage> {
  const opening = await openApp(on, app.url, hash);
  opened.push(opening);
  return opening;
}

afterEach(async () => {
  const pages = opened;
  opened = [];
  for (const { page } of pages) await page.context().close();
  // Flow 7: no uncaught exception, console error, failed request (the favicon is inline) or dialog in any flow.
  expect(pages.flatMap((p) => p.problems)).toEqual([]);
});

const results = (page: Page) => page.locator('.results');
const statsLine = (page: Page) => page.locator('.results .stats > div').first();
const statsReason = (page: Page) => page.locator('.results .stats .reason').first();

/** Focuses the editor with a click (which moves the cursor and selects nothing) and presses Ctrl+Enter. */
async function runFromEditor(page: Page): Promise<void> {
  await page.locator('.editor-pane .monaco-editor .view-lines').click();
  await page.keyboard.press('Control+Enter');
}

/** Waits for the URL hash (updated 300 ms after the last change) to describe `source`. */
async function expectSharedSource(page: Page, source: string): Promise<void> {
  await expect.poll(() => decodeState(new URL(page.url()).hash).source).toBe(source);
}

describe('Results', () => {
  it('runs a typed program on WebGPU with Ctrl+Enter and checks its derivatives', async () => {
    const { page } = await open();
    await typeProgram(page, PROGRAM);
    await expect.poll(() => editorText(page)).toBe(PROGRAM);
    await expectSharedSource(page, PROGRAM);
    await page.getByRole('combobox', { name: 'Backend' }).selectOption('webgpu');
    await runFromEditor(page);

    // The Jacobian blocks of this program (not the default one), computed on the SwiftShader adapter.
    await expect.poll(() => statsLine(page).textContent(), SLOW).toMatch(/^WebGPU .*swiftshader.* · f32 · /);
    expect(await statsReason(page).textContent()).toBe('the WebGPU backend was requested');
    expect(await page.locator('.results .explain').first().textContent()).toMatch(/^(Forward|Reverse) mode: .*\. (Forward|Reverse) mode is estimated cheaper: /);
    const captions = await page.locator('.results .tensor-caption strong').allTextContents();
    expect(captions).toEqual(['∂y/∂x', '∂y/∂W', '∂loss/∂x', '∂loss/∂W']);

    const checks = page.locator('.results .check');
    await expect.poll(() => checks.locator('h3').textContent(), SLOW).toContain('all passed');
    expect(await checks.locator('tr.pass').count()).toBeGreaterThanOrEqual(2);
    expect(await checks.locator('tr.fail').count()).toBe(0);
    expect(new Set(await checks.locator('tr td:first-child').allTextContents())).toEqual(new Set(['✓']));
    expect(await page.locator('#panel-results .controls .status').textContent()).toBe('done');
    await screenshot(page, '1-results-webgpu');
  });

  it('marks a bad program in the editor and reports it in Results', async () => {
    const { page } = await open();
    await typeProgram(page, 'input x[n]\noutput y = foo(x)');
    await expectSharedSource(page, 'input x[n]\noutput y = foo(x)');

    await page.locator('.editor-pane .squiggly-error').first().waitFor();
    await expect.poll(() => page.locator('.problems-summary').textContent()).toBe('Problems: 1 error, 0 warnings');
    const problem = page.locator('.problems-list .problem.error');
    expect(await problem.locator('.problem-where').textContent()).toBe('2:12');
    const message = (await problem.locator('.problem-message').textContent())!;
    expect(message).toContain('foo');

    await runFromEditor(page);
    await expect.poll(() => results(page).locator('h3').first().textContent()).toBe('The program has errors');
    // The list can come a frame after the heading: poll it too (a direct read once found it still empty).
    await expect.poll(() => results(page).locator('.errors li').allTextContents()).toEqual([`2:12 ${message}`]);
    // The page still works: a fixed program runs. The backend is changed at once, while the typing is
    // still debounced in the editor: the typed text must survive that other state change.
    await typeProgram(page, 'input x[n]\noutput y = sin(x)');
    await page.getByRole('combobox', { name: 'Backend' }).selectOption('cpu');
    await expect.poll(() => editorText(page)).toBe('input x[n]\noutput y = sin(x)');
    await runFromEditor(page);
    await expect.poll(() => statsLine(page).textContent(), SLOW).toMatch(/^CPU /);
    await expect.poll(() => page.locator('.problems-summary').textContent()).toBe('Problems: none');
    await screenshot(page, '2-fixed-after-error');
  });
});

describe('every tab', () => {
  it('opens each view, in both themes, without a page error', async () => {
    const { page } = await open();
    const tabs = page.getByRole('tab');
    const names = await tabs.allTextContents();
    expect(names).toEqual(['Results', 'Graph', 'Jacobian', 'WGSL', 'Explain', 'Benchmark', 'Quiz']);
    for (const name of names) {
      await page.getByRole('tab', { name }).click();
      const panel = page.getByRole('tabpanel', { name });
      await panel.waitFor();
      await expect.poll(async () => (await panel.innerText()).trim().length, SLOW).toBeGreaterThan(40);
    }
    await page.getByRole('button', { name: 'Dark theme' }).click();
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
    await page.getByRole('tab', { name: 'Jacobian' }).click();
    await screenshot(page, '7-dark-jacobian');
  });
});

describe('accessibility', () => {
  /** axe-core's WCAG 2.1 A/AA and best-practice rules over the whole page; each violation as "rule: first element". */
  async function audit(page: Page): Promise<string[]> {
    await page.addScriptTag({ path: AXE_SCRIPT });
    return page.evaluate(async () => {
      const axe = (window as unknown as { axe: { run(context: Document, options: object): Promise<{ violations: { id: string; nodes: { target: string[] }[] }[] }> } }).axe;
      const { violations } = await axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] });
      return violations.map((v) => `${v.id}: ${v.nodes[0].target.join(' ')} (${v.nodes.length} elements)`);
    });
  }

  it('every tab, with results in it, passes an axe-core audit in light, dark and large-text modes', async () => {
    const { page } = await open();
    await page.getByRole('combobox', { name: 'Backend' }).selectOption('cpu');
    await runFromEditor(page);
    await expect.poll(() => statsLine(page).textContent(), SLOW).toMatch(/^CPU/);
    const found: string[] = [];
    for (const mode of ['light', 'dark', 'dark, large text']) {
      if (mode === 'dark') await page.getByRole('button', { name: 'Dark theme' }).click();
      if (mode === 'dark, large text') await page.getByRole('button', { name: /large/i }).click();
      for (const name of await page.getByRole('tab').allTextContents()) {
        await page.getByRole('tab', { name }).click();
        const panel = page.getByRole('tabpanel', { name });
        await expect.poll(async () => (await panel.innerText()).trim().length, SLOW).toBeGreaterThan(40);
        found.push(...(await audit(page)).map((v) => `${mode}, ${name}: ${v}`));
      }
    }
    expect(found).toEqual([]);
  });
});

describe('Graph', () => {
  it('steps through a reverse sweep, naming each adjoint, and resets', async () => {
    const { page } = await open();
    await page.getByRole('tab', { name: 'Graph' }).click();
    await page.getByRole('combobox', { name: 'Sweep' }).selectOption('rev');
    const status = page.locator('.graph-controls .status');
    const caption = page.locator('.graph-caption');
    await expect.poll(() => status.textContent(), SLOW).toMatch(/^\d+ steps$/);
    const steps = Number((await status.textContent())!.split(' ')[0]);
    expect(steps).toBeGreaterThan(3);
    expect(await caption.getAttribute('aria-live')).toBe('polite');
    expect(await caption.textContent()).toMatch(/^Reverse mode: .*adjoint starts as e on y\[0\]/);
    expect(await page.locator('.gnode.current').count()).toBe(0);

    const current = () => page.locator('.gnode.current').getAttribute('data-node');
    const step = page.getByRole('button', { name: 'Step', exact: true });
    const seen: string[] = [];
    for (let i = 1; i <= 3; i++) {
      await step.click();
      expect(await status.textContent()).toBe(`step ${i} of ${steps}`);
      expect(await page.locator('.gnode.current').count()).toBe(1);
      seen.push((await current())!);
    }
    expect(new Set(seen).size).toBe(3);
    expect(await caption.textContent()).toMatch(/adjoint/);
    expect(await caption.textContent()).toMatch(/x̄ \+=|adjoint accumulates|is final/);
    expect(await page.locator('.graph-inspector h3').textContent()).not.toBe('');
    await screenshot(page, '3-graph-reverse-step3');

    await page.getByRole('button', { name: 'Reset' }).click();
    expect(await status.textContent()).toBe(`${steps} steps`);
    expect(await page.locator('.gnode.current').count()).toBe(0);
    expect(await caption.textContent()).toMatch(/^Reverse mode: /);
    expect(await page.getByRole('button', { name: 'Reset' }).isDisabled()).toBe(true);
  });
});

describe('Benchmark', () => {
  it('runs a tiny CPU sweep, draws its charts and exports CSV; cancels a big one', async () => {
    const { page } = await open();
    await page.getByRole('tab', { name: 'Benchmark' }).click();
    // Wait for the WebGPU probe to finish (it re-renders the controls), then keep WebGPU off.
    await page.getByText('WebGPU (f32)').waitFor();
    const webgpu = page.locator('.bench-controls input[name="webgpu"]');
    expect(await webgpu.isChecked()).toBe(false);
    expect(await page.locator('.bench-controls input[name="cpu"]').isChecked()).toBe(true);
    const choose = (name: string, value: string) => page.locator(`select[name="${name}"]`).selectOption(value);
    await choose('runs', '1');
    await choose('n-from', '1');
    await choose('n-to', '2');
    await choose('m-from', '1');
    await choose('m-to', '2');
    expect(await page.locator('.bench-grid .status').textContent()).toBe('4 grid points × 1 backend');

    const csv = page.locator('.bench-run').getByRole('button', { name: 'Export CSV' });
    expect(await csv.isDisabled()).toBe(true);
    const status = page.locator('.bench-run .status');
    await page.getByRole('button', { name: 'Run sweep' }).click();
    await expect.poll(() => status.textContent(), SLOW).toBe('done: 4 points');
    expect(await csv.isDisabled()).toBe(false);
    // Drawn, not blank: axes, labels, lines and cells in many colours.
    expect(await canvasColours(page, '.bench-card canvas >> nth=0')).toBeGreaterThan(20);
    expect(await canvasColours(page, '.bench-card canvas >> nth=1')).toBeGreaterThan(20);

    const [download] = await Promise.all([page.waitForEvent('download'), csv.click()]);
    expect(download.suggestedFilename()).toBe('gradient-lab-bench.csv');
    const rows = (await readFile((await download.path())!, 'utf8')).trim().split('\n');
    expect(rows[0]).toMatch(/^backend,dtype,n,m,/);
    expect(rows.slice(1).map((r) => r.split(',').slice(0, 4).join(','))).toEqual(expect.arrayContaining(['cpu,f64,1,1', 'cpu,f64,1,2', 'cpu,f64,2,1', 'cpu,f64,2,2']));
    expect(rows).toHaveLength(5);
    await screenshot(page, '4-bench-tiny');

    // A sweep up to 4096 × 4096 would take hours: cancel it once it is under way.
    await choose('runs', '7');
    await choose('n-to', '4096');
    await choose('m-to', '4096');
    await page.getByRole('button', { name: 'Run sweep' }).click();
    await expect.poll(() => status.textContent(), SLOW).toMatch(/^[1-9]\d* \/ 169 points/);
    const cancel = page.locator('.bench-run').getByRole('button', { name: 'Cancel' });
    await cancel.click();
    await expect.poll(() => status.textContent(), SLOW).toMatch(/^cancelled after \d+ of 169 points$/);
    expect(await page.getByRole('button', { name: 'Run sweep' }).isDisabled()).toBe(false);
    expect(await cancel.isDisabled()).toBe(true);
    await screenshot(page, '4-bench-cancelled');
  });
});

describe('Benchmark: compare with peers', () => {
  it('loads jax-js and TF.js only when run, compares them with ours on both sides, and tabulates the answers', async () => {
    const { page } = await open();
    const requested: string[] = [];
    page.on('request', (r) => requested.push(r.url()));
    await page.getByRole('tab', { name: 'Benchmark' }).click();
    await page.getByText('WebGPU (everyone)').waitFor();
    const peers = page.locator('section.peers');
    const tick = async (name: string, value: string, on: boolean) => {
      const box = peers.locator(`input[name="${name}"][value="${value}"]`);
      if ((await box.isChecked()) !== on) await box.click();
    };
    await tick('peers-width', '64', false);
    await tick('peers-width', '8', true);
    for (const task of ['primal', 'jvp', 'jacfwd', 'jacrev', 'hvp', 'gemm']) await tick('peers-task', task, false);
    await tick('peers-side', 'webgpu', true);
    await peers.locator('select[name="peers-repeats"]').selectOption('1');
    await peers.locator('select[name="peers-rounds"]').selectOption('1');
    expect(requested.filter((u) => /peers-task|\.wasm$/.test(u)), 'nothing of the peers is fetched before a run').toEqual([]);

    await peers.getByRole('button', { name: 'Run comparison' }).click();
    const status = peers.locator('.peers-run [role="status"]');
    await expect.poll(() => status.textContent(), { timeout: 120_000 }).toMatch(/^done: \d+ rows$/);
    // The peers' code and TF.js's .wasm came from this app's own origin, never a CDN.
    expect(requested.some((u) => u.includes('peers-task'))).toBe(true);
    const wasm = requested.filter((u) => u.endsWith('.wasm'));
    expect(wasm.length).toBeGreaterThan(0);
    for (const u of wasm) expect(new URL(u).origin).toBe(new URL(app.url).origin);

    // WebGPU side first: ours, jax-js (both formulations) and TF.js timed on every VJP line.
    const table = peers.locator('.peers-table');
    expect(await table.locator('caption').textContent()).toMatch(/^WebGPU/);
    expect(await table.locator('tbody tr').count()).toBe(4);
    expect(await table.locator('td.verdict-timed').count()).toBe(16);
    expect(await canvasColours(page, 'section.peers .bench-card canvas >> nth=0')).toBeGreaterThan(20);
    expect(await canvasColours(page, 'section.peers .bench-card canvas >> nth=1')).toBeGreaterThan(20);
    // SwiftShader computes on the CPU, and the set-up line says what that means for the WebGPU numbers.
    expect(await peers.locator('.peers-setup').textContent()).toContain(SOFTWARE_ADAPTER_NOTE);
    // Under the table, the goals: every one missed names the lines that miss it.
    const goals = peers.locator('.peers-bar li');
    expect(await goals.count()).toBeGreaterThan(0);
    for (const goal of await goals.all()) {
      const text = (await goal.textContent()) ?? '';
      expect(/; missed by vjp (layer|mlp) w=8/.test(text), text).toBe(await goal.evaluate((li) => li.classList.contains('peer-faster')));
    }
    // CPU side: TF.js twice, on its WebAssembly and its plain-JavaScript backend.
    await peers.locator('select[name="peers-chart-side"]').selectOption('cpu');
    expect(await table.locator('caption').textContent()).toMatch(/^CPU/);
    expect(await table.locator('td.verdict-timed').count()).toBe(20);
    await screenshot(page, '5-bench-peers');

    const [download] = await Promise.all([page.waitForEvent('download'), peers.getByRole('button', { name: 'Export CSV' }).click()]);
    expect(download.suggestedFilename()).toBe('gradient-lab-peers.csv');
    const rows = (await readFile((await download.path())!, 'utf8')).trim().split('\n');
    expect(rows[0]).toMatch(/^side,system,device,task,fn,n,m,k,formulation,/);
    // 4 VJP lines × (ours, jax-js twice, TF.js) × 2 sides, and TF.js on its JavaScript backend on the CPU side.
    expect(rows).toHaveLength(1 + 32 + 4);
  });
});

describe('share links', () => {
  it('restores the program, sizes and view of a link', async () => {
    const source = '# shared\ninput x[n]\ninput W[m, n]\noutput loss = sum(tanh(W @ x))\n';
    const { page } = await open(encodeState({ ...DEFAULT_STATE, source, sizes: { n: 3, m: 2 }, mode: 'grad', view: 'jacobian' }));
    expect(await page.getByRole('tab', { name: 'Jacobian' }).getAttribute('aria-selected')).toBe('true');
    expect(await page.locator('#panel-jacobian').isVisible()).toBe(true);
    expect(await page.locator('#panel-results').isVisible()).toBe(false);
    await expect.poll(() => editorText(page)).toBe(source);
    expect(await page.getByLabel('size n').inputValue()).toBe('3');
    expect(await page.getByLabel('size m').inputValue()).toBe('2');
    // The chosen mode is there when the Results tab is opened.
    await page.getByRole('tab', { name: 'Results' }).click();
    expect(await page.getByRole('combobox', { name: 'Compute' }).inputValue()).toBe('grad');
    await expect.poll(() => page.locator('.results .scalar-line').textContent(), SLOW).toMatch(/^loss = /);
    await screenshot(page, '5-share-restored');
  });

  it('restores folded Jacobian seeds and says what folding did', async () => {
    const { page } = await open(encodeState({ ...DEFAULT_STATE, mode: 'jacobian', jacobianMode: 'fwd', foldSeeds: true, backend: 'cpu', view: 'results' }));
    const fold = page.getByRole('checkbox', { name: 'Fold identity seeds' });
    expect(await fold.isChecked()).toBe(true);
    await page.getByRole('button', { name: 'Run (Ctrl+Enter)' }).click();
    await expect.poll(() => results(page).textContent(), SLOW).toContain('Identity seeds folded');
    // One pass per input port of the default MLP (x, W1, b1, W2, b2).
    expect(await results(page).locator('.explain').first().textContent()).toContain('in 5 batched passes');
  });

  it('shows a hostile link as text only and falls back to defaults for bad fields', async () => {
    const payload = '<img src=x onerror=alert(1)>';
    const source = `input x[n]\noutput y = sum(x) # ${payload}\n<script>alert(2)</script>\n`;
    const hostile = {
      ...DEFAULT_STATE,
      source,
      sizes: { n: -3, '<b>': 2 },
      mode: '<svg onload=alert(3)>' as TaskMode,
      view: 'bogus' as ViewName,
      backend: 'javascript:alert(4)' as BackendChoice,
      output: '<img src=y onerror=alert(5)>',
    };
    const { page, problems } = await open(encodeState(hostile));

    await expect.poll(() => editorText(page)).toContain(payload);
    expect(await page.getByRole('tab', { name: 'Results' }).getAttribute('aria-selected')).toBe('true');
    expect(await page.getByRole('combobox', { name: 'Compute' }).inputValue()).toBe(DEFAULT_STATE.mode);
    expect(await page.getByRole('combobox', { name: 'Backend' }).inputValue()).toBe(DEFAULT_STATE.backend);
    expect(await page.getByLabel('size n').inputValue()).toBe(String(DEFAULT_STATE.sizes.n));
    // The stray markup is a syntax error, reported as text.
    await expect.poll(() => results(page).locator('h3').first().textContent()).toBe('The program has errors');
    expect(await results(page).locator('.errors li').first().textContent()).toMatch(/^3:1 /);
    expect(await page.locator('.problems-list .problem').first().textContent()).toContain('3:1');

    // Nothing from the link became an element: no image, no inline handler, no inline script.
    const injected = await page.evaluate(() => ({
      images: document.querySelectorAll('img').length,
      handlers: document.querySelectorAll('[onerror], [onload], [onmouseover]').length,
      inlineScripts: [...document.scripts].filter((s) => s.src === '').length,
    }));
    expect(injected).toEqual({ images: 0, handlers: 0, inlineScripts: 0 });
    await screenshot(page, '5-share-hostile');
    // No alert() ran (openApp records every dialog from before the page loaded).
    expect(problems.filter((p) => p.startsWith('dialog'))).toEqual([]);
  });

  it('ignores a hash that is not a state', async () => {
    const { page } = await open('#s=%%%not-lz-string');
    await expect.poll(() => editorText(page)).toBe(DEFAULT_STATE.source);
    expect(await page.getByRole('tab', { name: 'Results' }).getAttribute('aria-selected')).toBe('true');
  });
});

describe('without WebGPU', () => {
  let plain: Browser;
  beforeAll(async () => {
    plain = await launchChromium({ webgpu: false });
  });
  afterAll(async () => {
    await plain?.close();
  });

  it('computes on the CPU under auto, says why, and explains an explicit WebGPU request', async () => {
    const { page } = await open('', plain);
    const gpu = await page.evaluate(async () => {
      const api = (navigator as Navigator & { gpu?: GPU }).gpu;
      return api === undefined ? 'absent' : (await api.requestAdapter()) === null ? 'no adapter' : 'adapter';
    });
    expect(['absent', 'no adapter']).toContain(gpu);

    await typeProgram(page, PROGRAM);
    await expectSharedSource(page, PROGRAM);
    expect(await page.getByRole('combobox', { name: 'Backend' }).inputValue()).toBe('auto');
    await runFromEditor(page);
    await expect.poll(() => page.locator('.results .tensor-caption strong').allTextContents(), SLOW).toEqual(['∂y/∂x', '∂y/∂W', '∂loss/∂x', '∂loss/∂W']);
    expect(await statsLine(page).textContent()).toMatch(/^CPU .* · f64 · /);
    expect(await statsReason(page).textContent()).toMatch(/^CPU fallback: WebGPU is unavailable/);
    await expect.poll(() => page.locator('.results .check h3').textContent(), SLOW).toContain('all passed');
    await screenshot(page, '6-no-webgpu-auto');

    await page.getByRole('combobox', { name: 'Backend' }).selectOption('webgpu');
    await runFromEditor(page);
    await expect.poll(() => results(page).locator('h3').first().textContent(), SLOW).toBe('Could not compute this');
    expect(await results(page).locator('.errors li').first().textContent()).toMatch(/WebGPU is unavailable: WebGPU found no adapter|no navigator\.gpu/);
    expect(await page.locator('#panel-results .controls .status').textContent()).toBe('failed');
    await screenshot(page, '6-no-webgpu-explicit');

    // The Benchmark tab says why its WebGPU box is disabled.
    await page.getByRole('tab', { name: 'Benchmark' }).click();
    await page.getByText(/^WebGPU — (no WebGPU adapter was found|this browser does not offer WebGPU)/).waitFor();
    expect(await page.locator('.bench-controls input[name="webgpu"]').isDisabled()).toBe(true);
  });
});
