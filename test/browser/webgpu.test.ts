import { expect, it } from 'vitest';
import { webgpuRuntime } from '../../src/backend/webgpu/backend.ts';
import { getBrowserTestDevice } from '../support/browser-webgpu.ts';
import { describeDeviceSmoke, expectQuadSubgroupsOnSwiftShader } from '../support/device-smoke.ts';

const device = await getBrowserTestDevice();
describeDeviceSmoke('Chromium', device);

it.skipIf(device === null)('the engine\'s device knows it is a browser\'s (its read-backs wait for the error scopes: Gpu.browser)', async () => {
  expect((await webgpuRuntime()).gpu.browser).toBe(true);
});

it.skipIf(device === null)('on SwiftShader the engine\'s device has quad subgroups, so its GEMM shares op(A)\'s loads (GpuInfo.quadSubgroups)', async () => {
  expectQuadSubgroupsOnSwiftShader(await webgpuRuntime());
});
