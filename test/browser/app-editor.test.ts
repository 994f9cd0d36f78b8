// The Monaco editor in a real page: highlighting, live markers, completion, hover, Ctrl+Enter, the
// Problems list and syncing with the store.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { userEvent } from 'vitest/browser';
import { createContext, type AppContext } from '../../src/app/context.ts';
import type { CodeEditor } from '../../src/app/editor/code-editor.ts';
import { completionProvider, hoverProvider, LANGUAGE_ID } from '../../src/app/editor/language.ts';
import { monaco } from '../../src/app/editor/monaco.ts';
import { mountEditor } from '../../src/app/editor/mount.ts';
import type { EngineClient } from '../../src/app/engine/client.ts';
import { DEFAULT_STATE, Store } from '../../src/app/state.ts';
import { tokenize } from '../../src/lang/lexer.ts';
import { PRESETS } from '../../src/app/teach/presets.ts';

/** Editor tests never run the engine. */
const stubEngine = { run: () => { throw new Error('no engine in editor tests'); } } as unknown as EngineClient;

const until = async (condition: () => boolean, what: string, ms = 3000) => {
  const start = performance.now();
  while (!condition()) {
    if (performance.now() - start > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

let root: HTMLElement;
let ctx: AppContext;
let code: CodeEditor;

beforeEach(async () => {
  root = document.createElement('section');
  root.className = 'editor-pane';
  root.style.width = '700px';
  document.body.append(root);
  ctx = createContext(new Store(DEFAULT_STATE), stubEngine);
  code = await mountEditor(root, ctx).ready;
});

afterEach(() => {
  code.dispose();
  root.remove();
});

const markers = () => monaco.editor.getModelMarkers({ resource: code.model.uri });

describe('the Monaco editor', () => {
  it('replaces the text area, with an accessible name', () => {
    expect(root.querySelector('textarea.code-fallback')).toBeNull();
    expect(root.querySelector('.monaco-editor')).not.toBeNull();
    expect(code.editor.getOption(monaco.editor.EditorOption.ariaLabel)).toMatch(/Program source/);
    expect(code.model.getLanguageId()).toBe(LANGUAGE_ID);
  });

  it('highlights keywords, functions, numbers, operators and comments', async () => {
    const [line] = monaco.editor.tokenize('output y = 0.5 * tanh(x) # c', LANGUAGE_ID);
    const types = line.map((t) => t.type.replace(/\.gradient-lab$/, ''));
    expect(types).toEqual(expect.arrayContaining(['keyword', 'identifier', 'operator', 'number', 'predefined', 'delimiter.parenthesis', 'comment']));
    // The rendered lines carry several token colours (tokenization finishes in the background).
    const colours = () => new Set([...root.querySelectorAll('.view-line span[class*="mtk"]')].map((s) => getComputedStyle(s).color));
    await until(() => colours().size >= 4, 'four token colours');
    expect(colours().size).toBeGreaterThanOrEqual(4);
  });

  it('tokenizes every preset like the lexer does', () => {
    const kinds: Record<string, string> = { keyword: 'keyword', ident: 'identifier|predefined', number: 'number', op: 'operator', punct: 'delimiter.*' };
    for (const preset of PRESETS) {
      const lines = preset.source.split('\n');
      const monarch = monaco.editor.tokenize(preset.source, LANGUAGE_ID);
      for (const token of tokenize(preset.source).tokens) {
        if (!(token.kind in kinds)) continue;
        const { line, column } = token.span;
        const row = monarch[line - 1];
        const found = [...row].reverse().find((t) => t.offset <= column - 1)!;
        expect(found.type.replace(/\.gradient-lab$/, ''), `${preset.id} ${line}:${column} '${token.text}' in '${lines[line - 1]}'`).toMatch(new RegExp(`^(${kinds[token.kind]})$`));
      }
    }
  });

  it('marks a bad program at the right line and column, with a squiggle, and lists it under Problems', async () => {
    ctx.store.update({ source: 'input x[n]\noutput y = foo(x)\n', sizes: { n: 3 } });
    expect(code.model.getValue()).toBe('input x[n]\noutput y = foo(x)\n');
    await until(() => markers().length > 0, 'a marker');
    expect(markers()[0]).toMatchObject({ severity: monaco.MarkerSeverity.Error, startLineNumber: 2, startColumn: 12, endLineNumber: 2, endColumn: 15 });
    expect(markers()[0].message).toMatch(/foo/);
    await until(() => root.querySelector('.squiggly-error') !== null, 'an error squiggle');

    const item = root.querySelector<HTMLButtonElement>('.problems-list .problem-jump')!;
    expect(item.textContent).toMatch(/^2:12error.*foo/);
    expect(root.querySelector('.problems-summary')!.textContent).toBe('Problems: 1 error, 0 warnings');
    item.click();
    expect(code.editor.getSelection()!.getStartPosition()).toMatchObject({ lineNumber: 2, column: 12 });

    ctx.store.update({ source: 'input x[n]\ninput z[n]\noutput y = sum(x)\n' });
    await until(() => markers().length === 1 && markers()[0].severity === monaco.MarkerSeverity.Warning, 'a warning marker');
    expect(markers()[0].startLineNumber).toBe(2);
  });

  it('updates markers and the store as you type (debounced)', async () => {
    ctx.store.update({ source: 'input x[n]\noutput y = sum(x)\n', sizes: { n: 3 } });
    code.editor.focus();
    code.editor.setPosition({ lineNumber: 2, column: 18 });
    await userEvent.keyboard(' @ q');
    expect(ctx.store.state.source).toBe('input x[n]\noutput y = sum(x)\n');
    await until(() => ctx.store.state.source.includes('sum(x) @ q'), 'the store to catch up');
    await until(() => markers().length > 0, 'a marker for q');
    expect(markers()[0]).toMatchObject({ startLineNumber: 2, startColumn: 21 });
  });

  it('completes tanh with its signature and doc', async () => {
    ctx.store.update({ source: 'input x[n]\noutput y = ta', sizes: { n: 3 } });
    const position = new monaco.Position(2, 13);
    const list = await completionProvider.provideCompletionItems(code.model, position, { triggerKind: monaco.languages.CompletionTriggerKind.Invoke }, new monaco.CancellationTokenSource().token);
    const tanh = list!.suggestions.find((s) => s.label === 'tanh')!;
    expect(tanh.detail).toBe('tanh(x)');
    expect((tanh.documentation as { value: string }).value).toContain('Hyperbolic tangent');
    expect(list!.suggestions.some((s) => s.label === 'x')).toBe(true);

    // And the suggest widget shows it.
    code.editor.focus();
    code.editor.setPosition(position);
    code.editor.trigger('test', 'editor.action.triggerSuggest', {});
    await until(() => [...root.ownerDocument.querySelectorAll('.suggest-widget .monaco-list-row')].some((r) => r.textContent?.includes('tanh')), 'the suggest widget');
  });

  it("hovers tanh with its derivative, and a name with its shape", async () => {
    ctx.store.update({ source: 'input x[n]\nh = tanh(x)\noutput y = sum(h)\n', sizes: { n: 5 } });
    const token = new monaco.CancellationTokenSource().token;
    const hover = await hoverProvider.provideHover(code.model, new monaco.Position(2, 6), token);
    const text = hover!.contents.map((c) => c.value).join('\n');
    expect(text).toContain('d tanh(x) = (1 - tanh(x)²) dx');
    const name = await hoverProvider.provideHover(code.model, new monaco.Position(3, 17), token);
    expect(name!.contents.map((c) => c.value).join('\n')).toContain('h : [5]');

    code.editor.setPosition({ lineNumber: 2, column: 6 });
    code.editor.trigger('test', 'editor.action.showHover', {});
    await until(() => (root.ownerDocument.querySelector('.monaco-hover')?.textContent ?? '').includes('d tanh(x)'), 'the hover widget');
  });

  it('runs on Ctrl+Enter, once, with pending edits flushed first', async () => {
    let runs = 0;
    let sourceAtRun = '';
    ctx.events.addEventListener('run', () => {
      runs++;
      sourceAtRun = ctx.store.state.source;
    });
    // The page also listens on the document (main.ts); the editor's command must not trigger it twice.
    let reachedDocument = 0;
    const onKey = (e: KeyboardEvent) => { if (e.key === 'Enter' && e.ctrlKey) reachedDocument++; };
    document.addEventListener('keydown', onKey);
    code.editor.focus();
    code.editor.setPosition({ lineNumber: 1, column: 1 });
    await userEvent.keyboard('# hi');
    await userEvent.keyboard('{Control>}{Enter}{/Control}');
    document.removeEventListener('keydown', onKey);
    expect(runs).toBe(1);
    expect(reachedDocument).toBe(0);
    expect(sourceAtRun.startsWith('# hi')).toBe(true);
    // Ctrl+Enter ran instead of inserting a line.
    expect(code.model.getLineCount()).toBe(DEFAULT_STATE.source.split('\n').length);
  });

  it('applies external changes as one edit that keeps the cursor and undo', () => {
    ctx.store.update({ source: 'input x[n]\noutput y = sum(x)\n' });
    code.editor.setPosition({ lineNumber: 1, column: 8 });
    ctx.store.update({ source: 'input x[n]\noutput y = sum(x * x)\n' });
    expect(code.model.getValue()).toBe('input x[n]\noutput y = sum(x * x)\n');
    expect(code.editor.getPosition()).toMatchObject({ lineNumber: 1, column: 8 });
    code.editor.trigger('test', 'undo', null);
    expect(code.model.getValue()).toBe('input x[n]\noutput y = sum(x)\n');
  });

  it('follows the theme and the large-text setting', () => {
    ctx.store.update({ theme: 'dark' });
    expect(root.querySelector('.monaco-editor')!.classList.contains('vs-dark')).toBe(true);
    ctx.store.update({ theme: 'light', largeFont: true });
    expect(root.querySelector('.monaco-editor')!.classList.contains('vs')).toBe(true);
    expect(code.editor.getOption(monaco.editor.EditorOption.fontSize)).toBe(20);
  });
});
