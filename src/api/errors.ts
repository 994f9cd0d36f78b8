import type { Diagnostic, DiagnosticKind } from '../lang/diagnostics.ts';

/** Kinds of errors that are not about the program text. */
export type RuntimeErrorKind = 'invalid-value' | 'too-large' | 'not-scalar' | 'unknown-name' | 'backend';

/**
 * An error the user can act on. Language errors carry their diagnostics (with line and column);
 * others (bad input values, sizes beyond the memory budget) carry line 0, column 0.
 */
export class GradientLabError extends Error {
  readonly diagnostics: readonly Diagnostic[];
  constructor(message: string, kind: RuntimeErrorKind | DiagnosticKind, diagnostics?: readonly Diagnostic[]) {
    super(message);
    this.name = 'GradientLabError';
    this.diagnostics = diagnostics ?? [{ severity: 'error', kind: kind as DiagnosticKind, message, line: 0, column: 0, length: 0, offset: 0 }];
  }
}

/** An error about values or resources rather than program text. */
export function runtimeError(kind: RuntimeErrorKind, message: string): GradientLabError {
  return new GradientLabError(message, kind);
}
