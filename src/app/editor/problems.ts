// The program's diagnostics as editor markers and as a visible, clickable "Problems" list.
import type { CompileResult, Diagnostic } from '../../index.ts';
import { h } from '../dom.ts';

/** A diagnostic's range in 1-based lines and columns (end exclusive), as Monaco's markers want it. */
export interface MarkerRange {
  readonly severity: 'error' | 'warning';
  readonly message: string;
  readonly startLineNumber: number;
  readonly startColumn: number;
  readonly endLineNumber: number;
  readonly endColumn: number;
}

/** Errors then warnings of a compilation, in source order. */
export function problemsOf(compiled: CompileResult): Diagnostic[] {
  return [...(compiled.ok ? [] : compiled.errors), ...compiled.warnings].sort((a, b) => a.offset - b.offset);
}

/**
 * Where to underline a diagnostic: from its line and column, over its length (at least one
 * character, so a problem at the end of a line still shows). A span running past its line is cut at
 * the line's end. Diagnostics not about the text (line 0) mark the first character.
 */
export function markerRange(d: Diagnostic, source: string): MarkerRange {
  const lines = source.split(/\r\n|\r|\n/);
  const line = Math.min(Math.max(d.line, 1), Math.max(lines.length, 1));
  const text = lines[line - 1] ?? '';
  const column = d.line < 1 ? 1 : Math.max(d.column, 1);
  // Past the last character the editor clamps the range and underlines the character before it.
  const endColumn = Math.max(Math.min(column + Math.max(d.length, 1), text.length + 1), column + 1);
  return { severity: d.severity, message: d.message, startLineNumber: line, startColumn: column, endLineNumber: line, endColumn };
}

/** Renders the Problems list; `jump` moves the cursor to a problem. Text only (textContent). */
export function renderProblems(list: HTMLElement, summary: HTMLElement, problems: readonly Diagnostic[], jump: (d: Diagnostic) => void): void {
  const errors = problems.filter((d) => d.severity === 'error').length;
  const warnings = problems.length - errors;
  const count = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
  summary.textContent = problems.length === 0 ? 'Problems: none' : `Problems: ${count(errors, 'error')}, ${count(warnings, 'warning')}`;
  list.replaceChildren(...problems.map((d) => h('li', { class: `problem ${d.severity}` }, [
    h('button', {
      class: 'problem-jump',
      attrs: { type: 'button', 'aria-label': `${d.severity} at line ${d.line}, column ${d.column}: ${d.message}` },
      on: { click: () => jump(d) },
    }, [
      h('span', { class: 'problem-where', text: d.line > 0 ? `${d.line}:${d.column}` : '—' }),
      h('span', { class: 'problem-severity', text: d.severity }),
      h('span', { class: 'problem-message', text: d.message }),
    ]),
  ])));
}
