import { afterAll, describe, expect, it } from 'vitest';
import { compileOrThrow, jacobian, randomValues, type JacobianOptions, type JacobianResult, type Program, type Tensor } from '../../src/index.ts';
import { webgpuBackendWithLimits } from '../../src/backend/webgpu/backend.ts';
import { numel } from '../../src/ir/shape.ts';
import { ErrorLog, gpuTolerance } from '../support/gpu-parity.ts';
import { getTestRuntime } from '../support/gpu-runtime.ts';

const rt = await getTestRuntime();

const MLP = 'input x[n]\ninput W1[h, n]\ninput b1[h]\ninput W2[m, h]\nz = tanh(W1 @ x + b1)\noutput y = W2 @ z\noutput loss = sum(y * y) / 2';
/** A dense n×n Jacobian with no n×n weights, so a buffer limit far below n² floats still admits every input. */
const WIDE = 'input x[n]\ninput s\noutput y = softmax(s * x) + tanh(x) / norm(x)';

const log = new ErrorLog();

function inputsOf(p: Program, seed: number): Record<string, Tensor> {
  return Object.fromEntries(Object.entries(randomValues(p.inputs, seed)).map(([k, t]) => {
    const scale = t.shape.length === 2 ? 1 / Math.sqrt(t.shape[1]) : 1;
    return [k, { shape: t.shape, data: t.data.map((v) => Math.fround(scale * v)) }];
  }));
}

/** Every block of two Jacobians agrees within the f32 tolerance for the program's graphs. */
function expectSameJacobian(p: Program, got: JacobianResult, want: JacobianResult, label: string): void {
  const tol = gpuTolerance('transcendental', p.derived('jvp', [1]), p.derived('vjp', [1]));
  for (const out of Object.keys(want.jacobian)) {
    for (const inp of Object.keys(want.jacobian[out])) {
      expect(got.jacobian[out][inp].shape, `${label} ${out}/${inp} shape`).toEqual(want.jacobian[out][inp].shape);
      log.check(label, got.jacobian[out][inp].data, want.jacobian[out][inp].data, tol, `${label} d${out}/d${inp}`);
    }
  }
}

describe.skipIf(rt === null)('chunked Jacobians on WebGPU equal unchunked ones', () => {
  afterAll(() => {
    if (process.env.GL_PARITY_REPORT) console.log(`Chunked Jacobians:\n${log.table()}`);
  });
  const mlp = compileOrThrow(MLP, { n: 65, h: 127, m: 63 });
  const mlpInputs = inputsOf(mlp, 21);

  it('with a memory budget that forces chunks, forward and reverse', async () => {
    for (const mode of ['fwd', 'rev'] as const) {
      const options: JacobianOptions = { backend: 'webgpu', mode, wrt: ['x', 'b1'] };
      const whole = await jacobian(mlp, mlpInputs, options);
      expect(whole.stats.passes, `${mode} unchunked`).toBe(1);
      // Room for the result and one pass of 16 seeds.
      const seeds = mode === 'fwd' ? 65 + 127 : 63 + 1;
      const resultBytes = 4 * seeds * (mode === 'fwd' ? 63 + 1 : 65 + 127); // f32 blocks
      const sixteen = rt!.plan(mlp.derived(mode === 'fwd' ? 'jvp' : 'vjp', [16], { wrt: ['x', 'b1'], of: ['y', 'loss'] })).peakBytes;
      const chunked = await jacobian(mlp, mlpInputs, { ...options, memoryBudget: resultBytes + sixteen });
      expect(chunked.stats.backend).toBe('webgpu');
      expect(chunked.chunkSize, `${mode} chunk size`).toBeLessThanOrEqual(16);
      expect(chunked.stats.passes).toBe(Math.ceil(seeds / chunked.chunkSize));
      expect(chunked.stats.passes).toBeGreaterThan(1);
      expectSameJacobian(mlp, chunked, whole, `MLP ${mode}, memory budget`);
      expectSameJacobian(mlp, chunked, await jacobian(mlp, mlpInputs, { mode, wrt: ['x', 'b1'] }), `MLP ${mode}, memory budget vs CPU`);
    }
  });

  it('with a 1 MiB binding limit, forward and reverse', async () => {
    const p = compileOrThrow(WIDE, { n: 600 });
    const inputs = inputsOf(p, 22);
    const limited = await webgpuBackendWithLimits({ maxStorageBufferBindingSize: 1 << 20 });
    for (const mode of ['fwd', 'rev'] as const) {
      const whole = await jacobian(p, inputs, { backend: 'webgpu', mode });
      expect(whole.stats.passes).toBe(1);
      // One pass would hold a 600 × 600 f32 tangent block (1.4 MiB), over the limit.
      const seeds = mode === 'fwd' ? 601 : 600;
      expect(limited.unsupported(p.derived(mode === 'fwd' ? 'jvp' : 'vjp', [seeds], { wrt: ['x', 's'], of: ['y'] }))).toMatch(/binds at once/);
      const chunked = await jacobian(p, inputs, { backend: limited, mode });
      expect(chunked.stats.backend).toBe('webgpu');
      expect(chunked.stats.passes, `${mode} passes`).toBeGreaterThan(1);
      expect(chunked.chunkSize * 600 * 4).toBeLessThanOrEqual(1 << 20);
      expectSameJacobian(p, chunked, whole, `wide ${mode}, 1 MiB binding limit`);
    }
  });

  it('a 4096-wide Jacobian scaled down (width 512, 256 KiB binding limit) completes and matches the CPU', async () => {
    // A 4096-wide Jacobian scaled for SwiftShader: 512 wide (64× fewer bytes) against a 256 KiB binding
    // limit (512× below a browser's 128 MiB), so its 1 MiB of f32 tangents must go in at least 4 passes.
    const p = compileOrThrow(WIDE, { n: 512 });
    const inputs = inputsOf(p, 23);
    const limited = await webgpuBackendWithLimits({ maxStorageBufferBindingSize: 256 * 1024 });
    for (const mode of ['fwd', 'rev'] as const) {
      const progress: number[] = [];
      const gpu = await jacobian(p, inputs, { backend: limited, mode, onProgress: (done) => progress.push(done) });
      expect(gpu.stats.backend).toBe('webgpu');
      expect(gpu.stats.passes, `${mode} passes`).toBeGreaterThanOrEqual(4);
      expect(progress.at(-1)).toBe(gpu.seeds);
      expect(numel(gpu.jacobian.y.x.shape)).toBe(512 * 512);
      expectSameJacobian(p, gpu, await jacobian(p, inputs, { backend: 'cpu', mode }), `4096-wide scaled ${mode} vs CPU`);
    }
  });
});
