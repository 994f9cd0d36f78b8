// Hover cards: a function's signature, shapes and derivative rule; a name's shape; a size's value.
import { FUNCTIONS } from '../../index.ts';
import { sizeNames } from '../context.ts';
import { definitions, describeShape, KEYWORDS, shapeOf, wordAt, type ProgramInfo } from './analysis.ts';

/** A hover card: the source range it describes (offsets) and its paragraphs, as Markdown. */
export interface HoverCard {
  readonly start: number;
  readonly end: number;
  readonly contents: readonly string[];
}

/** Escapes text so Markdown shows it literally. */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!<>|~]/g, '\\$&');
}

/** Inline code; the language's text never contains backticks, but strip them to be safe. */
const code = (text: string) => `\`${text.replaceAll('`', "'")}\``;

const KEYWORD_DOCS: Record<string, string> = {
  input: 'Declares an input: `input x[n]` (a vector), `input W[m, n]` (a matrix) or `input s` (a scalar). Sizes are integers or size names bound in the sidebar.',
  output: 'Marks an output: `output y = expression`, or `output h` for an existing binding. Reverse mode seeds outputs; a gradient needs a scalar one.',
};

/** The paragraphs describing one built-in function. */
export function functionCard(name: string): string[] {
  const f = FUNCTIONS[name];
  return [
    `**${escapeMarkdown(f.signature)}** — ${escapeMarkdown(f.doc)}`,
    `Shapes: ${code(f.shapes)}`,
    `Derivative: ${code(f.derivative)}`,
  ];
}

/** The hover card at `offset`, or null when there is nothing to say. */
export function hoverAt(info: ProgramInfo, offset: number): HoverCard | null {
  const at = wordAt(info.source, offset);
  if (at === null) return null;
  const { word, start, end } = at;
  const card = (contents: string[]): HoverCard => ({ start, end, contents });
  const isCall = /^[ \t]*\(/.test(info.source.slice(end));

  if (KEYWORDS.includes(word)) return card([`**${word}** — ${KEYWORD_DOCS[word]}`]);
  if (isCall && Object.hasOwn(FUNCTIONS, word)) return card(functionCard(word));

  const def = definitions(info.source).find((d) => d.name === word);
  if (def !== undefined) {
    const role = def.kind === 'input' ? `input ${code(def.declared)}` : def.output ? 'output' : 'binding';
    const shape = shapeOf(word, info);
    if (shape !== null) return card([`${code(`${word} : ${describeShape(shape)}`)} — ${role}`]);
    const why = info.compiled.ok ? 'not found in the compiled program' : 'the shape is known once the program compiles';
    return card([`${code(word)} — ${role} (${why})`]);
  }
  if (sizeNames(info.source).includes(word)) {
    const value = info.sizes[word];
    return card([value === undefined ? `${code(word)} — size, not bound yet: set it in the sidebar` : `${code(`${word} = ${value}`)} — size`]);
  }
  if (Object.hasOwn(FUNCTIONS, word)) return card(functionCard(word));
  return null;
}
