import { describe, expect, it } from 'vitest';
import { compileOrThrow, listKernels, randomValues, type Program } from '../../src/index.ts';
import { interpret } from '../../src/backend/cpu/interpreter.ts';
import type { Tensor } from '../../src/backend/cpu/tensor.ts';
import { jacobian } from '../../src/api/jacobian.ts';
import { ELEMENTWISE_LANES, ELEMENTWISE_WORKGROUP, SOFTWARE_ELEMENTWISE_BLOCKS, SOFTWARE_ELEMENTWISE_WORKGROUP } from '../../src/backend/webgpu/emit.ts';
import { softwareWorkgroupSize } from '../../src/backend/webgpu/kernel-plan.ts';
import { DEFAULT_LIMITS } from '../../src/backend/webgpu/inspect.ts';
import { GpuRuntime } from '../../src/backend/webgpu/runtime.ts';
import { expectAllclose } from '../support/allclose.ts';
import { gpuTolerance, type Family } from '../support/gpu-parity.ts';
import { getTestRuntime } from '../support/gpu-runtime.ts';

const rt = await getTestRuntime();

function inputsOf(p: Program, seed: number): Map<string, Tensor> {
  return new Map(Object.entries(randomValues(p.inputs, seed)).map(([k, t]) => [k, { shape: t.shape, data: t.data.map(Math.fround) }]));
}

/** The program's only elementwise kernel, as planned for a hardware GPU unless `softwareAdapter`. */
function elementwiseListing(p: Program, softwareAdapter = false, limits = DEFAULT_LIMITS) {
  const kernels = listKernels(p.graph, limits, softwareAdapter).kernels.filter((k) => k.label.startsWith('elementwise'));
  expect(kernels).toHaveLength(1);
  return kernels[0];
}

function elementwiseKernel(p: Program, softwareAdapter = false): string {
  return elementwiseListing(p, softwareAdapter).code;
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

describe('several blocks per invocation on a software adapter (no device needed)', () => {
  const B = SOFTWARE_ELEMENTWISE_BLOCKS;
  const calls = (code: string) => [...code.matchAll(/^ {2}compute_block\((.*)\);$/gm)].map((m) => m[1]);

  it('a hardware GPU keeps one block per invocation', () => {
    const code = elementwiseKernel(compileOrThrow('input x[n]\noutput y = exp(x) * 2', { n: 4096 }));
    expect(code).not.toContain('compute_block');
    expect(code).toMatch(/if \(i >= 1024u\)/);
  });

  it(`a software adapter's invocation computes ${B} consecutive vec4s in straight-line code`, () => {
    const k = elementwiseListing(compileOrThrow('input x[n]\noutput y = exp(x) * 2', { n: 4096 }), true);
    expect(k.code).toContain('fn compute_block(i: u32)');
    expect(calls(k.code)).toEqual(['first', ...Array.from({ length: B - 1 }, (_, b) => `first + ${b + 1}u`)]);
    expect(k.code).toMatch(/if \(first >= 1024u\)/);
    // One exp per element of a block, written once in the block's function.
    expect(count(k.code, /exp\(/g)).toBe(ELEMENTWISE_LANES);
    expect(k.code).not.toMatch(/for \(|while/);
    // 1024 / B invocations in workgroups of the software size.
    const size = softwareWorkgroupSize(1024 / B, SOFTWARE_ELEMENTWISE_WORKGROUP);
    expect(k.code).toContain(`@workgroup_size(${size})`);
    expect(k.workgroups).toEqual([1024 / B / size, 1, 1]);
  });

  it('workgroups on a software adapter: at least two, no larger than half the invocations, 8 to the cap', () => {
    expect([1, 16, 17, 32, 64, 100, 128, 4096].map((n) => softwareWorkgroupSize(n, 64))).toEqual([8, 8, 8, 16, 32, 32, 64, 64]);
    expect(softwareWorkgroupSize(4096, 256)).toBe(256);
    // The 256-element tanh of a layer: 16 invocations, two workgroups of 8 (one of 256 on a GPU).
    const p = compileOrThrow('input x[n]\noutput y = tanh(x)', { n: 256 });
    expect(elementwiseListing(p, true).code).toContain('@workgroup_size(8)');
    expect(elementwiseListing(p, true).workgroups).toEqual([2, 1, 1]);
    expect(elementwiseListing(p, false).code).toContain(`@workgroup_size(${ELEMENTWISE_WORKGROUP})`);
  });

  it("the last invocation's blocks past the end repeat its own last block", () => {
    // 4 · 7 elements: 7 vec4s, so the second invocation has blocks 4..6 and then 6 again.
    const code = elementwiseKernel(compileOrThrow('input x[n]\noutput y = x * 3', { n: 28 }), true);
    expect(calls(code)).toEqual(['first', ...Array.from({ length: B - 1 }, (_, b) => `min(first + ${b + 1}u, 6u)`)]);
    // Single elements (13) get blocks of one.
    const one = elementwiseKernel(compileOrThrow('input x[n]\noutput y = x * 3', { n: 13 }), true);
    expect(one).toContain('out: array<f32>');
    expect(calls(one)).toEqual(['first', ...Array.from({ length: B - 1 }, (_, b) => `min(first + ${b + 1}u, 12u)`)]);
  });

  it('never more blocks than the kernel has', () => {
    const code = elementwiseKernel(compileOrThrow('input x[n]\noutput y = x * 3', { n: 8 }), true);
    expect(calls(code)).toEqual(['first', 'first + 1u']);
    expect(elementwiseKernel(compileOrThrow('input x[n]\noutput y = x * 3', { n: 4 }), true)).not.toContain('compute_block');
  });

  it('a grid folded into two dimensions counts invocations across rows of workgroups', () => {
    const k = elementwiseListing(compileOrThrow('input x[n]\noutput y = x * 3', { n: 40_000 }), true, { ...DEFAULT_LIMITS, maxComputeWorkgroupsPerDimension: 8 });
    const size = SOFTWARE_ELEMENTWISE_WORKGROUP;
    expect(k.workgroups).toEqual([8, Math.ceil(Math.ceil(10_000 / B / size) / 8), 1]);
    expect(k.code).toContain(`let first = (gid.x + gid.y * groups.x * ${size}u) * ${B}u;`);
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

  // Every element is written exactly once whatever the tail: counts around multiples of blocks × lanes,
  // one output and two, on both strategies and with the grid folded into two dimensions.
  const strategies = rt === null ? [] : [
    ['software adapter', new GpuRuntime(rt.gpu, {}, { softwareAdapter: true })],
    ['hardware GPU', new GpuRuntime(rt.gpu, {}, { softwareAdapter: false })],
    ['software adapter, grid folded', new GpuRuntime(rt.gpu, { maxComputeWorkgroupsPerDimension: 8 }, { softwareAdapter: true })],
  ] as const;
  for (const [strategy, runtime] of strategies) {
    it(`counts on either side of whole invocations (${strategy})`, async () => {
      const per = ELEMENTWISE_LANES * SOFTWARE_ELEMENTWISE_BLOCKS;
      const sizes = [1, 3, 4, 8, per - 4, per, per + 1, per + 4, 2 * per + 12, ELEMENTWISE_WORKGROUP * per + 4, 3 * ELEMENTWISE_WORKGROUP * per - 3];
      for (const n of sizes) {
        const p = compileOrThrow('input x[n]\ninput s\nt = x * s + 1\noutput a = t * t\noutput b = t - x', { n });
        const inputs = inputsOf(p, n);
        const got = await runtime.run(p.graph, inputs);
        const want = interpret(p.graph, inputs, 'f64');
        for (const port of p.graph.outputs) expectAllclose(got.get(port.name)!.data, want.get(port.name)!.data, gpuTolerance('arithmetic', p.graph), `${port.name} at n = ${n}`);
      }
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
