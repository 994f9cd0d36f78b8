import { inject } from 'vitest';
import { create, globals } from 'webgpu';
import { webgpuRuntime } from '../../src/backend/webgpu/backend.ts';
import { featuresFor, hasQuadSubgroups, type Gpu } from '../../src/backend/webgpu/device.ts';
import { GpuRuntime } from '../../src/backend/webgpu/runtime.ts';

const NO_ADAPTER_HELP =
  'Install Debian\'s chromium (it ships SwiftShader) and libvulkan1 (the Vulkan loader), and set ' +
  'VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json ' +
  `(currently ${process.env.VK_ICD_FILENAMES ?? 'unset'}).`;

/**
 * The engine's own process-wide WebGPU runtime (the one `backend: 'webgpu'` uses), or null when this
 * machine has no adapter. In CI (CI or REQUIRE_WEBGPU set) a missing adapter throws, so GPU tests fail
 * instead of skipping.
 */
export async function getTestRuntime(): Promise<GpuRuntime | null> {
  try {
    return await webgpuRuntime();
  } catch (err) {
    if (inject('requireWebgpu')) {
      throw new Error(`The engine found no WebGPU device (${(err as Error).message}), and CI/REQUIRE_WEBGPU requires one. ${NO_ADAPTER_HELP}`);
    }
    return null;
  }
}

// Held for the life of the process: a garbage-collected Dawn instance crashes or hangs its devices.
let instance: GPU | undefined;

/**
 * A fresh device of its own (not the engine's shared one), wrapped as the engine's `Gpu`, so a test
 * can destroy it without disturbing anything else. `lostReason` is kept up to date like acquireGpu's.
 */
export async function separateGpu(): Promise<Gpu> {
  Object.assign(globalThis, globals);
  instance ??= create([]);
  const adapter = await instance.requestAdapter();
  if (adapter === null) throw new Error(`No WebGPU adapter from Dawn. ${NO_ADAPTER_HELP}`);
  const quadSubgroups = hasQuadSubgroups(instance, adapter);
  const device = await adapter.requestDevice({ requiredFeatures: featuresFor(false, quadSubgroups) });
  const gpu: Gpu = {
    device,
    browser: false,
    info: {
      vendor: adapter.info.vendor,
      architecture: adapter.info.architecture,
      description: adapter.info.description,
      isFallbackAdapter: (adapter.info as GPUAdapterInfo & { isFallbackAdapter?: boolean }).isFallbackAdapter ?? false,
      limits: {
        maxStorageBufferBindingSize: device.limits.maxStorageBufferBindingSize,
        maxBufferSize: device.limits.maxBufferSize,
        maxComputeWorkgroupsPerDimension: device.limits.maxComputeWorkgroupsPerDimension,
        maxStorageBuffersPerShaderStage: device.limits.maxStorageBuffersPerShaderStage,
      },
      timestamps: false,
      quadSubgroups,
    },
    lostReason: null,
  };
  void device.lost.then((lost) => {
    gpu.lostReason = `${lost.reason}: ${lost.message || 'no details'}`;
  });
  return gpu;
}

/** A runtime on a fresh device of its own (see `separateGpu`). */
export async function separateRuntime(): Promise<GpuRuntime> {
  return new GpuRuntime(await separateGpu());
}

export { backendOn } from '../../src/backend/webgpu/backend.ts';
