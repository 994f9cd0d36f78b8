import { cotangentName, type Graph } from '../ir/graph.ts';
import type { Shape } from '../ir/shape.ts';
import { jvp } from './jvp.ts';
import { vjp } from './vjp.ts';

/** The gradient graph of one scalar output: primal outputs plus `x.bar` = ∂output/∂x for every input. */
export function gradGraph(graph: Graph, output: string, wrt?: readonly string[]): Graph {
  return vjp(graph, [], { outputs: [output], seed: 'ones', wrt });
}

/**
 * Hessian-vector products by forward-over-reverse (Pearlmutter): the JVP of the gradient graph.
 * Its outputs `x.bar.dot` are H·v for every input x in `parts` (default all), given tangent directions
 * `x.dot` (batched over `batch`) for the inputs in `directions` (default all; the others' directions
 * are zero and never materialised). No Hessian is ever formed. With `gradient` (the default) the graph
 * also returns the output and its gradient `x.bar`, which the tangent pass computes most of anyway;
 * without it, only H·v: the gradient's last products and the output's sums are never run.
 */
export function hvpGraph(graph: Graph, output: string, batch: Shape, directions?: readonly string[], parts?: readonly string[], gradient = true): Graph {
  const grad = gradGraph(graph, output, parts);
  if (gradient) return jvp(grad, batch, { wrt: directions });
  const cotangents = grad.outputs.filter((p) => p.role === 'cotangent').map((p) => p.name);
  return jvp(grad, batch, { wrt: directions, outputs: cotangents, primalOutputs: false });
}

/** Name of the HVP output for input `name` in an `hvpGraph`. */
export const hvpOutputName = (name: string): string => `${cotangentName(name)}.dot`;
