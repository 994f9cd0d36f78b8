import { describe, expect, it } from 'vitest';
import type { GpuRuntime } from '../../src/backend/webgpu/runtime.ts';
import affineWgsl from './affine.wgsl?raw';

const WORKGROUP_SIZE = 64;

/** Runs `y[i] = 2 x[i] + 1` on the device and reads `y` back. */
export async function runAffineKernel(device: GPUDevice, x: Float32Array<ArrayBuffer>): Promise<Float32Array> {
  const byteLength = x.byteLength;
  const input = device.createBuffer({ size: byteLength, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
  const output = device.createBuffer({ size: byteLength, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
  const readback = device.createBuffer({ size: byteLength, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  // WebGPU reports invalid calls asynchronously; the scope turns them into a thrown error here.
  device.pushErrorScope('validation');
  try {
    device.queue.writeBuffer(input, 0, x);

    const pipeline = device.createComputePipeline({
      layout: 'auto',
      compute: { module: device.createShaderModule({ code: affineWgsl }), entryPoint: 'main' },
    });
    const bindGroup = device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: { buffer: input } },
        { binding: 1, resource: { buffer: output } },
      ],
    });

    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(Math.ceil(x.length / WORKGROUP_SIZE));
    pass.end();
    encoder.copyBufferToBuffer(output, 0, readback, 0, byteLength);
    device.queue.submit([encoder.finish()]);

    const error = await device.popErrorScope();
    if (error !== null) throw new Error(`WebGPU validation error: ${error.message}`);

    await readback.mapAsync(GPUMapMode.READ);
    return new Float32Array(readback.getMappedRange().slice(0));
  } finally {
    input.destroy();
    output.destroy();
    readback.destroy();
  }
}

/**
 * Smoke tests shared by the Node (Dawn) and Chromium projects: the device reports its adapter
 * and really computes. A null device (no adapter, WebGPU optional) skips them.
 */
export function describeDeviceSmoke(where: string, device: GPUDevice | null): void {
  describe.skipIf(device === null)(`WebGPU device (${where})`, () => {
    const gpu = device!;

    it('describes its adapter and has usable limits', () => {
      const { vendor, architecture, description, isFallbackAdapter } = gpu.adapterInfo;
      console.info(`WebGPU adapter (${where}):`, { vendor, architecture, description, isFallbackAdapter });
      expect(gpu.limits.maxStorageBufferBindingSize).toBeGreaterThan(0);
    });

    it('runs a compute shader and reads back exact results', async () => {
      // 1000 is not a multiple of the workgroup size, so the shader's bounds check matters.
      const x = Float32Array.from({ length: 1000 }, (_, i) => i - 500.25);
      // 2 x + 1 is exact in f32 for these values, so the GPU must match the CPU bit for bit.
      const expected = x.map((v) => v * 2 + 1);
      expect(await runAffineKernel(gpu, x)).toEqual(expected);
    });
  });
}

/**
 * On SwiftShader, the engine's runtime must have quad subgroups (GpuInfo.quadSubgroups), so that its
 * GEMM shares op(A)'s loads (matmul-direct-quads.wgsl): if a Dawn, Chromium or SwiftShader update took
 * them away, the plain kernel would take over silently at 0.8× the speed. Other adapters pass as they are.
 */
export function expectQuadSubgroupsOnSwiftShader(runtime: GpuRuntime): void {
  const { gpu, softwareAdapter, quadSubgroups } = runtime;
  if (!/swiftshader/i.test(`${gpu.info.vendor} ${gpu.info.architecture} ${gpu.info.description}`)) return;
  expect(softwareAdapter).toBe(true);
  expect(gpu.info.quadSubgroups).toBe(true);
  expect(quadSubgroups).toBe(true);
  expect(gpu.device.features.has('subgroups')).toBe(true);
}
