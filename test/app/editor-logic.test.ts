// The editor's language smarts without Monaco: completions, hover cards, markers' ranges, the
// minimal edit that syncs external changes, and the teaching helpers that edit the source.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compile, FUNCTIONS } from '../../src/index.ts';
import { KEYWORDS as LEXER_KEYWORDS } from '../../src/lang/lexer.ts';
import { KEYWORDS, programInfo, shapeOf, wordAt } from '../../src/app/editor/analysis.ts';
import { callSnippet, completionsAt } from '../../src/app/editor/complete.ts';
import { minimalEdit } from '../../src/app/editor/diff.ts';
import { escapeMarkdown, hoverAt } from '../../src/app/editor/hover.ts';
import { markerRange, problemsOf } from '../../src/app/editor/problems.ts';
import { missingSeed, wrapOutputInSum } from '../../src/app/teach/seed.ts';

const SOURCE = `input x[n]
input W[h, n]
hidden = tanh(W @ x)
unused = x * 2
output y = sum(hidden)
`;
const SIZES = { n: 4, h: 5 };
const info = (source = SOURCE, sizes: Record<string, number> = SIZES) => programInfo(source, sizes);
const at = (source: string, marker: string, delta = 0) => source.indexOf(marker) + delta;

describe('completions', () => {
  it("list functions with their signature, doc and derivative, inserted as snippets", () => {
    const items = completionsAt(info(), SOURCE.length);
    const tanh = items.find((c) => c.label === 'tanh')!;
    expect(tanh).toMatchObject({ kind: 'function', detail: 'tanh(x)', insertText: 'tanh(${1:x})', snippet: true });
    expect(tanh.documentation).toContain('Hyperbolic tangent');
    expect(tanh.documentation).toContain(FUNCTIONS.tanh.derivative);
    expect(items.filter((c) => c.kind === 'function').map((c) => c.label).sort()).toEqual(Object.keys(FUNCTIONS).sort());
  });

  it('make snippets from the first form of a signature', () => {
    expect(callSnippet('sum(x) | sum(x, axis)')).toBe('sum(${1:x})');
    expect(callSnippet('pow(a, b)')).toBe('pow(${1:a}, ${2:b})');
  });

  it('offer the names defined on earlier lines, with their shapes', () => {
    const offset = at(SOURCE, 'output y');
    const names = completionsAt(info(), offset).filter((c) => c.kind === 'name');
    expect(names.map((c) => [c.label, c.detail])).toEqual([
      ['x', '[4] · input x[n]'],
      ['W', '[5, 4] · input W[h, n]'],
      ['hidden', '[5] · binding'],
      ['unused', '[4] · binding'],
    ]);
    expect(completionsAt(info(), at(SOURCE, 'hidden =')).filter((c) => c.kind === 'name').map((c) => c.label)).toEqual(['x', 'W']);
  });

  it('offer keywords at the start of a statement only, and only sizes inside input brackets', () => {
    expect(completionsAt(info(), SOURCE.length).some((c) => c.label === 'input' && c.kind === 'keyword')).toBe(true);
    expect(completionsAt(info(), at(SOURCE, 'W @ x')).some((c) => c.kind === 'keyword')).toBe(false);
    const dims = completionsAt(info(), at(SOURCE, 'h, n]'));
    expect(dims.map((c) => [c.label, c.detail])).toEqual([['n', 'size = 4'], ['h', 'size = 5']]);
    const commented = `${SOURCE}# a note about ta`;
    expect(completionsAt(info(commented), commented.length)).toEqual([]);
  });
});

describe('hover cards', () => {
  const text = (source: string, offset: number) => hoverAt(info(source), offset)?.contents.join('\n') ?? null;

  it("show a function's signature, shapes and derivative rule", () => {
    const card = hoverAt(info(), at(SOURCE, 'tanh', 2))!;
    expect(SOURCE.slice(card.start, card.end)).toBe('tanh');
    const shown = card.contents.join('\n');
    expect(shown).toContain('tanh\\(x\\)');
    expect(shown).toContain('Hyperbolic tangent');
    expect(shown).toContain(FUNCTIONS.tanh.shapes);
    expect(shown).toContain('d tanh(x) = (1 - tanh(x)²) dx');
  });

  it("show a name's shape from the compiled program", () => {
    expect(text(SOURCE, at(SOURCE, 'hidden)'))).toContain('`hidden : [5]` — binding');
    expect(text(SOURCE, at(SOURCE, 'W @'))).toContain('`W : [5, 4]` — input `W[h, n]`');
    expect(text(SOURCE, at(SOURCE, 'y ='))).toContain('`y : scalar` — output');
    // No output uses `unused`, so the graph dropped it: its shape comes from compiling it as an output.
    expect(text(SOURCE, at(SOURCE, 'unused'))).toContain('`unused : [4]`');
  });

  it("show a size's value, a keyword's meaning, and nothing on numbers or operators", () => {
    expect(text(SOURCE, at(SOURCE, 'h, n'))).toContain('`h = 5` — size');
    expect(text(SOURCE, 1)).toContain('**input**');
    expect(text(SOURCE, at(SOURCE, '2'))).toBeNull();
    expect(text(SOURCE, at(SOURCE, '@'))).toBeNull();
  });

  it('say when a shape is unknown because the program does not compile', () => {
    const bad = `${SOURCE}output z = hidden @ W @ W\n`;
    expect(compile(bad, SIZES).ok).toBe(false);
    expect(text(bad, at(bad, 'hidden)'))).toContain('once the program compiles');
  });

  it('escape Markdown in plain text', () => {
    expect(escapeMarkdown('a*b_[c](d)')).toBe('a\\*b\\_\\[c\\]\\(d\\)');
  });
});

describe('analysis', () => {
  it('keeps the keyword list equal to the lexer’s', () => {
    expect(KEYWORDS).toEqual(LEXER_KEYWORDS);
  });

  it('finds the identifier at an offset, not numbers', () => {
    expect(wordAt('y = tanh(x)', 6)).toEqual({ word: 'tanh', start: 4, end: 8 });
    expect(wordAt('y = 12 + x', 5)).toBeNull();
    expect(wordAt('y = a', 3)).toBeNull();
  });

  it('knows no shape for names the program does not define', () => {
    expect(shapeOf('nothing', info())).toBeNull();
  });
});

describe('markers and problems', () => {
  it('place a diagnostic at its line and column, over its length', () => {
    const source = 'input x[n]\noutput y = foo(x)\n';
    const compiled = compile(source, { n: 3 });
    const [d] = problemsOf(compiled);
    expect(d).toMatchObject({ severity: 'error', kind: 'unknown-name', line: 2, column: 12 });
    expect(markerRange(d, source)).toMatchObject({ startLineNumber: 2, startColumn: 12, endLineNumber: 2, endColumn: 15 });
  });

  it('underline at least one character, also at the end of a line', () => {
    const source = 'input x[n]\noutput y = sum(x';
    const [d] = problemsOf(compile(source, { n: 3 }));
    const range = markerRange(d, source);
    expect(range.startLineNumber).toBe(2);
    expect(range.endColumn).toBeGreaterThan(range.startColumn);
  });

  it('list warnings after errors only by position', () => {
    const source = 'input x[n]\ninput unusedInput[n]\noutput y = sum(x)\n';
    const problems = problemsOf(compile(source, { n: 3 }));
    expect(problems.map((d) => [d.severity, d.kind, d.line])).toEqual([['warning', 'unused-input', 2]]);
  });
});

describe('minimal edits', () => {
  it('turn one text into the other, touching only what changed', () => {
    fc.assert(fc.property(fc.string(), fc.string(), (from, to) => {
      const edit = minimalEdit(from, to);
      if (from === to) return edit === null;
      return edit !== null && from.slice(0, edit.start) + edit.text + from.slice(edit.end) === to && edit.start <= edit.end;
    }));
    expect(minimalEdit('abcXdef', 'abcYYdef')).toEqual({ start: 3, end: 4, text: 'YY' });
  });
});

describe('seeding reverse mode', () => {
  it('wraps an output expression in sum()', () => {
    const source = 'input x[n]\noutput y = x * x   # per element\n';
    expect(wrapOutputInSum(source, 'y')).toEqual({ source: 'input x[n]\noutput y = sum(x * x)   # per element\n', output: 'y' });
  });

  it('adds a summed output for `output h`, with a fresh name', () => {
    const source = 'input x[n]\nh = x * x\nh_sum = x\noutput h\noutput z = sum(h_sum)\n';
    const wrapped = wrapOutputInSum(source, 'h')!;
    expect(wrapped.output).toBe('h_sum2');
    expect(wrapped.source).toContain('output h_sum2 = sum(h)\n');
    const result = compile(wrapped.source, { n: 3 });
    expect(result.ok && result.program.outputs.find((p) => p.name === 'h_sum2')?.shape).toEqual([]);
  });

  it('returns null for a name that is no output', () => {
    expect(wrapOutputInSum('input x[n]\noutput y = x\n', 'x')).toBeNull();
  });

  it('detects a gradient or HVP of a vector output', () => {
    const compiled = compile('input x[n]\noutput y = x * x\noutput s = sum(x)\n', { n: 3 });
    expect(missingSeed({ mode: 'grad', output: 'y' }, compiled)).toEqual({ output: 'y', shape: [3] });
    expect(missingSeed({ mode: 'hvp', output: 's' }, compiled)).toBeNull();
    expect(missingSeed({ mode: 'jacobian', output: 'y' }, compiled)).toBeNull();
    // With several outputs and none chosen, the engine asks for a choice instead.
    expect(missingSeed({ mode: 'grad', output: '' }, compiled)).toBeNull();
  });
});
