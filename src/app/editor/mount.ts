import type { Diagnostic } from '../../index.ts';
import type { AppContext } from '../context.ts';
import { h } from '../dom.ts';
import type { CodeEditor } from './code-editor.ts';
import { problemsOf, renderProblems } from './problems.ts';
import './editor.css';

/** The mounted editor: Monaco once its chunk has loaded (a plain text area until then). */
export interface EditorHandle {
  /** Resolves to the Monaco editor; rejects if it could not be loaded (the text area then stays). */
  readonly ready: Promise<CodeEditor>;
}

/**
 * The program editor with its Problems list. Monaco is loaded lazily so the rest of the page starts
 * at once; meanwhile (or if loading fails) a plain text area edits the same source.
 */
export function mountEditor(el: HTMLElement, ctx: AppContext): EditorHandle {
  const { store } = ctx;
  const area = h('textarea', { class: 'code-fallback', attrs: { spellcheck: 'false', 'aria-label': 'Program source', rows: 16 } });
  area.value = store.state.source;
  area.addEventListener('input', () => store.update({ source: area.value }));
  const host = h('div', { class: 'code-host' }, [area]);

  // Only the counts are announced as they change; the list itself is read on demand.
  const summary = h('h2', { class: 'problems-summary', attrs: { id: 'problems-heading', 'aria-live': 'polite' } });
  const list = h('ul', { class: 'problems-list' });
  const problems = h('section', { class: 'problems', attrs: { 'aria-labelledby': 'problems-heading' } }, [summary, list]);
  el.append(host, problems);

  let jump = (d: Diagnostic) => {
    area.focus();
    area.setSelectionRange(d.offset, d.offset + d.length);
  };
  let shown = '';
  const refresh = () => {
    const { source, sizes } = store.state;
    if (source !== area.value && area.isConnected) area.value = source;
    const key = `${source}\u0000${JSON.stringify(sizes)}`;
    if (key === shown) return;
    shown = key;
    renderProblems(list, summary, problemsOf(ctx.program()), (d) => jump(d));
  };
  store.subscribe(refresh);
  refresh();

  const ready = import('./code-editor.ts').then(({ createCodeEditor }) => {
    area.remove();
    const editor = createCodeEditor(host, ctx);
    jump = editor.jump;
    return editor;
  });
  ready.catch((err: unknown) => {
    host.append(h('p', { class: 'warning', text: `The code editor could not be loaded (${String(err)}); this plain text area edits the program instead.` }));
  });
  return { ready };
}
