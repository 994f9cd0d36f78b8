import type { Graph, NodeId } from '../../ir/graph.ts';
import { shapesEqual } from '../../ir/shape.ts';
import { PRIMITIVES } from '../../prims/table.ts';

/** A matmul operand read straight from a stored tensor, possibly as its transpose (no copy). */
export interface Operand {
  readonly storage: NodeId;
  readonly transposed: boolean;
}

/** One unit of GPU work, in execution order. */
export type Step =
  /** A fused elementwise kernel writing `node`, with every non-stored producer inlined. */
  | { readonly kind: 'elementwise'; readonly node: NodeId }
  /** A tree reduction writing `node`; its argument's producers are inlined into the load. */
  | { readonly kind: 'reduce'; readonly node: NodeId }
  /** A matrix product: the tiled GEMM, or a fused sum over k when it has one output row or column (executor.ts). */
  | { readonly kind: 'matmul'; readonly node: NodeId; readonly a: Operand; readonly b: Operand }
  /** A reshape of a stored tensor: same buffer, no work. */
  | { readonly kind: 'view'; readonly node: NodeId; readonly of: NodeId };

export interface Schedule {
  readonly steps: readonly Step[];
  /** Nodes that own or share a buffer (inputs, kernel outputs, views). */
  readonly stored: ReadonlySet<NodeId>;
  /** For every stored node, the node whose buffer holds its data (itself, or what a view aliases). */
  readonly owner: ReadonlyMap<NodeId, NodeId>;
}

/**
 * Decides which nodes get buffers and groups the rest into fused kernels. A node is stored when it is
 * an input or output, a matmul or reduction result, a matmul operand, or read by several kernels
 * (recomputing it in each would duplicate work). Everything else — elementwise math, broadcasts,
 * reshapes, transposes — is inlined into the kernel of the stored node that consumes it. Kernels whose
 * inlined trees would read more buffers than the device binds are split by storing a subtree.
 */
export function schedule(graph: Graph, maxStorageBuffers: number): Schedule {
  const uses = new Int32Array(graph.nodes.length);
  const nonMatmulUses = new Int32Array(graph.nodes.length);
  for (const n of graph.nodes) {
    for (const a of n.args) {
      uses[a]++;
      if (n.op !== 'matmul') nonMatmulUses[a]++;
    }
  }
  // A transpose that only matmuls read is a flag on each of them (see `resolve`), however many there are:
  // reverse mode reads Wᵀ once per seed chain (an HVP's gradient and its tangent both need Wᵀ v).
  const matmulFlag = (id: NodeId) => graph.nodes[id].op === 'transpose' && nonMatmulUses[id] === 0;
  const stored = new Set<NodeId>();
  const dependsOnData = new Uint8Array(graph.nodes.length);
  for (const n of graph.nodes) {
    dependsOnData[n.id] = n.op === 'input' || n.args.some((a) => dependsOnData[a]) ? 1 : 0;
    if (n.op === 'input') stored.add(n.id);
    else if (n.op !== 'const' && PRIMITIVES[n.op].wgsl.kind !== 'elementwise' && PRIMITIVES[n.op].wgsl.kind !== 'index') stored.add(n.id);
    // Shared values are stored once; constant-only trees (zeros, ones) are cheaper to recompute.
    else if (uses[n.id] > 1 && dependsOnData[n.id] && !matmulFlag(n.id)) stored.add(n.id);
  }
  for (const p of graph.outputs) stored.add(p.id);

  // Matmul operands: look through reshapes (layout-preserving) and one transpose (a flag for the GEMM).
  const operands = new Map<NodeId, [Operand, Operand]>();
  const resolve = (id: NodeId): Operand => {
    let transposed = false;
    for (;;) {
      const n = graph.nodes[id];
      if (stored.has(id) && n.op !== 'reshape') return { storage: id, transposed };
      if (n.op === 'reshape') id = n.args[0];
      else if (n.op === 'transpose' && !transposed) {
        transposed = true;
        id = n.args[0];
      } else {
        stored.add(id);
        return { storage: id, transposed };
      }
    }
  };
  for (const n of graph.nodes) if (n.op === 'matmul') operands.set(n.id, [resolve(n.args[0]), resolve(n.args[1])]);
  inlineSharedWithinOneKernel(graph, stored, new Set([...operands.values()].flat().map((o) => o.storage)));

  // Split kernels that would read too many buffers: store the argument subtree that reads the most.
  const maxReads = maxStorageBuffers - 1;
  const leaves = (id: NodeId, root: boolean, into: Set<NodeId>): Set<NodeId> => {
    if (!root && stored.has(id)) return into.add(id);
    for (const a of graph.nodes[id].args) leaves(a, false, into);
    return into;
  };
  for (let changed = true; changed;) {
    changed = false;
    for (const id of stored) {
      const n = graph.nodes[id];
      if (n.op === 'input' || n.op === 'matmul') continue;
      if (leaves(id, true, new Set()).size <= maxReads) continue;
      const candidates = n.args.filter((a) => !stored.has(a) && graph.nodes[a].op !== 'const');
      const widest = candidates.sort((x, y) => leaves(y, true, new Set()).size - leaves(x, true, new Set()).size)[0];
      if (widest === undefined) throw new Error(`node %${id} reads more buffers than the device can bind`);
      stored.add(widest);
      changed = true;
    }
  }

  const owner = new Map<NodeId, NodeId>();
  const steps: Step[] = [];
  for (const n of graph.nodes) {
    if (!stored.has(n.id)) continue;
    if (n.op === 'input') {
      owner.set(n.id, n.id);
    } else if (n.op === 'reshape' && stored.has(n.args[0])) {
      owner.set(n.id, owner.get(n.args[0])!);
      steps.push({ kind: 'view', node: n.id, of: n.args[0] });
    } else if (n.op === 'matmul') {
      owner.set(n.id, n.id);
      const [a, b] = operands.get(n.id)!;
      steps.push({ kind: 'matmul', node: n.id, a, b });
    } else {
      owner.set(n.id, n.id);
      const kind = n.op !== 'const' && PRIMITIVES[n.op].wgsl.kind === 'reduce' ? 'reduce' : 'elementwise';
      steps.push({ kind, node: n.id });
    }
  }
  return { steps, stored, owner };
}

/**
 * Whether `consumer` reads its argument `arg` at the linear index it is itself computed at: reshapes and
 * equal-shape elementwise steps do, and a reduction's load reads its argument at the load's index;
 * broadcasts and transposes read elsewhere.
 */
export function readsAtOwnIndex(graph: Graph, consumer: NodeId, arg: NodeId): boolean {
  const c = graph.nodes[consumer];
  if (c.op === 'input' || c.op === 'const') return false;
  const kind = PRIMITIVES[c.op].wgsl.kind;
  if (kind === 'reduce' || c.op === 'reshape') return true;
  return kind === 'elementwise' && shapesEqual(c.shape, graph.nodes[arg].shape);
}

/**
 * Un-stores values that several consumers read when all of them end up in one kernel reading the value
 * at that kernel's own index: the fused kernel computes it once, as a `let` (emit.ts memoises per node
 * and index). An HVP's tanh, its slope and their tangents feed one another and then one product, so
 * its elementwise steps become one dispatch instead of four. `pinned` values (matmul operands and
 * outputs) keep their buffers.
 */
function inlineSharedWithinOneKernel(graph: Graph, stored: Set<NodeId>, pinned: ReadonlySet<NodeId>): void {
  const consumers: NodeId[][] = graph.nodes.map(() => []);
  for (const n of graph.nodes) for (const a of new Set(n.args)) consumers[a].push(n.id);
  for (const p of graph.outputs) consumers[p.id].push(-1);
  const kindOf = (id: NodeId) => {
    const op = graph.nodes[id].op;
    return op === 'input' || op === 'const' ? null : PRIMITIVES[op].wgsl.kind;
  };
  const fusible = (id: NodeId) => kindOf(id) === 'elementwise' || kindOf(id) === 'index';
  // The kernel that reads each value at its own linear index, or -1 (several kernels, another index, or none).
  const kernelOf = new Int32Array(graph.nodes.length).fill(-1);
  for (let id = graph.nodes.length - 1; id >= 0; id--) {
    if (!fusible(id)) continue;
    const kernels = new Set(consumers[id].map((c) => {
      if (c < 0 || !readsAtOwnIndex(graph, c, id)) return -1;
      return stored.has(c) ? (fusible(c) || kindOf(c) === 'reduce' ? c : -1) : kernelOf[c];
    }));
    const only = kernels.size === 1 ? [...kernels][0] : -1;
    if (stored.has(id) && !pinned.has(id) && only >= 0) stored.delete(id);
    kernelOf[id] = stored.has(id) ? id : only;
  }
}
