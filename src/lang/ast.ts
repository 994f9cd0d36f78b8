// The syntax tree produced by the parser. Every node carries the source span it came from,
// so later stages (shape checker, lowering, the editor) can point back at the program text.

/** A region of source text: `line` and `column` count from 1, `offset` is a 0-based UTF-16 index. */
export interface Span {
  line: number;
  column: number;
  length: number;
  offset: number;
}

/** An expression. `span` covers the whole expression, including any parentheses around its operands. */
export type Expr =
  | { kind: 'number'; value: number; text: string; span: Span }
  | { kind: 'name'; name: string; span: Span }
  | { kind: 'unary'; op: '-' | '+'; operand: Expr; span: Span; opSpan: Span }
  | { kind: 'binary'; op: BinaryOp; left: Expr; right: Expr; span: Span; opSpan: Span }
  | { kind: 'call'; callee: string; calleeSpan: Span; args: Expr[]; span: Span };

/** Operators that take two operands. */
export type BinaryOp = '+' | '-' | '*' | '/' | '^' | '@';

/** One dimension of an input: a positive integer literal or a size name such as `n`. */
export type Dim = { kind: 'int'; value: number; span: Span } | { kind: 'size'; name: string; span: Span };

/**
 * A statement: `input x[n]`, a binding `h = ...` / `output y = ...` (`output: true`),
 * or `output h`, which marks an existing binding or input as an output.
 */
export type Statement =
  | { kind: 'input'; name: string; nameSpan: Span; dims: Dim[]; span: Span }
  | { kind: 'let'; name: string; nameSpan: Span; value: Expr; output: boolean; span: Span }
  | { kind: 'output'; name: string; nameSpan: Span; span: Span };

/** A whole program: its statements in source order. */
export interface Program {
  statements: Statement[];
}
