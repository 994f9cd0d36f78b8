// Recursive-descent parser: tokens to a `Program`, with diagnostics written for students.
//
//   statement := 'input' NAME ('[' dim (',' dim)* ']')?
//              | 'output' NAME ('=' expr)?
//              | NAME '=' expr
//   expr      := product (('+' | '-') product)*
//   product   := unary (('*' | '/' | '@') unary)*
//   unary     := ('-' | '+') unary | power
//   power     := primary ('^' unary)?            -- right-associative; -x^2 is -(x^2)
//   primary   := NUMBER | NAME | NAME '(' (expr (',' expr)*)? ')' | '(' expr ')'
//
// A statement ends at a line break outside brackets. Inside brackets line breaks are skipped,
// except one followed by something that can only start a statement (`input`, `output`, `name =`):
// no expression can continue that way, so the bracket was surely left open, and the parser says
// so at the end of the line instead of swallowing the rest of the program.
//
// After a syntax error the parser drops the statement, skips to the next line break outside
// brackets, and carries on, so one run reports the problems of many statements.
import type { BinaryOp, Dim, Expr, Program, Span, Statement } from './ast.ts';
import { diagnostic, MAX_DIAGNOSTICS, type Diagnostic, type DiagnosticKind } from './diagnostics.ts';
import { lex, quote, type LexToken } from './lexer.ts';

/** Deepest allowed nesting of parentheses, calls, signs and powers inside one expression. */
export const MAX_NESTING = 200;

/** Tallest allowed expression tree, so later stages can walk it recursively without running out of stack. */
export const MAX_EXPR_HEIGHT = 1000;

/**
 * Parses a program. Never throws. The program holds every statement that parsed; it is only
 * meaningful when `diagnostics` has no errors. Diagnostics are sorted by position, at most 50.
 */
export function parse(source: string): { program: Program; diagnostics: Diagnostic[] } {
  const lexed = lex(source);
  const parser = new Parser(lexed.tokens);
  const program = parser.parseProgram();
  const diagnostics = [...lexed.diagnostics, ...parser.diagnostics]
    .sort((a, b) => a.offset - b.offset)
    .slice(0, MAX_DIAGNOSTICS);
  return { program, diagnostics };
}

/** Thrown to abandon the statement being parsed; always caught in `parseProgram`. */
const ABANDON = Symbol('abandon statement');

/** The token before an expected operand, and whether it was a binary operator, a sign, or other. */
interface After {
  token: LexToken;
  role: 'binary' | 'sign' | 'other';
}

/** An expression with its full extent (parentheses included) and tree height. */
interface Parsed {
  expr: Expr;
  start: Span;
  end: number;
  height: number;
}

interface Definition {
  span: Span;
  isInput: boolean;
}

class Parser {
  readonly diagnostics: Diagnostic[] = [];
  private readonly tokens: LexToken[];
  /** For each newline token: does it end a statement even inside brackets? */
  private readonly hardBreak: boolean[];
  private pos = 0;
  /** Brackets open in the current statement; inside them most line breaks are skipped. */
  private depth = 0;
  private nesting = 0;
  private previous: LexToken | undefined;
  private readonly definitions = new Map<string, Definition>();
  private readonly outputs = new Map<string, Span>();
  private readonly pendingOutputs: { name: string; span: Span }[] = [];

  constructor(tokens: LexToken[]) {
    this.tokens = tokens;
    this.hardBreak = findHardBreaks(tokens);
  }

  parseProgram(): Program {
    const statements: Statement[] = [];
    for (;;) {
      const token = this.tokens[this.pos]!;
      if (token.kind === 'eof' || this.diagnostics.length >= MAX_DIAGNOSTICS) break;
      if (token.kind === 'newline') {
        this.pos++;
        continue;
      }
      try {
        statements.push(this.parseStatement());
      } catch (e) {
        if (e !== ABANDON) throw e;
        this.recover();
      }
    }
    this.reportUndefinedOutputs();
    return { statements };
  }

  // ---- statements ----

  private parseStatement(): Statement {
    const first = this.peek();
    if (first.kind === 'keyword' && first.text === 'input') return this.parseInput();
    if (first.kind === 'keyword' && first.text === 'output') return this.parseOutput();
    if (first.kind !== 'ident') {
      this.fail(`expected a statement such as 'y = ...', 'input x' or 'output y', found ${describe(first)}`, first);
    }
    this.next();
    const equals = this.peek();
    if (!isText(equals, '=')) {
      const hint = isEnd(equals) ? ` (to mark '${first.text}' as an output, write 'output ${first.text}')` : '';
      this.fail(`expected '=' after '${first.text}', found ${describe(equals)}${hint}`, equals);
    }
    this.next();
    this.define(first, false);
    const value = this.parseExpression({ token: equals, role: 'other' });
    this.expectEndOfExpression();
    return { kind: 'let', name: first.text, nameSpan: first.span, value: value.expr, output: false, span: spanFrom(first.span, value.end) };
  }

  private parseInput(): Statement {
    const keyword = this.next();
    const name = this.peek();
    if (name.kind !== 'ident') {
      const message = isEnd(name)
        ? `expected a name after 'input', found ${describe(name)}`
        : `input names must be identifiers, found ${describe(name)}`;
      this.fail(message, name);
    }
    this.next();
    this.define(name, true);
    const dims: Dim[] = [];
    let end = name.span.offset + name.span.length;
    const open = this.peek();
    if (isText(open, '[')) {
      this.next();
      this.depth++;
      if (isText(this.peek(), ']')) {
        const close = this.next();
        const message = `an input needs at least one size inside '[ ]'; for a scalar, write 'input ${name.text}'`;
        this.fail(message, open, spanFrom(open.span, close.span.offset + 1));
      }
      for (;;) {
        dims.push(this.parseDim());
        const separator = this.peek();
        if (isText(separator, ',')) {
          this.next();
        } else if (isText(separator, ']')) {
          end = this.next().span.offset + 1;
          this.depth--;
          break;
        } else if (isEnd(separator)) {
          this.fail(`expected ']' to close the '[' at ${at(open.span)}, found ${describe(separator)}`, separator);
        } else {
          this.fail(`expected ',' or ']' after a size, found ${describe(separator)}`, separator);
        }
      }
    }
    const after = this.peek();
    if (!isEnd(after)) {
      const expected = dims.length === 0 ? `'[' or end of line after 'input ${name.text}'` : 'end of line';
      this.fail(`expected ${expected}, found ${describe(after)}`, after);
    }
    this.skipNewline();
    return { kind: 'input', name: name.text, nameSpan: name.span, dims, span: spanFrom(keyword.span, end) };
  }

  private parseDim(): Dim {
    const token = this.peek();
    if (token.kind === 'ident') {
      this.next();
      return { kind: 'size', name: token.text, span: token.span };
    }
    if (token.kind === 'number') {
      this.next();
      this.checkSize(token.text, token.span);
      return { kind: 'int', value: Number(token.text), span: token.span };
    }
    if (isText(token, '-') && this.peekAfterSign()?.kind === 'number') {
      this.next();
      const number = this.next();
      const span = spanFrom(token.span, number.span.offset + number.span.length);
      this.report('invalid-size', `sizes must be positive integers, found ${quote(`-${number.text}`)}`, span);
      return { kind: 'int', value: -Number(number.text), span };
    }
    const message = `expected a size (a positive integer or a name) after '${this.previous!.text}', found ${describe(token)}`;
    this.fail(message, token);
  }

  private checkSize(text: string, span: Span): void {
    if (!/^\d+$/.test(text)) {
      this.report('invalid-size', `sizes must be positive integers, found ${quote(text)}`, span);
    } else if (Number(text) === 0) {
      this.report('invalid-size', `sizes must be positive integers, found ${quote(text)}; a size cannot be zero`, span);
    } else if (!Number.isSafeInteger(Number(text))) {
      this.report('too-large', `the size ${quote(text)} is too large`, span);
    }
  }

  private parseOutput(): Statement {
    const keyword = this.next();
    const name = this.peek();
    if (name.kind !== 'ident') {
      const message = isEnd(name)
        ? `expected a name after 'output', found ${describe(name)}`
        : `output names must be identifiers, found ${describe(name)}`;
      this.fail(message, name);
    }
    this.next();
    const after = this.peek();
    if (isText(after, '=')) {
      this.next();
      this.define(name, false);
      this.markOutput(name);
      const value = this.parseExpression({ token: after, role: 'other' });
      this.expectEndOfExpression();
      return { kind: 'let', name: name.text, nameSpan: name.span, value: value.expr, output: true, span: spanFrom(keyword.span, value.end) };
    }
    if (!isEnd(after)) {
      this.fail(`expected '=' or end of line after 'output ${name.text}', found ${describe(after)}`, after);
    }
    this.skipNewline();
    if (!this.definitions.has(name.text)) this.pendingOutputs.push({ name: name.text, span: name.span });
    this.markOutput(name);
    return { kind: 'output', name: name.text, nameSpan: name.span, span: spanFrom(keyword.span, name.span.offset + name.span.length) };
  }

  /** After a binding's expression: the line must end here. */
  private expectEndOfExpression(): void {
    const token = this.peek();
    if (isEnd(token)) {
      this.skipNewline();
      return;
    }
    if (isText(token, ')') || isText(token, ']')) {
      const opener = token.text === ')' ? '(' : '[';
      this.fail(`unmatched '${token.text}': there is no '${opener}' for it to close`, token);
    }
    this.fail(`expected an operator or end of line, found ${describe(token)}`, token);
  }

  // ---- names ----

  private define(name: LexToken, isInput: boolean): void {
    const first = this.definitions.get(name.text);
    if (first === undefined) {
      this.definitions.set(name.text, { span: name.span, isInput });
    } else if (first.isInput) {
      this.report('duplicate-name', `'${name.text}' is already declared as an input at ${at(first.span)}; each name can be defined only once`, name.span);
    } else {
      this.report('duplicate-name', `'${name.text}' is already defined at ${at(first.span)}; each name can be defined only once`, name.span);
    }
  }

  private markOutput(name: LexToken): void {
    const first = this.outputs.get(name.text);
    if (first === undefined) {
      this.outputs.set(name.text, name.span);
    } else {
      this.report('duplicate-name', `'${name.text}' is already marked as an output at ${at(first)}`, name.span, 'warning');
    }
  }

  private reportUndefinedOutputs(): void {
    for (const { name, span } of this.pendingOutputs) {
      const later = this.definitions.get(name);
      const message = later
        ? `'${name}' is defined later, at ${at(later.span)}; move 'output ${name}' below its definition`
        : `'${name}' is not defined: declare it with 'input ${name}' or bind it with '${name} = ...' before 'output ${name}'`;
      this.report('unknown-name', message, span);
    }
  }

  // ---- expressions ----

  private parseExpression(after: After): Parsed {
    let left = this.parseProduct(after);
    for (;;) {
      const op = this.peek();
      if (!(isText(op, '+') || isText(op, '-'))) return left;
      this.next();
      left = this.binary(op, left, this.parseProduct({ token: op, role: 'binary' }));
    }
  }

  private parseProduct(after: After): Parsed {
    let left = this.parseUnary(after);
    for (;;) {
      const op = this.peek();
      if (!(isText(op, '*') || isText(op, '/') || isText(op, '@'))) return left;
      this.next();
      left = this.binary(op, left, this.parseUnary({ token: op, role: 'binary' }));
    }
  }

  private parseUnary(after: After): Parsed {
    const token = this.peek();
    if (!(isText(token, '-') || isText(token, '+'))) return this.parsePower(after);
    this.next();
    this.enter(token);
    const operand = this.parseUnary({ token, role: 'sign' });
    this.leave();
    const expr: Expr = { kind: 'unary', op: token.text as '-' | '+', operand: operand.expr, span: spanFrom(token.span, operand.end), opSpan: token.span };
    return this.checked({ expr, start: token.span, end: operand.end, height: operand.height + 1 }, token);
  }

  private parsePower(after: After): Parsed {
    const base = this.parsePrimary(after);
    const op = this.peek();
    if (!isText(op, '^')) return base;
    this.next();
    this.enter(op);
    const exponent = this.parseUnary({ token: op, role: 'binary' });
    this.leave();
    return this.binary(op, base, exponent);
  }

  private parsePrimary(after: After): Parsed {
    const token = this.peek();
    if (token.kind === 'number') {
      this.next();
      const expr: Expr = { kind: 'number', value: Number(token.text), text: token.text, span: token.span };
      return { expr, start: token.span, end: end(token), height: 1 };
    }
    if (token.kind === 'ident') {
      this.next();
      if (isText(this.peek(), '(')) return this.parseCall(token);
      return { expr: { kind: 'name', name: token.text, span: token.span }, start: token.span, end: end(token), height: 1 };
    }
    if (isText(token, '(')) {
      this.next();
      this.enter(token);
      this.depth++;
      const inner = this.parseExpression({ token, role: 'other' });
      const close = this.peek();
      if (!isText(close, ')')) {
        this.fail(`expected ')' to close the '(' at ${at(token.span)}, found ${describe(close)}`, close);
      }
      this.next();
      this.depth--;
      this.leave();
      return { ...inner, start: token.span, end: end(close) };
    }
    this.failOperand(after, token);
  }

  private parseCall(callee: LexToken): Parsed {
    const open = this.next();
    this.enter(open);
    this.depth++;
    const args: Expr[] = [];
    let height = 1;
    if (!isText(this.peek(), ')')) {
      let before: LexToken = open;
      for (;;) {
        const arg = this.parseExpression({ token: before, role: 'other' });
        args.push(arg.expr);
        height = Math.max(height, arg.height + 1);
        const separator = this.peek();
        if (isText(separator, ')')) break;
        if (!isText(separator, ',')) {
          const message = isEnd(separator)
            ? `expected ')' to close the call to '${callee.text}' at ${at(open.span)}, found ${describe(separator)}`
            : `expected ',' or ')' in the call to '${callee.text}' at ${at(open.span)}, found ${describe(separator)}`;
          this.fail(message, separator);
        }
        before = this.next();
      }
    }
    const close = this.next();
    this.depth--;
    this.leave();
    const expr: Expr = { kind: 'call', callee: callee.text, calleeSpan: callee.span, args, span: spanFrom(callee.span, end(close)) };
    return this.checked({ expr, start: callee.span, end: end(close), height }, callee);
  }

  private binary(op: LexToken, left: Parsed, right: Parsed): Parsed {
    const expr: Expr = {
      kind: 'binary',
      op: op.text as BinaryOp,
      left: left.expr,
      right: right.expr,
      span: spanFrom(left.start, right.end),
      opSpan: op.span,
    };
    return this.checked({ expr, start: left.start, end: right.end, height: Math.max(left.height, right.height) + 1 }, op);
  }

  // Parentheses, call arguments, signs and exponents are the only ways the parser recurses, so
  // counting them here bounds the stack depth whatever the input.
  private enter(token: LexToken): void {
    this.nesting++;
    if (this.nesting > MAX_NESTING) {
      this.fail(`expression nested too deeply (over ${MAX_NESTING} levels); split it into several bindings`, token);
    }
  }

  private leave(): void {
    this.nesting--;
  }

  /** Rejects trees too tall for later stages to walk; `blame` is the token that made it so. */
  private checked(parsed: Parsed, blame: LexToken): Parsed {
    if (parsed.height > MAX_EXPR_HEIGHT) {
      this.fail(`expression too large (over ${MAX_EXPR_HEIGHT} levels of operations); split it into several bindings`, blame, blame.span, 'too-large');
    }
    return parsed;
  }

  private failOperand(after: After, found: LexToken): never {
    const what = describe(found);
    const op = after.token.text;
    let message: string;
    if (after.role === 'binary') {
      message = isEnd(found) ? `'${op}' needs a right-hand side` : `'${op}' needs a right-hand side, found ${what}`;
    } else if (after.role === 'sign') {
      message = isEnd(found) ? `'${op}' needs an operand` : `'${op}' needs an operand, found ${what}`;
    } else if (found.kind === 'op' && '*/@^'.includes(found.text)) {
      message = `'${found.text}' needs a left-hand side`;
    } else {
      message = `expected an expression after '${op}', found ${what}`;
    }
    this.fail(message, found);
  }

  // ---- tokens ----

  /** The next token, skipping line breaks inside brackets. Abandons the statement at rejected text. */
  private peek(): LexToken {
    const token = this.tokens[this.skipSoftNewlines()]!;
    if (token.kind === 'invalid') throw ABANDON;
    return token;
  }

  private next(): LexToken {
    const token = this.peek();
    this.pos = this.skipSoftNewlines() + 1;
    this.previous = token;
    return token;
  }

  /** The token after a sign, for `[-3]`, without consuming anything. */
  private peekAfterSign(): LexToken | undefined {
    const i = this.skipSoftNewlines();
    return this.tokens[i + 1];
  }

  private skipSoftNewlines(): number {
    let i = this.pos;
    if (this.depth > 0) {
      while (this.tokens[i]!.kind === 'newline' && !this.hardBreak[i]) i++;
    }
    return i;
  }

  private skipNewline(): void {
    if (this.tokens[this.pos]!.kind === 'newline') this.pos++;
  }

  /**
   * Reports a syntax error and abandons the statement. At the end of a line or of the input, the
   * diagnostic points just past the previous token, where something was expected.
   */
  private fail(message: string, found: LexToken, span?: Span, kind: DiagnosticKind = 'syntax'): never {
    this.report(kind, message, span ?? (isEnd(found) ? this.expectedHere(found) : found.span));
    throw ABANDON;
  }

  private report(kind: DiagnosticKind, message: string, span: Span, severity: 'error' | 'warning' = 'error'): void {
    this.diagnostics.push(diagnostic(kind, message, span, severity));
  }

  private expectedHere(found: LexToken): Span {
    const previous = this.previous;
    if (previous === undefined) return { ...found.span, length: 1 };
    const { line, column, offset, length } = previous.span;
    return { line, column: column + length, offset: offset + length, length: 1 };
  }

  /** Skips the rest of an abandoned statement: up to a line break outside brackets. */
  private recover(): void {
    let depth = this.depth;
    this.depth = 0;
    this.nesting = 0;
    for (;;) {
      const token = this.tokens[this.pos]!;
      if (token.kind === 'eof') return;
      this.pos++;
      if (token.kind === 'newline' && (depth === 0 || this.hardBreak[this.pos - 1])) return;
      if (isText(token, '(') || isText(token, '[')) depth++;
      if ((isText(token, ')') || isText(token, ']')) && depth > 0) depth--;
    }
  }
}

/** Marks newlines followed (after blank lines) by `input`, `output` or `name =`. */
function findHardBreaks(tokens: LexToken[]): boolean[] {
  const hard: boolean[] = new Array<boolean>(tokens.length).fill(false);
  let startsStatement = false;
  for (let i = tokens.length - 1; i >= 0; i--) {
    const token = tokens[i]!;
    if (token.kind === 'newline') {
      hard[i] = startsStatement;
    } else {
      startsStatement = token.kind === 'keyword' || (token.kind === 'ident' && isText(tokens[i + 1], '='));
    }
  }
  return hard;
}

function isText(token: LexToken | undefined, text: string): boolean {
  return token !== undefined && (token.kind === 'op' || token.kind === 'punct') && token.text === text;
}

function isEnd(token: LexToken): boolean {
  return token.kind === 'newline' || token.kind === 'eof';
}

function end(token: LexToken): number {
  return token.span.offset + token.span.length;
}

function spanFrom(start: Span, endOffset: number): Span {
  return { line: start.line, column: start.column, length: endOffset - start.offset, offset: start.offset };
}

function at(span: Span): string {
  return `${span.line}:${span.column}`;
}

function describe(token: LexToken): string {
  switch (token.kind) {
    case 'newline':
      return 'end of line';
    case 'eof':
      return 'end of input';
    case 'keyword':
      return `the keyword '${token.text}'`;
    case 'number':
    case 'ident':
    case 'op':
    case 'punct':
    case 'invalid':
      return quote(token.text);
    default:
      return token satisfies never;
  }
}
