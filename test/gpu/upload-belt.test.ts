// Large inputs reach the device through mapped staging buffers that are reused across runs
// (src/backend/webgpu/upload-belt.ts): every run must see its own values, whether its staging buffer
// is new, reused, or busy with another run in flight (then the input is written as before).
import { describe, expect, it } from 'vitest';
import { compileOrThrow } from '../../src/index.ts';
import { interpret } from '../../src/backend/cpu/interpreter.ts';
import type { Tensor } from '../../src/backend/cpu/tensor.ts';
import { BELT_MIN_BYTES } from '../../src/backend/webgpu/upload-belt.ts';
import { GpuRuntime } from '../../src/backend/webgpu/runtime.ts';
import { expectAllclose } from '../support/allclose.ts';
import { gpuTolerance } from '../support/gpu-parity.ts';
import { getTestRuntime } from '../support/gpu-runtime.ts';

const shared = await getTestRuntime();

describe.skipIf(shared === null)('large inputs through the upload belt', () => {
  // W is 512 × 512 f32 = 1 MiB: just at the belt's threshold; x stays under it.
  const n = 512;
  const program = compileOrThrow('input W[n, n]\ninput x[n]\noutput y = tanh(W @ x)', { n });
  const graph = program.graph;
  const feed = (seed: number, f32: boolean): Map<string, Tensor> => {
    const make = (len: number, salt: number) => {
      const data = Float64Array.from({ length: len }, (_, i) => Math.fround(Math.sin(seed * 7.1 + salt + i * 0.37) / 8));
      return f32 ? Float32Array.from(data) : data;
    };
    return new Map([['W', { shape: [n, n], data: make(n * n, 1) }], ['x', { shape: [n], data: make(n, 2) }]]);
  };
  const check = async (rt: GpuRuntime, inputs: Map<string, Tensor>, what: string) => {
    const got = (await rt.run(graph, inputs)).get('y')!.data;
    const want = interpret(graph, inputs, 'f64').get('y')!.data;
    expectAllclose(got, want, gpuTolerance('transcendental', graph), what);
  };

  it('gives every run its own values, from f64 and f32 host arrays, run after run', async () => {
    expect(4 * n * n).toBeGreaterThanOrEqual(BELT_MIN_BYTES);
    const rt = new GpuRuntime(shared!.gpu);
    try {
      for (let run = 0; run < 4; run++) await check(rt, feed(run, run % 2 === 1), `run ${run}`);
    } finally {
      rt.dispose();
    }
  });

  it('gives runs in flight at once their own values, more of them than it keeps staging buffers for', async () => {
    const rt = new GpuRuntime(shared!.gpu);
    try {
      await Promise.all([0, 1, 2, 3, 4].map((seed) => check(rt, feed(10 + seed, false), `run ${seed} in flight`)));
      await check(rt, feed(20, true), 'a run after them');
    } finally {
      rt.dispose();
    }
  });
});

describe.skipIf(shared === null)('staging buffers and the read-back', () => {
  it('maps a run\'s staging buffers again only after its read-back, so no map request is pending while the run works', async () => {
    // A pending map request keeps Dawn's Node bindings polling, which is what quiet-wait.ts avoids.
    const n = 512;
    const program = compileOrThrow('input W[n, n]\ninput X[n, n]\noutput Y = tanh(W @ X)', { n });
    const data = (salt: number) => Float64Array.from({ length: n * n }, (_, i) => Math.sin(salt + i * 0.37) / 8);
    const inputs = new Map<string, Tensor>([['W', { shape: [n, n], data: data(1) }], ['X', { shape: [n, n], data: data(2) }]]);
    const rt = new GpuRuntime(shared!.gpu);
    const modes: number[] = [];
    const original = GPUBuffer.prototype.mapAsync;
    GPUBuffer.prototype.mapAsync = function (this: GPUBuffer, mode: number, ...rest: unknown[]) {
      modes.push(mode);
      return (original as (...a: unknown[]) => Promise<undefined>).call(this, mode, ...rest);
    } as typeof original;
    try {
      for (let run = 0; run < 2; run++) {
        modes.length = 0;
        const got = (await rt.run(program.graph, inputs)).get('Y')!.data;
        // The first run stages both inputs (1 MiB each) in new buffers: the read-back is asked for first,
        // then both staging buffers are mapped for writing again. The second may find them still being
        // mapped and write its inputs directly; whatever it stages comes after its read-back too.
        if (run === 0) expect(modes).toEqual([GPUMapMode.READ, GPUMapMode.WRITE, GPUMapMode.WRITE]);
        expect(modes[0], `run ${run}`).toBe(GPUMapMode.READ);
        expect(modes.slice(1).every((m) => m === GPUMapMode.WRITE), `run ${run}`).toBe(true);
        expectAllclose(got, interpret(program.graph, inputs, 'f64').get('Y')!.data, gpuTolerance('transcendental', program.graph), `run ${run}`);
      }
    } finally {
      GPUBuffer.prototype.mapAsync = original;
      rt.dispose();
    }
  });
});
