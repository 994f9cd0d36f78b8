import type { SweepTrace, Tensor } from '../../index.ts';
import type { AppContext, View } from '../context.ts';
import { h, svg } from '../dom.ts';
import { JobError, type Job } from '../engine/client.ts';
import { displayGraph, displayOrder, elementName, stepCaption, type DisplayGraph } from './graph-model.ts';
import { arrowMarkers, drawGraph, drawNodeData, PanZoom, type Drawing } from './graph-render.ts';
import { heatPalette } from './jacobian-heatmap.ts';
import { formatNumber } from './tensor-table.ts';
import './graph.css';

type NodeId = number;

/** Numbers a trace may carry back from the worker (a value and a derivative per element of every node). */
const MAX_TRACE_NUMBERS = 1_000_000;
/** Graphs beyond this many boxes are refused: the layout would be unreadable anyway. */
const MAX_BOXES = 400;
const STEP_MS = 900;
/** Element pickers list every element up to this count, then become a number field. */
const MAX_LISTED = 512;
/** Rows of the inspector's table of a node's elements. */
const MAX_ROWS = 40;

interface Sweep {
  readonly mode: 'fwd' | 'rev';
  readonly port: string;
  readonly index: number;
}

let mounted = 0;

function field(label: string, control: HTMLElement): HTMLLabelElement {
  return h('label', { class: 'field' }, [h('span', { text: label }), control]);
}

/** A node's elements as rows: index, value, derivative (blank where not known yet). */
function valuesTable(like: Tensor, value: Tensor | null, deriv: Tensor | null, symbol: string): HTMLTableElement {
  const size = like.data.length;
  const head = h('tr', {}, [h('th', { text: '' }), h('th', { text: 'value' }), h('th', { text: symbol })]);
  const rows = [head];
  for (let i = 0; i < Math.min(size, MAX_ROWS); i++) {
    rows.push(h('tr', {}, [
      h('th', { text: like.shape.length === 0 ? '' : elementName('', like.shape, i) }),
      h('td', { text: value === null ? '' : formatNumber(value.data[i]) }),
      h('td', { text: deriv === null ? '' : formatNumber(deriv.data[i]) }),
    ]));
  }
  if (size > MAX_ROWS) rows.push(h('tr', {}, [h('td', { text: `… ${size - MAX_ROWS} more`, attrs: { colspan: 3 } })]));
  return h('table', { class: 'tensor-table graph-values' }, rows);
}

/**
 * The Graph view: the program's graph laid out as a DAG, and a step-through of one forward sweep
 * (the tangent of e_j on an input, pushed to every output) or one reverse sweep (the adjoint of e_i
 * on an output, pulled back to every input), with the local rule of each step in words.
 */
function mountGraph(panel: HTMLElement, ctx: AppContext): void {
  const { store } = ctx;
  const prefix = `gl-graph-${++mounted}`;
  let model: DisplayGraph | null = null;
  let drawing: Drawing | null = null;
  let programKey = '';
  let sweep: Sweep = { mode: 'fwd', port: '', index: 0 };
  let trace: SweepTrace | null = null;
  let order: NodeId[] = [];
  let step = -1;
  let timer: number | null = null;
  let job: Job | null = null;
  let selected: NodeId | null = null;
  let stale = true;

  const modeSelect = h('select', { attrs: { 'aria-label': 'Sweep' }, on: { change: () => setSweep({ mode: modeSelect.value as Sweep['mode'], port: '', index: 0 }) } });
  modeSelect.append(h('option', { text: 'Forward: tangent from an input', attrs: { value: 'fwd' } }), h('option', { text: 'Reverse: adjoint from an output', attrs: { value: 'rev' } }));
  const portSelect = h('select', { on: { change: () => setSweep({ ...sweep, port: portSelect.value, index: 0 }) } });
  const elementSlot = h('span');
  const playButton = h('button', { class: 'primary', text: 'Play', attrs: { type: 'button', 'aria-pressed': 'false' }, on: { click: () => togglePlay() } });
  const stepButton = h('button', { text: 'Step', attrs: { type: 'button' }, on: { click: () => advance() } });
  const resetButton = h('button', { text: 'Reset', attrs: { type: 'button' }, on: { click: () => { pause(); step = -1; renderStep(); } } });
  const status = h('span', { class: 'status', attrs: { role: 'status' } });
  const portField = field('from', portSelect);
  const controls = h('div', { class: 'controls graph-controls' }, [
    field('Sweep', modeSelect), portField, field('element', elementSlot),
    h('span', { class: 'button-group' }, [playButton, stepButton, resetButton]), status,
  ]);
  const caption = h('p', { class: 'graph-caption', attrs: { 'aria-live': 'polite' } });

  // Focusable, so that after a click on the drawing Space still reaches the panel's play toggle.
  const svgEl = svg('svg', { class: 'graph-svg', role: 'img', tabindex: 0 });
  svgEl.append(arrowMarkers(prefix));
  const viewport = h('div', { class: 'graph-viewport' }, [svgEl]);
  const zoom = new PanZoom(svgEl, () => drawing?.content ?? null, () => drawing ?? { width: 0, height: 0 });
  const tools = h('div', { class: 'graph-zoom' }, [
    h('button', { text: 'Fit', attrs: { type: 'button', title: 'Fit the graph to the view' }, on: { click: () => zoom.fit('all') } }),
    h('button', { text: '+', attrs: { type: 'button', 'aria-label': 'Zoom in' }, on: { click: () => zoom.zoomBy(1.25) } }),
    h('button', { text: '−', attrs: { type: 'button', 'aria-label': 'Zoom out' }, on: { click: () => zoom.zoomBy(0.8) } }),
  ]);
  viewport.append(tools);
  const inspector = h('aside', { class: 'graph-inspector', attrs: { 'aria-label': 'Node details' } });
  const hint = h('p', { class: 'hint', text: 'Drag to pan, wheel to zoom. Click a node to inspect it. Space plays or pauses.' });
  panel.append(controls, caption, h('div', { class: 'graph-main' }, [viewport, inspector]), hint);

  svgEl.addEventListener('click', (e) => {
    const node = (e.target as Element).closest('.gnode');
    selected = node === null ? null : Number(node.getAttribute('data-node'));
    renderInspector();
  });
  panel.addEventListener('keydown', (e) => {
    const target = e.target as HTMLElement;
    if (e.key !== ' ' || target.closest('button, select, input, textarea, [contenteditable]') !== null) return;
    e.preventDefault();
    togglePlay();
  });
  // The view may be mounted before it has a size; fit once it gets one.
  let fitted = false;
  new ResizeObserver(() => {
    if (!fitted && drawing !== null && viewport.clientWidth > 0) {
      fitted = true;
      zoom.fit('auto');
    }
  }).observe(viewport);

  const ports = () => {
    const compiled = ctx.program();
    if (!compiled.ok) return [];
    return sweep.mode === 'fwd' ? compiled.program.inputs : compiled.program.outputs;
  };

  function setSweep(next: Sweep): void {
    sweep = next;
    renderControls();
    requestTrace();
  }

  /** Keeps the sweep pointing at a port and element that exist, and rebuilds the pickers. */
  function renderControls(): void {
    const list = ports();
    if (!list.some((p) => p.name === sweep.port)) sweep = { ...sweep, port: list[0]?.name ?? '', index: 0 };
    const port = list.find((p) => p.name === sweep.port);
    const size = port === undefined ? 0 : port.shape.reduce((a, b) => a * b, 1);
    if (sweep.index >= size) sweep = { ...sweep, index: 0 };
    modeSelect.value = sweep.mode;
    portField.querySelector('span')!.textContent = sweep.mode === 'fwd' ? 'seed input' : 'seed output';
    portSelect.replaceChildren(...list.map((p) => h('option', { text: p.name, attrs: { value: p.name } })));
    portSelect.value = sweep.port;
    if (port === undefined) {
      elementSlot.replaceChildren();
      return;
    }
    if (size <= MAX_LISTED) {
      const select = h('select', { attrs: { 'aria-label': 'Element' }, on: { change: () => setSweep({ ...sweep, index: Number(select.value) }) } });
      for (let i = 0; i < size; i++) select.append(h('option', { text: elementName(port.name, port.shape, i), attrs: { value: i } }));
      select.value = String(sweep.index);
      elementSlot.replaceChildren(select);
    } else {
      const input = h('input', { attrs: { type: 'number', min: 0, max: size - 1, value: sweep.index, 'aria-label': 'Element index' }, on: { change: () => setSweep({ ...sweep, index: Math.min(size - 1, Math.max(0, Math.floor(Number(input.value)) || 0)) }) } });
      elementSlot.replaceChildren(input);
    }
  }

  /** Lays out the current program's graph (when it changed) and traces the current sweep. */
  function refresh(): void {
    if (store.state.view !== 'graph') {
      stale = true;
      return;
    }
    stale = false;
    const compiled = ctx.program();
    const { source, sizes } = store.state;
    const key = `${source}\u0000${JSON.stringify(sizes)}`;
    if (!compiled.ok) {
      job?.cancel();
      pause();
      model = null;
      drawing?.content.remove();
      drawing = null;
      programKey = '';
      trace = null;
      caption.textContent = `The program has errors: ${compiled.errors[0].message}`;
      status.textContent = '';
      inspector.replaceChildren();
      setButtons();
      return;
    }
    if (key !== programKey) {
      programKey = key;
      const next = displayGraph(compiled.program.graph);
      drawing?.content.remove();
      selected = null;
      if (next.nodes.length > MAX_BOXES) {
        model = null;
        drawing = null;
        caption.textContent = `This graph has ${next.nodes.length} nodes, more than the ${MAX_BOXES} a layout can show legibly. Try a smaller program.`;
        setButtons();
        return;
      }
      model = next;
      drawing = drawGraph(model, prefix);
      svgEl.setAttribute('aria-label', `Computation graph with ${model.nodes.length} nodes`);
      svgEl.append(drawing.content);
      fitted = viewport.clientWidth > 0;
      zoom.fit('auto');
    }
    renderControls();
    requestTrace();
  }

  function requestTrace(): void {
    job?.cancel();
    job = null;
    pause();
    trace = null;
    order = [];
    step = -1;
    const compiled = ctx.program();
    if (!compiled.ok || model === null || sweep.port === '') {
      renderStep();
      return;
    }
    const numbers = 2 * compiled.program.graph.nodes.reduce((s, n) => s + n.shape.reduce((a, b) => a * b, 1), 0);
    if (numbers > MAX_TRACE_NUMBERS) {
      renderStep();
      caption.textContent = `Tracing would send ${numbers.toLocaleString()} numbers (a value and a derivative for every element of every node), more than ${MAX_TRACE_NUMBERS.toLocaleString()}: use smaller sizes to step through a sweep.`;
      return;
    }
    const { source, sizes, seed } = store.state;
    const current = ctx.engine.run({ source, sizes, seed, backend: 'cpu', task: { kind: 'trace', mode: sweep.mode, port: sweep.port, index: sweep.index } });
    job = current;
    status.textContent = 'tracing…';
    renderStep();
    current.result.then(({ result }) => {
      if (job !== current || result.kind !== 'trace' || model === null) return;
      job = null;
      trace = result.trace;
      order = displayOrder(model, trace);
      renderStep();
      // Show where the sweep starts (on a big graph, the seeded output may be far below).
      const start = drawing?.boxes.get(order[0]);
      if (start !== undefined) zoom.reveal(start);
    }, (err: unknown) => {
      if (job !== current) return;
      job = null;
      if (err instanceof JobError && err.cancelled) return;
      status.textContent = 'failed';
      caption.textContent = `Could not trace this sweep: ${err instanceof Error ? err.message : String(err)}`;
      setButtons();
    });
  }

  function setButtons(): void {
    const ready = trace !== null;
    stepButton.disabled = !ready || step >= order.length - 1;
    playButton.disabled = !ready;
    resetButton.disabled = !ready || step < 0;
    playButton.textContent = timer === null ? 'Play' : 'Pause';
    playButton.setAttribute('aria-pressed', String(timer !== null));
  }

  function advance(): void {
    if (trace === null || step >= order.length - 1) return;
    step++;
    renderStep();
    if (step >= order.length - 1) pause();
  }

  function pause(): void {
    if (timer !== null) clearInterval(timer);
    timer = null;
    setButtons();
  }

  function togglePlay(): void {
    if (trace === null) return;
    if (timer !== null) {
      pause();
      return;
    }
    if (step >= order.length - 1) step = -1;
    advance();
    timer = window.setInterval(advance, STEP_MS);
    setButtons();
  }

  const seedName = () => {
    const port = ports().find((p) => p.name === sweep.port);
    return port === undefined ? sweep.port : elementName(port.name, port.shape, sweep.index);
  };

  /** Colors nodes and edges for the current step, fills in their numbers, and says what happened. */
  function renderStep(): void {
    setButtons();
    if (model === null || drawing === null) return;
    const visited = new Set(order.slice(0, step + 1));
    const inSweep = new Set(order);
    const current = step >= 0 ? order[step] : null;
    svgEl.classList.toggle('sweep-fwd', trace?.mode === 'fwd');
    svgEl.classList.toggle('sweep-rev', trace?.mode === 'rev');
    const palette = heatPalette();
    const derivs = trace === null ? [] : trace.mode === 'fwd' ? trace.tangents : trace.adjoints;
    const symbol = trace?.mode === 'rev' ? 'x̄' : 'ẋ';
    for (const [id, box] of drawing.boxes) {
      const on = visited.has(id);
      box.el.classList.toggle('on', on);
      box.el.classList.toggle('current', id === current);
      box.el.classList.toggle('ahead', trace !== null && !on && inSweep.has(id));
      box.el.classList.toggle('off', trace !== null && !inSweep.has(id));
      if (trace === null) {
        drawNodeData(box, [], palette);
        continue;
      }
      // Reverse mode starts after the forward pass, so every value is known from the first step.
      const showValue = on || trace.mode === 'rev';
      drawNodeData(box, [{ symbol: 'v', tensor: showValue ? trace.values[id] : null }, { symbol, tensor: on ? derivs[id] : null }], palette);
    }
    for (const edge of drawing.edges) {
      const lit = trace !== null && visited.has(edge.to) && (trace.mode === 'fwd' ? visited.has(edge.from) : inSweep.has(edge.from));
      edge.el.classList.toggle('lit', lit);
      edge.el.classList.toggle('flow', lit && edge.to === current);
      const kind = !lit ? 'plain' : trace!.mode;
      edge.el.setAttribute('marker-end', kind === 'rev' ? '' : `url(#${prefix}-${kind})`);
      edge.el.setAttribute('marker-start', kind === 'rev' ? `url(#${prefix}-rev)` : '');
    }
    if (current !== null && drawing.boxes.has(current)) zoom.reveal(drawing.boxes.get(current)!);
    if (trace === null) {
      if (job !== null) caption.textContent = 'Tracing the sweep on the engine…';
      renderInspector();
      return;
    }
    caption.dataset.mode = trace.mode;
    status.textContent = step < 0 ? `${order.length} steps` : `step ${step + 1} of ${order.length}`;
    caption.textContent = current === null ? introText(trace) : stepCaption(model, trace, current, seedName()) + (step === order.length - 1 ? ` ${doneText(trace)}` : '');
    renderInspector();
  }

  const introText = (t: SweepTrace) => (t.mode === 'fwd'
    ? `Forward mode: the tangent starts as e on ${seedName()} and is pushed through the nodes in topological order to every output, ${order.length} steps. Press Step or Play.`
    : `Reverse mode: the forward pass has stored every value. The adjoint starts as e on ${seedName()} and is pulled back to every input it depends on, ${order.length} steps. Press Step or Play.`);

  const doneText = (t: SweepTrace) => (t.mode === 'fwd'
    ? `Done: the output tangents are the Jacobian's column for ${seedName()}: one JVP, one column.`
    : `Done: the input adjoints are the Jacobian's row for ${seedName()}: one VJP, one row.`);

  function renderInspector(): void {
    const id = selected ?? (step >= 0 ? order[step] : null);
    for (const [boxId, box] of drawing?.boxes ?? []) box.el.classList.toggle('selected', boxId === selected);
    if (model === null || id === null || trace === null) {
      inspector.replaceChildren(h('p', { class: 'hint', text: trace === null ? '' : 'The current node’s value and derivative appear here; click any node to inspect it.' }));
      return;
    }
    const box = model.nodes.find((n) => n.id === id)!;
    const reached = order.slice(0, step + 1).includes(id);
    const fwd = trace.mode === 'fwd';
    const deriv = trace.mode === 'fwd' ? trace.tangents[id] : trace.adjoints[id];
    const parts: HTMLElement[] = [h('h3', { text: box.title }), h('p', { class: 'hint', text: `${box.shape}${box.outputs.length > 0 ? ` · output ${box.outputs.join(', ')}` : ''}` })];
    let note = '';
    if (!reached) {
      if (order.includes(id)) note = fwd ? 'Not reached yet.' : 'Its adjoint is not complete yet.';
      else note = fwd ? `The direction on ${seedName()} never reaches this node: its tangent is zero.` : `${seedName()} does not depend on this node: its adjoint is zero.`;
    }
    parts.push(h('p', { class: 'hint', text: fwd ? `ẋ = ∂(this)/∂${seedName()}` : `x̄ = ∂${seedName()}/∂(this)` }));
    parts.push(valuesTable(trace.values[id], fwd && !reached ? null : trace.values[id], reached ? deriv : null, fwd ? 'ẋ' : 'x̄'));
    if (note !== '') parts.push(h('p', { text: note }));
    inspector.replaceChildren(...parts);
  }

  // Typing changes the source on every key: lay out and trace once the edits pause.
  let debounce = 0;
  store.subscribe((s, prev) => {
    if (s.source !== prev.source || s.sizes !== prev.sizes || s.seed !== prev.seed) {
      stale = true;
      clearTimeout(debounce);
      debounce = window.setTimeout(refresh, 250);
    } else if (s.view !== prev.view) {
      if (s.view !== 'graph') pause();
      else if (stale) refresh();
    } else if (s.theme !== prev.theme) renderStep();
  });
  refresh();
}

/** The Graph tab. */
export const graphView: View = {
  name: 'graph',
  label: 'Graph',
  mount: mountGraph,
};
