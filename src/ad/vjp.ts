import { PRIMITIVES } from '../prims/table.ts';
import { GraphBuilder } from '../ir/builder.ts';
import { cotangentName, tangentName, type Graph, type NodeId } from '../ir/graph.ts';
import type { Prim } from '../ir/primitives.ts';
import type { Shape } from '../ir/shape.ts';
import type { TransposeContext } from '../prims/types.ts';
import { addOptional, sumToShape } from './helpers.ts';
import { jvp } from './jvp.ts';

export interface VjpOptions {
  /** Outputs that are seeded; default: all primal outputs. */
  readonly outputs?: readonly string[];
  /**
   * 'inputs': each seeded output y gets a cotangent input `y.bar` (shaped [...batch, ...y]).
   * 'ones': the seed is 1 everywhere (the gradient of the sum of the outputs), with no extra inputs.
   */
  readonly seed?: 'inputs' | 'ones';
  /** Inputs whose cotangents are computed; default: every primal input. */
  readonly wrt?: readonly string[];
}

/**
 * Reverse mode as linearize + transpose (no second AD engine). The forward-mode graph with one
 * tangent is split into its primal part (copied as the forward pass) and its linear part, which is
 * walked backwards applying each linear primitive's transpose rule. The result computes the primal
 * outputs and, for every primal input x, its cotangent `x.bar` = Jᵀ · (the output cotangents),
 * batched over leading `batch` dims (m seeds give the whole Jacobian, row by row).
 */
export function vjp(graph: Graph, batch: Shape, options: VjpOptions = {}): Graph {
  const seeded = new Set(options.outputs ?? graph.outputs.filter((p) => p.role === 'primal').map((p) => p.name));
  const lin = jvp(graph, [], { wrt: options.wrt });
  const linear = new Uint8Array(lin.nodes.length);
  for (const n of lin.nodes) {
    if (n.op === 'input') linear[n.id] = lin.inputs.find((p) => p.id === n.id)!.role === 'tangent' ? 1 : 0;
    else linear[n.id] = n.args.some((a) => linear[a]) ? 1 : 0;
  }

  // Forward pass: every non-linear node of the linearized graph, as is.
  const b = new GraphBuilder();
  const value: NodeId[] = [];
  for (const port of lin.inputs) {
    if (port.role !== 'tangent') value[port.id] = b.input(port.name, lin.nodes[port.id].shape, port.role, port.of);
  }
  const ct: (NodeId | null)[] = new Array(lin.nodes.length).fill(null);
  for (const port of graph.outputs) {
    if (!seeded.has(port.name)) continue;
    const shape = [...batch, ...graph.nodes[port.id].shape];
    const seed = options.seed === 'ones'
      ? b.broadcast(b.constant(1), [], shape)
      : b.input(cotangentName(port.name), shape, 'cotangent', port.name);
    const dot = lin.outputs.find((p) => p.name === tangentName(port.name))!;
    if (linear[dot.id]) ct[dot.id] = addOptional(b, ct[dot.id], seed);
  }
  for (const n of lin.nodes) {
    if (linear[n.id] || n.op === 'input') continue;
    value[n.id] = n.op === 'const' ? b.constant(n.params.value) : b.apply(n.op, n.args.map((a) => value[a]), n.params);
    const label = lin.labels?.get(n.id);
    if (label !== undefined) b.label(value[n.id], label);
  }

  // Backward pass over the linear nodes, last to first.
  for (let id = lin.nodes.length - 1; id >= 0; id--) {
    const n = lin.nodes[id];
    const g = ct[id];
    if (!linear[id] || g === null || n.op === 'input' || n.op === 'const') continue;
    const label = lin.labels?.get(id);
    if (label?.endsWith('.dot')) b.label(g, cotangentName(label.slice(0, -'.dot'.length)));
    const rule = PRIMITIVES[n.op].transpose as ((ctx: TransposeContext<Prim>) => (NodeId | null)[]) | null;
    if (rule === null) throw new Error(`internal error: '${n.op}' appeared in a linearized graph but has no transpose rule`);
    const argShapes = n.args.map((a) => lin.nodes[a].shape);
    const consts = n.args.map((a) => (linear[a] ? null : value[a]));
    const argCts = rule({ b, node: n, consts, ct: g, argShapes });
    n.args.forEach((a, i) => {
      const c = argCts[i];
      if (!linear[a] || c === null) return;
      const fitted = sumToShape(b, c, b.shape(c).slice(batch.length), argShapes[i]);
      ct[a] = addOptional(b, ct[a], fitted);
    });
  }

  for (const port of graph.outputs) b.output(port.name, value[lin.outputs.find((p) => p.name === port.name)!.id], port.role, port.of);
  for (const port of lin.inputs) {
    if (port.role !== 'tangent') continue;
    const shape = [...batch, ...lin.nodes[port.id].shape];
    b.output(cotangentName(port.of), ct[port.id] ?? b.zeros(shape), 'cotangent', port.of);
  }
  return b.finish();
}
