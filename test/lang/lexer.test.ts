import { describe, expect, it } from 'vitest';
import { lex, tokenize } from '../../src/lang/lexer.ts';
import { loc } from './helpers.ts';

const brief = (source: string): string[] => tokenize(source).tokens.map((t) => `${t.kind}:${JSON.stringify(t.text)}@${loc(t.span)}`);

describe('tokenize', () => {
  it('splits a statement into kinds with exact spans', () => {
    expect(brief('h = tanh(W @ x + b)')).toEqual([
      'ident:"h"@1:1+1',
      'op:"="@1:3+1',
      'ident:"tanh"@1:5+4',
      'punct:"("@1:9+1',
      'ident:"W"@1:10+1',
      'op:"@"@1:12+1',
      'ident:"x"@1:14+1',
      'op:"+"@1:16+1',
      'ident:"b"@1:18+1',
      'punct:")"@1:19+1',
      'eof:""@1:20+0',
    ]);
  });

  it('recognises keywords, punctuation and every operator', () => {
    const kinds = tokenize('input output inputs _x1 ( ) [ ] , + - * / ^ @ =').tokens.map((t) => `${t.kind}:${t.text}`);
    expect(kinds).toEqual([
      'keyword:input', 'keyword:output', 'ident:inputs', 'ident:_x1',
      'punct:(', 'punct:)', 'punct:[', 'punct:]', 'punct:,',
      'op:+', 'op:-', 'op:*', 'op:/', 'op:^', 'op:@', 'op:=', 'eof:',
    ]);
  });

  it('drops comments and keeps one newline token per line break', () => {
    expect(brief('# only a comment\nx # trailing\n\ny')).toEqual([
      'newline:"\\n"@1:17+1',
      'ident:"x"@2:1+1',
      'newline:"\\n"@2:13+1',
      'newline:"\\n"@3:1+1',
      'ident:"y"@4:1+1',
      'eof:""@4:2+0',
    ]);
  });

  it('treats \\r\\n and a lone \\r as one line break each', () => {
    expect(brief('a\r\nb\rc')).toEqual([
      'ident:"a"@1:1+1',
      'newline:"\\r\\n"@1:2+2',
      'ident:"b"@2:1+1',
      'newline:"\\r"@2:2+1',
      'ident:"c"@3:1+1',
      'eof:""@3:2+0',
    ]);
  });

  it('counts columns in UTF-16 units after tabs', () => {
    expect(brief('\tx')).toEqual(['ident:"x"@1:2+1', 'eof:""@1:3+0']);
  });

  it.each([
    ['2', 2],
    ['0.5', 0.5],
    ['.5', 0.5],
    ['1e-3', 1e-3],
    ['2.5E+4', 2.5e4],
    ['007', 7],
    ['1e3', 1000],
  ])('reads the number %s', (text, value) => {
    const { tokens, diagnostics } = tokenize(text);
    expect(diagnostics).toEqual([]);
    expect(tokens[0]).toMatchObject({ kind: 'number', text });
    expect(Number(tokens[0]!.text)).toBe(value);
  });

  it('does not glue a sign into a number outside an exponent', () => {
    expect(tokenize('1-2 1e-x').tokens.map((t) => t.text)).toEqual(['1', '-', '2', '-', 'x', '']);
  });

  it.each([
    ['1e', "malformed number '1e': expected digits after 'e'"],
    ['2.5E+', "malformed number '2.5E': expected digits after 'E'"],
    ['1.2.3', "malformed number '1.2.3': a number has at most one decimal point"],
    ['1.', "malformed number '1.': expected digits after the decimal point"],
    ['2x', "malformed number '2x': to multiply, write '2 * x'"],
    ['1e3x', "malformed number '1e3x': to multiply, write '1e3 * x'"],
    ['1.5e2.5', "malformed number '1.5e2.5': a number has at most one decimal point"],
  ])('rejects the malformed number %s', (text, message) => {
    const { tokens, diagnostics } = tokenize(text);
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]).toMatchObject({ kind: 'syntax', message, line: 1, column: 1 });
    expect(tokens.map((t) => t.kind)).not.toContain('number');
  });

  it('reports a number too large for a double', () => {
    const { diagnostics } = tokenize('1e999');
    expect(diagnostics[0]).toMatchObject({ kind: 'too-large', message: "the number '1e999' is too large", length: 5 });
  });

  it.each([
    ['é', "unexpected character 'é': names use only ASCII letters, digits and '_'", 1, 1],
    ['café', "unexpected character 'é' in 'café': names use only ASCII letters, digits and '_'", 4, 1],
    ['$', "unexpected character '$'", 1, 1],
    ['$$$', "unexpected character '$'", 1, 1],
    ["'", `unexpected character "'"`, 1, 1],
    ['.', "unexpected character '.'", 1, 1],
    ['\u0007', 'unexpected character U+0007', 1, 1],
    ['\u00a0', 'unexpected character U+00A0: only spaces and tabs may separate tokens', 1, 1],
    ['\u200b', 'unexpected character U+200B', 1, 1],
    ['\ud800', 'unexpected character U+D800', 1, 1],
    ['😀', "unexpected character '😀'", 1, 2],
    [';', "unexpected ';': statements end at a newline", 1, 1],
    ['**', "unexpected '**': write '^' for powers, as in x^2", 1, 2],
  ])('rejects %j', (text, message, column, length) => {
    const { tokens, diagnostics } = tokenize(`  ${text}`);
    expect(diagnostics).toEqual([{ severity: 'error', kind: 'syntax', message, line: 1, column: column + 2, length, offset: column + 1 }]);
    expect(tokens.map((t) => t.kind)).toEqual(['eof']);
  });

  it('keeps rejected text as invalid tokens for the parser only', () => {
    expect(lex('a $ b').tokens.map((t) => t.kind)).toEqual(['ident', 'invalid', 'ident', 'eof']);
    expect(tokenize('a $ b').tokens.map((t) => t.kind)).toEqual(['ident', 'ident', 'eof']);
  });

  it('caps its diagnostics at 50', () => {
    expect(tokenize('$ '.repeat(200)).diagnostics).toHaveLength(50);
  });

  it('gives every token the text its span covers', () => {
    const source = 'input W[m, n]\r\nh = tanh(W @ x + .5e-1) # c\n\toutput h';
    for (const token of tokenize(source).tokens) {
      expect(source.slice(token.span.offset, token.span.offset + token.span.length)).toBe(token.text);
    }
  });
});
