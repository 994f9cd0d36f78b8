// Completion items: built-in functions (signature, doc, snippet), keywords, the names defined so far
// and the size names. Plain data; the Monaco provider maps it to CompletionItems.
import { FUNCTIONS } from '../../index.ts';
import { sizeNames } from '../context.ts';
import { definitions, describeShape, KEYWORDS, shapeOf, type ProgramInfo } from './analysis.ts';
import { functionCard } from './hover.ts';

export type CompletionKind = 'function' | 'keyword' | 'name' | 'size';

export interface Completion {
  readonly label: string;
  readonly kind: CompletionKind;
  /** One line shown next to the label (a signature, a shape, a size's value). */
  readonly detail: string;
  /** Markdown paragraphs for the details pane. */
  readonly documentation: string;
  /** Text to insert; a snippet with `${1:x}` placeholders when `snippet` is set. */
  readonly insertText: string;
  readonly snippet: boolean;
}

/** `sum(${1:x})` from the signature `sum(x) | sum(x, axis)`: the first form, arguments as placeholders. */
export function callSnippet(signature: string): string {
  const first = signature.split('|')[0].trim();
  const match = /^(\w+)\((.*)\)$/.exec(first);
  if (match === null) return first;
  const args = match[2].split(',').map((a) => a.trim()).filter((a) => a !== '');
  return `${match[1]}(${args.map((a, i) => `\${${i + 1}:${a}}`).join(', ')})`;
}

const KEYWORD_SNIPPETS: Record<string, { insert: string; doc: string }> = {
  input: { insert: 'input ${1:x}[${2:n}]', doc: 'Declare an input, e.g. `input x[n]` or `input W[m, n]`.' },
  output: { insert: 'output ${1:y} = ${2:expression}', doc: 'Declare an output, e.g. `output loss = sum(y * y)`.' },
};

/**
 * What may be typed at `offset`: nothing in a comment; inside an input's brackets only size names;
 * elsewhere functions, keywords (at the start of a statement), names defined on earlier lines, and sizes.
 */
export function completionsAt(info: ProgramInfo, offset: number): Completion[] {
  const lineStart = info.source.lastIndexOf('\n', offset - 1) + 1;
  const linePrefix = info.source.slice(lineStart, offset);
  if (linePrefix.includes('#')) return [];
  const inDims = /^\s*input\s+\w+\s*\[[^\]]*$/.test(linePrefix);
  const sizes = sizeNames(info.source).map((name): Completion => {
    const value = info.sizes[name];
    return { label: name, kind: 'size', detail: value === undefined ? 'size (not bound)' : `size = ${value}`, documentation: 'A size name: bound in the sidebar, usable as a number in expressions.', insertText: name, snippet: false };
  });
  if (inDims) return sizes;

  const atStatementStart = /^\s*\w*$/.test(linePrefix);
  const keywords = atStatementStart
    ? KEYWORDS.map((k): Completion => ({ label: k, kind: 'keyword', detail: 'keyword', documentation: KEYWORD_SNIPPETS[k].doc, insertText: KEYWORD_SNIPPETS[k].insert, snippet: true }))
    : [];
  const functions = Object.entries(FUNCTIONS).map(([name, f]): Completion => ({
    label: name, kind: 'function', detail: f.signature, documentation: functionCard(name).join('\n\n'), insertText: callSnippet(f.signature), snippet: true,
  }));
  const names = definitions(info.source)
    .filter((d) => d.offset < lineStart)
    .map((d): Completion => {
      const shape = shapeOf(d.name, info);
      const role = d.kind === 'input' ? `input ${d.declared}` : d.output ? 'output' : 'binding';
      return { label: d.name, kind: 'name', detail: shape === null ? role : `${describeShape(shape)} · ${role}`, documentation: '', insertText: d.name, snippet: false };
    });
  return [...names, ...keywords, ...functions, ...sizes.filter((s) => !names.some((n) => n.label === s.label))];
}
