// The Monaco editor bound to the app: edits flow to the store (debounced), the store's source, theme
// and font size flow back, and the program's diagnostics become markers. Loaded lazily by mount.ts.
import type { Diagnostic } from '../../index.ts';
import type { AppContext } from '../context.ts';
import type { AppState } from '../state.ts';
import { minimalEdit } from './diff.ts';
import { attachModel, LANGUAGE_ID, registerLanguage, THEMES } from './language.ts';
import { monaco } from './monaco.ts';
import { markerRange, problemsOf } from './problems.ts';

/** How long typing may pause before the store (and the markers) catch up. */
export const EDIT_DEBOUNCE_MS = 150;

/** The owner name of this editor's markers. */
export const MARKER_OWNER = 'gradient-lab';

export interface CodeEditor {
  readonly editor: monaco.editor.IStandaloneCodeEditor;
  readonly model: monaco.editor.ITextModel;
  /** Sends pending edits to the store now (before a run, or in tests). */
  flush(): void;
  /** Puts the cursor on a diagnostic and focuses the editor. */
  jump(d: Diagnostic): void;
  dispose(): void;
}

/** Monaco's vs / vs-dark, with built-in functions coloured. */
const themeOf = (s: AppState) => THEMES[s.theme];
const fontSizeOf = (s: AppState) => (s.largeFont ? 20 : 14);

let models = 0;

/** Creates the editor in `host`, showing and editing `ctx.store.state.source`. */
export function createCodeEditor(host: HTMLElement, ctx: AppContext): CodeEditor {
  const { store } = ctx;
  registerLanguage();
  const uri = monaco.Uri.parse(`inmemory://gradient-lab/program-${++models}.gl`);
  const model = monaco.editor.createModel(store.state.source, LANGUAGE_ID, uri);
  const detach = attachModel(uri.toString(), ctx);
  const editor = monaco.editor.create(host, {
    model,
    ariaLabel: 'Program source. Ctrl+Enter runs it; F8 goes to the next problem.',
    theme: themeOf(store.state),
    fontSize: fontSizeOf(store.state),
    automaticLayout: true,
    minimap: { enabled: false },
    scrollBeyondLastLine: false,
    wordBasedSuggestions: 'off',
    // Hover and suggestion widgets may extend past the editor pane, which clips its children.
    fixedOverflowWidgets: true,
    tabSize: 2,
    renderWhitespace: 'none',
    // The default dims the number of the line after a final newline to a contrast of 1.8:1 (axe, WCAG AA needs 4.5).
    renderFinalNewline: 'on',
  });

  let timer: ReturnType<typeof setTimeout> | undefined;
  const flush = () => {
    clearTimeout(timer);
    timer = undefined;
    store.update({ source: model.getValue() });
  };
  const changes = model.onDidChangeContent(() => {
    clearTimeout(timer);
    timer = setTimeout(flush, EDIT_DEBOUNCE_MS);
  });
  editor.addCommand(monaco.KeyMod.CtrlCmd | monaco.KeyCode.Enter, () => {
    flush();
    ctx.events.dispatchEvent(new Event('run'));
  });

  const showMarkers = () => {
    const source = model.getValue();
    // Markers describe the store's program; while edits are pending they are refreshed after the flush.
    if (source !== store.state.source) return;
    const markers = problemsOf(ctx.program()).map((d) => ({
      ...markerRange(d, source),
      severity: d.severity === 'error' ? monaco.MarkerSeverity.Error : monaco.MarkerSeverity.Warning,
      source: 'gradient-lab',
      code: d.kind,
    }));
    monaco.editor.setModelMarkers(model, MARKER_OWNER, markers);
  };

  const unsubscribe = store.subscribe((s, prev) => {
    // Only a change of the store's source is external: while typing is pending the model is ahead of the
    // store, and another control changing the state (backend, theme) must not undo that typing.
    if (s.source !== prev.source && s.source !== model.getValue()) {
      // An external change (preset, share link, one-click fix): one minimal edit keeps the cursor and undo.
      const edit = minimalEdit(model.getValue(), s.source)!;
      const [a, b] = [model.getPositionAt(edit.start), model.getPositionAt(edit.end)];
      editor.pushUndoStop();
      editor.executeEdits('gradient-lab', [{ range: new monaco.Range(a.lineNumber, a.column, b.lineNumber, b.column), text: edit.text }]);
      editor.pushUndoStop();
      // The store already holds this text (and any pending typing was overwritten by it).
      clearTimeout(timer);
    }
    if (s.theme !== prev.theme) monaco.editor.setTheme(themeOf(s));
    if (s.largeFont !== prev.largeFont) editor.updateOptions({ fontSize: fontSizeOf(s) });
    if (s.source !== prev.source || s.sizes !== prev.sizes) showMarkers();
  });
  showMarkers();

  return {
    editor,
    model,
    flush,
    jump(d) {
      const line = Math.max(d.line, 1);
      const column = Math.max(d.column, 1);
      editor.setSelection(new monaco.Range(line, column, line, column + Math.max(d.length, 0)));
      editor.revealLineInCenterIfOutsideViewport(line);
      editor.focus();
    },
    dispose() {
      clearTimeout(timer);
      unsubscribe();
      changes.dispose();
      detach();
      editor.dispose();
      model.dispose();
    },
  };
}
