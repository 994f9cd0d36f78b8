import { describe, expect, it } from 'vitest';
import { diagnostic, formatDiagnostic, hasErrors, LanguageError, MAX_DIAGNOSTICS, type Diagnostic } from '../../src/lang/diagnostics.ts';
import { parse } from '../../src/lang/parser.ts';

/** `line:column+length kind: message`, plus `(warning)` for warnings. */
const show = (d: Diagnostic): string => `${d.line}:${d.column}+${d.length} ${d.kind}${d.severity === 'warning' ? ' (warning)' : ''}: ${d.message}`;
const errorsOf = (source: string): string[] => parse(source).diagnostics.map(show);

describe('syntax errors', () => {
  it.each([
    // statements
    ['x', "1:2+1 syntax: expected '=' after 'x', found end of input (to mark 'x' as an output, write 'output x')"],
    ['x\n', "1:2+1 syntax: expected '=' after 'x', found end of line (to mark 'x' as an output, write 'output x')"],
    ['x + 1', "1:3+1 syntax: expected '=' after 'x', found '+'"],
    ['3 = x', "1:1+1 syntax: expected a statement such as 'y = ...', 'input x' or 'output y', found '3'"],
    ['(y) = 1', "1:1+1 syntax: expected a statement such as 'y = ...', 'input x' or 'output y', found '('"],
    ['y = 1; z = 2', "1:6+1 syntax: unexpected ';': statements end at a newline"],
    ['y = a b', "1:7+1 syntax: expected an operator or end of line, found 'b'"],
    ['y = 2 (x)', "1:7+1 syntax: expected an operator or end of line, found '('"],
    ['y = a = b', "1:7+1 syntax: expected an operator or end of line, found '='"],
    ['y = a[1]', "1:6+1 syntax: expected an operator or end of line, found '['"],
    ['y = a)', "1:6+1 syntax: unmatched ')': there is no '(' for it to close"],
    ['y = a]', "1:6+1 syntax: unmatched ']': there is no '[' for it to close"],
    // inputs
    ['input', "1:6+1 syntax: expected a name after 'input', found end of input"],
    ['input 3', "1:7+1 syntax: input names must be identifiers, found '3'"],
    ['input output', "1:7+6 syntax: input names must be identifiers, found the keyword 'output'"],
    ['input x y', "1:9+1 syntax: expected '[' or end of line after 'input x', found 'y'"],
    ['input x[n] y', "1:12+1 syntax: expected end of line, found 'y'"],
    ['input x[]', "1:8+2 syntax: an input needs at least one size inside '[ ]'; for a scalar, write 'input x'"],
    ['input W[m n]', "1:11+1 syntax: expected ',' or ']' after a size, found 'n'"],
    ['input W[m,]', "1:11+1 syntax: expected a size (a positive integer or a name) after ',', found ']'"],
    ['input W[*]', "1:9+1 syntax: expected a size (a positive integer or a name) after '[', found '*'"],
    ['input x[n', "1:10+1 syntax: expected ']' to close the '[' at 1:8, found end of input"],
    ['input v[0]', "1:9+1 invalid-size: sizes must be positive integers, found '0'; a size cannot be zero"],
    ['input v[2.5]', "1:9+3 invalid-size: sizes must be positive integers, found '2.5'"],
    ['input v[1e3]', "1:9+3 invalid-size: sizes must be positive integers, found '1e3'"],
    ['input v[-1]', "1:9+2 invalid-size: sizes must be positive integers, found '-1'"],
    ['input v[99999999999999999]', "1:9+17 too-large: the size '99999999999999999' is too large"],
    // outputs
    ['output', "1:7+1 syntax: expected a name after 'output', found end of input"],
    ['output 3', "1:8+1 syntax: output names must be identifiers, found '3'"],
    ['output y z', "1:10+1 syntax: expected '=' or end of line after 'output y', found 'z'"],
    ['output y =', "1:11+1 syntax: expected an expression after '=', found end of input"],
    // expressions
    ['y =', "1:4+1 syntax: expected an expression after '=', found end of input"],
    ['y = # nothing', "1:4+1 syntax: expected an expression after '=', found end of input"],
    ['y = x^', "1:7+1 syntax: '^' needs a right-hand side"],
    ['y = x^)', "1:7+1 syntax: '^' needs a right-hand side, found ')'"],
    ['y = a +\n', "1:8+1 syntax: '+' needs a right-hand side"],
    ['y = a + * b', "1:9+1 syntax: '+' needs a right-hand side, found '*'"],
    ['y = * x', "1:5+1 syntax: '*' needs a left-hand side"],
    ['y = (@ x)', "1:6+1 syntax: '@' needs a left-hand side"],
    ['y = -', "1:6+1 syntax: '-' needs an operand"],
    ['y = 2^-', "1:8+1 syntax: '-' needs an operand"],
    ['y = -)', "1:6+1 syntax: '-' needs an operand, found ')'"],
    ['y = ()', "1:6+1 syntax: expected an expression after '(', found ')'"],
    ['y = input + 1', "1:5+5 syntax: expected an expression after '=', found the keyword 'input'"],
    ['y = (a]', "1:7+1 syntax: expected ')' to close the '(' at 1:5, found ']'"],
    ['y = (a', "1:7+1 syntax: expected ')' to close the '(' at 1:5, found end of input"],
    ['y = f(a b)', "1:9+1 syntax: expected ',' or ')' in the call to 'f' at 1:6, found 'b'"],
    ['y = f(a,)', "1:9+1 syntax: expected an expression after ',', found ')'"],
    ['y = f(,a)', "1:7+1 syntax: expected an expression after '(', found ','"],
    ['y = f(a', "1:8+1 syntax: expected ')' to close the call to 'f' at 1:6, found end of input"],
    // lexical
    ['y = café', "1:8+1 syntax: unexpected character 'é' in 'café': names use only ASCII letters, digits and '_'"],
    ['y = a $ b', "1:7+1 syntax: unexpected character '$'"],
    ['y = 1e', "1:5+2 syntax: malformed number '1e': expected digits after 'e'"],
    ['y = 1.2.3', "1:5+5 syntax: malformed number '1.2.3': a number has at most one decimal point"],
    ['y = 2x', "1:5+2 syntax: malformed number '2x': to multiply, write '2 * x'"],
    ['y = a ** 2', "1:7+2 syntax: unexpected '**': write '^' for powers, as in x^2"],
    ['y = 1e400', "1:5+5 too-large: the number '1e400' is too large"],
  ])('%j', (source, expected) => {
    expect(errorsOf(source)).toEqual([expected]);
  });

  it('reports an unclosed bracket at the end of its line when the next line starts a statement', () => {
    expect(errorsOf('y = (a + b\nz = 3\noutput z')).toEqual(["1:11+1 syntax: expected ')' to close the '(' at 1:5, found end of line"]);
    expect(errorsOf('y = f(a,\ninput x')).toEqual(["1:9+1 syntax: expected an expression after ',', found end of line"]);
    expect(errorsOf('input x[n,\noutput x')).toEqual(["1:11+1 syntax: expected a size (a positive integer or a name) after ',', found end of line"]);
    expect(parse('y = (a + b\nz = 3\noutput z').program.statements.map((s) => s.kind)).toEqual(['let', 'output']);
  });

  it('keeps looking past line breaks inside brackets otherwise', () => {
    expect(errorsOf('y = (a\n  b)')).toEqual(["2:3+1 syntax: expected ')' to close the '(' at 1:5, found 'b'"]);
  });

  it('stops expressions nested more than 200 levels deep', () => {
    const nested = (n: number): string => `y = ${'('.repeat(n)}x${')'.repeat(n)}`;
    expect(errorsOf(nested(200))).toEqual([]);
    expect(errorsOf(nested(201))).toEqual(['1:205+1 syntax: expression nested too deeply (over 200 levels); split it into several bindings']);
    expect(errorsOf(nested(10_000))).toEqual(['1:205+1 syntax: expression nested too deeply (over 200 levels); split it into several bindings']);
    expect(errorsOf(`y = ${'-'.repeat(201)}x`)).toEqual(['1:205+1 syntax: expression nested too deeply (over 200 levels); split it into several bindings']);
    expect(errorsOf(`y = ${'f('.repeat(10_000)}`)).toHaveLength(1);
    expect(errorsOf(`y = x${'^x'.repeat(5000)}`)).toHaveLength(1);
  });

  it('stops expression trees taller than 1000 levels', () => {
    expect(errorsOf(`y = a${'+a'.repeat(999)}`)).toEqual([]);
    expect(errorsOf(`y = a${'+a'.repeat(1000)}`)).toEqual([
      '1:2004+1 too-large: expression too large (over 1000 levels of operations); split it into several bindings',
    ]);
  });
});

describe('definitions', () => {
  it.each([
    ['input x\nx = 2', "2:1+1 duplicate-name: 'x' is already declared as an input at 1:7; each name can be defined only once"],
    ['input x\ninput x[3]', "2:7+1 duplicate-name: 'x' is already declared as an input at 1:7; each name can be defined only once"],
    ['h = 1\nh = 2', "2:1+1 duplicate-name: 'h' is already defined at 1:1; each name can be defined only once"],
    ['h = 1\noutput h = 2', "2:8+1 duplicate-name: 'h' is already defined at 1:1; each name can be defined only once"],
    ['y = 1\noutput y\noutput y', "3:8+1 duplicate-name (warning): 'y' is already marked as an output at 2:8"],
    ['output y = 1\noutput y', "2:8+1 duplicate-name (warning): 'y' is already marked as an output at 1:8"],
    ['output h', "1:8+1 unknown-name: 'h' is not defined: declare it with 'input h' or bind it with 'h = ...' before 'output h'"],
    ['output h\nh = 1', "1:8+1 unknown-name: 'h' is defined later, at 2:1; move 'output h' below its definition"],
  ])('%j', (source, expected) => {
    expect(errorsOf(source)).toEqual([expected]);
  });

  it('leaves names used in expressions to the checker', () => {
    expect(errorsOf('y = undefined_name + 1\noutput y')).toEqual([]);
  });

  it('still defines a name whose statement had a syntax error, so no second error follows', () => {
    expect(errorsOf('h = (1 +\noutput h')).toEqual(["1:9+1 syntax: '+' needs a right-hand side"]);
    expect(errorsOf('input v[n\nv = 2')).toEqual([
      "1:10+1 syntax: expected ']' to close the '[' at 1:8, found end of line",
      "2:1+1 duplicate-name: 'v' is already declared as an input at 1:7; each name can be defined only once",
    ]);
  });
});

describe('recovery', () => {
  it('reports errors from several statements at once and keeps the good ones', () => {
    const source = [
      'input x[n]',
      'input W[m, n',
      'a = x +',
      'b = (x * 2',
      'c = x $ 1',
      'd = x * 2',
      'e = f(x,, 1)',
      'output d',
      'output zz',
    ].join('\n');
    const { program, diagnostics } = parse(source);
    expect(diagnostics.map(show)).toEqual([
      "2:13+1 syntax: expected ']' to close the '[' at 2:8, found end of line",
      "3:8+1 syntax: '+' needs a right-hand side",
      "4:11+1 syntax: expected ')' to close the '(' at 4:5, found end of line",
      "5:7+1 syntax: unexpected character '$'",
      "7:9+1 syntax: expected an expression after ',', found ','",
      "9:8+2 unknown-name: 'zz' is not defined: declare it with 'input zz' or bind it with 'zz = ...' before 'output zz'",
    ]);
    expect(program.statements.map((s) => `${s.kind} ${s.name}`)).toEqual(['input x', 'let d', 'output d', 'output zz']);
  });

  it('skips a broken statement up to the line break outside brackets', () => {
    const source = 'y = (a $ [\n b]\n c)\nz = 1';
    expect(errorsOf(source)).toEqual(["1:8+1 syntax: unexpected character '$'"]);
    expect(parse(source).program.statements.map((s) => s.kind === 'let' && s.name)).toEqual(['z']);
  });

  it('reports several lexical errors on one line', () => {
    expect(errorsOf('y = é + 1e + $')).toEqual([
      "1:5+1 syntax: unexpected character 'é': names use only ASCII letters, digits and '_'",
      '1:9+2 syntax: malformed number \'1e\': expected digits after \'e\'',
      "1:14+1 syntax: unexpected character '$'",
    ]);
  });

  it(`caps the diagnostics at ${MAX_DIAGNOSTICS}, keeping the first ones`, () => {
    const lines = (make: (i: number) => string): string => Array.from({ length: 200 }, (_, i) => make(i)).join('\n');
    const lexical = parse(lines((i) => `v${i} = $`)).diagnostics;
    expect(lexical).toHaveLength(50);
    expect(lexical.at(-1)!.line).toBe(50);
    const syntactic = parse(lines((i) => `v${i} = )`)).diagnostics;
    expect(syntactic).toHaveLength(50);
    expect(syntactic.at(-1)!.line).toBe(50);
    const mixed = parse(lines((i) => (i % 2 === 0 ? `v${i} = $` : `v${i} = )`))).diagnostics;
    expect(mixed).toHaveLength(50);
    expect(mixed.map((d) => d.line)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
  });

  it('sorts diagnostics by position', () => {
    const offsets = parse('a = )\nb = $\noutput q\nc = 1e\n').diagnostics.map((d) => d.offset);
    expect(offsets).toEqual([...offsets].sort((p, q) => p - q));
  });
});

describe('formatDiagnostic', () => {
  it('prints position, severity, message, the line and a caret', () => {
    const source = 'input x\ny = (x +\n  2\nz = 1';
    const [d] = parse('input x\ny = x^\n').diagnostics;
    expect(formatDiagnostic(d!, 'input x\ny = x^\n')).toBe("2:7 error: '^' needs a right-hand side\n  y = x^\n        ^");
    const [e] = parse(source).diagnostics;
    expect(formatDiagnostic(e!, source)).toBe("3:4 error: expected ')' to close the '(' at 2:5, found end of line\n    2\n     ^");
  });

  it('underlines the whole span', () => {
    const source = 'y = 1.2.3 + x';
    expect(formatDiagnostic(parse(source).diagnostics[0]!, source)).toBe(
      "1:5 error: malformed number '1.2.3': a number has at most one decimal point\n  y = 1.2.3 + x\n      ^^^^^",
    );
  });

  it('prints warnings as warnings', () => {
    const source = 'y = 1\noutput y\noutput y';
    expect(formatDiagnostic(parse(source).diagnostics[0]!, source)).toBe(
      "3:8 warning: 'y' is already marked as an output at 2:8\n  output y\n         ^",
    );
  });

  it('keeps tabs so the caret lines up', () => {
    const source = '\ty = \t$';
    expect(formatDiagnostic(parse(source).diagnostics[0]!, source)).toBe("1:7 error: unexpected character '$'\n  \ty = \t$\n  \t    \t^");
  });

  it('counts a surrogate pair as one column on screen', () => {
    const source = 'y = 😀 + 😀';
    const diagnostics = parse(source).diagnostics;
    expect(diagnostics.map(show)).toEqual(["1:5+2 syntax: unexpected character '😀'", "1:10+2 syntax: unexpected character '😀'"]);
    expect(formatDiagnostic(diagnostics[1]!, source)).toBe("1:10 error: unexpected character '😀'\n  y = 😀 + 😀\n          ^");
  });

  it('handles \\r\\n line ends, the end of input, and control characters', () => {
    const crlf = 'a = 1\r\nb = (\r\n';
    expect(formatDiagnostic(parse(crlf).diagnostics[0]!, crlf)).toBe("2:6 error: expected an expression after '(', found end of input\n  b = (\n       ^");
    const control = 'y = \u0001';
    expect(formatDiagnostic(parse(control).diagnostics[0]!, control)).toBe('1:5 error: unexpected character U+0001\n  y = \u00b7\n      ^');
  });

  it('cuts a multi-line span at the end of its first line and survives out-of-range input', () => {
    const source = 'ab\ncd';
    const d = diagnostic('shape-mismatch', 'spans lines', { line: 1, column: 2, length: 3, offset: 1 });
    expect(formatDiagnostic(d, source)).toBe('1:2 error: spans lines\n  ab\n   ^');
    const wild = diagnostic('syntax', 'nowhere', { line: 9, column: 99, length: 5, offset: 500 });
    expect(() => formatDiagnostic(wild, source)).not.toThrow();
  });
});

describe('LanguageError', () => {
  it('carries the diagnostics and names the first error', () => {
    const { diagnostics } = parse('a = )\nb = )\nc = )');
    const error = new LanguageError(diagnostics);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('LanguageError');
    expect(error.diagnostics).toBe(diagnostics);
    expect(error.message).toBe("1:5 expected an expression after '=', found ')' (and 2 more errors)");
    expect(hasErrors(diagnostics)).toBe(true);
  });

  it('ignores warnings when counting errors', () => {
    const warning = diagnostic('unused-input', 'unused', { line: 1, column: 1, length: 1, offset: 0 }, 'warning');
    expect(hasErrors([warning])).toBe(false);
    expect(new LanguageError([warning]).message).toBe('1:1 unused');
  });
});
