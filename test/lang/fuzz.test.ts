import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Span } from '../../src/lang/ast.ts';
import { formatDiagnostic, MAX_DIAGNOSTICS } from '../../src/lang/diagnostics.ts';
import { tokenize } from '../../src/lang/lexer.ts';
import { parse } from '../../src/lang/parser.ts';
import { formatExpr } from '../../src/lang/print.ts';
import { programPlanArb, renderProgram } from './arbitraries.ts';
import { expressionsOf, parseExpr, textOf, withoutSpans } from './helpers.ts';

// Plain checks rather than `expect`: they run millions of times and must stay cheap.
function ensure(condition: boolean, what: string, source: string): void {
  if (!condition) throw new Error(`${what} in ${JSON.stringify(source.length > 200 ? `${source.slice(0, 200)}...` : source)}`);
}

/** Checks a span against the source: in range, and line/column agree with the offset. */
function ensureWellPlaced(source: string, lines: number[], span: Span, allowPastEnd: boolean, what: string): void {
  const where = `${what} at ${JSON.stringify(span)}`;
  ensure(span.line >= 1 && span.column >= 1 && span.length >= 0 && span.offset >= 0, `${where}: negative or zero position`, source);
  ensure(span.offset + span.length <= source.length + (allowPastEnd ? 1 : 0) && span.offset <= source.length, `${where}: past the end`, source);
  let line = 1;
  while (line < lines.length && lines[line]! <= span.offset) line++;
  ensure(span.line === line && span.column === span.offset - lines[line - 1]! + 1, `${where}: line/column disagree with offset`, source);
}

/** Offsets where lines start, for \n, \r\n and \r line breaks. */
function lineStarts(source: string): number[] {
  const starts = [0];
  for (let i = 0; i < source.length; i++) {
    if (source[i] === '\n' || (source[i] === '\r' && source[i + 1] !== '\n')) starts.push(i + 1);
  }
  return starts;
}

/** Everything `parse` and `tokenize` promise for any input whatsoever. */
function checkInvariants(source: string): void {
  const lines = lineStarts(source);
  const { program, diagnostics } = parse(source);
  ensure(diagnostics.length <= MAX_DIAGNOSTICS, 'too many diagnostics', source);
  diagnostics.forEach((d, i) => {
    ensureWellPlaced(source, lines, d, true, `diagnostic '${d.message}'`);
    ensure(d.message.length > 0, 'empty message', source);
    ensure(i === 0 || d.offset >= diagnostics[i - 1]!.offset, 'diagnostics out of order', source);
    ensure(typeof formatDiagnostic(d, source) === 'string', 'formatDiagnostic failed', source);
  });
  for (const statement of program.statements) {
    ensureWellPlaced(source, lines, statement.span, false, `${statement.kind} statement`);
    ensure(textOf(source, statement.nameSpan) === statement.name, 'nameSpan text', source);
    for (const expr of expressionsOf(statement)) {
      ensureWellPlaced(source, lines, expr.span, false, `${expr.kind} expression`);
      if (expr.kind === 'name') ensure(textOf(source, expr.span) === expr.name, 'name span text', source);
      if (expr.kind === 'number') ensure(textOf(source, expr.span) === expr.text, 'number span text', source);
      if (expr.kind === 'call') ensure(textOf(source, expr.calleeSpan) === expr.callee, 'callee span text', source);
      if (expr.kind === 'binary' || expr.kind === 'unary') ensure(textOf(source, expr.opSpan) === expr.op, 'operator span text', source);
    }
  }
  const { tokens } = tokenize(source);
  ensure(tokens.at(-1)?.kind === 'eof', 'no eof token', source);
  let previousEnd = 0;
  for (const token of tokens) {
    ensureWellPlaced(source, lines, token.span, false, `token '${token.text}'`);
    ensure(textOf(source, token.span) === token.text, 'token text differs from its span', source);
    ensure(token.span.offset >= previousEnd, 'tokens overlap', source);
    previousEnd = token.span.offset + token.span.length;
  }
}

const SNIPPETS = [
  'x', 'W', 'h1', '_', 'tanh', 'f', 'input', 'output', 'inputs',
  '0', '2', '.5', '1e-3', '2.5E+4', '1e', '1.2.3', '2x',
  '+', '-', '*', '/', '^', '@', '=', '**',
  '(', ')', '[', ']', ',', '\n', '\r\n', '\n', ' ', '\t', '# c', ';', '$', 'é',
];

describe('parse never fails on arbitrary input', () => {
  it('full-unicode strings', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 80 }), checkInvariants), { numRuns: 1000 });
  });

  it('strings of arbitrary UTF-16 code units, lone surrogates included', () => {
    const unit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));
    fc.assert(fc.property(fc.string({ unit, maxLength: 80 }), checkInvariants), { numRuns: 500 });
  });

  it('random bytes decoded as latin1', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => checkInvariants(Buffer.from(bytes).toString('latin1'))), { numRuns: 500 });
  });

  it('random streams of the language tokens', () => {
    const stream = fc.array(fc.constantFrom(...SNIPPETS), { maxLength: 60 });
    const joiner = fc.constantFrom('', ' ');
    fc.assert(fc.property(stream, joiner, (parts, sep) => checkInvariants(parts.join(sep))), { numRuns: 2000 });
  });

  it('valid programs with one token replaced or removed', () => {
    fc.assert(
      fc.property(programPlanArb, fc.nat(), fc.constantFrom(...SNIPPETS, ''), (plan, at, replacement) => {
        const source = renderProgram(plan);
        const { tokens } = tokenize(source);
        const victim = tokens[at % tokens.length]!.span;
        checkInvariants(source.slice(0, victim.offset) + replacement + source.slice(victim.offset + victim.length));
      }),
      { numRuns: 300 },
    );
  });
});

describe('valid programs', () => {
  it('parse without diagnostics, into the statements they were built from', () => {
    fc.assert(
      fc.property(programPlanArb, (plan) => {
        const source = renderProgram(plan);
        const { program, diagnostics } = parse(source);
        expect(diagnostics).toEqual([]);
        checkInvariants(source);
        const inputs = program.statements.filter((s) => s.kind === 'input');
        expect(inputs.map((s) => s.dims.map((d) => (d.kind === 'int' ? d.value : d.name)))).toEqual(plan.inputs.map((i) => i.dims));
        const bindings = program.statements.filter((s) => s.kind === 'let');
        expect(bindings.map((s) => withoutSpans(s.value))).toEqual(plan.bindings.map((b) => withoutSpans(b.value)));
        expect(bindings.map((s) => s.output)).toEqual(plan.bindings.map((b) => b.output));
      }),
      { numRuns: 300 },
    );
  });

  it('print and re-parse to the same trees', () => {
    fc.assert(
      fc.property(programPlanArb, (plan) => {
        for (const statement of parse(renderProgram(plan)).program.statements) {
          if (statement.kind !== 'let') continue;
          expect(withoutSpans(parseExpr(formatExpr(statement.value)))).toEqual(withoutSpans(statement.value));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('give every node a span whose text parses back to that node', () => {
    fc.assert(
      fc.property(programPlanArb, (plan) => {
        const source = renderProgram(plan);
        for (const statement of parse(source).program.statements) {
          for (const expr of expressionsOf(statement)) {
            expect(withoutSpans(parseExpr(`(${textOf(source, expr.span)})`))).toEqual(withoutSpans(expr));
          }
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('large and hostile inputs', () => {
  it('a 1 MB line', () => {
    const long = `y = ${'a+'.repeat(500_000)}a`;
    expect(parse(long).diagnostics.map((d) => d.kind)).toEqual(['too-large']);
    const name = `y = ${'a'.repeat(1_000_000)}`;
    expect(parse(name).diagnostics).toEqual([]);
    checkInvariants(`y = ${'$'.repeat(1_000_000)}`);
  });

  it('a megabyte of random bytes', () => {
    const random = Array.from({ length: 1 << 20 }, (_, i) => String.fromCharCode((i * 2654435761) >>> 24)).join('');
    expect(parse(random).diagnostics.length).toBeLessThanOrEqual(MAX_DIAGNOSTICS);
  });

  it('10,000 nested parentheses, brackets, calls, signs and powers', () => {
    for (const source of [
      `y = ${'('.repeat(10_000)}x${')'.repeat(10_000)}`,
      `y = ${'('.repeat(10_000)}`,
      `y = ${')'.repeat(10_000)}`,
      `input x${'['.repeat(10_000)}`,
      `y = ${'f('.repeat(10_000)}x`,
      `y = ${'-'.repeat(10_000)}x`,
      `y = ${'x^'.repeat(10_000)}x`,
      `y = ${'(a+'.repeat(10_000)}a`,
    ]) {
      const { diagnostics } = parse(source);
      expect(diagnostics).toHaveLength(1);
    }
  });

  it('100,000 short statements', () => {
    const source = Array.from({ length: 100_000 }, (_, i) => `v${i} = v${i > 0 ? i - 1 : 0} * 2 # c`).join('\n');
    const { program, diagnostics } = parse(source);
    expect(diagnostics).toEqual([]);
    expect(program.statements).toHaveLength(100_000);
  });
});
