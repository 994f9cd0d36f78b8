import { ELEMENTWISE } from './elementwise.ts';
import { matmul } from './matmul.ts';
import { REDUCTIONS } from './reduce.ts';
import { broadcast, reshape, transpose } from './structural.ts';
import type { PrimitiveTable } from './types.ts';

/** The primitive table: one entry per primitive with its shape rule, CPU kernel, JVP, transpose and cost. */
export const PRIMITIVES: PrimitiveTable = {
  ...ELEMENTWISE,
  ...REDUCTIONS,
  broadcast,
  reshape,
  transpose,
  matmul,
};
