// Cost of a JVP and a VJP against the primal run, for the square MLP at a few widths.
import type { Backend } from '../api/backend.ts';
import { randomValues } from '../api/values.ts';
import type { Tensor } from '../backend/cpu/tensor.ts';
import { autoPick, type BenchContext } from './context.ts';
import { errorMessage, measure, ratio, type Timing } from './measure.ts';
import { compileCase, mlpInputs, squareCase } from './programs.ts';
import type { AdCostRow, BackendName } from './report.ts';

/** Directions per pass and which inputs get them. */
export interface AdVariant {
  readonly k: number;
  readonly wrt: 'x' | 'all';
}

/**
 * Random directions for `ports`, batched as [k, ...shape] when k > 1. A separate seed per use so
 * tangents and cotangents differ.
 */
function directions(ports: readonly { name: string; shape: readonly number[] }[], k: number, seed: number): Record<string, Tensor> {
  return randomValues(ports.map((p) => ({ name: p.name, shape: k === 1 ? [...p.shape] : [k, ...p.shape] })), seed);
}

async function adRows(ctx: BenchContext, width: number, variants: readonly AdVariant[], name: BackendName, backend: Backend): Promise<AdCostRow[]> {
  const program = compileCase(squareCase(width));
  const inputs = mlpInputs(program);
  ctx.progress(`primal, width ${width}, on ${name} ...`);
  let primal: Timing<unknown> | null = null;
  let primalError = '';
  try {
    primal = await measure(() => program.evaluate(inputs, { backend }), ctx.policy);
  } catch (err) {
    primalError = `the primal run failed: ${errorMessage(err)}`;
  }
  const rows: AdCostRow[] = [];
  for (const { k, wrt } of variants) {
    const wrtPorts = wrt === 'x' ? program.inputs.filter((p) => p.name === 'x') : program.inputs;
    const wrtNames = wrtPorts.map((p) => p.name);
    const batch = k === 1 ? [] : [k];
    const jvpGraph = program.derived('jvp', batch, { wrt: wrtNames });
    const vjpGraph = program.derived('vjp', batch, { wrt: wrtNames, of: ['y'] });
    const primalFlops = k * program.flops();
    const base = {
      kind: 'ad-cost' as const, id: `ad-cost ${width} k=${k} wrt=${wrt}`, backend: name, device: backend.description, dtype: backend.dtypes[0],
      width, k, wrt, gpuOverCpu: null,
      model: { jvpOverPrimal: program.flops(jvpGraph) / primalFlops, vjpOverPrimal: program.flops(vjpGraph) / primalFlops },
      auto: ctx.askAuto ? { jvp: (await autoPick(ctx, program, jvpGraph))!, vjp: (await autoPick(ctx, program, vjpGraph))! } : null,
    };
    ctx.progress(`jvp/vjp cost, width ${width}, k = ${k}, wrt ${wrt}, on ${name} ...`);
    try {
      if (primal === null) throw new Error(primalError);
      const tangents = directions(wrtPorts, k, 1);
      const cotangents = directions(program.outputs, k, 2);
      const jvp = await measure(() => program.jvp(inputs, tangents, { backend }), ctx.policy);
      const vjp = await measure(() => program.vjp(inputs, cotangents, { backend, wrt: wrtNames }), ctx.policy);
      const row: AdCostRow = {
        ...base,
        runs: Math.min(primal.runs, jvp.runs, vjp.runs), warm: primal.warm && jvp.warm && vjp.warm,
        primalMs: primal.ms, jvpMs: jvp.ms, vjpMs: vjp.ms,
        jvpOverPrimal: ratio(jvp.ms, k * primal.ms), vjpOverPrimal: ratio(vjp.ms, k * primal.ms),
      };
      ctx.progress(`  primal ${primal.ms.toFixed(2)} ms, jvp ${jvp.ms.toFixed(2)} ms (×${row.jvpOverPrimal!.toFixed(2)}), vjp ${vjp.ms.toFixed(2)} ms (×${row.vjpOverPrimal!.toFixed(2)})`);
      rows.push(row);
    } catch (err) {
      ctx.progress(`  ${errorMessage(err)}`);
      rows.push({ ...base, runs: 0, warm: false, primalMs: primal?.ms ?? null, jvpMs: null, vjpMs: null, jvpOverPrimal: null, vjpOverPrimal: null, error: errorMessage(err) });
    }
  }
  return rows;
}

/** Rows per width, variant and backend. */
export async function adCostRows(ctx: BenchContext, widths: readonly number[], variants: readonly AdVariant[]): Promise<AdCostRow[]> {
  const rows: AdCostRow[] = [];
  for (const width of widths) {
    for (const [name, backend] of ctx.backends) {
      rows.push(...await adRows(ctx, width, variants, name, backend));
    }
  }
  return rows;
}
