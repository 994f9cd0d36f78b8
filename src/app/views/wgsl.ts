import { listKernels, type Graph } from '../../index.ts';
import type { AppContext, View } from '../context.ts';
import { h } from '../dom.ts';

/** The graph that the current mode runs (batch 1), for listing its kernels. */
function graphFor(ctx: AppContext): { graph: Graph; title: string } | null {
  const compiled = ctx.program();
  if (!compiled.ok) return null;
  const p = compiled.program;
  const s = ctx.store.state;
  const scalar = p.outputs.find((o) => (s.output === '' || o.name === s.output) && o.shape.length === 0);
  switch (s.mode) {
    case 'jvp': return { graph: p.derived('jvp', [1]), title: 'batched JVP (k = 1)' };
    case 'vjp': return { graph: p.derived('vjp', [1]), title: 'batched VJP (k = 1)' };
    case 'jacobian': return s.jacobianMode === 'rev' ? { graph: p.derived('vjp', [p.outputWidth]), title: `Jacobian by reverse mode (k = ${p.outputWidth})` } : { graph: p.derived('jvp', [p.inputWidth]), title: `Jacobian by forward mode (k = ${p.inputWidth})` };
    case 'grad': return scalar ? { graph: p.derived('grad', [], { of: [scalar.name] }), title: `gradient of ${scalar.name}` } : null;
    case 'hvp': return scalar ? { graph: p.derived('hvp', [1], { of: [scalar.name] }), title: `HVP of ${scalar.name}` } : null;
    case 'evaluate': return { graph: p.graph, title: 'primal' };
  }
}

/** The WGSL view: the generated kernels for the current mode, read-only, with the dispatch list. */
export const wgslView: View = {
  name: 'wgsl',
  label: 'WGSL',
  mount(panel, ctx) {
    const render = () => {
      if (ctx.store.state.view !== 'wgsl') return;
      const target = graphFor(ctx);
      if (target === null) {
        panel.replaceChildren(h('p', { text: 'Fix the program (or pick a scalar output for grad/HVP) to see its kernels.' }));
        return;
      }
      const { kernels, peakBytes, problem } = listKernels(target.graph);
      const list = h('ol', { class: 'dispatches' }, kernels.map((k, i) => h('li', {}, [h('a', { text: k.label, attrs: { href: `#kernel-${i}` } }), ` — workgroups ${k.workgroups.join(' × ')}`])));
      const sources = kernels.map((k, i) => h('section', { class: 'kernel', attrs: { id: `kernel-${i}` } }, [
        h('h3', { text: `${i + 1}. ${k.label}` }),
        // Focusable, so a keyboard can scroll a long kernel sideways.
        h('pre', { class: 'code', text: k.code, attrs: { tabindex: '0', 'aria-label': `WGSL of kernel ${i + 1}` } }),
      ]));
      panel.replaceChildren(
        h('p', { text: `${target.title}: ${kernels.length} dispatches, ${(peakBytes / 1024).toFixed(1)} KiB of device memory at peak (planned for WebGPU's default limits).` }),
        ...(problem ? [h('p', { class: 'warning', text: problem })] : []),
        list,
        ...sources,
      );
    };
    ctx.store.subscribe(render);
    render();
  },
};
