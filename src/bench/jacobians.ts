// Full Jacobians w.r.t. x by forward mode (n batched JVP seeds) and reverse mode (m VJP seeds).
import type { Backend } from '../api/backend.ts';
import { jacobian, type JacobianMode, type JacobianResult } from '../api/jacobian.ts';
import type { Program } from '../api/program.ts';
import type { FloatArray } from '../backend/cpu/tensor.ts';
import { autoPick, BROWSER_BINDING_LIMIT, type BenchContext } from './context.ts';
import { agreement, errorMessage, measure, ratio, TOLERANCE, type Agreement, type Timing } from './measure.ts';
import { compileCase, mlpInputs, outputsOf, type MlpCase } from './programs.ts';
import type { BackendName, JacobianRow } from './report.ts';

/** Rows at least this wide run on WebGPU with Chromium's binding limit, so chunking is exercised. */
export const BROWSER_LIMITED_WIDTH = 4096;

export function caseId(c: MlpCase): string {
  return `jacobian ${c.name} n=${c.n} h=${c.h} m=${outputsOf(c)}`;
}

/** The single block ∂output/∂x of a result, flattened [m, n]. */
function blockOf(program: Program, result: JacobianResult): FloatArray {
  return result.jacobian[program.outputs[0].name].x.data;
}

/** The FLOP model's estimate for each mode, the mode it picks, and 'auto''s backend for that mode. */
async function model(ctx: BenchContext, program: Program, c: MlpCase) {
  const selection = { wrt: ['x'], of: program.outputs.map((p) => p.name) };
  const graphOf = (mode: JacobianMode) => (mode === 'fwd' ? program.derived('jvp', [c.n], selection) : program.derived('vjp', [outputsOf(c)], selection));
  const flops = { fwd: program.flops(graphOf('fwd')), rev: program.flops(graphOf('rev')) };
  const modelPick: JacobianMode = flops.fwd <= flops.rev ? 'fwd' : 'rev';
  const pick = await autoPick(ctx, program, graphOf(modelPick));
  return { flops, modelPick, auto: pick === null ? null : { ...pick, mode: modelPick } };
}

async function jacobianRow(ctx: BenchContext, c: MlpCase, name: BackendName, given: Backend, cpuBlock: FloatArray | undefined): Promise<{ row: JacobianRow; block?: FloatArray }> {
  const program = compileCase(c);
  const inputs = mlpInputs(program);
  const limited = name === 'webgpu' && Math.max(c.n, c.h, c.m) >= BROWSER_LIMITED_WIDTH;
  const backend = limited ? await ctx.browserLimited() : given;
  const dtype = backend.dtypes[0];
  const base = {
    kind: 'jacobian' as const, id: caseId(c), case: c.name, backend: name, device: backend.description, dtype,
    n: c.n, m: outputsOf(c), hidden: c.h, gpuOverCpu: null, autoRight: null,
    ...await model(ctx, program, c),
    ...(limited ? { note: `binding limit lowered to ${BROWSER_BINDING_LIMIT / 2 ** 20} MiB, as on Chromium's SwiftShader device` } : {}),
  };
  const failed = (error: string, agreementResult: Agreement | null = null): { row: JacobianRow } => ({
    row: { ...base, runs: 0, warm: false, fwdMs: null, revMs: null, fwdOverRev: null, chunk: null, passes: null, agreement: agreementResult, vsCpu: null, error },
  });
  const timings: Partial<Record<JacobianMode, Timing<JacobianResult>>> = {};
  try {
    for (const mode of ['fwd', 'rev'] as const) {
      ctx.progress(`jacobian ${c.name} n=${c.n} m=${outputsOf(c)} by ${mode} on ${name} ...`);
      const t = await measure(() => jacobian(program, inputs, { backend, mode, wrt: ['x'] }), ctx.policy);
      ctx.progress(`  ${t.ms.toFixed(1)} ms (${t.runs} run${t.runs === 1 ? '' : 's'}${t.warm ? '' : ', cold'}; ${t.result.stats.passes} pass${t.result.stats.passes === 1 ? '' : 'es'} of ≤${t.result.chunkSize} seeds)`);
      timings[mode] = t;
    }
  } catch (err) {
    ctx.progress(`  ${errorMessage(err)}`);
    return failed(errorMessage(err));
  }
  const fwd = timings.fwd!;
  const rev = timings.rev!;
  const block = blockOf(program, fwd.result);
  const agree = agreement(block, blockOf(program, rev.result), TOLERANCE[dtype]);
  if (!agree.ok) {
    const message = `forward and reverse Jacobians disagree: max |Δ| ${agree.maxAbsDiff.toExponential(2)} > ${agree.tolerance.toExponential(2)}`;
    ctx.progress(`  ${message}`);
    return failed(message, agree);
  }
  const vsCpu = name === 'webgpu' && cpuBlock !== undefined ? agreement(block, cpuBlock, TOLERANCE.f32) : null;
  if (vsCpu !== null && !vsCpu.ok) {
    const message = `the Jacobian disagrees with the CPU's: max |Δ| ${vsCpu.maxAbsDiff.toExponential(2)} > ${vsCpu.tolerance.toExponential(2)}`;
    ctx.progress(`  ${message}`);
    return { row: { ...failed(message, agree).row, vsCpu } };
  }
  return {
    block,
    row: {
      ...base,
      runs: Math.min(fwd.runs, rev.runs), warm: fwd.warm && rev.warm,
      fwdMs: fwd.ms, revMs: rev.ms, fwdOverRev: ratio(fwd.ms, rev.ms),
      chunk: { fwd: fwd.result.chunkSize, rev: rev.result.chunkSize },
      passes: { fwd: fwd.result.stats.passes, rev: rev.result.stats.passes },
      agreement: agree,
      vsCpu,
    },
  };
}

/** Rows per case and backend; the CPU runs first so the GPU's Jacobian can be checked against it. */
export async function jacobianRows(ctx: BenchContext, cases: readonly MlpCase[]): Promise<JacobianRow[]> {
  const rows: JacobianRow[] = [];
  for (const c of cases) {
    let cpuBlock: FloatArray | undefined;
    for (const [name, backend] of ctx.backends) {
      const { row, block } = await jacobianRow(ctx, c, name, backend, cpuBlock);
      if (name === 'cpu') cpuBlock = block;
      rows.push(row);
    }
  }
  return rows;
}
