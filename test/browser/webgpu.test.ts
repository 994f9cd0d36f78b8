import { expect, it, vi } from 'vitest';
import { interpret } from '../../src/backend/cpu/interpreter.ts';
import type { Tensor } from '../../src/backend/cpu/tensor.ts';
import { webgpuRuntime } from '../../src/backend/webgpu/backend.ts';
import { GpuRuntime } from '../../src/backend/webgpu/runtime.ts';
import { precisePause } from '../../src/backend/webgpu/nudged-read-back.ts';
import { compileOrThrow } from '../../src/index.ts';
import { expectAllclose } from '../support/allclose.ts';
import { gpuTolerance } from '../support/gpu-parity.ts';
import { getBrowserTestDevice } from '../support/browser-webgpu.ts';
import { describeDeviceSmoke, expectQuadSubgroupsOnSwiftShader } from '../support/device-smoke.ts';

const device = await getBrowserTestDevice();
describeDeviceSmoke('Chromium', device);

it.skipIf(device === null)('the engine\'s device knows it is a browser\'s (its read-backs are nudged: Gpu.browser)', async () => {
  expect((await webgpuRuntime()).gpu.browser).toBe(true);
});

it.skipIf(device === null)('in this cross-origin isolated page a run nudges its read-back with map requests on a buffer of its own, and gets the interpreter\'s answer', async () => {
  expect(crossOriginIsolated, 'the test page is cross-origin isolated (vite.config.ts)').toBe(true);
  expect(precisePause()).not.toBeNull();
  const n = 192;
  const program = compileOrThrow('input A[n, n]\ninput x[n]\noutput y = tanh(A @ x)', { n });
  const runtime = await webgpuRuntime();
  const mapAsync = vi.spyOn(GPUBuffer.prototype, 'mapAsync');
  let nudges = 0;
  try {
    for (let run = 1; run <= 4; run++) {
      const inputs = new Map<string, Tensor>([
        ['A', { shape: [n, n], data: Float64Array.from({ length: n * n }, (_, i) => Math.fround(Math.sin(run + i * 0.731) / 8)) }],
        ['x', { shape: [n], data: Float64Array.from({ length: n }, (_, i) => Math.fround(Math.cos(run + i * 0.37))) }],
      ]);
      mapAsync.mockClear();
      const got = (await runtime.run(program.graph, inputs)).get('y')!.data;
      nudges += mapAsync.mock.contexts.filter((buffer) => (buffer as GPUBuffer).label === 'nudge').length;
      const want = interpret(program.graph, inputs, 'f64').get('y')!.data;
      expectAllclose(got, want, gpuTolerance('transcendental', program.graph), `run ${run}`);
    }
  } finally {
    mapAsync.mockRestore();
  }
  // At least the nudge sent when a run's error scopes answer, before a 192-wide product is read back.
  expect(nudges).toBeGreaterThan(0);
});

it.skipIf(device === null)('without Atomics.waitAsync (a page that is not cross-origin isolated) the nudges are timed by setTimeout, and the answers stay right', async () => {
  const n = 192;
  const program = compileOrThrow('input A[n, n]\ninput x[n]\noutput y = tanh(A @ x)', { n });
  const waitAsync = Object.getOwnPropertyDescriptor(Atomics, 'waitAsync');
  Reflect.deleteProperty(Atomics, 'waitAsync');
  let runtime: GpuRuntime;
  try {
    expect(precisePause()).toBeNull();
    runtime = new GpuRuntime((await webgpuRuntime()).gpu);
  } finally {
    if (waitAsync !== undefined) Object.defineProperty(Atomics, 'waitAsync', waitAsync);
  }
  const timeout = vi.spyOn(globalThis, 'setTimeout');
  const mapAsync = vi.spyOn(GPUBuffer.prototype, 'mapAsync');
  try {
    for (let run = 1; run <= 4; run++) {
      const inputs = new Map<string, Tensor>([
        ['A', { shape: [n, n], data: Float64Array.from({ length: n * n }, (_, i) => Math.fround(Math.cos(run + i * 0.517) / 8)) }],
        ['x', { shape: [n], data: Float64Array.from({ length: n }, (_, i) => Math.fround(Math.sin(run + i * 0.29))) }],
      ]);
      const got = (await runtime.run(program.graph, inputs)).get('y')!.data;
      const want = interpret(program.graph, inputs, 'f64').get('y')!.data;
      expectAllclose(got, want, gpuTolerance('transcendental', program.graph), `run ${run}`);
    }
    expect(mapAsync.mock.contexts.some((buffer) => (buffer as GPUBuffer).label === 'nudge')).toBe(true);
    // Every timer the nudges asked for is a whole millisecond or more.
    const delays = timeout.mock.calls.map((call) => call[1]).filter((ms) => typeof ms === 'number');
    expect(delays.length).toBeGreaterThan(0);
    expect(delays.every((ms) => Number.isInteger(ms) && ms >= 1)).toBe(true);
  } finally {
    timeout.mockRestore();
    mapAsync.mockRestore();
    runtime.dispose();
  }
});

it.skipIf(device === null)('on SwiftShader the engine\'s device has quad subgroups, so its GEMM shares op(A)\'s loads (GpuInfo.quadSubgroups)', async () => {
  expectQuadSubgroupsOnSwiftShader(await webgpuRuntime());
});
