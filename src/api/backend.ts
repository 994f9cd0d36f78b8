import { gemmDescription } from '../backend/cpu/best-gemm.ts';
import type { Graph } from '../ir/graph.ts';
import { interpret, peakBytes } from '../backend/cpu/interpreter.ts';
import type { DType, Tensor } from '../backend/cpu/tensor.ts';

/** Timing of a backend's last run, per kernel where the backend knows (WebGPU timestamps). */
export interface RunProfile {
  readonly adapter: string;
  readonly dispatches: number;
  readonly kernels: readonly { readonly label: string; readonly ms: number | null }[];
  readonly gpuMs: number | null;
  readonly wallMs: number;
  readonly peakBytes: number;
}

/** The narrow interface every backend implements; the CPU one is the executable specification. */
export interface Backend {
  readonly name: 'cpu' | 'webgpu';
  /** For people: "CPU (interpreter, WebAssembly SIMD GEMM on 2 threads)" or "WebGPU (google swiftshader (software adapter))". */
  readonly description: string;
  /** Precisions it computes in; the first is its default. */
  readonly dtypes: readonly DType[];
  /** Runs `graph`; `profile` asks for per-kernel times in the next `profile()` (where the backend can). */
  run(graph: Graph, inputs: ReadonlyMap<string, Tensor>, dtype: DType, options?: { readonly profile?: boolean }): Promise<Map<string, Tensor>>;
  /** Most bytes held at once while running `graph`. */
  peakBytes(graph: Graph, dtype: DType): number;
  /** Why this backend cannot run `graph` at any budget (e.g. a buffer over the device's binding limit), or null. */
  unsupported(graph: Graph): string | null;
  /** Details of the last run, when the backend records them. */
  profile(): RunProfile | null;
}

export const cpuBackend: Backend = {
  name: 'cpu',
  // A getter: whether products run in WebAssembly, and on how many threads, is known at run time.
  get description() {
    return `CPU (interpreter, ${gemmDescription()})`;
  },
  dtypes: ['f64', 'f32'],
  run: async (graph, inputs, dtype) => interpret(graph, inputs, dtype),
  peakBytes,
  unsupported: () => null,
  profile: () => null,
};
