import { describe, expect, it } from 'vitest';
import type { Expr } from '../../src/lang/ast.ts';
import { parse } from '../../src/lang/parser.ts';
import { loc, parseExpr, sexpr, textOf } from './helpers.ts';

const EXAMPLE = `# comment to end of line
input x[n]              # vector input
input W[m, n]           # matrix input
input b[m]
input s                 # scalar input
h = tanh(W @ x + b)     # binding
output y = sum(h * h) * s
output h                # an existing binding can be marked as an output too
`;

describe('statements', () => {
  it('parses the example program', () => {
    const { program, diagnostics } = parse(EXAMPLE);
    expect(diagnostics).toEqual([]);
    const summary = program.statements.map((s) => {
      switch (s.kind) {
        case 'input':
          return `input ${s.name}[${s.dims.map((d) => (d.kind === 'int' ? d.value : d.name)).join(',')}]`;
        case 'let':
          return `${s.output ? 'output ' : ''}${s.name} = ${sexpr(s.value)}`;
        case 'output':
          return `output ${s.name}`;
      }
    });
    expect(summary).toEqual([
      'input x[n]',
      'input W[m,n]',
      'input b[m]',
      'input s[]',
      'h = (call tanh (+ (@ W x) b))',
      'output y = (* (call sum (* h h)) s)',
      'output h',
    ]);
  });

  it('parses integer and named dims', () => {
    const { program, diagnostics } = parse('input v[3]\ninput M[2, k]');
    expect(diagnostics).toEqual([]);
    expect(program.statements[0]).toMatchObject({ kind: 'input', name: 'v', dims: [{ kind: 'int', value: 3 }] });
    expect(program.statements[1]).toMatchObject({ dims: [{ kind: 'int', value: 2 }, { kind: 'size', name: 'k' }] });
  });

  it('accepts an empty program, blank lines and comment-only lines', () => {
    for (const source of ['', '\n\n', '# nothing\n   # here\n', '\r\n\r\n']) {
      expect(parse(source)).toEqual({ program: { statements: [] }, diagnostics: [] });
    }
  });

  it('ends the last statement at end of file without a newline', () => {
    const { program, diagnostics } = parse('y = 1');
    expect(diagnostics).toEqual([]);
    expect(program.statements).toHaveLength(1);
  });

  it('continues expressions and dims across lines inside brackets', () => {
    const source = 'input W[m,\n  n]\ny = f(a,\n\n  b) + (c # note\n  * d)\noutput y';
    const { program, diagnostics } = parse(source);
    expect(diagnostics).toEqual([]);
    expect(program.statements.map((s) => s.kind)).toEqual(['input', 'let', 'output']);
    const y = program.statements[1]!;
    expect(y.kind === 'let' && sexpr(y.value)).toBe('(+ (call f a b) (* c d))');
  });

  it('parses calls with zero, one and several arguments', () => {
    expect(sexpr(parseExpr('f()'))).toBe('(call f)');
    expect(sexpr(parseExpr('f(x)'))).toBe('(call f x)');
    expect(sexpr(parseExpr('f(a, g(b), c + d)'))).toBe('(call f a (call g b) (+ c d))');
  });

  it('keeps number values and source text', () => {
    expect(parseExpr('2.5E+4')).toMatchObject({ kind: 'number', value: 25000, text: '2.5E+4' });
    expect(parseExpr('.5')).toMatchObject({ kind: 'number', value: 0.5, text: '.5' });
  });

  it('marks bindings as outputs only with the output keyword', () => {
    const { program } = parse('a = 1\noutput b = 2');
    expect(program.statements).toMatchObject([{ kind: 'let', output: false }, { kind: 'let', output: true }]);
  });

  it('allows an input to be marked as an output', () => {
    expect(parse('input x\noutput x').diagnostics).toEqual([]);
  });
});

describe('precedence and associativity', () => {
  it.each([
    ['a+b*c', '(+ a (* b c))'],
    ['a*b+c', '(+ (* a b) c)'],
    ['a-b-c', '(- (- a b) c)'],
    ['a-b+c', '(+ (- a b) c)'],
    ['a/b/c', '(/ (/ a b) c)'],
    ['a*b/c', '(/ (* a b) c)'],
    ['a@b@c', '(@ (@ a b) c)'],
    ['a*b@c', '(@ (* a b) c)'],
    ['a@b*c', '(* (@ a b) c)'],
    ['a+b@c', '(+ a (@ b c))'],
    ['-x^2', '(u- (^ x 2))'],
    ['2^3^2', '(^ 2 (^ 3 2))'],
    ['2^-1', '(^ 2 (u- 1))'],
    ['2^-x^2', '(^ 2 (u- (^ x 2)))'],
    ['(2^3)^2', '(^ (^ 2 3) 2)'],
    ['(-2)^2', '(^ (u- 2) 2)'],
    ['(a+b)*c', '(* (+ a b) c)'],
    ['a*(b+c)', '(* a (+ b c))'],
    ['-a*b', '(* (u- a) b)'],
    ['a*-b', '(* a (u- b))'],
    ['-a@b', '(@ (u- a) b)'],
    ['-a+b', '(+ (u- a) b)'],
    ['a - -b', '(- a (u- b))'],
    ['--a', '(u- (u- a))'],
    ['+a', '(u+ a)'],
    ['-+a', '(u- (u+ a))'],
    ['a^b*c', '(* (^ a b) c)'],
    ['a*b^c', '(* a (^ b c))'],
    ['f(x)^2', '(^ (call f x) 2)'],
    ['-f(x)', '(u- (call f x))'],
    ['((a))', 'a'],
  ])('%s is %s', (source, expected) => {
    expect(sexpr(parseExpr(source))).toBe(expected);
  });
});

describe('spans', () => {
  const source = `# model
input x[n]   # a comment
input W[m, n]

h = tanh(W @ x +
         b)
output y = (h - 1) * -s^2
output h
`;
  const { program, diagnostics } = parse(source);
  const [x, W, h, y, outH] = program.statements;

  it('parses without diagnostics', () => {
    expect(diagnostics).toEqual([]);
    expect(program.statements).toHaveLength(5);
  });

  it('locates statements, names and dims', () => {
    expect(x!.kind === 'input' && [loc(x!.span), loc(x!.nameSpan), x!.dims.map((d) => loc(d.span))]).toEqual(['2:1+10', '2:7+1', ['2:9+1']]);
    expect(W!.kind === 'input' && [loc(W!.span), W!.dims.map((d) => loc(d.span))]).toEqual(['3:1+13', ['3:9+1', '3:12+1']]);
    expect(textOf(source, h!.span)).toBe('h = tanh(W @ x +\n         b)');
    expect([loc(h!.span), loc(h!.nameSpan)]).toEqual(['5:1+28', '5:1+1']);
    expect(textOf(source, y!.span)).toBe('output y = (h - 1) * -s^2');
    expect([loc(y!.span), loc(y!.nameSpan)]).toEqual(['7:1+25', '7:8+1']);
    expect([loc(outH!.span), loc(outH!.nameSpan)]).toEqual(['8:1+8', '8:8+1']);
  });

  it('locates the nodes of a wrapped call', () => {
    const call = (h as { value: Expr }).value;
    if (call.kind !== 'call') throw new Error('expected a call');
    expect([loc(call.span), loc(call.calleeSpan)]).toEqual(['5:5+24', '5:5+4']);
    expect(textOf(source, call.span)).toBe('tanh(W @ x +\n         b)');
    const sum = call.args[0]!;
    if (sum.kind !== 'binary') throw new Error('expected a binary');
    expect([loc(sum.span), loc(sum.opSpan)]).toEqual(['5:10+18', '5:16+1']);
    expect(textOf(source, sum.span)).toBe('W @ x +\n         b');
    expect(loc(sum.right.span)).toBe('6:10+1');
    if (sum.left.kind !== 'binary') throw new Error('expected a binary');
    expect([loc(sum.left.span), loc(sum.left.opSpan), loc(sum.left.left.span), loc(sum.left.right.span)]).toEqual([
      '5:10+5', '5:12+1', '5:10+1', '5:14+1',
    ]);
  });

  it('includes parentheses in the span of the enclosing expression, not the inner one', () => {
    const product = (y as { value: Expr }).value;
    if (product.kind !== 'binary') throw new Error('expected a binary');
    expect(textOf(source, product.span)).toBe('(h - 1) * -s^2');
    expect(loc(product.span)).toBe('7:12+14');
    expect(textOf(source, product.left.span)).toBe('h - 1');
    expect(loc(product.left.span)).toBe('7:13+5');
    const negation = product.right;
    if (negation.kind !== 'unary') throw new Error('expected a unary');
    expect([loc(negation.span), loc(negation.opSpan)]).toEqual(['7:22+4', '7:22+1']);
    expect(textOf(source, negation.operand.span)).toBe('s^2');
  });

  it('uses 0-based UTF-16 offsets that agree with line and column', () => {
    expect(x!.nameSpan.offset).toBe(source.indexOf('x[n]'));
    expect(outH!.nameSpan.offset).toBe(source.lastIndexOf('h'));
  });
});
