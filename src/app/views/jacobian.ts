import type { JacobianResult, SweepTrace, Tensor } from '../../index.ts';
import type { AppContext, View } from '../context.ts';
import { h } from '../dom.ts';
import { JobError, type Job } from '../engine/client.ts';
import { elementName } from './graph-model.ts';
import { divergingColor, heatPalette, Heatmap, type HeatmapData, type Span } from './jacobian-heatmap.ts';
import { formatNumber } from './tensor-table.ts';

/**
 * Cells the heatmap draws. Past this, cells shrink below a few pixels on a laptop screen (4096 is a
 * 64 × 64 matrix), hover targets stop being hittable, and the worker would ship a matrix nobody can read.
 */
export const MAX_CELLS = 4096;

const MAX_LISTED = 512;

interface Probe {
  readonly mode: 'fwd' | 'rev';
  readonly port: string;
  readonly index: number;
}

const numel = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

function spans(ports: readonly { name: string; shape: readonly number[] }[]): Span[] {
  let start = 0;
  return ports.map((p) => {
    const span = { name: p.name, shape: p.shape, start, size: numel(p.shape) };
    start += span.size;
    return span;
  });
}

/** The Jacobian blocks as one m × n matrix: rows grouped by output, columns by input, in program order. */
function assemble(result: JacobianResult, rows: readonly Span[], cols: readonly Span[]): Float64Array {
  const n = cols.reduce((s, c) => s + c.size, 0);
  const m = rows.reduce((s, r) => s + r.size, 0);
  const values = new Float64Array(m * n);
  for (const row of rows) {
    for (const col of cols) {
      const block = result.jacobian[row.name][col.name].data;
      for (let i = 0; i < row.size; i++) for (let j = 0; j < col.size; j++) values[(row.start + i) * n + col.start + j] = block[i * col.size + j];
    }
  }
  return values;
}

function concat(record: Record<string, Tensor>, order: readonly Span[]): Float64Array {
  const out = new Float64Array(order.reduce((s, p) => s + p.size, 0));
  for (const p of order) out.set(record[p.name].data, p.start);
  return out;
}

/**
 * The Jacobian view: the full Jacobian of a small program as a heatmap with its (output, input)
 * blocks, and one JVP (a column) or VJP (a row) run on its own to show it is that column or row.
 */
function mountJacobian(panel: HTMLElement, ctx: AppContext): void {
  const { store } = ctx;
  let probe: Probe = { mode: 'fwd', port: '', index: 0 };
  let heatmap: Heatmap | null = null;
  let result: JacobianResult | null = null;
  let rows: Span[] = [];
  let cols: Span[] = [];
  let single: Float64Array | null = null;
  let cursor: { r: number; c: number } | null = null;
  let job: Job | null = null;
  let passJob: Job | null = null;
  let stale = true;
  let key = '';

  const modeSelect = h('select', { attrs: { 'aria-label': 'Highlight' }, on: { change: () => setProbe({ mode: modeSelect.value as Probe['mode'], port: '', index: 0 }) } });
  modeSelect.append(h('option', { text: 'forward: column j of input', attrs: { value: 'fwd' } }), h('option', { text: 'reverse: row i of output', attrs: { value: 'rev' } }));
  const portSelect = h('select', { attrs: { 'aria-label': 'Port' }, on: { change: () => setProbe({ ...probe, port: portSelect.value, index: 0 }) } });
  const elementSlot = h('span');
  const passButton = h('button', { class: 'primary', attrs: { type: 'button' }, on: { click: () => runPass() } });
  const status = h('span', { class: 'status', attrs: { role: 'status' } });
  const controls = h('div', { class: 'controls' }, [h('label', { class: 'field' }, [h('span', { text: 'Highlight' }), modeSelect]), portSelect, elementSlot, passButton, status]);
  const explain = h('p', { class: 'explain' });
  const tooltip = h('div', { class: 'heat-tooltip', attrs: { hidden: true, 'aria-hidden': 'true' } });
  const wrap = h('div', { class: 'heat-wrap' });
  const legend = h('div', { class: 'heat-legend' });
  const readout = h('p', { class: 'heat-readout', attrs: { 'aria-live': 'polite' } });
  const comparison = h('div', { class: 'heat-comparison', attrs: { 'aria-live': 'polite' } });
  panel.append(controls, explain, h('div', { class: 'heat-stage' }, [wrap, tooltip]), legend, readout, comparison);

  const compiledProgram = () => {
    const c = ctx.program();
    return c.ok ? c.program : null;
  };
  const probePorts = () => (probe.mode === 'fwd' ? cols : rows);
  /** The lit column (forward) or row (reverse) in the whole matrix. */
  const litIndex = () => (probePorts().find((s) => s.name === probe.port)?.start ?? 0) + probe.index;

  function setProbe(next: Probe): void {
    probe = next;
    single = null;
    passJob?.cancel();
    comparison.replaceChildren();
    renderControls();
    draw();
  }

  function renderControls(): void {
    const list = probePorts();
    if (!list.some((p) => p.name === probe.port)) probe = { ...probe, port: list[0]?.name ?? '', index: 0 };
    const port = list.find((p) => p.name === probe.port);
    if (port !== undefined && probe.index >= port.size) probe = { ...probe, index: 0 };
    modeSelect.value = probe.mode;
    portSelect.replaceChildren(...list.map((p) => h('option', { text: p.name, attrs: { value: p.name } })));
    portSelect.value = probe.port;
    passButton.textContent = probe.mode === 'fwd' ? 'Run this JVP' : 'Run this VJP';
    passButton.disabled = heatmap === null;
    if (port === undefined) {
      elementSlot.replaceChildren();
      return;
    }
    if (port.size <= MAX_LISTED) {
      const select = h('select', { attrs: { 'aria-label': 'Element' }, on: { change: () => setProbe({ ...probe, index: Number(select.value) }) } });
      for (let i = 0; i < port.size; i++) select.append(h('option', { text: elementName(port.name, port.shape, i), attrs: { value: i } }));
      select.value = String(probe.index);
      elementSlot.replaceChildren(select);
    } else {
      const input = h('input', { attrs: { type: 'number', min: 0, max: port.size - 1, value: probe.index, 'aria-label': 'Element index' }, on: { change: () => setProbe({ ...probe, index: Math.min(port.size - 1, Math.max(0, Math.floor(Number(input.value)) || 0)) }) } });
      elementSlot.replaceChildren(input);
    }
    const name = elementName(port.name, port.shape, probe.index);
    explain.textContent = probe.mode === 'fwd'
      ? `Column ${litIndex()} holds ∂(every output)/∂${name}. Forward mode gets it from one JVP with the seed e on ${name}; the whole Jacobian takes one JVP per column.`
      : `Row ${litIndex()} holds ∂${name}/∂(every input). Reverse mode gets it from one VJP with the seed e on ${name}; the whole Jacobian takes one VJP per row.`;
  }

  function draw(): void {
    if (heatmap === null) return;
    heatmap.draw({ kind: probe.mode === 'fwd' ? 'col' : 'row', index: litIndex(), probe: single }, cursor);
  }

  function renderLegend(max: number): void {
    const palette = heatPalette();
    const bar = h('span', { class: 'heat-bar' });
    bar.style.background = `linear-gradient(to right, ${divergingColor(-1, palette)}, ${divergingColor(0, palette)}, ${divergingColor(1, palette)})`;
    // Ticks at the bar's quarter points sit at ±max/4: the color grows with √|value|.
    const ticks = h('span', { class: 'heat-ticks' }, [-1, -0.25, 0, 0.25, 1].map((t) => h('span', { text: t === 0 ? '0' : `${t < 0 ? '−' : '+'}${Number((Math.abs(t) * max).toPrecision(2))}` })));
    legend.replaceChildren(h('span', { class: 'heat-scale' }, [bar, ticks]), h('span', { class: 'hint', text: 'color ∝ √|value|; blank cells are exactly 0. Hover a cell (or focus the map and use the arrow keys) for its value; click to light its column or row.' }));
  }

  function refresh(): void {
    if (store.state.view !== 'jacobian') {
      stale = true;
      return;
    }
    stale = false;
    const program = compiledProgram();
    const { source, sizes, seed, jacobianMode } = store.state;
    const next = `${source}\u0000${JSON.stringify(sizes)}\u0000${seed}\u0000${jacobianMode}`;
    if (next === key) return;
    key = next;
    job?.cancel();
    passJob?.cancel();
    heatmap?.canvas.remove();
    heatmap = null;
    result = null;
    single = null;
    comparison.replaceChildren();
    legend.replaceChildren();
    readout.textContent = '';
    if (program === null) {
      rows = [];
      cols = [];
      renderControls();
      explain.textContent = 'Fix the program to see its Jacobian.';
      return;
    }
    rows = spans(program.outputs);
    cols = spans(program.inputs);
    renderControls();
    const m = program.outputWidth;
    const n = program.inputWidth;
    if (m * n > MAX_CELLS) {
      explain.textContent = `The Jacobian is ${m} × ${n} = ${(m * n).toLocaleString()} cells, more than the ${MAX_CELLS} this heatmap draws: beyond that, cells shrink below a few pixels and can no longer be read or hovered. Use smaller sizes (the Results tab still computes the blocks).`;
      passButton.disabled = true;
      return;
    }
    status.textContent = 'computing…';
    const current = ctx.engine.run({ source, sizes, seed, backend: 'cpu', task: { kind: 'jacobian', mode: jacobianMode } });
    job = current;
    current.result.then(({ result: r }) => {
      if (job !== current || r.kind !== 'jacobian') return;
      job = null;
      result = r.result;
      const data: HeatmapData = { rows, cols, values: assemble(result, rows, cols) };
      heatmap = new Heatmap(data);
      wrap.append(heatmap.canvas);
      attach(heatmap);
      heatmap.layout(wrap.clientWidth || 800);
      draw();
      renderLegend(heatmap.maxAbs);
      renderControls();
      const how = result.mode === 'fwd' ? `forward mode: ${result.seeds} JVPs, one per column` : `reverse mode: ${result.seeds} VJPs, one per row`;
      status.textContent = `${m} × ${n}, computed by ${how}`;
    }, (err: unknown) => {
      if (job !== current) return;
      job = null;
      if (err instanceof JobError && err.cancelled) return;
      status.textContent = 'failed';
      explain.textContent = `Could not compute the Jacobian: ${err instanceof Error ? err.message : String(err)}`;
    });
  }

  /** Hover and keyboard: the cell's meaning and value; a click (or Enter) lights its column or row. */
  function attach(map: Heatmap): void {
    const canvas = map.canvas;
    canvas.tabIndex = 0;
    canvas.setAttribute('role', 'img');
    canvas.setAttribute('aria-label', `Jacobian heatmap, ${map.m} rows (outputs ${rows.map((r) => r.name).join(', ')}) by ${map.n} columns (inputs ${cols.map((c) => c.name).join(', ')}). Use the arrow keys to read cells.`);
    const show = (cell: { r: number; c: number }, at: { x: number; y: number } | null) => {
      cursor = cell;
      const text = map.describe(cell.r, cell.c, formatNumber);
      readout.textContent = `${text} (${map.block(cell.r, cell.c)})`;
      tooltip.textContent = text;
      tooltip.hidden = at === null;
      if (at !== null) {
        const stage = wrap.getBoundingClientRect();
        tooltip.style.left = `${at.x - stage.left + wrap.scrollLeft + 14}px`;
        tooltip.style.top = `${at.y - stage.top + 14}px`;
      }
      draw();
    };
    const select = (cell: { r: number; c: number }) => {
      const list = probe.mode === 'fwd' ? cols : rows;
      const flat = probe.mode === 'fwd' ? cell.c : cell.r;
      const span = list.find((s) => flat >= s.start && flat < s.start + s.size)!;
      setProbe({ ...probe, port: span.name, index: flat - span.start });
    };
    canvas.addEventListener('mousemove', (e) => {
      const cell = map.cellAt(e.clientX, e.clientY);
      if (cell === null) {
        tooltip.hidden = true;
        return;
      }
      show(cell, { x: e.clientX, y: e.clientY });
    });
    canvas.addEventListener('mouseleave', () => {
      tooltip.hidden = true;
    });
    canvas.addEventListener('click', (e) => {
      const cell = map.cellAt(e.clientX, e.clientY);
      if (cell !== null) select(cell);
    });
    canvas.addEventListener('keydown', (e) => {
      const at = cursor ?? { r: 0, c: 0 };
      const moves: Record<string, [number, number]> = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
      if (e.key in moves) {
        e.preventDefault();
        const [dr, dc] = moves[e.key];
        show({ r: Math.min(map.m - 1, Math.max(0, at.r + dr)), c: Math.min(map.n - 1, Math.max(0, at.c + dc)) }, null);
      } else if (e.key === 'Enter' && cursor !== null) select(cursor);
    });
  }

  /** Runs the one JVP (or VJP) of the lit column (or row) on its own, and compares. */
  function runPass(): void {
    if (heatmap === null) return;
    passJob?.cancel();
    const { source, sizes, seed } = store.state;
    const asked = probe;
    const current = ctx.engine.run({ source, sizes, seed, backend: 'cpu', task: { kind: 'trace', mode: asked.mode, port: asked.port, index: asked.index } });
    passJob = current;
    status.textContent = asked.mode === 'fwd' ? 'running one JVP…' : 'running one VJP…';
    current.result.then(({ result: r }) => {
      if (passJob !== current || r.kind !== 'trace' || heatmap === null) return;
      passJob = null;
      const trace: SweepTrace = r.trace;
      single = trace.mode === 'fwd' ? concat(trace.outputTangents, rows) : concat(trace.inputAdjoints, cols);
      const lit = litIndex();
      const expected = asked.mode === 'fwd'
        ? Float64Array.from({ length: heatmap.m }, (_, i) => heatmap!.data.values[i * heatmap!.n + lit])
        : heatmap.data.values.slice(lit * heatmap.n, (lit + 1) * heatmap.n);
      let diff = 0;
      single.forEach((v, i) => {
        diff = Math.max(diff, Math.abs(v - expected[i]));
      });
      const scale = Math.max(heatmap.maxAbs, 1e-300);
      const same = diff <= 1e-12 * scale;
      const port = probePorts().find((p) => p.name === asked.port)!;
      const name = elementName(port.name, port.shape, asked.index);
      const what = asked.mode === 'fwd'
        ? `One JVP with the seed e on ${name} gives J·e, drawn right of the matrix`
        : `One VJP with the seed e on ${name} gives eᵀJ, drawn under the matrix`;
      const values = (label: string, v: Float64Array) => h('tr', {}, [h('th', { text: label }), ...[...v.slice(0, 12)].map((x) => h('td', { text: formatNumber(x) })), ...(v.length > 12 ? [h('td', { text: '…' })] : [])]);
      comparison.replaceChildren(
        h('p', { class: same ? 'pass' : 'fail', text: `${same ? '✓' : '✗'} ${what}: ${same ? 'it equals' : 'it differs from'} the lit ${asked.mode === 'fwd' ? 'column' : 'row'}${diff === 0 ? ' exactly' : ` (max |difference| ${diff.toExponential(2)}${same ? ', rounding' : ''})`}.` }),
        h('div', { class: 'heat-table' }, [h('table', { class: 'tensor-table' }, [values(asked.mode === 'fwd' ? 'JVP' : 'VJP', single), values(asked.mode === 'fwd' ? `column ${lit}` : `row ${lit}`, expected)])]),
      );
      status.textContent = 'done';
      draw();
    }, (err: unknown) => {
      if (passJob !== current) return;
      passJob = null;
      if (!(err instanceof JobError && err.cancelled)) status.textContent = `failed: ${err instanceof Error ? err.message : String(err)}`;
    });
  }

  let width = 0;
  new ResizeObserver(() => {
    const w = wrap.clientWidth;
    if (heatmap === null || w === 0 || Math.abs(w - width) < 8) return;
    width = w;
    heatmap.layout(w);
    draw();
  }).observe(wrap);

  let debounce = 0;
  store.subscribe((s, prev) => {
    if (s.source !== prev.source || s.sizes !== prev.sizes || s.seed !== prev.seed || s.jacobianMode !== prev.jacobianMode) {
      stale = true;
      clearTimeout(debounce);
      debounce = window.setTimeout(refresh, 250);
    } else if (s.view !== prev.view && s.view === 'jacobian' && stale) refresh();
    else if (s.theme !== prev.theme && heatmap !== null) {
      draw();
      renderLegend(heatmap.maxAbs);
    }
  });
  ctx.events.addEventListener('run', () => {
    if (store.state.view !== 'jacobian') return;
    key = '';
    refresh();
  });
  refresh();
}

/** The Jacobian tab. */
export const jacobianView: View = {
  name: 'jacobian',
  label: 'Jacobian',
  mount: mountJacobian,
};
