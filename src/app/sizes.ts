import type { AppContext } from './context.ts';
import { sizeNames } from './context.ts';
import { h } from './dom.ts';

export const MAX_SIZE = 4096;

/** Number inputs for every size name the program uses (n, m, …), up to 4096, and the input seed. */
export function mountSizeControls(el: HTMLElement, ctx: AppContext): void {
  const { store } = ctx;
  let shown = '';
  const render = () => {
    const names = sizeNames(store.state.source);
    const key = `${names.join(',')}|${JSON.stringify(store.state.sizes)}|${store.state.seed}`;
    if (key === shown) return;
    shown = key;
    const fields = names.map((name) => {
      const input = h('input', {
        attrs: { type: 'number', min: 1, max: MAX_SIZE, step: 1, value: store.state.sizes[name] ?? 4, 'aria-label': `size ${name}` },
        on: {
          change: () => {
            const v = Math.round(Number(input.value));
            if (!Number.isFinite(v) || v < 1 || v > MAX_SIZE) {
              input.setCustomValidity(`${name} must be a whole number from 1 to ${MAX_SIZE}`);
              input.reportValidity();
              return;
            }
            input.setCustomValidity('');
            store.update({ sizes: { ...store.state.sizes, [name]: v } });
          },
        },
      });
      return h('label', { class: 'field size' }, [h('span', { text: name }), input]);
    });
    const seed = h('input', {
      attrs: { type: 'number', step: 1, value: store.state.seed, 'aria-label': 'random input seed' },
      on: { change: () => store.update({ seed: Math.round(Number(seed.value)) || 0 }) },
    });
    el.replaceChildren(
      h('div', { class: 'sizes' }, [h('span', { class: 'legend', text: 'Sizes' }), ...fields]),
      h('label', { class: 'field seed' }, [h('span', { text: 'Input seed' }), seed]),
      h('p', { class: 'hint', text: 'Inputs are drawn from a standard normal distribution with this seed.' }),
    );
  };
  store.subscribe(render);
  render();
}
