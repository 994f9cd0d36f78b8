// Errors the command line raises itself, on top of the library's GradientLabError.

/** Exit codes: 0 success, 1 a user error or a failed check, 2 a malformed command line, 70 a bug. */
export const EXIT = { ok: 0, failure: 1, usage: 2, internal: 70 } as const;

/** Kinds of command-line errors, reported in the `kind` field of `--json` errors. */
export type CliErrorKind = 'usage' | 'file' | 'invalid-json';

/** A problem with the command line or the files it names; never about the program text (line 0). */
export class CliError extends Error {
  constructor(message: string, readonly kind: CliErrorKind) {
    super(message);
    this.name = 'CliError';
  }

  get exitCode(): number {
    return this.kind === 'usage' ? EXIT.usage : EXIT.failure;
  }
}

/** A malformed command line (exit code 2). */
export const usageError = (message: string) => new CliError(message, 'usage');
