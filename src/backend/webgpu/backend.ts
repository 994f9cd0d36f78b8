import type { Backend } from '../../api/backend.ts';
import { acquireGpu, type GpuInfo } from './device.ts';
import { GpuRuntime } from './runtime.ts';

let current: Promise<GpuRuntime> | undefined;

/** The process-wide WebGPU runtime; a lost device is replaced by a fresh one on the next call. */
export async function webgpuRuntime(): Promise<GpuRuntime> {
  if (current !== undefined) {
    const rt = await current.catch(() => undefined);
    if (rt === undefined || rt.gpu.lostReason !== null) current = undefined;
  }
  current ??= acquireGpu().then((gpu) => new GpuRuntime(gpu));
  current.catch(() => {
    current = undefined;
  });
  return current;
}

/** The WebGPU backend: f32 kernels generated from the graph, on the shared runtime. */
export async function webgpuBackend(): Promise<Backend> {
  return backendOn(await webgpuRuntime());
}

/**
 * A WebGPU backend on the shared device with some limits lowered, e.g. a 128 MiB binding limit to
 * see how chunking behaves on a browser's device. Pass it as `RunOptions.backend`.
 */
export async function webgpuBackendWithLimits(lower: Partial<GpuInfo['limits']>): Promise<Backend> {
  const shared = await webgpuRuntime();
  return backendOn(new GpuRuntime(shared.gpu, lower));
}

/** The `Backend` interface over a runtime. */
export function backendOn(rt: GpuRuntime): Backend {
  return {
    name: 'webgpu',
    description: `WebGPU (${rt.name})`,
    dtypes: ['f32'],
    run: (graph, inputs, _dtype, options) => rt.run(graph, inputs, options),
    peakBytes: (graph) => rt.plan(graph).peakBytes,
    unsupported: (graph) => rt.plan(graph).problem,
    profile: () => rt.lastProfile,
  };
}
