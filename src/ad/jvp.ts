import { PRIMITIVES } from '../prims/table.ts';
import { GraphBuilder } from '../ir/builder.ts';
import { tangentName, type Graph, type NodeId } from '../ir/graph.ts';
import type { Prim } from '../ir/primitives.ts';
import type { Shape } from '../ir/shape.ts';
import type { JvpContext } from '../prims/types.ts';

export interface JvpOptions {
  /** Inputs that get a tangent; default: every primal input. */
  readonly wrt?: readonly string[];
  /** Outputs whose tangents are computed; default: every output. */
  readonly outputs?: readonly string[];
  /** Whether the primal outputs stay outputs (default true); without them only what the tangents need is computed. */
  readonly primalOutputs?: boolean;
}

/**
 * Forward mode as a graph transform. The result computes the primal outputs and, for every output y,
 * its tangent `y.dot` = J · (the input tangents `x.dot`). Tangents carry leading `batch` dims, so one
 * pass pushes k directions at once (k = n identity directions give the whole Jacobian, column by column).
 */
export function jvp(graph: Graph, batch: Shape, options: JvpOptions = {}): Graph {
  const wrt = new Set(options.wrt ?? graph.inputs.filter((p) => p.role === 'primal').map((p) => p.name));
  const b = new GraphBuilder();
  const primal: NodeId[] = [];
  const tangent: (NodeId | null)[] = [];

  for (const port of graph.inputs) primal[port.id] = b.input(port.name, graph.nodes[port.id].shape, port.role, port.of);
  for (const port of graph.inputs) {
    const shape = graph.nodes[port.id].shape;
    tangent[port.id] = wrt.has(port.name) ? b.input(tangentName(port.name), [...batch, ...shape], 'tangent', port.name) : null;
  }

  for (const node of graph.nodes) {
    if (node.op === 'input') continue;
    if (node.op === 'const') {
      primal[node.id] = b.constant(node.params.value);
      tangent[node.id] = null;
      continue;
    }
    const x = node.args.map((a) => primal[a]);
    const y = b.apply(node.op, x, node.params);
    primal[node.id] = y;
    const dx = node.args.map((a) => tangent[a]);
    if (dx.every((t) => t === null)) {
      tangent[node.id] = null;
      continue;
    }
    const argShapes = node.args.map((a) => graph.nodes[a].shape);
    const rule = PRIMITIVES[node.op].jvp as (ctx: JvpContext<Prim>) => NodeId | null;
    tangent[node.id] = rule({ b, node, x, y, dx, argShapes });
    const label = graph.labels?.get(node.id);
    if (label !== undefined) {
      b.label(y, label);
      if (tangent[node.id] !== null) b.label(tangent[node.id]!, tangentName(label));
    }
  }

  if (options.primalOutputs ?? true) for (const port of graph.outputs) b.output(port.name, primal[port.id], port.role, port.of);
  for (const port of graph.outputs) {
    if (options.outputs !== undefined && !options.outputs.includes(port.name)) continue;
    const shape = [...batch, ...graph.nodes[port.id].shape];
    b.output(tangentName(port.name), tangent[port.id] ?? b.zeros(shape), 'tangent', port.name);
  }
  return b.finish();
}
