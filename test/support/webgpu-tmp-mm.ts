import { inject } from 'vitest';
import { create, globals } from 'webgpu';

// Dawn's constructors and enums (GPUBufferUsage, GPUMapMode, ...) as browser globals.
Object.assign(globalThis, globals);

let device: Promise<GPUDevice | null> | undefined;
const gpuInstance = create([]);

/**
 * The Dawn WebGPU device shared by a Node test file, or null when this machine has no adapter.
 * In CI (CI or REQUIRE_WEBGPU set) a missing adapter throws, so GPU tests fail instead of skipping.
 */
export function getTestDevice(): Promise<GPUDevice | null> {
  device ??= requestTestDevice();
  return device;
}

async function requestTestDevice(): Promise<GPUDevice | null> {
  const adapter = await gpuInstance.requestAdapter();
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
  return adapter.requestDevice();
}
