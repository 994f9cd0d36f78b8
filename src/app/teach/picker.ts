// The preset picker (in the header) and the active preset's explanation (next to the editor), with
// the one-click fix when reverse mode lacks a scalar seed.
import type { AppContext } from '../context.ts';
import { h } from '../dom.ts';
import { loadPreset } from './load.ts';
import { PRESETS, presetById, type Preset } from './presets.ts';
import { missingSeed, wrapOutputInSum } from './seed.ts';
import './teach.css';

/**
 * Mounts the preset picker into `el`; the explanation box goes just before `near` (the editor pane)
 * when given, otherwise into `el`.
 */
export function mountPresets(el: HTMLElement, ctx: AppContext, near?: HTMLElement): void {
  const { store } = ctx;
  let active: Preset | undefined = PRESETS.find((p) => p.source === store.state.source);

  const select = h('select', {
    attrs: { 'aria-describedby': 'preset-notes-title' },
    on: {
      change: () => {
        const preset = presetById(select.value);
        if (preset === undefined) return;
        active = preset;
        loadPreset(ctx, preset);
      },
    },
  }, [
    h('option', { text: 'Choose a preset…', attrs: { value: '' } }),
    ...PRESETS.map((p) => h('option', { text: p.title, attrs: { value: p.id } })),
  ]);
  el.append(h('label', { class: 'field preset-picker' }, [h('span', { text: 'Preset' }), select]));

  const notes = h('aside', { class: 'preset-notes', attrs: { 'aria-live': 'polite', 'aria-labelledby': 'preset-notes-title' } });
  if (near) near.before(notes);
  else el.append(notes);

  const wrapButton = (output: string) => h('button', {
    class: 'primary',
    text: `Wrap ${output} in sum()`,
    attrs: { type: 'button' },
    on: {
      click: () => {
        const wrapped = wrapOutputInSum(store.state.source, output);
        if (wrapped === null) return;
        store.update({ source: wrapped.source, output: store.state.output === '' ? '' : wrapped.output });
      },
    },
  });

  /** Text with `code` spans as <code> elements (still text only, never markup). */
  const withCode = (text: string): (string | HTMLElement)[] => text.split('`').map((part, i) => (i % 2 === 1 ? h('code', { text: part }) : part));

  let shown = '';
  const render = () => {
    const s = store.state;
    const matching = PRESETS.find((p) => p.source === s.source);
    if (matching) active = matching;
    select.value = active?.id ?? '';
    const compiled = ctx.program();
    const seed = missingSeed(s, compiled);
    // The preset's own fix is offered whatever the mode, as long as its output is still a vector.
    const fixable = active?.fix !== undefined && compiled.ok && (compiled.program.outputs.find((p) => p.name === active!.fix!.output)?.shape.length ?? 0) > 0;
    const fixed = active?.fix !== undefined && s.source === wrapOutputInSum(active.source, active.fix.output)?.source;
    const edited = active !== undefined && active.source !== s.source && !fixed;
    const key = JSON.stringify([active?.id, edited, fixed, fixable, seed]);
    if (key === shown) return;
    shown = key;

    const children: HTMLElement[] = [];
    if (active !== undefined) {
      children.push(
        h('h2', { attrs: { id: 'preset-notes-title' }, text: edited ? `${active.title} (edited)` : active.title }),
        ...active.explanation.map((line) => h('p', { text: line })),
      );
      const fix = active.fix;
      if (fix !== undefined && fixable) children.push(h('p', { class: 'fix' }, withCode(fix.explanation)), wrapButton(fix.output));
      else if (fix !== undefined && fixed) {
        children.push(h('p', { class: 'fixed', text: `Now '${fix.output}' has a seed: Gradient starts reverse mode from 1 on it. Run it (Ctrl+Enter).` }));
      }
    }
    if (seed !== null && active?.fix?.output !== seed.output) {
      children.push(
        h('p', { class: 'fix', text: `Reverse mode needs a scalar seed, but '${seed.output}' has shape [${seed.shape.join(', ')}]: sum it to one number (or give cotangent weights with VJP).` }),
        wrapButton(seed.output),
      );
    }
    notes.hidden = children.length === 0;
    notes.replaceChildren(...children);
  };
  store.subscribe(render);
  render();
}
