// Shared helpers for the language front-end tests.
import type { Expr, Span, Statement } from '../../src/lang/ast.ts';
import type { Diagnostic } from '../../src/lang/diagnostics.ts';
import { parse } from '../../src/lang/parser.ts';

/** A span-free rendering of an expression: `(+ a (* b c))`, `(u- x)`, `(call f a b)`. */
export function sexpr(expr: Expr): string {
  switch (expr.kind) {
    case 'number':
      return expr.text;
    case 'name':
      return expr.name;
    case 'unary':
      return `(u${expr.op} ${sexpr(expr.operand)})`;
    case 'binary':
      return `(${expr.op} ${sexpr(expr.left)} ${sexpr(expr.right)})`;
    case 'call':
      return `(call ${[expr.callee, ...expr.args.map(sexpr)].join(' ')})`;
    default:
      return expr satisfies never;
  }
}

/** The expression bound in a one-line program `y = <text>`; fails the test on any diagnostic. */
export function parseExpr(text: string): Expr {
  const { program, diagnostics } = parse(`y = ${text}`);
  if (diagnostics.length > 0) throw new Error(`unexpected diagnostics for ${text}: ${diagnostics.map((d) => d.message).join('; ')}`);
  const statement = program.statements[0];
  if (statement?.kind !== 'let') throw new Error(`no binding parsed from ${text}`);
  return statement.value;
}

/** Deep copy of an expression without spans, for structural comparison. */
export function withoutSpans(expr: Expr): unknown {
  switch (expr.kind) {
    case 'number':
      return { kind: 'number', value: expr.value, text: expr.text };
    case 'name':
      return { kind: 'name', name: expr.name };
    case 'unary':
      return { kind: 'unary', op: expr.op, operand: withoutSpans(expr.operand) };
    case 'binary':
      return { kind: 'binary', op: expr.op, left: withoutSpans(expr.left), right: withoutSpans(expr.right) };
    case 'call':
      return { kind: 'call', callee: expr.callee, args: expr.args.map(withoutSpans) };
    default:
      return expr satisfies never;
  }
}

/** `line:column+length`, compact for assertions. */
export function loc(span: Span | Diagnostic): string {
  return `${span.line}:${span.column}+${span.length}`;
}

/** The source text a span covers. */
export function textOf(source: string, span: Span): string {
  return source.slice(span.offset, span.offset + span.length);
}

/** Line and column of an offset, counting `\n`, `\r\n` and `\r` as line breaks. */
export function positionOf(source: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset; i++) {
    const ch = source[i];
    if (ch === '\n' || (ch === '\r' && source[i + 1] !== '\n')) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

/** Every expression node in a statement, outermost first. */
export function expressionsOf(statement: Statement): Expr[] {
  if (statement.kind !== 'let') return [];
  const out: Expr[] = [];
  const visit = (e: Expr): void => {
    out.push(e);
    if (e.kind === 'unary') visit(e.operand);
    if (e.kind === 'binary') {
      visit(e.left);
      visit(e.right);
    }
    if (e.kind === 'call') e.args.forEach(visit);
  };
  visit(statement.value);
  return out;
}
