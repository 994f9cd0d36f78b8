// Argument helpers shared by the benchmark's two command lines (`npm run bench` and `-- --peers`).

/** A malformed command line: printed with the usage text, exit code 2. */
export class UsageError extends Error {}

/** "a, b,c" → ['a', 'b', 'c']; an empty list is an error naming the option. */
export function parseList(text: string, what: string): string[] {
  const items = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (items.length === 0) throw new UsageError(`${what} needs a comma-separated list`);
  return items;
}

/** A comma-separated list of positive whole widths. */
export function parseWidths(text: string): number[] {
  return parseList(text, '--widths').map((s) => {
    const w = Number(s);
    if (!Number.isInteger(w) || w < 1) throw new UsageError(`--widths: '${s}' is not a positive whole number`);
    return w;
  });
}

/** The chosen items of `allowed`, in `allowed`'s order; an unknown item is an error listing the choices. */
export function pick<T extends string>(items: readonly string[], allowed: readonly T[], what: string): T[] {
  for (const item of items) if (!allowed.includes(item as T)) throw new UsageError(`${what}: unknown '${item}' (choose from ${allowed.join(', ')})`);
  return allowed.filter((a) => items.includes(a));
}
