import { inject } from 'vitest';

let device: Promise<GPUDevice | null> | undefined;

/**
 * The page's WebGPU device for browser tests, or null when Chromium gives no adapter.
 * In CI (CI or REQUIRE_WEBGPU set) a missing adapter throws, so GPU tests fail instead of skipping.
 */
export function getBrowserTestDevice(): Promise<GPUDevice | null> {
  device ??= requestBrowserTestDevice();
  return device;
}

async function requestBrowserTestDevice(): Promise<GPUDevice | null> {
  const adapter = (await navigator.gpu?.requestAdapter()) ?? null;
  if (adapter === null) {
    if (inject('requireWebgpu')) {
      throw new Error(
        `navigator.gpu ${navigator.gpu ? 'gave no adapter' : 'is missing'}, and CI/REQUIRE_WEBGPU requires one: ` +
          'Chromium needs --enable-unsafe-webgpu (see vitest.config.ts).',
      );
    }
    return null;
  }
  return adapter.requestDevice();
}
