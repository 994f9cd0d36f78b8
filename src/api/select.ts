import { GraphBuilder } from '../ir/builder.ts';
import type { Graph } from '../ir/graph.ts';
import { numel } from '../ir/shape.ts';
import type { DType, Tensor } from '../backend/cpu/tensor.ts';
import type { GpuInfo } from '../backend/webgpu/device.ts';
import { cpuBackend, type Backend } from './backend.ts';
import { graphFlops } from './cost.ts';
import { runtimeError } from './errors.ts';

/** Where to compute: a backend by name, or 'auto' to let measurements decide. */
export type BackendRequest = 'cpu' | 'webgpu' | 'auto';

export interface BackendChoice {
  readonly backend: Backend;
  /** Why this backend: requested, predicted faster (with the numbers), or a fallback and its cause. */
  readonly reason: string;
  readonly requested: BackendRequest;
}

/** The WebGPU backend, loaded on first use so that the CPU path never touches WebGPU code. */
export async function loadWebgpu(): Promise<Backend> {
  try {
    const { webgpuBackend } = await import('../backend/webgpu/backend.ts');
    return await webgpuBackend();
  } catch (err) {
    throw runtimeError('backend', `WebGPU is unavailable: ${(err as Error).message}`);
  }
}

/** The WebGPU adapter's name, kind and limits (for display), or the reason there is none. */
export async function webgpuInfo(): Promise<GpuInfo | { error: string }> {
  try {
    const { webgpuRuntime } = await import('../backend/webgpu/backend.ts');
    return (await webgpuRuntime()).gpu.info;
  } catch (err) {
    return { error: (err as Error).message };
  }
}

/** A backend's measured speed: time ≈ perNodeMs · nodes + flops / flopsPerMs. */
interface Speed {
  readonly flopsPerMs: number;
  readonly perNodeMs: number;
}

const speeds = new Map<string, Promise<Speed>>();

/** A GEMM-heavy layer for throughput, and a three-node program for fixed per-step costs. */
function calibrationGraphs(): { heavy: Graph; tiny: Graph } {
  const heavy = new GraphBuilder();
  const W = heavy.input('W', [256, 256]);
  const X = heavy.input('X', [256, 256]);
  heavy.output('y', heavy.sum(heavy.unary('tanh', heavy.matmul(W, X)), [-2, -1]));
  const tiny = new GraphBuilder();
  tiny.output('y', tiny.unary('sin', tiny.input('x', [4])));
  return { heavy: heavy.finish(), tiny: tiny.finish() };
}

async function timeRun(backend: Backend, graph: Graph, dtype: DType): Promise<number> {
  const feed = new Map<string, Tensor>(graph.inputs.map((p) => {
    const shape = graph.nodes[p.id].shape;
    return [p.name, { shape, data: Float64Array.from({ length: numel(shape) }, (_, i) => Math.sin(i) / 16) }];
  }));
  await backend.run(graph, feed, dtype); // warm-up: compiles pipelines, fills pools
  let best = Infinity;
  for (let i = 0; i < 2; i++) {
    const start = performance.now();
    await backend.run(graph, feed, dtype);
    best = Math.min(best, performance.now() - start);
  }
  return best;
}

/** Measures a backend once per process (about 0.1 s). */
function measure(backend: Backend): Promise<Speed> {
  let s = speeds.get(backend.description);
  if (s === undefined) {
    s = (async () => {
      const { heavy, tiny } = calibrationGraphs();
      const dtype = backend.dtypes[backend.dtypes.length - 1];
      const tinyMs = await timeRun(backend, tiny, dtype);
      const heavyMs = await timeRun(backend, heavy, dtype);
      const perNodeMs = tinyMs / tiny.nodes.length;
      const flopsPerMs = graphFlops(heavy) / Math.max(heavyMs - perNodeMs * heavy.nodes.length, 1e-3);
      return { flopsPerMs, perNodeMs };
    })();
    speeds.set(backend.description, s);
  }
  return s;
}

const predict = (speed: Speed, graph: Graph) => speed.perNodeMs * graph.nodes.length + graphFlops(graph) / speed.flopsPerMs;

function describeSpeed(name: string, speed: Speed, ms: number): string {
  return `${name} ≈${ms.toFixed(1)} ms (measured ${(speed.flopsPerMs / 1e6).toFixed(2)} GFLOP/s, ${speed.perNodeMs.toFixed(3)} ms per step)`;
}

/**
 * Chooses the backend for `graph`. 'auto' is honest about speed: a software adapter such as SwiftShader
 * is often slower than the CPU, so both are measured once on a calibration program and the one predicted
 * faster for this graph's FLOPs and steps wins. f64 is CPU-only.
 */
export async function selectBackend(request: BackendRequest | Backend, graph: Graph, dtype: DType | undefined): Promise<BackendChoice> {
  if (typeof request === 'object') {
    if (dtype !== undefined && !request.dtypes.includes(dtype)) throw runtimeError('backend', `${request.description} does not compute in ${dtype}`);
    return { backend: request, reason: `${request.description} was given`, requested: request.name };
  }
  if (request === 'cpu') return { backend: cpuBackend, reason: 'the CPU backend was requested', requested: request };
  if (request === 'webgpu') {
    if (dtype === 'f64') throw runtimeError('backend', 'WebGPU computes in f32: use --dtype f32, or the CPU backend for f64');
    return { backend: await loadWebgpu(), reason: 'the WebGPU backend was requested', requested: request };
  }
  if (dtype === 'f64') return { backend: cpuBackend, reason: 'f64 was requested, and only the CPU computes in f64', requested: request };
  let gpu: Backend;
  try {
    gpu = await loadWebgpu();
  } catch (err) {
    return { backend: cpuBackend, reason: `CPU fallback: ${(err as Error).message}`, requested: request };
  }
  const [cpuSpeed, gpuSpeed] = [await measure(cpuBackend), await measure(gpu).catch(() => null)];
  if (gpuSpeed === null) return { backend: cpuBackend, reason: 'CPU fallback: WebGPU failed its calibration run', requested: request };
  const cpuMs = predict(cpuSpeed, graph);
  const gpuMs = predict(gpuSpeed, graph);
  const winner = gpuMs < cpuMs ? gpu : cpuBackend;
  const reason = `${winner.name} predicted faster: ${describeSpeed('webgpu', gpuSpeed, gpuMs)} on ${gpu.description}; ${describeSpeed('cpu', cpuSpeed, cpuMs)}`;
  return { backend: winner, reason, requested: request };
}

/** The CPU fallback after WebGPU failed at run time under 'auto'. */
export function fallback(cause: string): BackendChoice {
  return { backend: cpuBackend, reason: `CPU fallback: WebGPU failed (${cause})`, requested: 'auto' };
}
