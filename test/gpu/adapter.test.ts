import { expect, it } from 'vitest';
import { describeDeviceSmoke } from '../support/device-smoke.ts';
import { getTestRuntime } from '../support/gpu-runtime.ts';
import { getTestDevice } from '../support/webgpu.ts';

describeDeviceSmoke('Node, Dawn', await getTestDevice());

const runtime = await getTestRuntime();

// The software-adapter GEMM's quad kernel (matmul-direct-quads.wgsl) is what SwiftShader runs; if a
// Dawn or SwiftShader update took subgroups away, the plain one would silently take over at 0.8× the
// speed, so this says so.
it.skipIf(runtime === null)('on SwiftShader the engine\'s device has quad subgroups (GpuInfo.quadSubgroups)', () => {
  const { gpu, softwareAdapter, quadSubgroups } = runtime!;
  if (!/swiftshader/i.test(`${gpu.info.vendor} ${gpu.info.architecture} ${gpu.info.description}`)) return;
  expect(softwareAdapter).toBe(true);
  expect(gpu.info.quadSubgroups).toBe(true);
  expect(quadSubgroups).toBe(true);
  expect(gpu.device.features.has('subgroups')).toBe(true);
});
