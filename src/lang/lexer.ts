// Turns source text into tokens. Comments, spaces and tabs are dropped; every line break becomes
// a `newline` token (the parser decides which ones end a statement). Text the language does not
// allow is reported once and kept as an internal `invalid` token, so the parser can skip the
// statement it sits in without piling further errors on top.
import type { Span } from './ast.ts';
import { diagnostic, MAX_DIAGNOSTICS, type Diagnostic, type DiagnosticKind } from './diagnostics.ts';

/**
 * Token kinds: `op` is one of `+ - * / ^ @ =`, `punct` one of `( ) [ ] ,`. A `newline` token's text
 * is the line break itself (`\n`, `\r\n` or `\r`); `eof` is empty and sits at the end of the source.
 */
export type TokenKind = 'number' | 'ident' | 'keyword' | 'op' | 'punct' | 'newline' | 'eof';

/** One token with its exact source text and span. */
export interface Token {
  kind: TokenKind;
  text: string;
  span: Span;
}

/** A stretch of rejected source text; the lexer has already reported it. Never leaves the front end. */
export interface InvalidToken {
  kind: 'invalid';
  text: string;
  span: Span;
}

/** What the parser reads: real tokens plus rejected stretches. */
export type LexToken = Token | InvalidToken;

/** The reserved words; they cannot be used as names. */
export const KEYWORDS: readonly string[] = ['input', 'output'];

const OPERATORS = new Set(['+', '-', '*', '/', '^', '@', '=']);
const PUNCTUATION = new Set(['(', ')', '[', ']', ',']);
const VALID_NUMBER = /^(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const NUMBER_PREFIX = /^(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d+)?/;
const MANTISSA_WITH_EXPONENT_LETTER = /^(?:\d+(?:\.\d+)?|\.\d+)[eE]$/;

/** Splits source into tokens for highlighting; rejected text is left out and reported in `diagnostics`. */
export function tokenize(source: string): { tokens: Token[]; diagnostics: Diagnostic[] } {
  const { tokens, diagnostics } = lex(source);
  return { tokens: tokens.filter((t): t is Token => t.kind !== 'invalid'), diagnostics };
}

/** Splits source into tokens, keeping rejected text as `invalid` tokens; the last token is always `eof`. */
export function lex(source: string): { tokens: LexToken[]; diagnostics: Diagnostic[] } {
  const tokens: LexToken[] = [];
  const diagnostics: Diagnostic[] = [];
  const length = source.length;
  let i = 0;
  let line = 1;
  let lineStart = 0;

  const spanOf = (start: number, end: number): Span => ({
    line,
    column: start - lineStart + 1,
    length: end - start,
    offset: start,
  });
  const push = (kind: LexToken['kind'], start: number, end: number): void => {
    tokens.push({ kind, text: source.slice(start, end), span: spanOf(start, end) });
  };
  const reject = (start: number, end: number, message: string, at = spanOf(start, end), kind: DiagnosticKind = 'syntax'): void => {
    push('invalid', start, end);
    if (diagnostics.length < MAX_DIAGNOSTICS) diagnostics.push(diagnostic(kind, message, at));
  };

  while (i < length) {
    const ch = source[i]!;
    if (ch === ' ' || ch === '\t') {
      i++;
    } else if (ch === '\n' || ch === '\r') {
      const end = ch === '\r' && source[i + 1] === '\n' ? i + 2 : i + 1;
      push('newline', i, end);
      i = end;
      line++;
      lineStart = i;
    } else if (ch === '#') {
      while (i < length && source[i] !== '\n' && source[i] !== '\r') i++;
    } else if (isDigit(ch) || (ch === '.' && isDigit(source[i + 1]))) {
      i = lexNumber(i);
    } else if (isAsciiWordChar(ch) || isForeignWordChar(source, i)) {
      i = lexWord(i);
    } else if (ch === '*' && source[i + 1] === '*') {
      reject(i, i + 2, "unexpected '**': write '^' for powers, as in x^2");
      i += 2;
    } else if (OPERATORS.has(ch)) {
      push('op', i, i + 1);
      i++;
    } else if (PUNCTUATION.has(ch)) {
      push('punct', i, i + 1);
      i++;
    } else if (ch === ';') {
      reject(i, i + 1, "unexpected ';': statements end at a newline");
      i++;
    } else {
      i = lexStrayCharacters(i);
    }
  }
  tokens.push({ kind: 'eof', text: '', span: spanOf(length, length) });
  return { tokens, diagnostics };

  // A number is checked as one maximal run of digits, letters, '_' and '.', so `1.2.3` and `2x`
  // are reported whole instead of being split into confusing pieces.
  function lexNumber(start: number): number {
    let end = start;
    while (end < length) {
      const c = source[end]!;
      const signedExponent =
        (c === '+' || c === '-') &&
        isDigit(source[end + 1]) &&
        MANTISSA_WITH_EXPONENT_LETTER.test(source.slice(start, end));
      if (isAsciiWordChar(c) || c === '.' || signedExponent) end++;
      else break;
    }
    const text = source.slice(start, end);
    if (!VALID_NUMBER.test(text)) {
      reject(start, end, malformedNumberMessage(text));
    } else if (!Number.isFinite(Number(text))) {
      reject(start, end, `the number ${quote(text)} is too large`, spanOf(start, end), 'too-large');
    } else {
      push('number', start, end);
    }
    return end;
  }

  // Names are ASCII; a word that mixes in other letters (`café`) is rejected as a whole, with the
  // diagnostic on its first non-ASCII character.
  function lexWord(start: number): number {
    let end = start;
    let firstForeign = -1;
    while (end < length) {
      if (isAsciiWordChar(source[end]!)) {
        end++;
      } else if (isForeignWordChar(source, end)) {
        if (firstForeign < 0) firstForeign = end;
        end += codePointLength(source, end);
      } else {
        break;
      }
    }
    if (firstForeign < 0) {
      push(KEYWORDS.includes(source.slice(start, end)) ? 'keyword' : 'ident', start, end);
      return end;
    }
    const foreign = source.slice(firstForeign, firstForeign + codePointLength(source, firstForeign));
    const word = source.slice(start, end);
    const inWord = word === foreign ? '' : ` in ${quote(word)}`;
    const message = `unexpected character ${describeCharacter(foreign)}${inWord}: names use only ASCII letters, digits and '_'`;
    reject(start, end, message, spanOf(firstForeign, firstForeign + foreign.length));
    return end;
  }

  // Consecutive characters that can start no token are one rejected stretch with one diagnostic.
  function lexStrayCharacters(start: number): number {
    const first = source.slice(start, start + codePointLength(source, start));
    let end = start + first.length;
    while (end < length && isStray(source, end)) end += codePointLength(source, end);
    const hint = /^[\p{Z}\v\f]$/u.test(first) ? ': only spaces and tabs may separate tokens' : '';
    reject(start, end, `unexpected character ${describeCharacter(first)}${hint}`, spanOf(start, start + first.length));
    return end;
  }
}

/** Names a character for a message: `'$'`, or its code point when it is invisible or combining. */
export function describeCharacter(ch: string): string {
  if (/^[\p{C}\p{Z}\p{M}]$/u.test(ch)) {
    return `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
  }
  return ch === "'" ? `"'"` : `'${ch}'`;
}

/** Quotes source text for a message, shortening long stretches. */
export function quote(text: string): string {
  const shown = text.length > 24 ? `${text.slice(0, 20)}...` : text;
  return `'${shown}'`;
}

function malformedNumberMessage(text: string): string {
  const base = `malformed number ${quote(text)}`;
  const exponent = /^(?:\d+(?:\.\d+)?|\.\d+)([eE])[+-]?$/.exec(text);
  if (exponent) return `${base}: expected digits after '${exponent[1]}'`;
  if (text.split('.').length > 2) return `${base}: a number has at most one decimal point`;
  if (/\.(?!\d)/.test(text)) return `${base}: expected digits after the decimal point`;
  const prefix = NUMBER_PREFIX.exec(text)?.[0] ?? '';
  const rest = text.slice(prefix.length);
  if (prefix !== '' && /^[A-Za-z_]\w*$/.test(rest) && text.length <= 24) {
    return `${base}: to multiply, write '${prefix} * ${rest}'`;
  }
  return base;
}

function isDigit(ch: string | undefined): boolean {
  return ch !== undefined && ch >= '0' && ch <= '9';
}

function isAsciiWordChar(ch: string): boolean {
  return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || isDigit(ch) || ch === '_';
}

/** A non-ASCII letter, mark or digit: part of a word a student meant as a name. */
function isForeignWordChar(source: string, i: number): boolean {
  if (source.charCodeAt(i) < 0x80) return false;
  return /^[\p{L}\p{M}\p{N}]$/u.test(source.slice(i, i + codePointLength(source, i)));
}

/** A character that can start no token and is no separator. */
function isStray(source: string, i: number): boolean {
  const ch = source[i]!;
  if (ch.charCodeAt(0) < 0x80) {
    return !(
      ch === ' ' ||
      ch === '\t' ||
      ch === '\n' ||
      ch === '\r' ||
      ch === '#' ||
      ch === ';' ||
      ch === '.' ||
      isAsciiWordChar(ch) ||
      OPERATORS.has(ch) ||
      PUNCTUATION.has(ch)
    );
  }
  return !isForeignWordChar(source, i);
}

/** 2 for a surrogate pair, otherwise 1 (a lone surrogate counts as one character). */
function codePointLength(source: string, i: number): number {
  const cp = source.codePointAt(i) ?? 0;
  return cp > 0xffff ? 2 : 1;
}
