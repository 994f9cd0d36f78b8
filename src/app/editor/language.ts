// The `gradient-lab` language for Monaco: a Monarch tokenizer that mirrors the lexer, brackets and
// comments, and completion and hover providers backed by ./complete.ts and ./hover.ts.
import type { languages } from 'monaco-editor/editor/editor.api';
import { FUNCTIONS } from '../../index.ts';
import type { AppContext } from '../context.ts';
import { KEYWORDS, programInfo, type ProgramInfo } from './analysis.ts';
import { completionsAt, type CompletionKind } from './complete.ts';
import { hoverAt } from './hover.ts';
import { monaco } from './monaco.ts';

export const LANGUAGE_ID = 'gradient-lab';

/**
 * Token classes follow Monaco's built-in themes: `keyword`, `predefined` (built-in functions, coloured by THEMES),
 * `number`, `comment`, `operator`, `delimiter.bracket`, `identifier`; text the lexer rejects is
 * `invalid` (red), like a number glued to a name (`2x`) or `**`.
 */
export const MONARCH: languages.IMonarchLanguage = {
  defaultToken: 'invalid',
  keywords: [...KEYWORDS],
  functions: Object.keys(FUNCTIONS),
  brackets: [
    { open: '(', close: ')', token: 'delimiter.parenthesis' },
    { open: '[', close: ']', token: 'delimiter.square' },
  ],
  tokenizer: {
    root: [
      [/[ \t]+/, 'white'],
      [/#.*$/, 'comment'],
      [/[A-Za-z_]\w*/, { cases: { '@keywords': 'keyword', '@functions': 'predefined', '@default': 'identifier' } }],
      // One maximal run of digits, letters and dots, as the lexer checks it: valid only if all of it is a number.
      [/(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d+)?(?![\w.])/, 'number'],
      [/(?:\d|\.\d)[\w.]*/, 'invalid'],
      [/\*\*/, 'invalid'],
      [/[()[\]]/, '@brackets'],
      [/[+\-*/^@=]/, 'operator'],
      [/,/, 'delimiter'],
    ],
  },
};

export const LANGUAGE_CONFIGURATION: languages.LanguageConfiguration = {
  comments: { lineComment: '#' },
  brackets: [['(', ')'], ['[', ']']],
  autoClosingPairs: [{ open: '(', close: ')' }, { open: '[', close: ']' }],
  surroundingPairs: [{ open: '(', close: ')' }, { open: '[', close: ']' }],
  wordPattern: /[A-Za-z_]\w*|(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d+)?/,
};

/** Which app each editor model belongs to, so the (global) providers see the right sizes and program. */
const owners = new Map<string, AppContext>();

/** Links a model (by URI) to its app; returns the undo. */
export function attachModel(uri: string, ctx: AppContext): () => void {
  owners.set(uri, ctx);
  return () => owners.delete(uri);
}

function infoFor(ctx: AppContext, source: string): ProgramInfo {
  const { state } = ctx.store;
  // The app's memoized compilation when the store has caught up with the editor (edits are debounced).
  return programInfo(source, state.sizes, { source: state.source, compiled: ctx.program() });
}

const KINDS: Record<CompletionKind, languages.CompletionItemKind> = {
  function: monaco.languages.CompletionItemKind.Function,
  keyword: monaco.languages.CompletionItemKind.Keyword,
  name: monaco.languages.CompletionItemKind.Variable,
  size: monaco.languages.CompletionItemKind.Constant,
};

/** Functions, keywords, names defined so far and sizes (see ./complete.ts). */
export const completionProvider: languages.CompletionItemProvider = {
  provideCompletionItems(model, position) {
    const ctx = owners.get(model.uri.toString());
    if (ctx === undefined) return { suggestions: [] };
    const word = model.getWordUntilPosition(position);
    const range = new monaco.Range(position.lineNumber, word.startColumn, position.lineNumber, word.endColumn);
    const items = completionsAt(infoFor(ctx, model.getValue()), model.getOffsetAt(position));
    return {
      suggestions: items.map((c, i) => ({
        label: c.label,
        kind: KINDS[c.kind],
        detail: c.detail,
        documentation: c.documentation === '' ? undefined : { value: c.documentation },
        insertText: c.insertText,
        insertTextRules: c.snippet ? monaco.languages.CompletionItemInsertTextRule.InsertAsSnippet : undefined,
        // Program names first, then keywords, functions and sizes, each group in its own order.
        sortText: String(i).padStart(4, '0'),
        range,
      })),
    };
  },
};

/** Function cards, names' shapes and sizes' values (see ./hover.ts). */
export const hoverProvider: languages.HoverProvider = {
  provideHover(model, position) {
    const ctx = owners.get(model.uri.toString());
    if (ctx === undefined) return null;
    const card = hoverAt(infoFor(ctx, model.getValue()), model.getOffsetAt(position));
    if (card === null) return null;
    const [start, end] = [model.getPositionAt(card.start), model.getPositionAt(card.end)];
    return {
      range: new monaco.Range(start.lineNumber, start.column, end.lineNumber, end.column),
      contents: card.contents.map((value) => ({ value })),
    };
  },
};

/** Monaco's light and dark themes, plus a colour for built-in functions (which they leave plain). */
export const THEMES = { light: 'gradient-lab-light', dark: 'gradient-lab-dark' } as const;

let registered = false;

/** Registers the language and its providers once per page. */
export function registerLanguage(): void {
  if (registered) return;
  registered = true;
  monaco.languages.register({ id: LANGUAGE_ID, extensions: ['.gl'], aliases: ['Gradient Lab'] });
  monaco.languages.setMonarchTokensProvider(LANGUAGE_ID, MONARCH);
  monaco.languages.setLanguageConfiguration(LANGUAGE_ID, LANGUAGE_CONFIGURATION);
  monaco.languages.registerCompletionItemProvider(LANGUAGE_ID, completionProvider);
  monaco.languages.registerHoverProvider(LANGUAGE_ID, hoverProvider);
  // VS Code's function colours: 6:1 contrast or better on each theme's background.
  monaco.editor.defineTheme(THEMES.light, { base: 'vs', inherit: true, rules: [{ token: 'predefined', foreground: '795E26' }], colors: {} });
  // vs-dark's comment green (#608B4E) is 4.2:1 on its background; #6A9955 is 5.1:1 (WCAG AA asks 4.5).
  monaco.editor.defineTheme(THEMES.dark, { base: 'vs-dark', inherit: true, rules: [{ token: 'predefined', foreground: 'DCDCAA' }, { token: 'comment', foreground: '6A9955' }], colors: {} });
}
