import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { compileOrThrow, jacobian, randomValues, type Program, type RunStats, type Tensor } from '../../src/index.ts';
import { rng } from '../../src/api/random.ts';
import { numel } from '../../src/ir/shape.ts';
import { ErrorLog, gpuTolerance } from '../support/gpu-parity.ts';
import { getTestRuntime } from '../support/gpu-runtime.ts';

const rt = await getTestRuntime();

interface Case {
  readonly source: string;
  readonly sizes: Record<string, number>;
  /** The scalar output for grad and hvp. */
  readonly loss: string;
  /** Inputs the Jacobians differentiate with respect to (all of them would be needlessly wide). */
  readonly wrt: readonly string[];
}

const CASES: Record<string, Case> = {
  'the 2-layer MLP of examples/mlp.gl': {
    source: readFileSync(new URL('../../examples/mlp.gl', import.meta.url), 'utf8'),
    sizes: { n: 65, h: 127, m: 63 },
    loss: 'loss',
    wrt: ['x'],
  },
  'softmax with a cross-entropy loss': {
    source: 'input x[n]\ninput t[n]\noutput p = softmax(x)\noutput loss = -sum(t * log(p))',
    sizes: { n: 257 },
    loss: 'loss',
    wrt: ['x'],
  },
  'logsumexp and norms': {
    source: 'input A[m, n]\ninput v[n]\noutput rows = logsumexp(A, 1)\noutput total = logsumexp(A)\noutput u = v / norm(v)\noutput loss = norm(A @ v) + total',
    sizes: { m: 63, n: 65 },
    loss: 'loss',
    wrt: ['v'],
  },
};

const log = new ErrorLog();

/**
 * Standard normal inputs with matrices scaled by 1/sqrt(fan-in), as networks are initialised, so that
 * activations stay O(1): a saturated tanh would make 1 - tanh² (in every derivative) lose all its f32
 * digits, which is f32's nature rather than a GPU error. Rounded to f32, so both backends see the same.
 */
function initialValues(p: Program, seed: number): Record<string, Tensor> {
  return Object.fromEntries(Object.entries(randomValues(p.inputs, seed)).map(([k, t]) => {
    const scale = t.shape.length === 2 ? 1 / Math.sqrt(t.shape[1]) : 1;
    return [k, { shape: t.shape, data: t.data.map((v) => Math.fround(scale * v)) }];
  }));
}

/** A batch of k random seeds in [-1, 1] (f32 values) for each port, or single ones when k is null. */
function seeds(ports: readonly { name: string; shape: readonly number[] }[], k: number | null, seed: number): Record<string, Tensor> {
  const next = rng(seed);
  return Object.fromEntries(ports.map((p) => {
    const shape = k === null ? [...p.shape] : [k, ...p.shape];
    return [p.name, { shape, data: Float64Array.from({ length: numel(shape) }, () => Math.fround(2 * next() - 1)) }];
  }));
}

function expectGpu(stats: RunStats, what: string): void {
  expect(stats.backend, `${what} ran on`).toBe('webgpu');
  expect(stats.dispatches ?? 0, `${what} dispatches`).toBeGreaterThan(0);
}

describe.skipIf(rt === null)("whole programs through the public API with backend: 'webgpu' match the CPU f64 results", () => {
  afterAll(() => {
    if (process.env.GL_PARITY_REPORT) console.log(`Whole programs, GPU vs CPU f64:\n${log.table()}`);
  });

  for (const [name, c] of Object.entries(CASES)) {
    const p: Program = compileOrThrow(c.source, c.sizes);
    const inputs = initialValues(p, 11);
    // Every graph these computations run, for the longest sum in any of them.
    const tol = gpuTolerance('transcendental', p.graph, p.derived('jvp', [1]), p.derived('vjp', [1]), p.derived('hvp', [], { of: [c.loss] }));
    const gpu = { backend: 'webgpu' } as const;
    const cpu = { backend: 'cpu' } as const;
    const compare = (what: string, got: Record<string, Tensor>, want: Record<string, Tensor>) => {
      expect(Object.keys(got).sort(), `${name} ${what} names`).toEqual(Object.keys(want).sort());
      for (const k of Object.keys(want)) log.check(name, got[k].data, want[k].data, tol, `${name} ${what} ${k}`);
    };

    it(`${name}: evaluate, jvp (k = 7), vjp`, async () => {
      const [g, e] = [await p.evaluate(inputs, gpu), await p.evaluate(inputs, cpu)];
      expectGpu(g.stats, 'evaluate');
      expect(e.stats.backend).toBe('cpu');
      compare('evaluate', g.outputs, e.outputs);

      const tangents = seeds(p.inputs, 7, 1);
      const [gj, ej] = [await p.jvp(inputs, tangents, gpu), await p.jvp(inputs, tangents, cpu)];
      expectGpu(gj.stats, 'jvp');
      compare('jvp outputs', gj.outputs, ej.outputs);
      compare('jvp tangents', gj.tangents, ej.tangents);

      const cotangents = seeds(p.outputs, null, 2);
      const [gv, ev] = [await p.vjp(inputs, cotangents, gpu), await p.vjp(inputs, cotangents, cpu)];
      expectGpu(gv.stats, 'vjp');
      compare('vjp cotangents', gv.cotangents, ev.cotangents);
    });

    it(`${name}: grad and hvp of ${c.loss}`, async () => {
      const [gg, eg] = [await p.grad(inputs, { ...gpu, output: c.loss }), await p.grad(inputs, { ...cpu, output: c.loss })];
      expectGpu(gg.stats, 'grad');
      compare('grad value', { [c.loss]: { shape: [], data: Float64Array.of(gg.value) } }, { [c.loss]: { shape: [], data: Float64Array.of(eg.value) } });
      compare('grad', gg.gradient, eg.gradient);

      const direction = seeds(p.inputs, null, 3);
      const [gh, eh] = [await p.hvp(inputs, direction, { ...gpu, output: c.loss }), await p.hvp(inputs, direction, { ...cpu, output: c.loss })];
      expectGpu(gh.stats, 'hvp');
      compare('hvp', gh.hvp, eh.hvp);
      compare('hvp gradient', gh.gradient, eh.gradient);
    });

    it(`${name}: Jacobian with respect to ${c.wrt.join(', ')}, forward and reverse`, async () => {
      for (const mode of ['fwd', 'rev'] as const) {
        const [gJ, eJ] = [await jacobian(p, inputs, { ...gpu, mode, wrt: c.wrt }), await jacobian(p, inputs, { ...cpu, mode, wrt: c.wrt })];
        expectGpu(gJ.stats, `jacobian ${mode}`);
        expect(gJ.mode).toBe(mode);
        for (const out of Object.keys(eJ.jacobian)) compare(`jacobian ${mode} of ${out}`, gJ.jacobian[out], eJ.jacobian[out]);
        // Folded identity seeds run other kernels (scaled copies and transposes instead of the first product).
        const fJ = await jacobian(p, inputs, { ...gpu, mode, wrt: c.wrt, foldSeeds: true });
        expectGpu(fJ.stats, `jacobian ${mode}, folded seeds`);
        for (const out of Object.keys(eJ.jacobian)) compare(`jacobian ${mode} of ${out}, folded seeds`, fJ.jacobian[out], eJ.jacobian[out]);
      }
    });
  }
});
