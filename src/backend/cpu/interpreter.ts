import type { AnyNode, Graph, NodeId } from '../../ir/graph.ts';
import type { Prim } from '../../ir/primitives.ts';
import { formatShape, numel, shapesEqual } from '../../ir/shape.ts';
import { PRIMITIVES } from '../../prims/table.ts';
import type { CpuKernel } from '../../prims/types.ts';
import { runSharedMatvecs, sharedMatrixGroups } from './shared-matrix.ts';
import { allocate, BYTES_PER_ELEMENT, keep, release, toDType, type DType, type FloatArray, type StoredTransposed, type Tensor } from './tensor.ts';

/** How the interpreter runs a graph. */
export interface InterpretOptions {
  /**
   * Read transposes that only feed matmuls in place (the default) rather than copying them. Both ways
   * give the same bits; tests compare them.
   */
  readonly transposeInPlace?: boolean;
  /**
   * Run matrix–vector products that share their matrix as one product (shared-matrix.ts; the default).
   * Both ways give the same bits in f64; tests compare them.
   */
  readonly shareMatrices?: boolean;
}

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

/**
 * The transposes the interpreter does not copy: those that are not outputs and whose every consumer is a
 * matmul. Such a node's value is its argument's buffer marked `transposed` (StoredTransposed), and the
 * matmul kernel reads it through gemm's `trans` flag. (Reverse mode makes one for every W in a W @ x.)
 */
export function inPlaceTransposes(graph: Graph): Set<NodeId> {
  const outputs = new Set(graph.outputs.map((p) => p.id));
  const chosen = new Set(graph.nodes.filter((n) => n.op === 'transpose' && !outputs.has(n.id)).map((n) => n.id));
  for (const n of graph.nodes) if (n.op !== 'matmul') for (const a of n.args) chosen.delete(a);
  return chosen;
}

const chosenTransposes = (graph: Graph, options: InterpretOptions) => (options.transposeInPlace === false ? new Set<NodeId>() : inPlaceTransposes(graph));

/**
 * The inputs an f32 pass hands to the GEMM in the dtype they came in: those read by one matrix product
 * only (a group of products sharing their matrix counts once), directly or through a transpose read in
 * place, and by nothing else. The WebAssembly GEMM copies such an f64 matrix in as it is and rounds it to
 * f32 while packing it (packBFromF64), which gives the bits of converting it first; the JS fallback
 * converts (bestGemm). Converting a 1024 × 1024 f64 matrix in JS took 0.79 ms and copying the result in
 * 0.26 ms (single thread, medians of 61); the f64 copy takes 0.69 ms and rounding while packing adds
 * little to the packing. A matrix read by two products (a VJP's W x and Gᵀ W) is converted once in JS.
 */
export function inputsRoundedByGemm(graph: Graph, inPlace: ReadonlySet<NodeId>, shared: ReadonlyMap<NodeId, readonly NodeId[]>): Set<NodeId> {
  const outputs = new Set(graph.outputs.map((p) => p.id));
  const candidates = new Set(graph.inputs.map((p) => p.id).filter((id) => !outputs.has(id)));
  const members = new Set([...shared.values()].flat()); // products that run with their group's first
  const products = new Map<NodeId, number>();
  for (const n of graph.nodes) {
    if (n.op === 'input' || inPlace.has(n.id)) continue; // an in-place transpose is read by matmuls only
    n.args.forEach((a, i) => {
      const source = inPlace.has(a) ? graph.nodes[a].args[0] : a;
      if (!candidates.has(source)) return;
      if (n.op !== 'matmul') candidates.delete(source);
      else if (!(members.has(n.id) && i === 0)) products.set(source, (products.get(source) ?? 0) + 1);
    });
  }
  return new Set([...candidates].filter((id) => products.get(id) === 1));
}

/**
 * Peak bytes the interpreter holds while running `graph`. Reshapes and in-place transposes share their
 * argument's buffer, which then lives until the last use of any node sharing it.
 */
export function peakBytes(graph: Graph, dtype: DType, options: InterpretOptions = {}): number {
  const { owner, dying } = bufferLifetimes(graph, chosenTransposes(graph, options));
  let live = 0;
  let peak = 0;
  const size = (n: AnyNode) => (owner[n.id] === n.id ? numel(n.shape) * BYTES_PER_ELEMENT[dtype] : 0);
  for (const n of graph.nodes) {
    live += size(n);
    peak = Math.max(peak, live);
    for (const d of dying[n.id]) live -= size(graph.nodes[d]);
  }
  return peak;
}

/**
 * Who holds which buffer: `owner[n]` is the node whose buffer n's value is (n itself, or for reshapes and
 * in-place transposes its argument's owner), and `dying[i]` lists the owners whose buffer no node reads
 * after node i (buffers of outputs never die).
 */
function bufferLifetimes(graph: Graph, inPlace: ReadonlySet<NodeId>): { owner: Int32Array; dying: NodeId[][] } {
  const last = lastUses(graph);
  const owner = new Int32Array(graph.nodes.length);
  const until = new Int32Array(graph.nodes.length).fill(-1);
  for (const n of graph.nodes) {
    const o = n.op === 'reshape' || inPlace.has(n.id) ? owner[n.args[0]] : n.id;
    owner[n.id] = o;
    until[o] = Math.max(until[o], last[n.id]);
  }
  const dying: NodeId[][] = graph.nodes.map(() => []);
  for (const n of graph.nodes) if (owner[n.id] === n.id && until[n.id] >= 0 && until[n.id] < graph.nodes.length) dying[until[n.id]].push(n.id);
  return { owner, dying };
}

/**
 * Runs a graph on the CPU, node by node, in f64 or f32. Each node's buffer is released after its
 * last use. `inputs` maps every graph input name to a tensor of exactly its shape.
 */
export function interpret(graph: Graph, inputs: ReadonlyMap<string, Tensor>, dtype: DType, options: InterpretOptions = {}): Map<string, Tensor> {
  const inPlace = chosenTransposes(graph, options);
  const last = lastUses(graph);
  const shared = options.shareMatrices === false ? new Map<NodeId, NodeId[]>() : sharedMatrixGroups(graph);
  const { owner, dying } = bufferLifetimes(graph, inPlace);
  const asGiven = dtype === 'f32' ? inputsRoundedByGemm(graph, inPlace, shared) : new Set<NodeId>();
  // The buffer each owner made (not a caller's input), handed back to the pool when it dies (tensor.ts).
  const made: (FloatArray | undefined)[] = new Array(graph.nodes.length);
  const values: (Tensor | undefined)[] = new Array(graph.nodes.length);
  const names = new Map(graph.inputs.map((p) => [p.id, p.name]));
  for (const n of graph.nodes) {
    if (n.op === 'input') {
      const name = names.get(n.id)!;
      const t = inputs.get(name);
      if (t === undefined) throw new Error(`missing value for graph input '${name}'`);
      if (!shapesEqual(t.shape, n.shape)) throw new Error(`input '${name}' should be ${formatShape(n.shape)}, got ${formatShape(t.shape)}`);
      values[n.id] = asGiven.has(n.id) ? t : toDType(t, dtype);
      if (values[n.id] !== t) made[n.id] = values[n.id]!.data;
    } else if (n.op === 'const') {
      const t = allocate([], dtype);
      t.data[0] = n.params.value;
      values[n.id] = t;
    } else if (values[n.id] !== undefined) {
      // Computed with the first product of its shared-matrix group.
    } else if (shared.has(n.id)) {
      const ids = [n.id, ...shared.get(n.id)!];
      runSharedMatvecs(graph, ids, values, dtype).forEach((t, j) => (values[ids[j]] = t));
    } else if (inPlace.has(n.id)) {
      const view: StoredTransposed = { shape: n.shape, data: values[n.args[0]]!.data, transposed: true };
      values[n.id] = view;
    } else {
      const args = n.args.map((a) => values[a]!);
      const kernel = PRIMITIVES[n.op].cpu as CpuKernel<Prim>;
      values[n.id] = kernel(args, n, dtype);
    }
    if (n.op !== 'input' && owner[n.id] === n.id) made[n.id] = values[n.id]!.data;
    for (const a of n.args) if (last[a] === n.id) values[a] = undefined;
    for (const o of dying[n.id]) if (made[o] !== undefined) release(made[o]);
  }
  const outputs = new Map(graph.outputs.map((p) => [p.name, values[p.id]!]));
  // The caller's now: never to be released, even if passed back in as an input.
  for (const t of outputs.values()) keep(t.data);
  return outputs;
}
