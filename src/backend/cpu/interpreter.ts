import type { AnyNode, Graph, NodeId } from '../../ir/graph.ts';
import type { Prim } from '../../ir/primitives.ts';
import { formatShape, numel, shapesEqual } from '../../ir/shape.ts';
import { PRIMITIVES } from '../../prims/table.ts';
import type { CpuKernel } from '../../prims/types.ts';
import { allocate, BYTES_PER_ELEMENT, toDType, type DType, type Tensor } from './tensor.ts';

/**
 * For each node, the index of the last node that reads it (outputs live to the end), so the
 * interpreter can drop a buffer as soon as nobody needs it.
 */
export function lastUses(graph: Graph): Int32Array {
  const last = new Int32Array(graph.nodes.length).fill(-1);
  for (const n of graph.nodes) for (const a of n.args) last[a] = n.id;
  for (const p of graph.outputs) last[p.id] = graph.nodes.length;
  return last;
}

/** Peak bytes the interpreter holds while running `graph` (reshapes share their argument's buffer). */
export function peakBytes(graph: Graph, dtype: DType): number {
  const last = lastUses(graph);
  const dying: NodeId[][] = graph.nodes.map(() => []);
  for (const n of graph.nodes) if (last[n.id] >= 0 && last[n.id] < graph.nodes.length) dying[last[n.id]].push(n.id);
  let live = 0;
  let peak = 0;
  const size = (n: AnyNode) => (n.op === 'reshape' ? 0 : numel(n.shape) * BYTES_PER_ELEMENT[dtype]);
  for (const n of graph.nodes) {
    live += size(n);
    peak = Math.max(peak, live);
    for (const d of dying[n.id]) live -= size(graph.nodes[d]);
  }
  return peak;
}

/**
 * Runs a graph on the CPU, node by node, in f64 or f32. Each node's buffer is released after its
 * last use. `inputs` maps every graph input name to a tensor of exactly its shape.
 */
export function interpret(graph: Graph, inputs: ReadonlyMap<string, Tensor>, dtype: DType): Map<string, Tensor> {
  const last = lastUses(graph);
  const values: (Tensor | undefined)[] = new Array(graph.nodes.length);
  const names = new Map(graph.inputs.map((p) => [p.id, p.name]));
  for (const n of graph.nodes) {
    if (n.op === 'input') {
      const name = names.get(n.id)!;
      const t = inputs.get(name);
      if (t === undefined) throw new Error(`missing value for graph input '${name}'`);
      if (!shapesEqual(t.shape, n.shape)) throw new Error(`input '${name}' should be ${formatShape(n.shape)}, got ${formatShape(t.shape)}`);
      values[n.id] = toDType(t, dtype);
    } else if (n.op === 'const') {
      const t = allocate([], dtype);
      t.data[0] = n.params.value;
      values[n.id] = t;
    } else {
      const args = n.args.map((a) => values[a]!);
      const kernel = PRIMITIVES[n.op].cpu as CpuKernel<Prim>;
      values[n.id] = kernel(args, n, dtype);
    }
    for (const a of n.args) if (last[a] === n.id) values[a] = undefined;
  }
  return new Map(graph.outputs.map((p) => [p.name, values[p.id]!]));
}
