import { inject } from 'vitest';
import { create, globals } from 'webgpu';
import { featuresFor, hasQuadSubgroups } from '../../src/backend/webgpu/device.ts';

// Dawn's constructors and enums (GPUBufferUsage, GPUMapMode, ...) as browser globals.
Object.assign(globalThis, globals);

let device: Promise<GPUDevice | null> | undefined;
// Held for the life of the process: a garbage-collected Dawn instance crashes or hangs its devices.
let instance: GPU | undefined;

/**
 * The Dawn WebGPU device shared by a Node test file, or null when this machine has no adapter.
 * In CI (CI or REQUIRE_WEBGPU set) a missing adapter throws, so GPU tests fail instead of skipping.
 */
export function getTestDevice(): Promise<GPUDevice | null> {
  device ??= requestTestDevice();
  return device;
}

async function requestTestDevice(): Promise<GPUDevice | null> {
  instance ??= create([]);
  const adapter = await instance.requestAdapter();
  if (adapter === null) {
    if (inject('requireWebgpu')) {
      throw new Error(
        'No WebGPU adapter from Dawn, and CI/REQUIRE_WEBGPU requires one. Install Debian\'s chromium ' +
          '(it ships SwiftShader) and libvulkan1 (the Vulkan loader), and set ' +
          'VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json ' +
          `(currently ${process.env.VK_ICD_FILENAMES ?? 'unset'}).`,
      );
    }
    return null;
  }
  // The subgroups feature where the engine would ask for it, so every GEMM kernel can be tested here.
  return adapter.requestDevice({ requiredFeatures: featuresFor(false, hasQuadSubgroups(instance, adapter)) });
}
