// GEMM throughput: one matrix product evaluated through the public API on each backend.
import type { Backend } from '../api/backend.ts';
import type { Program, RunStats } from '../api/program.ts';
import { compileOrThrow } from '../api/program.ts';
import type { Tensor } from '../backend/cpu/tensor.ts';
import { autoPick, type BenchContext } from './context.ts';
import { errorMessage, measure, median } from './measure.ts';
import { GEMM, GEMM_TANGENTS, gemmInputs } from './programs.ts';
import type { BackendName, GemmRow } from './report.ts';

/** C[M, N] = A[M, K] · B[K, N], or with transB the batched-JVP product T[M, K] · W[N, K]ᵀ. */
export interface GemmShape {
  readonly M: number;
  readonly N: number;
  readonly K: number;
  readonly transB: boolean;
}

/** A relative error above this in a sampled entry means the product is wrong, not imprecise. */
const SPOT_TOLERANCE = 1e-4;

export function gemmLabel(s: GemmShape): string {
  return s.transB ? `[${s.M}×${s.K}]·[${s.N}×${s.K}]ᵀ` : s.M === s.N && s.N === s.K ? `${s.M}³` : `[${s.M}×${s.K}]·[${s.K}×${s.N}]`;
}

function compileGemm(s: GemmShape): Program {
  return s.transB
    ? compileOrThrow(GEMM_TANGENTS, { k: s.M, n: s.K, m: s.N })
    : compileOrThrow(GEMM, { m: s.M, k: s.K, n: s.N });
}

/**
 * The largest error of 16 sampled entries of C, each relative to Σ|aᵢ·bᵢ| of its dot product
 * (the natural scale of f32 rounding error), against an f64 dot product of the same inputs.
 */
function spotError(s: GemmShape, a: Tensor, b: Tensor, c: Tensor): number {
  let worst = 0;
  for (let t = 0; t < 16; t++) {
    const i = (t * 7919) % s.M;
    const j = (t * 104729) % s.N;
    let sum = 0;
    let abs = 0;
    for (let k = 0; k < s.K; k++) {
      const p = a.data[i * s.K + k] * b.data[s.transB ? j * s.K + k : k * s.N + j];
      sum += p;
      abs += Math.abs(p);
    }
    const err = Math.abs(c.data[i * s.N + j] - sum) / Math.max(abs, Number.MIN_VALUE);
    worst = Number.isNaN(err) ? Infinity : Math.max(worst, err);
  }
  return worst;
}

async function gemmRow(ctx: BenchContext, shape: GemmShape, name: BackendName, backend: Backend): Promise<GemmRow> {
  const program = compileGemm(shape);
  const flops = program.flops();
  const id = `gemm ${gemmLabel(shape)}`;
  const base = {
    kind: 'gemm' as const, id, backend: name, device: backend.description, dtype: backend.dtypes[0], shape, flops,
    gpuOverCpu: null, autoRight: null, auto: await autoPick(ctx, program, program.graph),
  };
  const inputs = gemmInputs(program);
  const [a, b] = shape.transB ? [inputs.T, inputs.W] : [inputs.A, inputs.B];
  try {
    const t = await measure(() => program.evaluate(inputs, { backend, profile: true }), ctx.policy);
    const spot = spotError(shape, a, b, t.result.outputs.C);
    const gpuMs = t.timed.map((r: { stats: RunStats }) => r.stats.gpuMs).filter((x): x is number => typeof x === 'number');
    const kernelMs = gpuMs.length > 0 ? median(gpuMs) : null;
    const timing = { runs: t.runs, warm: t.warm, spotError: spot };
    if (!(spot <= SPOT_TOLERANCE)) {
      return { ...base, ...timing, ms: null, gflops: null, kernelMs: null, kernelGflops: null, error: `wrong product: sampled relative error ${spot.toExponential(2)} > ${SPOT_TOLERANCE}` };
    }
    return {
      ...base, ...timing, ms: t.ms, gflops: flops / t.ms / 1e6,
      kernelMs, kernelGflops: kernelMs === null || kernelMs <= 0 ? null : flops / kernelMs / 1e6,
    };
  } catch (err) {
    return { ...base, runs: 0, warm: false, ms: null, gflops: null, kernelMs: null, kernelGflops: null, spotError: null, error: errorMessage(err) };
  }
}

/** One row per shape and backend. */
export async function gemmRows(ctx: BenchContext, shapes: readonly GemmShape[]): Promise<GemmRow[]> {
  const rows: GemmRow[] = [];
  for (const shape of shapes) {
    for (const [name, backend] of ctx.backends) {
      ctx.progress(`gemm ${gemmLabel(shape)} on ${name} ...`);
      const row = await gemmRow(ctx, shape, name, backend);
      ctx.progress(row.error ?? `  ${row.ms!.toFixed(1)} ms, ${row.gflops!.toFixed(2)} GFLOP/s (${row.runs} run${row.runs === 1 ? '' : 's'})`);
      rows.push(row);
    }
  }
  return rows;
}
