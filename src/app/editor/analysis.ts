// What the editor knows about a program at a position: the word there, the names defined so far, and
// a name's shape. Plain functions over the public API (no Monaco), so Node tests can check them.
import { compile, parse, type CompileResult } from '../../index.ts';

/** The program the editor is showing, compiled with the current sizes. */
export interface ProgramInfo {
  readonly source: string;
  readonly sizes: Readonly<Record<string, number>>;
  readonly compiled: CompileResult;
}

/** The language's reserved words (the lexer's KEYWORDS; a test keeps them equal). */
export const KEYWORDS: readonly string[] = ['input', 'output'];

/** A name the program defines: an input or a binding, with where its statement starts. */
export interface Definition {
  readonly name: string;
  readonly kind: 'input' | 'binding';
  readonly output: boolean;
  /** Source text of an input's declaration, e.g. `x[n]`. */
  readonly declared: string;
  readonly offset: number;
}

/** Inputs and bindings in program order (statements that failed to parse are left out). */
export function definitions(source: string): Definition[] {
  const { statements } = parse(source).program;
  const marked = new Set(statements.flatMap((s) => (s.kind === 'output' ? [s.name] : [])));
  const defs: Definition[] = [];
  for (const s of statements) {
    if (s.kind === 'output') continue;
    const declared = s.kind === 'input' ? source.slice(s.nameSpan.offset, s.span.offset + s.span.length).trim() : s.name;
    defs.push({ name: s.name, kind: s.kind === 'input' ? 'input' : 'binding', output: (s.kind === 'let' && s.output) || marked.has(s.name), declared, offset: s.span.offset });
  }
  return defs;
}

/** The ASCII identifier touching `offset` (the language's names are ASCII), or null. */
export function wordAt(source: string, offset: number): { word: string; start: number; end: number } | null {
  const isWord = (ch: string | undefined) => ch !== undefined && /\w/.test(ch);
  let start = offset;
  let end = offset;
  while (isWord(source[start - 1])) start--;
  while (isWord(source[end])) end++;
  if (start === end || /\d/.test(source[start]!)) return null;
  return { word: source.slice(start, end), start, end };
}

/** `[5]`, `[4, 3]` or `scalar`, as the engine prints shapes. */
export function describeShape(shape: readonly number[]): string {
  return shape.length === 0 ? 'scalar' : `[${shape.join(', ')}]`;
}

/**
 * The shape of a name in a program that compiles: an input or output port, a labelled graph node,
 * or else (a binding no output uses, or one merged with an equal expression) the program compiled
 * again with that name marked as an extra output.
 */
export function shapeOf(name: string, info: ProgramInfo): readonly number[] | null {
  if (!info.compiled.ok) return null;
  const p = info.compiled.program;
  const port = p.inputs.find((q) => q.name === name) ?? p.outputs.find((q) => q.name === name);
  if (port) return port.shape;
  for (const [id, label] of p.graph.labels ?? []) if (label === name) return p.graph.nodes[id].shape;
  if (!definitions(info.source).some((d) => d.name === name)) return null;
  const relowered = compile(`${info.source}\noutput ${name}\n`, info.sizes);
  return relowered.ok ? relowered.program.outputs.find((q) => q.name === name)?.shape ?? null : null;
}

/** Compiles `source` unless `known` already is its compilation (the app's memoized program). */
export function programInfo(source: string, sizes: Readonly<Record<string, number>>, known?: { source: string; compiled: CompileResult }): ProgramInfo {
  return { source, sizes, compiled: known !== undefined && known.source === source ? known.compiled : compile(source, sizes) };
}
