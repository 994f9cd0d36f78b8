// The Explain tab: for the current program, which mode is cheaper for the full Jacobian and why, in words.
import type { AppContext, View } from '../context.ts';
import { h } from '../dom.ts';
import { explainCost, formatFlops, type CostExplanation } from './explain-model.ts';
import './explain.css';

/** Recompute this long after the last edit, so typing stays smooth. */
const DEBOUNCE_MS = 200;
/** Above this many input and output scalars together, the explanation is not attempted. */
const MAX_WIDTH = 2 ** 36;

const count = (x: number) => x.toLocaleString('en-US');

function bars(e: CostExplanation): HTMLElement {
  const top = Math.max(e.fwdFlops, e.revFlops, 1);
  const row = (label: string, mode: 'fwd' | 'rev', flops: number) => [
    h('span', { text: label }),
    h('div', { class: 'explain-bar-track' }, [h('div', { class: `explain-bar ${mode}`, attrs: { style: `width: ${(100 * flops) / top}%` } })]),
    h('span', { class: 'explain-num', text: formatFlops(flops) }),
  ];
  return h('div', { class: 'explain-bars', attrs: { role: 'img', 'aria-label': `forward ${formatFlops(e.fwdFlops)}, reverse ${formatFlops(e.revFlops)}` } }, [
    ...row(`Forward: ${count(e.n)} JVP${e.n === 1 ? '' : 's'}`, 'fwd', e.fwdFlops),
    ...row(`Reverse: ${count(e.m)} VJP${e.m === 1 ? '' : 's'}`, 'rev', e.revFlops),
  ]);
}

function portTable(e: CostExplanation): HTMLElement {
  const shape = (s: readonly number[]) => (s.length === 0 ? 'scalar' : `[${s.join(', ')}]`);
  const rows = [
    ...e.inputs.map((p) => h('tr', {}, [h('td', { text: 'input' }), h('td', { text: p.name }), h('td', { text: shape(p.shape) }), h('td', { class: 'num', text: count(p.scalars) })])),
    ...e.outputs.map((p) => h('tr', {}, [h('td', { text: 'output' }), h('td', { text: p.name }), h('td', { text: shape(p.shape) }), h('td', { class: 'num', text: count(p.scalars) })])),
  ];
  return h('table', { class: 'explain-ports' }, [
    h('thead', {}, [h('tr', {}, ['port', 'name', 'shape', 'scalars'].map((t) => h('th', { text: t })))]),
    h('tbody', {}, rows),
  ]);
}

function render(e: CostExplanation): HTMLElement[] {
  return [
    h('p', { class: `explain-verdict ${e.winner}`, text: e.verdict }),
    h('p', { class: 'explain-why', text: e.why }),
    bars(e),
    h('h3', { text: `Forward mode: n = ${count(e.n)} JVP passes` }),
    h('p', { class: 'mode-fwd', text: e.forward }),
    h('h3', { text: `Reverse mode: m = ${count(e.m)} VJP pass${e.m === 1 ? '' : 'es'}` }),
    h('p', { class: 'mode-rev', text: e.reverse }),
    h('h3', { text: 'Relative to the primal' }),
    h('p', { text: e.relative }),
    ...(e.notes.length > 0 ? [h('h3', { text: 'Notes' }), h('ul', { class: 'explain-notes' }, e.notes.map((n) => h('li', { text: n })))] : []),
    h('h3', { text: 'Inputs and outputs' }),
    portTable(e),
    h('p', { class: 'hint', text: 'Costs are the FLOP model of the derived graphs (JVP batched over n seeds, VJP over m seeds), built from shapes only — nothing is run. The Benchmark tab measures them.' }),
  ];
}

/** The Explain view: the forward-vs-reverse cost model of the current program, recomputed (debounced) as it changes. */
export const explainView: View = {
  name: 'explain',
  label: 'Explain',
  mount(panel, ctx: AppContext) {
    let wrt = '';
    const wrtSelect = h('select', { attrs: { name: 'wrt' }, on: { change: () => { wrt = wrtSelect.value; update(); } } });
    const body = h('div', { attrs: { 'aria-live': 'polite' } });
    panel.append(h('div', { class: 'explain-view' }, [
      h('div', { class: 'controls' }, [h('label', { class: 'field' }, [h('span', { text: 'Differentiate with respect to' }), wrtSelect])]),
      body,
    ]));

    let shownKey = '';
    const update = () => {
      const { source, sizes } = ctx.store.state;
      const key = `${source}\u0000${JSON.stringify(sizes)}\u0000${wrt}`;
      if (key === shownKey) return;
      shownKey = key;
      const compiled = ctx.program();
      if (!compiled.ok) {
        wrtSelect.replaceChildren();
        body.replaceChildren(h('p', { text: 'Fix the program to see its cost model.' }), h('ul', { class: 'errors' }, compiled.errors.map((d) => h('li', { text: `${d.line}:${d.column} ${d.message}` }))));
        return;
      }
      const { program } = compiled;
      const names = program.inputs.map((p) => p.name);
      if (!names.includes(wrt)) wrt = '';
      wrtSelect.replaceChildren(h('option', { text: `every input (n = ${count(program.inputWidth)})`, attrs: { value: '' } }), ...program.inputs.map((p) => h('option', { text: p.name, attrs: { value: p.name } })));
      wrtSelect.value = wrt;
      if (program.inputWidth + program.outputWidth > MAX_WIDTH) {
        body.replaceChildren(h('p', { class: 'warning', text: `With ${count(program.inputWidth)} input and ${count(program.outputWidth)} output scalars these sizes are beyond what this view will model; try smaller sizes.` }));
        return;
      }
      try {
        body.replaceChildren(...render(explainCost(program, wrt === '' ? undefined : [wrt])));
      } catch (err) {
        body.replaceChildren(h('p', { class: 'errors', text: `Could not build the derived graphs: ${(err as Error).message}` }));
      }
    };

    let timer = 0;
    ctx.store.subscribe((s, prev) => {
      if (s.view !== 'explain') return;
      if (s.view !== prev.view) update();
      else if (s.source !== prev.source || s.sizes !== prev.sizes) {
        clearTimeout(timer);
        timer = window.setTimeout(update, DEBOUNCE_MS);
      }
    });
    update();
  },
};
