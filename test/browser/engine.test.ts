// The engine end to end in a real page: the public API, bundled by Vite, on `navigator.gpu`.
// This is what the playground does, so it checks that the WebGPU path works in a browser bundle:
// device acquisition through navigator.gpu, hand-written shaders inlined by `import.meta.glob`
// (src/backend/webgpu/shader-source.ts), and no Node-only API reached from the core.
import { describe, expect, it } from 'vitest';
import mlpSource from '../../examples/mlp.gl?raw';
import { compileOrThrow, jacobian, randomValues, type RunOptions, type RunStats, type Tensor } from '../../src/index.ts';
import { expectAllclose, type Tolerance } from '../support/allclose.ts';
import { getBrowserTestDevice } from '../support/browser-webgpu.ts';

const SIZES = { n: 6, h: 16, m: 4 };
/** Tangents pushed in one batched JVP, and cotangents pulled in one batched VJP. */
const JVP_BATCH = 7;
const VJP_BATCH = 5;

/**
 * WebGPU computes in f32 against the CPU's f64. Inputs rounded to f32 (relative 6e-8) and f32 dot
 * products of length ≤ 16 alone stay near 1e-6 relative; SwiftShader's transcendentals are approximate
 * too (PLATFORM-NOTES: about 4e-5 absolute for sin). Measured here: at most 1.3e-5 absolute on values
 * up to 21, at most 5e-5 relative on any element above 1e-3. We allow 1e-4 relative plus 1e-5 absolute
 * (the worst element uses 5% of it); a wrong kernel (bad index, transpose, missing term) is off by O(1).
 */
const F32: Tolerance = { rtol: 1e-4, atol: 1e-5 };

// In CI (CI or REQUIRE_WEBGPU) this throws when the page has no adapter, so the suite fails instead of skipping.
const device = await getBrowserTestDevice();

const GPU: RunOptions = { backend: 'webgpu' };
const CPU: RunOptions = { backend: 'cpu' };

function expectAllTensorsClose(actual: Record<string, Tensor>, expected: Record<string, Tensor>, what: string): void {
  expect(Object.keys(actual)).toEqual(Object.keys(expected));
  for (const [name, t] of Object.entries(expected)) {
    expect(actual[name].shape, `${what} ${name} shape`).toEqual(t.shape);
    expectAllclose(actual[name].data, t.data, F32, `${what} ${name}`);
  }
}

describe.skipIf(device === null)('the engine on WebGPU in Chromium', () => {
  const program = compileOrThrow(mlpSource, SIZES);
  const inputs = randomValues(program.inputs, 0);
  const x = program.inputs.find((p) => p.name === 'x')!;

  /** Computed on the GPU in the page, by the engine's own device. */
  function expectWebgpuStats(stats: RunStats): void {
    expect(stats.backend).toBe('webgpu');
    expect(stats.dtype).toBe('f32');
    expect(stats.device).toMatch(/^WebGPU \(/);
    // The device the engine acquired is the page's adapter, named as the adapter names itself.
    const { vendor, architecture } = device!.adapterInfo;
    for (const word of [vendor, architecture].filter((w) => w !== '')) expect(stats.device).toContain(word);
    expect(stats.dispatches).toBeGreaterThan(0);
  }

  it(`pushes ${JVP_BATCH} tangents of x through the MLP in one batched JVP`, async () => {
    const tangents = randomValues([{ name: 'x', shape: [JVP_BATCH, ...x.shape] }], 1);
    const gpu = await program.jvp(inputs, tangents, GPU);
    const cpu = await program.jvp(inputs, tangents, CPU);
    expectWebgpuStats(gpu.stats);
    expect(cpu.stats.backend).toBe('cpu');
    expect(gpu.tangents.y.shape).toEqual([JVP_BATCH, SIZES.m]);
    expectAllTensorsClose(gpu.outputs, cpu.outputs, 'output');
    expectAllTensorsClose(gpu.tangents, cpu.tangents, 'tangent');
  });

  it(`pulls ${VJP_BATCH} cotangents back through the MLP in one batched VJP`, async () => {
    const cotangents = randomValues(program.outputs.map((p) => ({ name: p.name, shape: [VJP_BATCH, ...p.shape] })), 2);
    const gpu = await program.vjp(inputs, cotangents, GPU);
    const cpu = await program.vjp(inputs, cotangents, CPU);
    expectWebgpuStats(gpu.stats);
    expect(gpu.cotangents.W1.shape).toEqual([VJP_BATCH, SIZES.h, SIZES.n]);
    expectAllTensorsClose(gpu.outputs, cpu.outputs, 'output');
    expectAllTensorsClose(gpu.cotangents, cpu.cotangents, 'cotangent');
  });

  it('builds the full Jacobian in forward and in reverse mode', async () => {
    for (const mode of ['fwd', 'rev'] as const) {
      const gpu = await jacobian(program, inputs, { ...GPU, mode });
      const cpu = await jacobian(program, inputs, { ...CPU, mode });
      expectWebgpuStats(gpu.stats);
      expect(gpu.mode).toBe(mode);
      for (const [out, row] of Object.entries(cpu.jacobian)) expectAllTensorsClose(gpu.jacobian[out], row, `${mode} ∂${out}`);
    }
  });
});
