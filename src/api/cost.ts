import type { Graph } from '../ir/graph.ts';
import type { Prim } from '../ir/primitives.ts';
import { PRIMITIVES } from '../prims/table.ts';
import type { PrimitiveDef } from '../prims/types.ts';

/** Floating-point operations of one run of `graph`, from each primitive's cost rule. */
export function graphFlops(graph: Graph): number {
  let flops = 0;
  for (const n of graph.nodes) {
    if (n.op === 'input' || n.op === 'const') continue;
    const def = PRIMITIVES[n.op] as PrimitiveDef<Prim>;
    flops += def.flops(n, n.args.map((a) => graph.nodes[a].shape));
  }
  return flops;
}
