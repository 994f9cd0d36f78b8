import type { AppContext } from '../context.ts';
import { h } from '../dom.ts';

/** The program editor (replaced by the Monaco editor). */
export function mountEditor(el: HTMLElement, ctx: AppContext): void {
  const area = h('textarea', { attrs: { spellcheck: 'false', 'aria-label': 'Program source', rows: 16 } });
  area.value = ctx.store.state.source;
  area.addEventListener('input', () => ctx.store.update({ source: area.value }));
  ctx.store.subscribe((s) => {
    if (s.source !== area.value) area.value = s.source;
  });
  el.append(area);
}
