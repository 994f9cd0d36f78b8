// The public library API of Gradient Lab.
export { compile, compileOrThrow, Program, DEFAULT_MEMORY_BUDGET, assertFits } from './api/program.ts';
export type { CompileResult, RunOptions, RunStats, Selection } from './api/program.ts';
export { jacobian, chooseChunk } from './api/jacobian.ts';
export type { JacobianMode, JacobianOptions, JacobianResult } from './api/jacobian.ts';
export { check, FD_TOLERANCE, DOT_TOLERANCE } from './api/check.ts';
export type { CheckReport, CheckResult, CheckOptions } from './api/check.ts';
export { hessian } from './api/hessian.ts';
export { GradientLabError } from './api/errors.ts';
export { toNested, toTensor, randomValues } from './api/values.ts';
export type { Nested, Values, ValueLike } from './api/values.ts';
export type { Tensor, DType } from './backend/cpu/tensor.ts';
export type { Graph, AnyNode, GraphPort } from './ir/graph.ts';
export type { Diagnostic, DiagnosticKind } from './lang/diagnostics.ts';
export { formatDiagnostic } from './lang/diagnostics.ts';
export { parse } from './lang/parser.ts';
export { FUNCTIONS } from './lang/functions.ts';
export { formatGraph, graphToDot } from './ir/print.ts';
