// Runs the CLI in-process for tests: virtual files, captured streams, the exit code.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { main } from '../../src/cli/main.ts';

export const ROOT = resolve(import.meta.dirname, '../..');

/** Runs `gradient-lab argv`; `files` are virtual files (relative to the repository root), others are read from disk. */
export async function cli(argv: string[], files: Record<string, unknown> = {}) {
  let stdout = '';
  let stderr = '';
  const virtual = new Map(Object.entries(files).map(([name, v]) => [resolve(ROOT, name), typeof v === 'string' ? v : JSON.stringify(v)]));
  const code = await main(argv, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    readFile: async (path) => virtual.get(path) ?? readFile(path, 'utf8'),
    cwd: ROOT,
  });
  return { code, stdout, stderr, json: () => JSON.parse(stdout) };
}
