import type { Diagnostic, RunStats } from '../../index.ts';
import type { AppContext, View } from '../context.ts';
import { h } from '../dom.ts';
import { JobError, type Job } from '../engine/client.ts';
import type { Task, TaskResult } from '../engine/protocol.ts';
import type { TaskMode } from '../state.ts';
import { formatNumber, tensorTable } from './tensor-table.ts';

const MODE_LABELS: Record<TaskMode, string> = {
  evaluate: 'Evaluate',
  jvp: 'JVP — forward mode (J·v)',
  vjp: 'VJP — reverse mode (uᵀJ)',
  grad: 'Gradient of a scalar output',
  jacobian: 'Full Jacobian',
  hvp: 'Hessian-vector product (H·v)',
};

function select<T extends string>(label: string, options: readonly (readonly [T, string])[], value: T, onChange: (v: T) => void): HTMLLabelElement {
  const el = h('select', { on: { change: () => onChange(el.value as T) } });
  for (const [v, text] of options) el.append(h('option', { text, attrs: { value: v, selected: v === value } }));
  el.value = value;
  return h('label', { class: 'field' }, [h('span', { text: label }), el]);
}

function checkbox(label: string, checked: boolean, onChange: (v: boolean) => void): HTMLLabelElement {
  const el = h('input', { attrs: { type: 'checkbox', checked }, on: { change: () => onChange(el.checked) } });
  return h('label', { class: 'field check' }, [el, h('span', { text: label })]);
}

function statsLine(stats: RunStats): HTMLElement {
  const parts = [
    `${stats.device}`,
    `${stats.dtype}`,
    `${stats.ms.toFixed(1)} ms`,
    `${formatNumber(stats.flops)} FLOPs (estimated)`,
    ...(stats.passes > 1 ? [`${stats.passes} passes`] : []),
    ...(stats.dispatches !== undefined ? [`${stats.dispatches} GPU dispatches`] : []),
    ...(stats.gpuMs ? [`${stats.gpuMs.toFixed(1)} ms GPU time`] : []),
  ];
  return h('div', { class: 'stats' }, [h('div', { text: parts.join(' · ') }), h('div', { class: 'reason', text: stats.reason })]);
}

/** A clause (the engine's reasons start in lower case, for the CLI's parentheses) as a sentence. */
const sentence = (clause: string) => clause.charAt(0).toUpperCase() + clause.slice(1);

/** Renders one result: values, the backend used and why, time and FLOPs. */
function renderResult(result: TaskResult): HTMLElement[] {
  const tensors = (title: string, record: Record<string, { shape: readonly number[]; data: ArrayLike<number> }>, suffix = '') =>
    h('div', { class: 'group' }, [h('h3', { text: title }), ...Object.entries(record).map(([k, t]) => tensorTable(`${k}${suffix}`, { shape: t.shape, data: Float64Array.from(t.data) }))]);
  switch (result.kind) {
    case 'evaluate':
      return [tensors('Outputs', result.outputs), statsLine(result.stats)];
    case 'jvp':
      return [
        h('p', { class: 'explain', text: 'Forward mode pushed one input direction v through the program: every output\'s tangent J·v, in one pass.' }),
        tensors('Direction v (seeded random)', result.direction, '.dot'), tensors('Output tangents J·v', result.tangents, '.dot'), statsLine(result.stats),
      ];
    case 'vjp':
      return [
        h('p', { class: 'explain', text: 'Reverse mode pulled one output weighting u back through the program: every input\'s cotangent uᵀJ, in one pass.' }),
        tensors('Cotangent seed u (seeded random)', result.seed, '.bar'), tensors('Input cotangents uᵀJ', result.cotangents, '.bar'), statsLine(result.stats),
      ];
    case 'grad':
      return [h('div', { class: 'scalar-line', text: `${result.output} = ${formatNumber(result.value)}` }), tensors(`Gradient ∂${result.output}/∂input`, result.gradient), statsLine(result.stats)];
    case 'jacobian': {
      const r = result.result;
      const blocks = Object.entries(r.jacobian).flatMap(([o, row]) => Object.entries(row).map(([i, t]) => tensorTable(`∂${o}/∂${i}`, t)));
      return [
        h('p', { class: 'explain', text: `${r.mode === 'fwd' ? 'Forward' : 'Reverse'} mode: ${r.seeds} ${r.mode === 'fwd' ? 'JVP seeds (one per input element, one column each)' : 'VJP seeds (one per output element, one row each)'} in ${r.stats.passes} batched pass${r.stats.passes > 1 ? 'es' : ''} of up to ${r.chunkSize}. ${sentence(r.estimates.reason)}.` }),
        ...(r.foldSeeds ? [h('p', { class: 'explain', text: 'Identity seeds folded: each pass kept its seed matrix I symbolic, so the first matrix product it met became a scaled copy of the matrix (W·I = W) instead of a product, and the FLOP counts are those of the folded passes.' })] : []),
        h('div', { class: 'group' }, [h('h3', { text: 'Jacobian blocks [output elements × input elements]' }), ...blocks]),
        statsLine(r.stats),
      ];
    }
    case 'hvp':
      return [
        h('p', { class: 'explain', text: 'Forward-over-reverse: a JVP of the gradient graph gives H·v in two AD passes; the Hessian itself is never formed.' }),
        tensors('Direction v', result.direction), tensors(`H·v of ${result.output}`, result.hvp), statsLine(result.stats),
      ];
    case 'check':
      return [checkTable(result)];
    case 'bench':
    case 'peers':
      return []; // sweeps and peer comparisons are shown by the Benchmark view
    case 'trace':
      return []; // sweep traces are shown by the Graph view
  }
}

function checkTable(result: Extract<TaskResult, { kind: 'check' }>): HTMLElement {
  const rows = result.report.checks.map((c) => h('tr', { class: c.passed ? 'pass' : 'fail' }, [
    h('td', { text: c.passed ? '✓' : '✗', attrs: { 'aria-label': c.passed ? 'passed' : 'failed' } }),
    h('td', { text: c.name }),
    h('td', { text: `error ${c.error.toExponential(2)} ≤ ${c.tolerance.toExponential(0)}` }),
    h('td', { class: 'detail', text: c.detail }),
  ]));
  return h('div', { class: 'group check' }, [h('h3', { text: `Derivative checks (f64, CPU) — ${result.report.passed ? 'all passed' : 'FAILED'}` }), h('table', {}, rows)]);
}

function diagnosticsList(diagnostics: readonly Diagnostic[]): HTMLElement {
  return h('ul', { class: 'errors', attrs: { role: 'alert' } }, diagnostics.map((d) => h('li', { text: d.line > 0 ? `${d.line}:${d.column} ${d.message}` : d.message })));
}

function taskFor(mode: TaskMode, state: { output: string; input: string; jacobianMode: 'fwd' | 'rev' | 'auto'; foldSeeds: boolean }): Task {
  switch (mode) {
    case 'evaluate': return { kind: 'evaluate' };
    case 'jvp': return { kind: 'jvp', input: state.input };
    case 'vjp': return { kind: 'vjp', output: state.output };
    case 'grad': return { kind: 'grad', output: state.output };
    case 'jacobian': return { kind: 'jacobian', mode: state.jacobianMode, foldSeeds: state.foldSeeds };
    case 'hvp': return { kind: 'hvp', output: state.output };
  }
}

/** The Results view: choose a computation, run it on the engine worker, see values, backend, time and checks. */
export const resultsView: View = {
  name: 'results',
  label: 'Results',
  mount(panel, ctx) {
    const { store } = ctx;
    const controls = h('div', { class: 'controls' });
    const out = h('div', { class: 'results', attrs: { 'aria-live': 'polite' } });
    const progress = h('progress', { attrs: { max: 1, value: 0, 'aria-label': 'Progress' } });
    const status = h('span', { class: 'status' });
    let job: Job | null = null;
    const runButton = h('button', { class: 'primary', text: 'Run (Ctrl+Enter)', attrs: { type: 'button' }, on: { click: () => run() } });
    const cancelButton = h('button', { text: 'Cancel', attrs: { type: 'button', disabled: true }, on: { click: () => job?.cancel() } });

    const renderControls = () => {
      const s = store.state;
      const compiled = ctx.program();
      const outputs = compiled.ok ? compiled.program.outputs.map((p) => p.name) : [];
      const inputs = compiled.ok ? compiled.program.inputs.map((p) => p.name) : [];
      const fields: HTMLElement[] = [select('Compute', Object.entries(MODE_LABELS) as [TaskMode, string][], s.mode, (mode) => store.update({ mode }))];
      if (s.mode === 'jvp') fields.push(select('Direction on', [['', 'every input'], ...inputs.map((n) => [n, n] as const)], s.input, (input) => store.update({ input })));
      if (s.mode === 'vjp') fields.push(select('Seed output', [['', 'every output'], ...outputs.map((n) => [n, n] as const)], s.output, (output) => store.update({ output })));
      if (s.mode === 'grad' || s.mode === 'hvp') fields.push(select('Of output', [['', 'the only output'], ...outputs.map((n) => [n, n] as const)], s.output, (output) => store.update({ output })));
      if (s.mode === 'jacobian') {
        fields.push(select('Mode', [['auto', 'auto (cheaper by FLOPs)'], ['fwd', 'forward: n JVPs'], ['rev', 'reverse: m VJPs']], s.jacobianMode, (jacobianMode) => store.update({ jacobianMode })));
        fields.push(checkbox('Fold identity seeds', s.foldSeeds, (foldSeeds) => store.update({ foldSeeds })));
      }
      fields.push(select('Backend', [['auto', 'auto (measured)'], ['cpu', 'CPU'], ['webgpu', 'WebGPU']], s.backend, (backend) => store.update({ backend })));
      controls.replaceChildren(...fields, runButton, cancelButton, progress, status);
    };

    const run = async () => {
      job?.cancel();
      const s = store.state;
      const compiled = ctx.program();
      if (!compiled.ok) {
        out.replaceChildren(h('h3', { text: 'The program has errors' }), diagnosticsList(compiled.errors));
        return;
      }
      const request = { source: s.source, sizes: s.sizes, seed: s.seed, backend: s.backend };
      runButton.disabled = true;
      cancelButton.disabled = false;
      status.textContent = 'running…';
      progress.value = 0;
      const started = performance.now();
      const current = ctx.engine.run({ ...request, task: taskFor(s.mode, s) }, ({ done, total }) => {
        progress.max = total;
        progress.value = done;
        const elapsed = performance.now() - started;
        const remaining = done > 0 ? (elapsed / done) * (total - done) : NaN;
        status.textContent = `${done} / ${total} seeds${Number.isFinite(remaining) ? `, about ${(remaining / 1000).toFixed(1)} s left` : ''}`;
      });
      job = current;
      try {
        const { result, warnings } = await current.result;
        const check = await ctx.engine.run({ ...request, backend: 'cpu', task: { kind: 'check' } }).result.catch(() => null);
        out.replaceChildren(
          ...(warnings.length > 0 ? [h('ul', { class: 'warnings' }, warnings.map((w) => h('li', { text: `${w.line}:${w.column} ${w.message}` })))] : []),
          ...renderResult(result),
          ...(check ? renderResult(check.result) : []),
        );
        status.textContent = 'done';
        progress.value = progress.max;
      } catch (err) {
        if (err instanceof JobError) {
          status.textContent = err.cancelled ? 'cancelled' : 'failed';
          if (!err.cancelled) out.replaceChildren(h('h3', { text: 'Could not compute this' }), diagnosticsList(err.diagnostics));
        } else throw err;
      } finally {
        if (job === current) {
          job = null;
          runButton.disabled = false;
          cancelButton.disabled = true;
        }
      }
    };

    panel.append(controls, out);
    ctx.events.addEventListener('run', () => {
      if (store.state.view === 'results') void run();
    });
    store.subscribe((s, prev) => {
      if (s.mode !== prev.mode || s.source !== prev.source || s.sizes !== prev.sizes || s.output !== prev.output || s.input !== prev.input || s.jacobianMode !== prev.jacobianMode || s.foldSeeds !== prev.foldSeeds || s.backend !== prev.backend) renderControls();
    });
    renderControls();
    void run();
  },
};
