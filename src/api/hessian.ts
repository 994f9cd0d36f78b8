import type { Tensor } from '../backend/cpu/tensor.ts';
import { numel } from '../ir/shape.ts';
import { runtimeError } from './errors.ts';
import type { Program, RunOptions, RunStats } from './program.ts';
import type { Values } from './values.ts';

/** Largest input width for which `hessian` forms the full matrix (n² entries, n HVP seeds). */
export const MAX_HESSIAN_WIDTH = 4096;

/**
 * The Hessian of one scalar output, from n batched Hessian-vector products with identity directions
 * (forward-over-reverse): block [a][b] has shape [numel(a), numel(b)]. Meant for small n; for large
 * programs use `hvp`, which never forms the matrix.
 */
export async function hessian(program: Program, inputs: Values, options: RunOptions & { output?: string } = {}): Promise<{ output: string; hessian: Record<string, Record<string, Tensor>>; stats: RunStats }> {
  const n = program.inputWidth;
  if (n > MAX_HESSIAN_WIDTH) throw runtimeError('too-large', `the Hessian of ${n} inputs has ${n * n} entries; use hvp for Hessian-vector products instead`);
  const directions = Object.fromEntries(program.inputs.map((p) => [p.name, { shape: [n, ...p.shape], data: new Float64Array(n * numel(p.shape)) }]));
  let offset = 0;
  for (const p of program.inputs) {
    const size = numel(p.shape);
    for (let i = 0; i < size; i++) directions[p.name].data[(offset + i) * size + i] = 1;
    offset += size;
  }
  const { output, hvp, stats } = await program.hvp(inputs, directions, { ...options, gradient: false });
  // Row block of input a, column block of input b: H[a_i][b_j] = (H e_{b_j})[a_i], the HVP seeded at b_j.
  const blocks: Record<string, Record<string, Tensor>> = {};
  let colStart = 0;
  const starts = new Map<string, number>();
  for (const p of program.inputs) {
    starts.set(p.name, colStart);
    colStart += numel(p.shape);
  }
  for (const a of program.inputs) {
    blocks[a.name] = {};
    const na = numel(a.shape);
    for (const b of program.inputs) {
      const nb = numel(b.shape);
      const block = new Float64Array(na * nb);
      const b0 = starts.get(b.name)!;
      for (let j = 0; j < nb; j++) for (let i = 0; i < na; i++) block[i * nb + j] = hvp[a.name].data[(b0 + j) * na + i];
      blocks[a.name][b.name] = { shape: [na, nb], data: block };
    }
  }
  return { output, hessian: blocks, stats };
}
