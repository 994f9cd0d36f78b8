import { describe, expect, it } from 'vitest';
import { compileOrThrow, listKernels, randomValues, type Program } from '../../src/index.ts';
import { interpret } from '../../src/backend/cpu/interpreter.ts';
import type { Tensor } from '../../src/backend/cpu/tensor.ts';
import { jacobian } from '../../src/api/jacobian.ts';
import { ELEMENTWISE_LANES } from '../../src/backend/webgpu/emit.ts';
import { expectAllclose } from '../support/allclose.ts';
import { gpuTolerance, type Family } from '../support/gpu-parity.ts';
import { getTestRuntime } from '../support/gpu-runtime.ts';

const rt = await getTestRuntime();

function inputsOf(p: Program, seed: number): Map<string, Tensor> {
  return new Map(Object.entries(randomValues(p.inputs, seed)).map(([k, t]) => [k, { shape: t.shape, data: t.data.map(Math.fround) }]));
}

/** The program's only elementwise kernel. */
function elementwiseKernel(p: Program): string {
  const kernels = listKernels(p.graph).kernels.filter((k) => k.label.startsWith('elementwise'));
  expect(kernels).toHaveLength(1);
  return kernels[0].code;
}

/** How the kernel binds the input called `name`: 'vec4<f32>' or 'f32'. */
function bindingOf(code: string, name: string): string | undefined {
  return code.match(new RegExp(`array<(vec4<f32>|f32)>; // ${name} \\[`))?.[1];
}

const count = (code: string, pattern: RegExp) => code.match(pattern)?.length ?? 0;

/** Runs `p` on the device and compares every output with the f64 interpreter. */
async function expectDeviceMatches(p: Program, family: Family, seed = 3): Promise<void> {
  const inputs = inputsOf(p, seed);
  const got = await rt!.run(p.graph, inputs);
  const want = interpret(p.graph, inputs, 'f64');
  for (const port of p.graph.outputs) expectAllclose(got.get(port.name)!.data, want.get(port.name)!.data, gpuTolerance(family, p.graph), port.name);
}

describe('vectorised elementwise kernels: how each operand is read (no device needed)', () => {
  it('four elements per invocation when the count is a multiple of 4, one otherwise', () => {
    const four = elementwiseKernel(compileOrThrow('input x[n]\noutput y = exp(x) * 2', { n: 12 }));
    expect(four).toContain('out: array<vec4<f32>>');
    expect(four).toMatch(/if \(i >= 3u\)/);
    expect(count(four, /exp\(/g)).toBe(ELEMENTWISE_LANES);
    const one = elementwiseKernel(compileOrThrow('input x[n]\noutput y = exp(x) * 2', { n: 13 }));
    expect(one).toContain('out: array<f32>');
    expect(one).toMatch(/if \(i >= 13u\)/);
    expect(count(one, /exp\(/g)).toBe(1);
  });

  it('a row repeated down the rows is one vec4 load; a value per row is one load shared by the four lanes', () => {
    // A [5, 8] matrix, a bias along its rows and a scale per row (what a folded Jacobian's rows get).
    const code = elementwiseKernel(compileOrThrow('input A[m, n]\ninput b[n]\ninput c[m, 1]\noutput y = A * exp(c) + b', { m: 5, n: 8 }));
    expect(bindingOf(code, 'A')).toBe('vec4<f32>');
    expect(bindingOf(code, 'b')).toBe('vec4<f32>');
    expect(bindingOf(code, 'c')).toBe('f32');
    // The per-row value is loaded and exponentiated once for all four lanes.
    expect(count(code, /exp\(/g)).toBe(1);
    expect(count(code, /= in\d\[/g)).toBe(3);
  });

  it('rows whose length is not a multiple of 4 read the broadcast operand lane by lane', () => {
    // [4, 6]: 24 elements, but four consecutive ones can straddle two rows.
    const code = elementwiseKernel(compileOrThrow('input A[m, n]\ninput b[n]\noutput y = A + b', { m: 4, n: 6 }));
    expect(bindingOf(code, 'A')).toBe('vec4<f32>');
    expect(bindingOf(code, 'b')).toBe('f32');
    expect(count(code, /% 6u/g)).toBe(ELEMENTWISE_LANES);
  });

  it('an operand read both at its own index and transposed is bound as vec4s and read by component', () => {
    const code = elementwiseKernel(compileOrThrow('input A[n, n]\noutput y = A * 2 + transpose(A)', { n: 8 }));
    expect(bindingOf(code, 'A')).toBe('vec4<f32>');
    expect(count(code, /\[i\d+ \/ 4u\]\[i\d+ % 4u\]/g)).toBe(ELEMENTWISE_LANES);
  });
});

describe.skipIf(rt === null)('vectorised elementwise kernels on the device', () => {
  const cases: [string, string, Record<string, number>, Family][] = [
    ['a scale per row and a bias along the rows', 'input A[m, n]\ninput b[n]\ninput c[m, 1]\noutput y = A * exp(c) + b', { m: 5, n: 8 }, 'transcendental'],
    ['a row straddling invocations', 'input A[m, n]\ninput b[n]\ninput c[m, 1]\noutput y = A * c + b', { m: 4, n: 6 }, 'arithmetic'],
    ['a column of 1s by a row', 'input c[m, 1]\ninput r[n]\noutput y = c * r - r', { m: 3, n: 4 }, 'arithmetic'],
    ['rows of one element', 'input A[m, n]\ninput c[m, 1]\noutput y = A / (1 + c * c)', { m: 12, n: 1 }, 'arithmetic'],
    ['a transpose beside its own matrix', 'input A[n, n]\noutput y = A * 2 + transpose(A)', { n: 8 }, 'arithmetic'],
    ['a transpose of a non-square matrix', 'input A[m, n]\ninput B[n, m]\noutput y = A - transpose(B) * 3', { m: 4, n: 12 }, 'arithmetic'],
    ['a scalar and a constant', 'input s\ninput A[m, n]\noutput y = sigmoid(A * s) + 0.5', { m: 2, n: 8 }, 'transcendental'],
    ['a layer (its product reshaped into a vector)', 'input W[m, n]\ninput x[n]\ninput b[m]\noutput y = tanh(W @ x + b)', { m: 12, n: 7 }, 'transcendental'],
    ['two outputs of one kernel, one read by the other', 'input x[n]\nt = tanh(x)\noutput a = t * 2\noutput b = t * t + a', { n: 100 }, 'transcendental'],
    ['an odd count (one element per invocation)', 'input A[m, n]\ninput b[n]\noutput y = A * b', { m: 3, n: 5 }, 'arithmetic'],
  ];
  for (const [name, source, sizes, family] of cases) {
    it(`${name}: ${JSON.stringify(sizes)}`, async () => {
      await expectDeviceMatches(compileOrThrow(source, sizes), family);
    });
  }

  it("a folded Jacobian's rows, scaled by the layer's slope, at widths that are and are not multiples of 4", async () => {
    // diag(1 − y²) W: the kernel that dominates a layer's Jacobian.
    for (const n of [8, 36, 37]) {
      const p = compileOrThrow('input W[n, n]\ninput x[n]\noutput y = tanh(W @ x)', { n });
      const values = Object.fromEntries([...inputsOf(p, n)].map(([k, t]) => [k, t]));
      const got = await jacobian(p, values, { backend: 'webgpu', mode: 'fwd', foldSeeds: true, wrt: ['x'] });
      const want = await jacobian(p, values, { backend: 'cpu', dtype: 'f64', mode: 'fwd', wrt: ['x'] });
      expect(got.foldSeeds).toBe(true);
      expectAllclose(got.jacobian.y.x.data, want.jacobian.y.x.data, gpuTolerance('transcendental', p.graph), `J at ${n}`);
    }
  });
});
