// Reverse mode starts from one scalar seed. When the output a gradient asks for is a vector, the
// app says so and offers to wrap it in sum(): these are the pure parts of that offer.
import { parse, type CompileResult } from '../../index.ts';
import type { AppState } from '../state.ts';

/**
 * The source with output `name` summed to a scalar: `output y = e` becomes `output y = sum(e)`, and
 * `output h` (marking an existing binding) becomes `output h_sum = sum(h)`. Returns the new source and
 * the output's name, or null when no statement declares that output.
 */
export function wrapOutputInSum(source: string, name: string): { source: string; output: string } | null {
  const { statements } = parse(source).program;
  const replace = (start: number, end: number, text: string) => source.slice(0, start) + text + source.slice(end);
  for (const s of statements) {
    if (s.kind === 'let' && s.output && s.name === name) {
      const { offset, length } = s.value.span;
      return { source: replace(offset, offset + length, `sum(${source.slice(offset, offset + length)})`), output: name };
    }
  }
  for (const s of statements) {
    if (s.kind === 'output' && s.name === name) {
      const taken = new Set(statements.map((t) => t.name));
      let output = `${name}_sum`;
      for (let i = 2; taken.has(output); i++) output = `${name}_sum${i}`;
      return { source: replace(s.span.offset, s.span.offset + s.span.length, `output ${output} = sum(${name})`), output };
    }
  }
  return null;
}

/** A vector output that the current gradient or HVP would have to seed, or null when there is none. */
export function missingSeed(state: Pick<AppState, 'mode' | 'output'>, compiled: CompileResult): { output: string; shape: readonly number[] } | null {
  if (!compiled.ok || (state.mode !== 'grad' && state.mode !== 'hvp')) return null;
  const { outputs } = compiled.program;
  const port = state.output === '' ? (outputs.length === 1 ? outputs[0] : undefined) : outputs.find((p) => p.name === state.output);
  return port !== undefined && port.shape.length > 0 ? { output: port.name, shape: port.shape } : null;
}
