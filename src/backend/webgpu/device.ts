/** What the UI and CLI show about the adapter, and the limits the planners respect. */
export interface GpuInfo {
  readonly vendor: string;
  readonly architecture: string;
  readonly description: string;
  /** A software adapter (SwiftShader, WARP): real WGSL, CPU speed. */
  readonly isFallbackAdapter: boolean;
  readonly limits: {
    maxStorageBufferBindingSize: number;
    maxBufferSize: number;
    maxComputeWorkgroupsPerDimension: number;
    maxStorageBuffersPerShaderStage: number;
  };
  readonly timestamps: boolean;
  /**
   * Whether kernels may share loads within quads of a subgroup: the device has the `subgroups`
   * feature, WGSL has the `subgroup_id` builtin (so a kernel can number its threads by subgroup and
   * lane, whatever order the adapter fills subgroups in), and subgroups hold 4 to 16 invocations (so
   * they are whole quads, and whole within a 16-thread workgroup). SwiftShader's hold 4.
   */
  readonly quadSubgroups: boolean;
}

export interface Gpu {
  readonly device: GPUDevice;
  readonly info: GpuInfo;
  /**
   * Whether the device is a browser's (not Dawn in Node). A browser's GPU process answers a request to
   * map a buffer at once when the work before it is done, and otherwise only when something makes it
   * look again (its poll, about 2 ms on; another map request): measured in Chromium on SwiftShader, a
   * 64-wide layer's run read back after 2.7 ms with the request sent at submit and nothing else. So a
   * browser's runs nudge (nudged-read-back.ts).
   */
  readonly browser: boolean;
  /** Why the device was lost, once it has been (every later run fails with this). */
  lostReason: string | null;
}

/** A short name for people: "google swiftshader (software adapter)". */
export function adapterName(info: GpuInfo): string {
  const name = [info.vendor, info.architecture, info.description].filter((s) => s !== '').join(' ') || 'unknown adapter';
  return info.isFallbackAdapter ? `${name} (software adapter)` : name;
}

/**
 * Whether the adapter computes on the CPU: a declared fallback adapter, or a software Vulkan/D3D driver
 * that does not declare itself (Dawn reports SwiftShader with isFallbackAdapter false). Kernel planners
 * use it where the best strategy differs (a workgroup barrier costs far more on a CPU than on a GPU).
 */
export function isSoftwareAdapter(info: Pick<GpuInfo, 'vendor' | 'architecture' | 'description' | 'isFallbackAdapter'>): boolean {
  return info.isFallbackAdapter || /swiftshader|llvmpipe|lavapipe|microsoft basic render/i.test(`${info.vendor} ${info.architecture} ${info.description}`);
}

// SwiftShader, a CPU Vulkan driver, ships with Debian's chromium; Dawn in Node needs its ICD file.
const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

/**
 * navigator.gpu in a browser; the Dawn bindings (npm `webgpu`) in Node. Null when neither exists.
 * The benchmark hands the same object to its peers, so they run on our adapter.
 */
export async function gpuEntryPoint(): Promise<GPU | null> {
  if (typeof navigator !== 'undefined' && navigator.gpu) return navigator.gpu;
  const proc = (globalThis as { process?: { versions?: { node?: string }; env: Record<string, string | undefined>; getBuiltinModule?: (m: string) => unknown } }).process;
  if (proc?.versions?.node === undefined) return null;
  if (proc.env.VK_ICD_FILENAMES === undefined) {
    const fs = proc.getBuiltinModule?.('node:fs') as { existsSync(p: string): boolean } | undefined;
    if (fs?.existsSync(SWIFTSHADER_ICD)) proc.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  }
  const moduleName = 'webgpu';
  const dawn = (await import(/* @vite-ignore */ moduleName)) as { create(flags: string[]): GPU; globals: object };
  Object.assign(globalThis, dawn.globals);
  // Keep the Dawn instance reachable: if it is garbage-collected while its device lives, the process
  // crashes or hangs at random later (seen here as futex errors and std::system_error).
  dawnInstance ??= dawn.create([]);
  return dawnInstance;
}

let dawnInstance: GPU | undefined;

/** Whether this is Node (where navigator.gpu, when set, is Dawn: see the peers benchmark). */
function isNode(): boolean {
  return typeof (globalThis as { process?: { versions?: { node?: unknown } } }).process?.versions?.node === 'string';
}

let acquired: Promise<Gpu> | undefined;

/** The device features the engine asks for: timestamps for profiles, subgroups for quadSubgroups. */
export function featuresFor(timestamps: boolean, quadSubgroups: boolean): GPUFeatureName[] {
  const features: GPUFeatureName[] = [];
  if (timestamps) features.push('timestamp-query');
  // @webgpu/types 0.1.74 does not list 'subgroups' yet (it shipped in Chrome 134 and is in Dawn).
  if (quadSubgroups) features.push('subgroups' as GPUFeatureName);
  return features;
}

/** See GpuInfo.quadSubgroups; the device must then be requested with the `subgroups` feature. */
export function hasQuadSubgroups(gpu: GPU, adapter: GPUAdapter): boolean {
  const info = adapter.info as GPUAdapterInfo & { subgroupMinSize?: number; subgroupMaxSize?: number };
  const { subgroupMinSize: min, subgroupMaxSize: max } = info;
  return adapter.features.has('subgroups') && gpu.wgslLanguageFeatures.has('subgroup_id') && min !== undefined && max !== undefined && min >= 4 && max <= 16;
}

/**
 * The process-wide device, requested once with the adapter's own limits (the defaults are smaller).
 * Rejects with a readable reason when there is no WebGPU or no adapter.
 */
export function acquireGpu(): Promise<Gpu> {
  acquired ??= (async () => {
    const gpu = await gpuEntryPoint();
    if (gpu === null) throw new Error('WebGPU is not available here (no navigator.gpu, and not running in Node)');
    const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
    if (adapter === null) throw new Error('WebGPU found no adapter (no GPU, or its driver is not supported)');
    const limits = adapter.limits;
    const timestamps = adapter.features.has('timestamp-query');
    const quadSubgroups = hasQuadSubgroups(gpu, adapter);
    const device = await adapter.requestDevice({
      requiredFeatures: featuresFor(timestamps, quadSubgroups),
      requiredLimits: {
        maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
        maxBufferSize: limits.maxBufferSize,
        maxStorageBuffersPerShaderStage: limits.maxStorageBuffersPerShaderStage,
        maxComputeWorkgroupStorageSize: limits.maxComputeWorkgroupStorageSize,
        maxComputeInvocationsPerWorkgroup: limits.maxComputeInvocationsPerWorkgroup,
      },
    });
    const info = adapter.info;
    const result: Gpu = {
      device,
      browser: !isNode(),
      info: {
        vendor: info.vendor,
        architecture: info.architecture,
        description: info.description,
        isFallbackAdapter: (info as GPUAdapterInfo & { isFallbackAdapter?: boolean }).isFallbackAdapter ?? false,
        limits: {
          maxStorageBufferBindingSize: device.limits.maxStorageBufferBindingSize,
          maxBufferSize: device.limits.maxBufferSize,
          maxComputeWorkgroupsPerDimension: device.limits.maxComputeWorkgroupsPerDimension,
          maxStorageBuffersPerShaderStage: device.limits.maxStorageBuffersPerShaderStage,
        },
        timestamps,
        quadSubgroups,
      },
      lostReason: null,
    };
    void device.lost.then((lost) => {
      result.lostReason = `${lost.reason}: ${lost.message || 'no details'}`;
      acquired = undefined; // the next acquireGpu() asks for a fresh device
    });
    return result;
  })();
  acquired.catch(() => {
    acquired = undefined;
  });
  return acquired;
}
