import type { Graph } from '../ir/graph.ts';
import { interpret, peakBytes } from '../backend/cpu/interpreter.ts';
import type { DType, Tensor } from '../backend/cpu/tensor.ts';

/** The narrow interface every backend implements; the CPU one is the executable specification. */
export interface Backend {
  readonly name: 'cpu' | 'webgpu';
  /** For people: "CPU (TypeScript interpreter)" or the adapter's name. */
  readonly description: string;
  run(graph: Graph, inputs: ReadonlyMap<string, Tensor>, dtype: DType): Promise<Map<string, Tensor>>;
  /** Most bytes held at once while running `graph`. */
  peakBytes(graph: Graph, dtype: DType): number;
}

export const cpuBackend: Backend = {
  name: 'cpu',
  description: 'CPU (TypeScript interpreter)',
  run: async (graph, inputs, dtype) => interpret(graph, inputs, dtype),
  peakBytes,
};
