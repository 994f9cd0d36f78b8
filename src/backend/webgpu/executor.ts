import type { Graph, NodeId } from '../../ir/graph.ts';
import { formatShape, normalizeAxis, numel, shapesEqual, stridesOf, type Shape } from '../../ir/shape.ts';
import { PRIMITIVES } from '../../prims/table.ts';
import type { Tensor } from '../cpu/tensor.ts';
import type { RunProfile } from '../../api/backend.ts';
import type { GpuInfo } from './device.ts';
import { elementwiseReads, emitElementwise, emitProductLoad, emitReduceLoad, emitStoreEpilogue, type ProductLoad, type StoreFunction } from './emit.ts';
import type { KernelPlan, KernelStore } from './kernel-plan.ts';
import { matmulKernelFor, planMatmul, type MatmulSpec } from './matmul.ts';
import { matvecApplies, planMatvec, planMatvecPair, type MatvecSpec } from './matvec.ts';
import { planReduce, type ReducePlan } from './reduce.ts';
import { schedule, type Operand, type Schedule, type Step } from './schedule.ts';

/** A buffer the run needs: a stored node's owner id, or a scratch id (≥ the graph's node count). */
type ValueId = number;

/** One dispatch: its kernel and what sits at each binding ('uniforms' is the plan's uniform buffer). */
export interface Launch {
  readonly plan: KernelPlan;
  readonly bindings: readonly (ValueId | 'uniforms')[];
  /** The values it writes (two for a pair of matrix-vector products). */
  readonly writes: readonly ValueId[];
}

/** Everything about running one graph that does not depend on the input values. */
export interface ExecPlan {
  readonly schedule: Schedule;
  readonly launches: readonly Launch[];
  /** Bytes of every value (f32). */
  readonly bytes: ReadonlyMap<ValueId, number>;
  /** Which pooled slot each value lives in, and each slot's size: slots are reused after a value's last use. */
  readonly slotOf: ReadonlyMap<ValueId, number>;
  readonly slotBytes: readonly number[];
  /** Sum of the slots: the device memory a run holds. */
  readonly peakBytes: number;
  /** Why the device cannot run this graph (a buffer over the binding limit), or null. */
  readonly problem: string | null;
}

/** Per-kernel and whole-run timing of the last run. */
export type Profile = RunProfile;

const bytesOf = (shape: Shape) => 4 * numel(shape);

/**
 * The GEMMs for a matmul node given its operands' storage: folds batch dims into rows where the layout
 * allows, else one batched GEMM per combination of the leading batch dims that need it (see below).
 */
function matmulLaunch(graph: Graph, id: NodeId, a: Operand, b: Operand): { specs: MatmulSpec[]; first: Operand; second: Operand } {
  const n = graph.nodes[id];
  const [sa, sb] = n.args.map((x) => graph.nodes[x].shape);
  const [p, q] = sa.slice(-2);
  const r = sb[sb.length - 1];
  const batchA = numel(sa.slice(0, -2));
  const batchB = numel(sb.slice(0, -2));
  const base = { batch: 1, batchStrideA: 0, batchStrideB: 0 };
  if (batchA === 1 && r === 1 && batchB > 1) {
    // A fixed matrix applied to many vectors (a batched JVP through W @ x): out[k, p] = X[k, q] · Aᵀ.
    return { specs: [{ ...base, M: batchB, N: p, K: q, transA: false, transB: !a.transposed }], first: b, second: a };
  }
  if (batchB === 1 && !a.transposed) {
    // Stacked left operands sharing one right operand: fold the batch into the rows.
    return { specs: [{ ...base, M: batchA * p, N: r, K: q, transA: false, transB: b.transposed }], first: a, second: b };
  }
  // The GEMM kernel steps each operand through its batches with one stride (0 = shared). That covers the
  // trailing batch dims over which each operand has all of the output's dims or none; the leading dims
  // before them (e.g. a tangent batch k in front of a primal batch that the other operand lacks, as in
  // [k, 7, p, q] @ [7, q, r]) are walked by separate launches at element offsets.
  const outBatch = n.shape.slice(0, -2);
  const rank = outBatch.length;
  // Element stride of each output batch dim in an operand's storage (0 where the operand broadcasts).
  const batchStrides = (shape: Shape, matrix: number): number[] => {
    const dims = [...new Array<number>(rank - (shape.length - 2)).fill(1), ...shape.slice(0, -2)];
    const strides = new Array<number>(rank);
    let step = matrix;
    for (let d = rank - 1; d >= 0; d--) {
      strides[d] = dims[d] === 1 ? 0 : step;
      step *= dims[d];
    }
    return strides;
  };
  const stridesA = batchStrides(sa, p * q);
  const stridesB = batchStrides(sb, q * r);
  // Over output batch dims from..rank-1 (ignoring size-1 dims), does the operand have all or none?
  const allOrNone = (strides: number[], from: number) => {
    const present = strides.slice(from).filter((_, i) => outBatch[from + i] > 1).map((s) => s > 0);
    return present.every((x) => x === present[0]);
  };
  let split = rank;
  while (split > 0 && allOrNone(stridesA, split - 1) && allOrNone(stridesB, split - 1)) split--;
  const inner = numel(outBatch.slice(split));
  const presentInner = (strides: number[]) => strides.slice(split).some((s) => s > 0);
  const spec = {
    M: p, N: r, K: q, transA: a.transposed, transB: b.transposed, batch: inner,
    batchStrideA: presentInner(stridesA) ? p * q : 0,
    batchStrideB: presentInner(stridesB) ? q * r : 0,
  };
  const outer = outBatch.slice(0, split);
  const outerStrides = stridesOf(outer);
  const specs = Array.from({ length: numel(outer) }, (_, i): MatmulSpec => {
    let offsetA = 0;
    let offsetB = 0;
    outer.forEach((size, d) => {
      const coord = Math.floor(i / outerStrides[d]) % size;
      offsetA += coord * stridesA[d];
      offsetB += coord * stridesB[d];
    });
    return { ...spec, offsetA, offsetB, offsetC: i * inner * p * r };
  });
  return { specs, first: a, second: b };
}

/**
 * A GEMM with one output column (N = 1) or row (M = 1), read as the matrix-vector product
 * out[o] = Σ_k matrix[o, k] · vector[k] that a reduction computes with the product fused into its load,
 * or null for a real GEMM. The 64×64-tile GEMM would compute 64 outputs per dot product and keep one.
 * The reduction reads the matrix in memory order: [outputs, K] over k when its rows are contiguous
 * (lanes of one output read neighbouring k), else [K, outputs] (neighbouring outputs, neighbouring addresses).
 */
function matvecOf(spec: MatmulSpec, first: NodeId, second: NodeId): ProductLoad | null {
  const { M, N, K, transA, transB } = spec;
  if (spec.batch !== 1 || (M !== 1 && N !== 1) || M * N * K === 0) return null;
  // Strides of op(A) along (row, k) and of op(B) along (k, column), as in planMatmul.
  const [aRow, aK] = transA ? [1, M] : [K, 1];
  const [bK, bCol] = transB ? [1, K] : [N, 1];
  const a = { node: first, offset: spec.offsetA ?? 0 };
  const b = { node: second, offset: spec.offsetB ?? 0 };
  const [outputs, matrix, vector] =
    N === 1
      ? [M, { ...a, oStride: aRow, kStride: aK }, { ...b, oStride: 0, kStride: bK }]
      : [N, { ...b, oStride: bCol, kStride: bK }, { ...a, oStride: 0, kStride: aK }];
  return { outputs, K, matrix, vector, layout: matrix.kStride === 1 ? 'ok' : 'ko' };
}

/** Whether two adjacent matrix-vector products can run as one pair: one row-major matrix, the same shape, and the second's vector not the first's result. */
function pairable(a: { spec: MatvecSpec; matrix: NodeId }, b: { spec: MatvecSpec; matrix: NodeId; vector: NodeId }, first: NodeId): boolean {
  return a.spec.layout === 'ok' && b.spec.layout === 'ok' && a.matrix === b.matrix && a.spec.matrixOffset === b.spec.matrixOffset
    && a.spec.outputs === b.spec.outputs && a.spec.K === b.spec.K && b.vector !== first && b.spec.vectorOffset % 4 === 0;
}

/**
 * The elementwise steps from steps[first] on that one kernel computes: those that follow one another over
 * one shape while each reads the earlier ones only at its own index (an HVP's t, its slope and their
 * tangents; a VJP's pieces), as long as the kernel binds at most `maxBuffers` buffers.
 */
function elementwiseGroup(graph: Graph, sched: Schedule, steps: readonly Step[], first: number, maxBuffers: number): NodeId[] {
  const group = [steps[first].node];
  const shape = graph.nodes[group[0]].shape;
  const reads = new Set<NodeId>(elementwiseReads(graph, sched.stored, group[0]).keys());
  for (let i = first + 1; steps[i]?.kind === 'elementwise' && shapesEqual(graph.nodes[steps[i].node].shape, shape); i++) {
    const own = elementwiseReads(graph, sched.stored, steps[i].node);
    if ([...own].some(([leaf, sameIndex]) => group.includes(leaf) && !sameIndex)) break;
    const outside = [...own.keys()].filter((leaf) => !group.includes(leaf));
    // Every buffer the kernel would bind: what it reads from outside, and what it writes.
    if (new Set([...reads, ...outside]).size + group.length + 1 > maxBuffers) break;
    group.push(steps[i].node);
    for (const leaf of outside) reads.add(leaf);
  }
  return group;
}

/**
 * How the elementwise root `root` reads the outputs of a product kernel, `products` (z, and z_b for a
 * pair): each stored node it reads that is one of them (or a view of one), with the store's parameter
 * holding it ('v' for z, 'w' for z_b). Null when it cannot be that kernel's epilogue: it has another
 * number of elements, or reads a product anywhere but at its own index.
 */
function productReads(graph: Graph, sched: Schedule, root: NodeId, products: readonly NodeId[]): Map<NodeId, 'v' | 'w'> | null {
  if (numel(graph.nodes[root].shape) !== numel(graph.nodes[products[0]].shape)) return null;
  const given = new Map<NodeId, 'v' | 'w'>();
  for (const [leaf, sameIndex] of elementwiseReads(graph, sched.stored, root)) {
    const k = products.indexOf(sched.owner.get(leaf)!);
    if (k < 0) continue;
    if (!sameIndex) return null;
    given.set(leaf, k === 0 ? 'v' : 'w');
  }
  return given;
}

/**
 * Moves elementwise steps up to right after the product they read, so that they become its epilogue
 * (see epilogueAt in planGraph): the first later step over the product's elements that reads it at its
 * own index, when everything else it reads is ready by then. A batched JVP's schedule runs W x, then
 * T Wᵀ, then y = tanh(W x + b), then ẏ = (T Wᵀ) ⊙ (1 − y²): y moves up behind W x, and ẏ then follows
 * T Wᵀ. `pairedWithNext(i)` says whether steps[i] and steps[i + 1] run as one pair of products, which
 * take their epilogue after the second.
 */
function pullEpilogues(graph: Graph, sched: Schedule, steps: Step[], pairedWithNext: (i: number) => boolean): void {
  const own = (id: NodeId) => sched.owner.get(id)!;
  for (let i = 0; i < steps.length; i++) {
    if (steps[i].kind !== 'matmul') continue;
    const pair = pairedWithNext(i);
    const products = pair ? [steps[i].node, steps[i + 1].node] : [steps[i].node];
    const at = pair ? i + 2 : i + 1;
    if (pair) i++;
    const written = (from: number, to: number) => new Set(steps.slice(from, to).map((s) => own(s.node)));
    for (let j = at; j < steps.length; j++) {
      const step = steps[j];
      if (step.kind !== 'elementwise' || !(productReads(graph, sched, step.node, products)?.size)) continue;
      // Nothing it reads may be written between the products and where it stands now.
      const later = written(at, j);
      if ([...elementwiseReads(graph, sched.stored, step.node).keys()].some((leaf) => later.has(own(leaf)))) break;
      steps.splice(at, 0, ...steps.splice(j, 1));
      break;
    }
  }
}

/**
 * Plans kernels, buffers and their reuse for `graph` on this device. `softwareAdapter` (see
 * isSoftwareAdapter) picks strategies that suit a CPU running WGSL; `quadSubgroups` (see
 * GpuInfo.quadSubgroups) lets them share loads within subgroups.
 */
export function planGraph(graph: Graph, limits: GpuInfo['limits'], softwareAdapter = false, quadSubgroups = false): ExecPlan {
  const sched = schedule(graph, limits.maxStorageBuffersPerShaderStage);
  const bytes = new Map<ValueId, number>();
  const launches: Launch[] = [];
  let scratch = graph.nodes.length;
  const own = (id: NodeId) => sched.owner.get(id)!;
  for (const id of sched.stored) if (sched.owner.get(id) === id) bytes.set(id, bytesOf(graph.nodes[id].shape));
  let problem: string | null = null;
  /** The launches of a reduction writing `node`: a split one writes partials to scratch buffers that the next stage reduces. */
  const pushReduction = (first: ReducePlan, loadReads: ValueId[], node: NodeId) => {
    let plan = first;
    let reads = loadReads;
    for (;;) {
      const target = plan.partials === null ? node : scratch++;
      if (plan.partials !== null) bytes.set(target, 4 * plan.partials.count);
      launches.push({ plan, bindings: [target, 'uniforms', ...reads], writes: [target] });
      if (plan.partials === null) break;
      reads = [target];
      plan = plan.partials.finish;
    }
  };

  /** A matmul step's GEMMs, and its matrix-vector reading when it has one output row or column. */
  const productOf = (step: Extract<Step, { kind: 'matmul' }>) => {
    const m = matmulLaunch(graph, step.node, step.a, step.b);
    // One launch only: the reduction writes its output from element 0 (no offset into C).
    return { m, matvec: m.specs.length === 1 ? matvecOf(m.specs[0], m.first.storage, m.second.storage) : null };
  };
  /** The vec4 matrix-vector kernel's view of such a product, when its operands are aligned for it. */
  const vec4Of = (mv: ProductLoad | null): { spec: MatvecSpec; matrix: NodeId; vector: NodeId } | null => {
    if (mv === null) return null;
    const spec: MatvecSpec = { outputs: mv.outputs, K: mv.K, layout: mv.layout, matrixOffset: mv.matrix.offset, vectorOffset: mv.vector.offset };
    return matvecApplies(spec) ? { spec, matrix: own(mv.matrix.node), vector: own(mv.vector.node) } : null;
  };
  /**
   * Launches that compute elementwise roots (by index), each with its roots and a way to build it again
   * writing only some of them (see `needed` below).
   */
  const rebuilds = new Map<number, { group: NodeId[]; rebuild: (written: NodeId[]) => Launch }>();
  // Views cost nothing; without them, products that follow one another are neighbours.
  const steps = sched.steps.filter((s) => s.kind !== 'view');
  pullEpilogues(graph, sched, steps, (i) => {
    const a = steps[i];
    const b = steps[i + 1];
    if (a.kind !== 'matmul' || b?.kind !== 'matmul') return false;
    const first = vec4Of(productOf(a).matvec);
    const second = vec4Of(productOf(b).matvec);
    return first !== null && second !== null && pairable(first, second, a.node);
  });
  /**
   * The elementwise kernel at steps[at] as the epilogue of the product kernel before it (KernelStore),
   * whose outputs are `products` (z, and z_b for a pair of matrix-vector products), written by `store`,
   * and whose own buffers take bindings below `firstBinding`: when it is over the products' elements,
   * reads them at its own index only, and the fused kernel binds no more buffers than the device allows.
   * Saves a dispatch and a round trip through memory (a layer's W x, + b and tanh become one kernel, as
   * do a batched JVP's T Wᵀ and ⊙ (1 − y²)); the products are still written, for any later reader.
   */
  const epilogueAt = (at: number, products: readonly NodeId[], firstBinding: number, store: StoreFunction) => {
    if (steps[at]?.kind !== 'elementwise') return null;
    const maxBuffers = limits.maxStorageBuffersPerShaderStage;
    const group = elementwiseGroup(graph, sched, steps, at, maxBuffers);
    const given = new Map<NodeId, 'v' | 'w'>();
    for (const root of group) {
      const reads = productReads(graph, sched, root, products);
      if (reads === null) return null;
      for (const [leaf, param] of reads) given.set(leaf, param);
    }
    if (given.size === 0) return null;
    const epilogue = (written: readonly NodeId[]) => emitStoreEpilogue(graph, sched, group, written, given, firstBinding, store);
    const all = epilogue(group);
    // Storage buffers: the kernel's own (every binding below firstBinding but the uniforms), the reads, the roots.
    if (firstBinding - 1 + all.reads.length + group.length > maxBuffers) return null;
    return { group, epilogue };
  };
  /**
   * Pushes a product launch writing `products` through `store`, whose own bindings are `bound`, with the
   * elementwise steps from steps[epilogueFrom] as its epilogue where they fuse (null: never, as for the
   * matrix-vector column kernels, which only write). Returns how many steps the epilogue took.
   */
  const pushProduct = (products: NodeId[], bound: readonly (ValueId | 'uniforms')[], store: StoreFunction, planWith: (store?: KernelStore) => KernelPlan, epilogueFrom: number | null): number => {
    const fused = epilogueFrom === null ? null : epilogueAt(epilogueFrom, products, bound.length, store);
    const launch = (written: NodeId[]): Launch => {
      const epilogue = fused?.epilogue(written);
      return { plan: planWith(epilogue), bindings: [...bound, ...(epilogue?.reads.map(own) ?? []), ...written], writes: [...products, ...written] };
    };
    if (fused !== null) rebuilds.set(launches.length, { group: fused.group, rebuild: launch });
    launches.push(launch(fused?.group ?? []));
    return fused?.group.length ?? 0;
  };
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i];
    const n = graph.nodes[step.node];
    if (step.kind === 'elementwise') {
      const group = elementwiseGroup(graph, sched, steps, i, limits.maxStorageBuffersPerShaderStage);
      i += group.length - 1;
      const launch = (written: NodeId[]): Launch => {
        const k = emitElementwise(graph, sched, group, limits.maxComputeWorkgroupsPerDimension, written, softwareAdapter);
        return { plan: k.plan, bindings: [...k.reads.map(own), ...written], writes: written };
      };
      rebuilds.set(launches.length, { group, rebuild: launch });
      launches.push(launch(group));
    } else if (step.kind === 'matmul') {
      const { m, matvec } = productOf(step);
      const single = vec4Of(matvec);
      const following = steps[i + 1];
      const next = single === null || following?.kind !== 'matmul' ? null : vec4Of(productOf(following).matvec);
      if (single !== null && next !== null && pairable(single, next, step.node)) {
        // The next product applies the same matrix to a vector that is ready now (W x and W ẋ): one dispatch.
        const second = steps[i + 1].node;
        const bound = [step.node, 'uniforms', single.matrix, single.vector, second, next.vector] as const;
        const store = { name: 'matvec_store_pair', products: ['matvec_out', 'matvec_out_b'] };
        i += 1 + pushProduct([step.node, second], bound, store, (e) => planMatvecPair(single.spec, next.spec.vectorOffset, limits, softwareAdapter, e), i + 2);
      } else if (single !== null) {
        const bound = [step.node, 'uniforms', single.matrix, single.vector] as const;
        const store = { name: 'matvec_store', products: ['matvec_out'] };
        i += pushProduct([step.node], bound, store, (e) => planMatvec(single.spec, limits, softwareAdapter, e), single.spec.layout === 'ok' ? i + 1 : null);
      } else if (matvec !== null) {
        const { M, N, K, transA, transB } = m.specs[0];
        const load = emitProductLoad(graph, matvec, 2);
        const inShape = matvec.layout === 'ok' ? [matvec.outputs, K] : [K, matvec.outputs];
        const plan = planReduce({ op: 'sum', inShape, axes: [matvec.layout === 'ok' ? 1 : 0] }, load.source, limits, softwareAdapter);
        const op = (trans: boolean) => (trans ? 'T' : 'N');
        pushReduction({ ...plan, label: `matvec [${M}×${K}${op(transA)}]·[${K}×${N}${op(transB)}] as ${plan.label}` }, load.reads.map(own), step.node);
      } else {
        const bound = [own(m.first.storage), own(m.second.storage), step.node, 'uniforms'] as const;
        const store = { name: 'gemm_store', products: ['C'] };
        // A product split into several launches (see matmulLaunch) keeps its elementwise steps apart.
        const epilogueFrom = m.specs.length === 1 ? i + 1 : null;
        for (const spec of m.specs) {
          const kernel = matmulKernelFor(spec, softwareAdapter, quadSubgroups);
          i += pushProduct([step.node], bound, store, (e) => planMatmul(spec, limits, softwareAdapter, kernel, e), epilogueFrom);
        }
      }
    } else {
      if (n.op !== 'sum' && n.op !== 'reduce_max' && n.op !== 'logsumexp') throw new Error(`internal error: ${n.op} is not a reduction`);
      const lowering = PRIMITIVES[n.op].wgsl;
      if (lowering.kind !== 'reduce') throw new Error(`internal error: ${n.op} has no reduction lowering`);
      const inShape = graph.nodes[n.args[0]].shape;
      const axes = n.params.axes.map((a) => normalizeAxis(a, inShape.length)!).sort((x, y) => x - y);
      const load = emitReduceLoad(graph, sched, step.node, 2);
      pushReduction(planReduce({ op: lowering.op, inShape, axes }, load.source, limits, softwareAdapter), load.reads.map(own), step.node);
    }
  }

  // A root that only later roots of its own kernel read stays in registers: that kernel need not write it.
  const needed = new Set<ValueId>(graph.outputs.map((p) => own(p.id)));
  launches.forEach((l) => l.bindings.forEach((b) => b !== 'uniforms' && !l.writes.includes(b) && needed.add(b)));
  for (const [at, { group, rebuild }] of rebuilds) {
    const written = group.filter((id) => needed.has(id));
    if (written.length > 0 && written.length < group.length) launches[at] = rebuild(written);
  }

  for (const [id, b] of bytes) {
    if (b > limits.maxStorageBufferBindingSize) {
      const what = id < graph.nodes.length ? `a ${formatShape(graph.nodes[id].shape)} value` : 'a partial reduction';
      problem ??= `${what} needs ${(b / 2 ** 20).toFixed(1)} MiB, more than this adapter binds at once (${(limits.maxStorageBufferBindingSize / 2 ** 20).toFixed(0)} MiB)`;
    }
  }
  const { slotOf, slotBytes } = planSlots(graph, sched, launches, bytes);
  return { schedule: sched, launches, bytes, slotOf, slotBytes, peakBytes: slotBytes.reduce((s, b) => s + b, 0), problem };
}

/**
 * Memory planning: walk the launches in order, give each written value a free slot (best fit, else a
 * new one), and free the slots of values after their last read. Inputs are live from the start,
 * outputs to the end. A kernel's output never shares a slot with its own inputs.
 */
function planSlots(graph: Graph, sched: Schedule, launches: readonly Launch[], bytes: ReadonlyMap<ValueId, number>): { slotOf: Map<ValueId, number>; slotBytes: number[] } {
  const lastUse = new Map<ValueId, number>();
  launches.forEach((l, i) => l.bindings.forEach((b) => b !== 'uniforms' && lastUse.set(b, i)));
  for (const p of graph.outputs) lastUse.set(sched.owner.get(p.id)!, Infinity);
  for (const p of graph.inputs) if (!lastUse.has(p.id)) lastUse.set(p.id, -1);
  const slotOf = new Map<ValueId, number>();
  const slotBytes: number[] = [];
  const free: number[] = [];
  const take = (v: ValueId) => {
    const need = bytes.get(v)!;
    let best = -1;
    for (const s of free) if (slotBytes[s] >= need && (best < 0 || slotBytes[s] < slotBytes[best])) best = s;
    // Nothing big enough: grow the largest free slot rather than adding another.
    if (best < 0 && free.length > 0) best = free.reduce((x, y) => (slotBytes[x] >= slotBytes[y] ? x : y));
    if (best >= 0) {
      free.splice(free.indexOf(best), 1);
      slotBytes[best] = Math.max(slotBytes[best], need);
    } else {
      best = slotBytes.push(need) - 1;
    }
    slotOf.set(v, best);
  };
  for (const p of graph.inputs) take(p.id);
  for (const p of graph.inputs) if (lastUse.get(p.id) === -1) free.push(slotOf.get(p.id)!);
  launches.forEach((l, i) => {
    for (const w of l.writes) if (!slotOf.has(w)) take(w);
    for (const b of new Set(l.bindings)) if (b !== 'uniforms' && lastUse.get(b) === i) free.push(slotOf.get(b)!);
  });
  return { slotOf, slotBytes };
}

