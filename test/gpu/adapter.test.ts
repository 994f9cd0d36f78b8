import { it } from 'vitest';
import { describeDeviceSmoke, expectQuadSubgroupsOnSwiftShader } from '../support/device-smoke.ts';
import { getTestRuntime } from '../support/gpu-runtime.ts';
import { getTestDevice } from '../support/webgpu.ts';

describeDeviceSmoke('Node, Dawn', await getTestDevice());

const runtime = await getTestRuntime();

it.skipIf(runtime === null)('on SwiftShader the engine\'s device has quad subgroups (GpuInfo.quadSubgroups)', () => {
  expectQuadSubgroupsOnSwiftShader(runtime!);
});
