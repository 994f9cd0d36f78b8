// Argument helpers shared by the benchmark's two command lines (`npm run bench` and `-- --peers`).
import { parseArgs } from 'node:util';

/** A malformed command line: printed with the usage text, exit code 2. */
export class UsageError extends Error {}

/** "a, b,c" → ['a', 'b', 'c']; an empty list is an error naming the option. */
export function parseList(text: string, what: string): string[] {
  const items = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (items.length === 0) throw new UsageError(`${what} needs a comma-separated list`);
  return items;
}

/** A comma-separated list of positive whole numbers given to option `what` (widths, direction counts). */
export function parseCounts(text: string, what: string): number[] {
  return parseList(text, what).map((s) => {
    const w = Number(s);
    if (!Number.isInteger(w) || w < 1) throw new UsageError(`${what}: '${s}' is not a positive whole number`);
    return w;
  });
}

/** A comma-separated list of positive whole widths. */
export const parseWidths = (text: string): number[] => parseCounts(text, '--widths');

/** The chosen items of `allowed`, in `allowed`'s order; an unknown item is an error listing the choices. */
export function pick<T extends string>(items: readonly string[], allowed: readonly T[], what: string): T[] {
  for (const item of items) if (!allowed.includes(item as T)) throw new UsageError(`${what}: unknown '${item}' (choose from ${allowed.join(', ')})`);
  return allowed.filter((a) => items.includes(a));
}

/** The options both command lines take, and what they mean once parsed. */
export interface CommonArgs {
  readonly preset: 'quick' | 'default' | 'full';
  /** --widths, or undefined to use the preset's. */
  readonly widths: number[] | undefined;
  /** --repeats, or the preset's (1 for quick, else 5). */
  readonly repeats: number;
  readonly json: boolean;
}

/**
 * Parses `argv` with the shared options (--widths, --repeats, --json, --quick, --full, --help) plus the
 * command's own string options `own`; 'help' for --help. Malformed input throws UsageError.
 */
export function parseBenchArgs<O extends string>(argv: readonly string[], own: readonly O[]): 'help' | { common: CommonArgs; values: Partial<Record<O, string>> } {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = {
    widths: { type: 'string' }, repeats: { type: 'string' },
    json: { type: 'boolean' }, full: { type: 'boolean' }, quick: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
  };
  for (const o of own) options[o] = { type: 'string' };
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }));
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  if (values.help === true) return 'help';
  if (values.quick === true && values.full === true) throw new UsageError('--quick and --full cannot be combined');
  const preset = values.quick === true ? 'quick' : values.full === true ? 'full' : 'default';
  const repeatsText = values.repeats as string | undefined;
  const repeats = repeatsText === undefined ? (preset === 'quick' ? 1 : 5) : Number(repeatsText);
  if (!Number.isInteger(repeats) || repeats < 1) throw new UsageError(`--repeats: '${repeatsText}' is not a positive whole number`);
  const widthsText = values.widths as string | undefined;
  return {
    common: { preset, widths: widthsText === undefined ? undefined : parseWidths(widthsText), repeats, json: values.json === true },
    values: Object.fromEntries(own.map((o) => [o, values[o] as string | undefined])) as Partial<Record<O, string>>,
  };
}
