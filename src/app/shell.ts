import type { AppContext, View } from './context.ts';
import { h } from './dom.ts';
import type { ViewName } from './state.ts';

/** The page frame: header controls, the editor column, and a tab list of views (keyboard-usable, ARIA tabs). */
export interface Shell {
  readonly header: HTMLElement;
  readonly headerTools: HTMLElement;
  readonly editorPane: HTMLElement;
  readonly sidebar: HTMLElement;
}

export function mountShell(root: HTMLElement, ctx: AppContext, views: readonly View[]): Shell {
  const { store } = ctx;
  const headerTools = h('div', { class: 'header-tools' });
  const theme = h('button', {
    class: 'tool',
    attrs: { type: 'button', 'aria-pressed': String(store.state.theme === 'dark') },
    text: 'Dark theme',
    on: { click: () => store.update({ theme: store.state.theme === 'dark' ? 'light' : 'dark' }) },
  });
  const font = h('button', {
    class: 'tool',
    attrs: { type: 'button', 'aria-pressed': String(store.state.largeFont) },
    text: 'Large text',
    on: { click: () => store.update({ largeFont: !store.state.largeFont }) },
  });
  const header = h('header', { class: 'app-header' }, [
    h('h1', { text: 'Gradient Lab' }),
    h('p', { class: 'tagline', text: 'forward vs reverse mode, made visible' }),
    headerTools,
    theme,
    font,
  ]);

  const editorPane = h('section', { class: 'editor-pane', attrs: { 'aria-label': 'Program' } });
  const sidebar = h('aside', { class: 'editor-controls', attrs: { 'aria-label': 'Sizes, inputs and run' } });
  const left = h('div', { class: 'left-column' }, [editorPane, sidebar]);

  const tabs = h('div', { class: 'tabs', attrs: { role: 'tablist', 'aria-label': 'Views' } });
  const panels = h('div', { class: 'panels' });
  const buttons = new Map<string, HTMLButtonElement>();
  const panelOf = new Map<string, HTMLElement>();
  const mounted = new Set<string>();
  for (const view of views) {
    const button = h('button', {
      class: 'tab',
      text: view.label,
      attrs: { role: 'tab', id: `tab-${view.name}`, 'aria-controls': `panel-${view.name}`, type: 'button' },
      on: {
        click: () => store.update({ view: view.name as ViewName }),
        keydown: (e) => {
          const order = views.map((v) => v.name);
          const i = order.indexOf(view.name);
          const next = e.key === 'ArrowRight' ? order[(i + 1) % order.length] : e.key === 'ArrowLeft' ? order[(i - 1 + order.length) % order.length] : null;
          if (next !== null) {
            e.preventDefault();
            store.update({ view: next as ViewName });
            buttons.get(next)?.focus();
          }
        },
      },
    });
    const panel = h('section', { class: 'panel', attrs: { role: 'tabpanel', id: `panel-${view.name}`, 'aria-labelledby': `tab-${view.name}` } });
    buttons.set(view.name, button);
    panelOf.set(view.name, panel);
    tabs.append(button);
    panels.append(panel);
  }
  const right = h('main', { class: 'right-column' }, [tabs, panels]);
  root.replaceChildren(header, h('div', { class: 'layout' }, [left, right]));

  const show = () => {
    const { view, theme: t, largeFont } = store.state;
    document.documentElement.dataset.theme = t;
    document.documentElement.classList.toggle('large-font', largeFont);
    theme.setAttribute('aria-pressed', String(t === 'dark'));
    font.setAttribute('aria-pressed', String(largeFont));
    for (const v of views) {
      const selected = v.name === view;
      buttons.get(v.name)!.setAttribute('aria-selected', String(selected));
      buttons.get(v.name)!.tabIndex = selected ? 0 : -1;
      panelOf.get(v.name)!.hidden = !selected;
      // Views mount on first show, so hidden tabs cost nothing at start-up.
      if (selected && !mounted.has(v.name)) {
        mounted.add(v.name);
        v.mount(panelOf.get(v.name)!, ctx);
      }
    }
  };
  store.subscribe(show);
  show();
  return { header, headerTools, editorPane, sidebar };
}
