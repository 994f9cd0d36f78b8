// Diagnostics shared by every stage of the language (parser, shape checker, lowering).
import type { Span } from './ast.ts';

/** What went wrong, for tools that filter or count problems. */
export type DiagnosticKind =
  | 'syntax'
  | 'unknown-name'
  | 'shape-mismatch'
  | 'arity'
  | 'duplicate-name'
  | 'unbound-size'
  | 'invalid-size'
  | 'no-output'
  | 'unused-input'
  | 'not-scalar'
  | 'too-large';

/** How bad it is: an error stops the program from running, a warning does not. */
export type Severity = 'error' | 'warning';

/** One problem, located by the same fields as a `Span`. */
export interface Diagnostic {
  severity: Severity;
  kind: DiagnosticKind;
  message: string;
  line: number;
  column: number;
  length: number;
  offset: number;
}

/** The most diagnostics a single stage reports; past that, students should fix the first ones. */
export const MAX_DIAGNOSTICS = 50;

/** Builds a diagnostic located at `span`. */
export function diagnostic(kind: DiagnosticKind, message: string, span: Span, severity: Severity = 'error'): Diagnostic {
  return { severity, kind, message, line: span.line, column: span.column, length: span.length, offset: span.offset };
}

/** True if any diagnostic is an error (warnings alone do not stop a program). */
export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}

/**
 * Renders a diagnostic for a terminal or a message box:
 *
 *     3:7 error: '^' needs a right-hand side
 *       y = x^
 *             ^
 *
 * The source line and the underline are indented by two spaces. The underline covers the span,
 * cut at the end of its first line, and is at least one caret wide (a span at the end of a line
 * points just past its last character). Tabs in the line are kept so the carets stay aligned.
 */
export function formatDiagnostic(d: Diagnostic, source: string): string {
  const header = `${d.line}:${d.column} ${d.severity}: ${d.message}`;
  const offset = Math.min(Math.max(d.offset, 0), source.length);
  const lineStart = Math.max(0, Math.min(offset - (d.column - 1), offset));
  let lineEnd = lineStart;
  while (lineEnd < source.length && source[lineEnd] !== '\n' && source[lineEnd] !== '\r') lineEnd++;
  const before = source.slice(lineStart, offset);
  const marked = source.slice(offset, Math.min(offset + d.length, lineEnd));
  const padding = Array.from(before, (ch) => (ch === '\t' ? '\t' : ' ')).join('');
  const carets = '^'.repeat(Math.max(1, Array.from(marked).length));
  return `${header}\n  ${printable(source.slice(lineStart, lineEnd))}\n  ${padding}${carets}`;
}

/** Replaces control characters (other than tab) and lone surrogates, one for one, so output stays clean text. */
function printable(line: string): string {
  return line.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '\u00b7').replace(/\p{Cs}/gu, '\ufffd');
}

/** Thrown by API layers that prefer exceptions; carries every diagnostic, its message names the first error. */
export class LanguageError extends Error {
  readonly diagnostics: Diagnostic[];

  constructor(diagnostics: Diagnostic[]) {
    const errors = diagnostics.filter((d) => d.severity === 'error');
    const shown = errors[0] ?? diagnostics[0];
    const more = errors.length > 1 ? ` (and ${errors.length - 1} more error${errors.length > 2 ? 's' : ''})` : '';
    super(shown ? `${shown.line}:${shown.column} ${shown.message}${more}` : 'invalid program');
    this.name = 'LanguageError';
    this.diagnostics = diagnostics;
  }
}
