import type { Graph, NodeId } from '../../ir/graph.ts';
import type { Prim } from '../../ir/primitives.ts';
import { formatShape, numel, shapesEqual } from '../../ir/shape.ts';
import { PRIMITIVES } from '../../prims/table.ts';
import type { CpuKernel } from '../../prims/types.ts';
import { noFusion, planFusion, runFusedGroup, type FusionPlan } from './fused-elementwise.ts';
import { runSharedMatvecs, sharedMatrixGroups } from './shared-matrix.ts';
import { reuseMatricesDuring } from './wasm/residents.ts';
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
  /**
   * Run connected elementwise nodes of one size as one loop over blocks (fused-elementwise.ts; the
   * default). Both ways give the same bits in f64 and f32; tests compare them.
   */
  readonly fuseElementwise?: boolean;
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

/**
 * The inputs an f32 pass hands to the GEMM in the dtype they came in: those read by matrix products
 * only, directly or through a transpose read in place. The WebAssembly GEMM rounds such an f64 matrix to
 * f32 in its own memory, once per pass however many products read it (residents.ts), or while packing it
 * (packBFromF64), which gives the bits of converting it first; the JS fallback converts (bestGemm).
 * Converting a 1024 × 1024 f64 matrix in JS took 0.79 ms and copying the result in 0.26 ms (single
 * thread, medians of 61); the f64 copy takes 0.69 ms, and rounding it in wasm adds little.
 */
export function inputsRoundedByGemm(graph: Graph, inPlace: ReadonlySet<NodeId>): Set<NodeId> {
  const outputs = new Set(graph.outputs.map((p) => p.id));
  const candidates = new Set(graph.inputs.map((p) => p.id).filter((id) => !outputs.has(id)));
  const read = new Set<NodeId>();
  for (const n of graph.nodes) {
    if (n.op === 'input' || inPlace.has(n.id)) continue; // an in-place transpose is read by matmuls only
    for (const a of n.args) {
      const source = inPlace.has(a) ? graph.nodes[a].args[0] : a;
      if (!candidates.has(source)) continue;
      if (n.op !== 'matmul') candidates.delete(source);
      else read.add(source);
    }
  }
  return new Set([...candidates].filter((id) => read.has(id)));
}

/**
 * Peak bytes the interpreter holds while running `graph`. Reshapes and in-place transposes share their
 * argument's buffer, which then lives until the last use of any node sharing it. A fused group makes only
 * its outputs, when it runs (its scratch arrays, a few KiB shared by all groups, are not counted).
 */
export function peakBytes(graph: Graph, dtype: DType, options: InterpretOptions = {}): number {
  const { owner, dying, fusion } = scheduleOf(graph, options);
  let live = 0;
  let peak = 0;
  const size = (id: NodeId) => (owner[id] === id ? numel(graph.nodes[id].shape) * BYTES_PER_ELEMENT[dtype] : 0);
  for (const n of graph.nodes) {
    const made = fusion.groupEndingAt[n.id]?.outputs ?? (fusion.notRun[n.id] === 1 ? [] : [n.id]);
    for (const id of made) live += size(id);
    peak = Math.max(peak, live);
    for (const d of dying[n.id]) live -= size(d);
  }
  return peak;
}

/** How the interpreter runs one graph with one set of options: worked out once, then cached. */
interface Schedule {
  readonly inPlace: ReadonlySet<NodeId>;
  readonly shared: ReadonlyMap<NodeId, readonly NodeId[]>;
  readonly fusion: FusionPlan;
  /** Inputs an f32 pass hands the GEMM as they came (inputsRoundedByGemm). */
  readonly asGiven: ReadonlySet<NodeId>;
  /** Who holds which buffer, and when it dies (bufferLifetimes). */
  readonly owner: Int32Array;
  readonly dying: readonly (readonly NodeId[])[];
  /** `expiring[i]`: the values no step after node i reads. */
  readonly expiring: readonly (readonly NodeId[])[];
}

const schedules = new WeakMap<Graph, Map<string, Schedule>>();

function scheduleOf(graph: Graph, options: InterpretOptions): Schedule {
  const key = [options.transposeInPlace, options.shareMatrices, options.fuseElementwise].map((o) => o !== false).join();
  let cached = schedules.get(graph);
  if (cached === undefined) schedules.set(graph, (cached = new Map()));
  let schedule = cached.get(key);
  if (schedule === undefined) {
    const inPlace = options.transposeInPlace === false ? new Set<NodeId>() : inPlaceTransposes(graph);
    const shared = options.shareMatrices === false ? new Map<NodeId, NodeId[]>() : sharedMatrixGroups(graph);
    const fusion = options.fuseElementwise === false ? noFusion(graph) : planFusion(graph, shared);
    const asGiven = inputsRoundedByGemm(graph, inPlace);
    schedule = { inPlace, shared, fusion, asGiven, ...bufferLifetimes(graph, inPlace, fusion) };
    cached.set(key, schedule);
  }
  return schedule;
}

/**
 * Who holds which buffer: `owner[n]` is the node whose buffer n's value is (n itself, or for reshapes and
 * in-place transposes its argument's owner), and `dying[i]` lists the owners whose buffer no node reads
 * after node i (buffers of outputs never die); `expiring[i]` lists the values no node reads after node i.
 * A fused group reads its leaves when it runs, at its last member; nodes it runs or skips read nothing.
 */
function bufferLifetimes(graph: Graph, inPlace: ReadonlySet<NodeId>, fusion: FusionPlan): { owner: Int32Array; dying: NodeId[][]; expiring: NodeId[][] } {
  const count = graph.nodes.length;
  const last = new Int32Array(count).fill(-1);
  for (const n of graph.nodes) {
    const reads = fusion.groupEndingAt[n.id]?.leaves ?? (fusion.notRun[n.id] === 1 ? [] : n.args);
    for (const a of reads) last[a] = n.id;
  }
  for (const p of graph.outputs) last[p.id] = count;
  const owner = new Int32Array(count);
  const until = new Int32Array(count).fill(-1);
  for (const n of graph.nodes) {
    const o = n.op === 'reshape' || inPlace.has(n.id) ? owner[n.args[0]] : n.id;
    owner[n.id] = o;
    until[o] = Math.max(until[o], last[n.id]);
  }
  const dying: NodeId[][] = graph.nodes.map(() => []);
  const expiring: NodeId[][] = graph.nodes.map(() => []);
  for (const n of graph.nodes) {
    if (owner[n.id] === n.id && until[n.id] >= 0 && until[n.id] < count) dying[until[n.id]].push(n.id);
    if (last[n.id] >= 0 && last[n.id] < count) expiring[last[n.id]].push(n.id);
  }
  return { owner, dying, expiring };
}

/**
 * Runs a graph on the CPU, node by node (connected elementwise nodes as one fused loop), in f64 or f32.
 * Each node's buffer is released after its last use. `inputs` maps every graph input name to a tensor of
 * exactly its shape.
 */
export function interpret(graph: Graph, inputs: ReadonlyMap<string, Tensor>, dtype: DType, options: InterpretOptions = {}): Map<string, Tensor> {
  // Nothing a pass reads changes during it, so a matrix already in wasm memory need not be copied again.
  return reuseMatricesDuring(() => interpretPass(graph, inputs, dtype, options));
}

function interpretPass(graph: Graph, inputs: ReadonlyMap<string, Tensor>, dtype: DType, options: InterpretOptions): Map<string, Tensor> {
  const schedule = scheduleOf(graph, options);
  const { inPlace, shared, fusion, owner, dying, expiring } = schedule;
  const asGiven = dtype === 'f32' ? schedule.asGiven : new Set<NodeId>();
  // The buffer each owner made (not a caller's input), handed back to the pool when it dies (tensor.ts).
  const made: (FloatArray | undefined)[] = new Array(graph.nodes.length);
  const values: (Tensor | undefined)[] = new Array(graph.nodes.length);
  const names = new Map(graph.inputs.map((p) => [p.id, p.name]));
  for (const n of graph.nodes) {
    const group = fusion.groupEndingAt[n.id];
    if (group !== undefined) {
      runFusedGroup(graph, group, values, dtype);
      for (const id of group.outputs) made[id] = values[id]!.data;
    } else if (fusion.notRun[n.id] === 1) {
      // Run with its group, or read by group members through its one element only.
    } else if (n.op === 'input') {
      const name = names.get(n.id)!;
      const t = inputs.get(name);
      if (t === undefined) throw new Error(`missing value for graph input '${name}'`);
      if (!shapesEqual(t.shape, n.shape)) throw new Error(`input '${name}' should be ${formatShape(n.shape)}, got ${formatShape(t.shape)}`);
      values[n.id] = asGiven.has(n.id) ? t : toDType(t, dtype);
      if (values[n.id] !== t) made[n.id] = values[n.id]!.data;
    } else {
      if (n.op === 'const') {
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
      if (owner[n.id] === n.id) made[n.id] = values[n.id]!.data;
    }
    for (const a of expiring[n.id]) values[a] = undefined;
    for (const o of dying[n.id]) if (made[o] !== undefined) release(made[o]);
  }
  const outputs = new Map(graph.outputs.map((p) => [p.name, values[p.id]!]));
  // The caller's now: never to be released, even if passed back in as an input.
  for (const t of outputs.values()) keep(t.data);
  return outputs;
}
