// Seeded inputs for a graph, for tests that compare two ways of running it.
import { rng } from '../../src/api/random.ts';
import type { Tensor } from '../../src/backend/cpu/tensor.ts';
import type { Graph } from '../../src/ir/graph.ts';
import { numel } from '../../src/ir/shape.ts';

/** Uniform values in [-1, 1) for every input of `graph`, in f64. */
export function uniformInputs(graph: Graph, seed: number): Map<string, Tensor> {
  const next = rng(seed);
  return new Map(graph.inputs.map((p) => {
    const shape = graph.nodes[p.id].shape;
    return [p.name, { shape, data: Float64Array.from({ length: numel(shape) }, () => 2 * next() - 1) }];
  }));
}
