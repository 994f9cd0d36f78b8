import { PRIMITIVES } from '../prims/table.ts';
import type { PrimitiveDef } from '../prims/types.ts';
import type { Graph } from './graph.ts';
import type { Prim } from './primitives.ts';
import { formatShape, shapesEqual } from './shape.ts';

/**
 * Verifies a graph's invariants: arguments point to earlier nodes, every node's shape is what its
 * primitive's shape rule says, ports name existing nodes (inputs name `input` nodes). Returns the
 * problems found (empty when the graph is well typed). Transforms are tested against this.
 */
export function typecheck(graph: Graph): string[] {
  const problems: string[] = [];
  graph.nodes.forEach((n, i) => {
    if (n.id !== i) problems.push(`node at index ${i} has id ${n.id}`);
    for (const a of n.args) if (!(a >= 0 && a < i)) problems.push(`%${i} (${n.op}) uses %${a}, which is not an earlier node`);
    if (n.op === 'input' || n.op === 'const') {
      if (n.args.length > 0) problems.push(`%${i} (${n.op}) has arguments`);
      if (n.op === 'const' && n.shape.length > 0) problems.push(`%${i} constant is not a scalar`);
      return;
    }
    const def = PRIMITIVES[n.op] as PrimitiveDef<Prim>;
    if (n.args.length !== def.arity) {
      problems.push(`%${i} (${n.op}) has ${n.args.length} arguments, expected ${def.arity}`);
      return;
    }
    const expected = def.shape(n.args.map((a) => graph.nodes[a]?.shape ?? []), n.params);
    if (typeof expected === 'string') problems.push(`%${i} (${n.op}): ${expected}`);
    else if (!shapesEqual(expected, n.shape)) problems.push(`%${i} (${n.op}) has shape ${formatShape(n.shape)}, its rule gives ${formatShape(expected)}`);
  });
  for (const p of graph.inputs) {
    if (graph.nodes[p.id]?.op !== 'input') problems.push(`input '${p.name}' does not name an input node`);
  }
  for (const p of graph.outputs) {
    if (!(p.id >= 0 && p.id < graph.nodes.length)) problems.push(`output '${p.name}' names no node`);
  }
  if (new Set(graph.inputs.map((p) => p.name)).size !== graph.inputs.length) problems.push('duplicate input names');
  if (new Set(graph.outputs.map((p) => p.name)).size !== graph.outputs.length) problems.push('duplicate output names');
  return problems;
}
