// What every benchmark section needs: the backends to run on, how long to measure, and where
// progress goes. WebGPU is loaded only when asked for, as in the library.
import { cpuBackend, type Backend } from '../api/backend.ts';
import type { Graph } from '../ir/graph.ts';
import type { Program } from '../api/program.ts';
import { errorMessage, type MeasurePolicy } from './measure.ts';
import type { AdapterInfo, AutoPick, BackendName } from './report.ts';

/** The binding limit of Chromium's SwiftShader device, emulated for the widest Jacobians. */
export const BROWSER_BINDING_LIMIT = 128 * 2 ** 20;

export interface BenchContext {
  /** The backends to measure on, in order (webgpu is absent when unavailable). */
  readonly backends: ReadonlyMap<BackendName, Backend>;
  readonly policy: MeasurePolicy;
  /** Whether to ask `auto` for its choice (it calibrates WebGPU, so only when WebGPU is benchmarked). */
  readonly askAuto: boolean;
  /** The WebGPU backend with Chromium's 128 MiB binding limit (same device, lowered limits). */
  browserLimited(): Promise<Backend>;
  progress(line: string): void;
}

/** Loads the requested backends; a missing WebGPU adapter is reported, not thrown. */
export async function loadBackends(names: readonly BackendName[]): Promise<{ backends: Map<BackendName, Backend>; adapter: AdapterInfo | null }> {
  const backends = new Map<BackendName, Backend>();
  let adapter: AdapterInfo | null = null;
  // The CPU first: its Jacobians are the reference the GPU's are checked against.
  for (const name of (['cpu', 'webgpu'] as const).filter((b) => names.includes(b))) {
    if (name === 'cpu') {
      backends.set('cpu', cpuBackend);
      continue;
    }
    try {
      const { webgpuBackend, webgpuRuntime } = await import('../backend/webgpu/backend.ts');
      const rt = await webgpuRuntime();
      const { info } = rt.gpu;
      adapter = {
        available: true,
        name: rt.name,
        isFallbackAdapter: info.isFallbackAdapter,
        maxStorageBufferBindingSize: info.limits.maxStorageBufferBindingSize,
        timestamps: info.timestamps,
      };
      backends.set('webgpu', await webgpuBackend());
    } catch (err) {
      adapter = { available: false, reason: errorMessage(err) };
    }
  }
  return { backends, adapter };
}

export async function browserLimitedWebgpu(): Promise<Backend> {
  const { webgpuBackendWithLimits } = await import('../backend/webgpu/backend.ts');
  return webgpuBackendWithLimits({ maxStorageBufferBindingSize: BROWSER_BINDING_LIMIT });
}

/** What `backend: 'auto'` would run `graph` on, and why (null when not asked). */
export async function autoPick(ctx: BenchContext, program: Program, graph: Graph): Promise<AutoPick | null> {
  if (!ctx.askAuto) return null;
  const choice = await program.chooseBackend(graph, { backend: 'auto' });
  return { backend: choice.backend.name, reason: choice.reason };
}
