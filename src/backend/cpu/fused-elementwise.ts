// Chains of elementwise nodes run as one loop over blocks of elements (as numexpr does), on the CPU
// interpreter.
//
// Node by node, every elementwise node allocates a buffer and walks it once: for small tensors the cost
// per node (about 1 µs) is most of the time, and for large ones every intermediate is written out in full
// and read back. A group of connected elementwise nodes of one size runs block by block instead: each
// member is one tight loop over a block into a small scratch array that stays in cache, and only the
// members read outside the group are written out in full. A tensor of one block allocates no
// intermediates at all.
//
// Same bits as node by node: each member runs the same row loop on the same numbers, and in f32 its
// scratch array is a Float32Array, so every result is rounded where the node-by-node pass rounds it.
//
// Measured in f32 against the same interpreter unfused (medians of 61 interleaved rounds, 2 shared
// cores): the HVP of sum(tanh(W x)²), whose 13 elementwise nodes form one group, 27.6 → 17.3 µs at
// width 64, 121 → 106 µs at 256 and 1624 → 1581 µs at 1024, where the matrix products dominate; a batched
// MLP JVP (256 wide, 64 tangents), whose large products are row broadcasts that run alone, unchanged.
// Past a few thousand elements the loops themselves (3-4 ns per element per step) are the cost, so
// fusion saves little more than the buffers.
import type { AnyNode, Graph, NodeId } from '../../ir/graph.ts';
import { isElementwise, type ElementwisePrim, type UnaryPrim } from '../../ir/primitives.ts';
import { numel } from '../../ir/shape.ts';
import { PRIMITIVES } from '../../prims/table.ts';
import { arithmeticRow, binaryRow, isArithmetic, unaryRow } from './elementwise.ts';
import { allocate, type DType, type FloatArray, type Tensor } from './tensor.ts';

/** Elements per block: a block of each live intermediate (4 KiB in f64) stays in the L1 cache. */
export const BLOCK = 512;

/**
 * Where a step reads an operand or writes its result: element `start + j` of node `id`'s full buffer when
 * `slot` is -1 (an outside value, or a member written out), else element j of scratch array `slot` (a
 * member no one outside reads). An outside value of one element is read at element 0 for every j.
 */
interface Place {
  readonly id: NodeId;
  readonly slot: number;
  /** 1 when the block's elements are at `start` (full buffers), 0 when at 0 (scratch, one element). */
  readonly moves: number;
  /** 1, or 0 for an outside value of one element. */
  readonly step: number;
}

/** One member of a group: its primitive applied to its operands, block by block. */
interface FusedStep {
  readonly op: ElementwisePrim;
  /** The primitive's function of numbers (the table's `fold`), for those without a loop written out. */
  readonly f: (...args: number[]) => number;
  readonly a: Place;
  /** The second operand of a binary primitive, else null. */
  readonly b: Place | null;
  readonly into: Place;
}

/** Elementwise nodes of one size run together block by block (see the top of this file). */
export interface FusedGroup {
  /** The members in node order. The interpreter runs the group when it reaches the last one. */
  readonly members: readonly NodeId[];
  /** Elements of every member. */
  readonly size: number;
  readonly steps: readonly FusedStep[];
  /** Members read outside the group (or graph outputs): written out in full. */
  readonly outputs: readonly NodeId[];
  /** Values from outside the group that its members read. */
  readonly leaves: readonly NodeId[];
  /** Scratch arrays the group needs at once: members whose blocks are no longer read share one. */
  readonly slots: number;
}

/** The fused groups of a graph, and which nodes the interpreter therefore does not run one by one. */
export interface FusionPlan {
  readonly groups: readonly FusedGroup[];
  /** For each node, the group whose last member it is (the interpreter runs the group there). */
  readonly groupEndingAt: readonly (FusedGroup | undefined)[];
  /** For each node, 1 if the interpreter does not run it: group members, and reshapes or broadcasts of one element that only group members read. */
  readonly notRun: Uint8Array;
}

/** A plan that fuses nothing. */
export const noFusion = (graph: Graph): FusionPlan => ({ groups: [], groupEndingAt: [], notRun: new Uint8Array(graph.nodes.length) });

/**
 * A reshape or broadcast of one element: every element of its value is that element, so a group member
 * reads the element itself (reverse mode seeds a loss with such a broadcast of 1).
 */
const isScalarView = (graph: Graph, n: AnyNode) => (n.op === 'reshape' || n.op === 'broadcast') && numel(graph.nodes[n.args[0]].shape) === 1;

/**
 * An elementwise node whose every operand has its size or one element. Other broadcasts (a row times a
 * matrix) would need operands read with a period; such nodes run alone.
 */
function fusible(graph: Graph, n: AnyNode): boolean {
  const size = numel(n.shape);
  return isElementwise(n.op) && size > 0 && n.args.every((a) => [1, size].includes(numel(graph.nodes[a].shape)));
}

/**
 * Groups `graph`'s elementwise nodes. Walking the nodes in order, a fusible node joins the open groups of
 * its operands of its size (merging them), or starts a group. A group closes when any node outside it
 * reads one of its members: it runs at its last member, so no later node may join, and everything it
 * reads exists by then. `shared` lists the products that run early, with their group's first product
 * (shared-matrix.ts); their operands count as read there. Groups of one node run as plain nodes.
 */
export function planFusion(graph: Graph, shared: ReadonlyMap<NodeId, readonly NodeId[]>): FusionPlan {
  const { nodes } = graph;
  // The node whose one element a member reads through scalar views, or the node itself.
  const source = new Int32Array(nodes.length);
  for (const n of nodes) source[n.id] = isScalarView(graph, n) ? source[n.args[0]] : n.id;
  const readsAt: (readonly NodeId[])[] = nodes.map((n) => n.args);
  for (const [leader, rest] of shared) {
    readsAt[leader] = [...readsAt[leader], ...rest.flatMap((id) => nodes[id].args)];
    for (const id of rest) readsAt[id] = [];
  }

  const groupOf = new Int32Array(nodes.length).fill(-1);
  const members: NodeId[][] = [];
  const open: boolean[] = [];
  for (const n of nodes) {
    if (!fusible(graph, n)) {
      for (const a of readsAt[n.id]) if (groupOf[a] >= 0) open[groupOf[a]] = false;
      continue;
    }
    const size = numel(n.shape);
    const operands = n.args.map((a) => source[a]);
    const joinable = [...new Set(operands.map((o) => groupOf[o]).filter((g) => g >= 0 && open[g] && numel(nodes[members[g][0]].shape) === size))];
    let g = joinable[0];
    if (g === undefined) {
      g = members.length;
      members.push([]);
      open.push(true);
    }
    for (const other of joinable.slice(1)) {
      for (const m of members[other]) groupOf[m] = g;
      members[g].push(...members[other]);
      members[other] = [];
      open[other] = false;
    }
    members[g].push(n.id);
    groupOf[n.id] = g;
    for (const o of operands) if (groupOf[o] >= 0 && groupOf[o] !== g) open[groupOf[o]] = false;
  }

  const kept = members.filter((m) => m.length > 1).map((m) => m.sort((a, b) => a - b));
  const inGroup = new Int32Array(nodes.length).fill(-1);
  kept.forEach((m, g) => m.forEach((id) => (inGroup[id] = g)));
  const readers: NodeId[][] = nodes.map(() => []);
  for (const n of nodes) for (const a of new Set(n.args)) readers[a].push(n.id);
  const graphOutputs = new Set(graph.outputs.map((p) => p.id));

  const notRun = new Uint8Array(nodes.length);
  for (const id of kept.flat()) notRun[id] = 1;
  for (let id = nodes.length - 1; id >= 0; id--) {
    const skip = isScalarView(graph, nodes[id]) && !graphOutputs.has(id) && readers[id].every((r) => inGroup[r] >= 0 || notRun[r] === 1);
    if (skip) notRun[id] = 1;
  }
  const groups = kept.map((m) => {
    const outputs = m.filter((id) => graphOutputs.has(id) || readers[id].some((r) => inGroup[r] !== inGroup[id]));
    return buildGroup(graph, m, new Set(outputs), source);
  });
  const groupEndingAt: (FusedGroup | undefined)[] = [];
  for (const g of groups) groupEndingAt[g.members[g.members.length - 1]] = g;
  return { groups, groupEndingAt, notRun };
}

/** The steps of the group with members `members`, its scratch slots given out as members die in the block. */
function buildGroup(graph: Graph, members: readonly NodeId[], outputs: ReadonlySet<NodeId>, source: Int32Array): FusedGroup {
  const isMember = new Set(members);
  const lastRead = new Map<NodeId, number>();
  members.forEach((id, i) => graph.nodes[id].args.forEach((a) => isMember.has(source[a]) && lastRead.set(source[a], i)));
  const slotOf = new Map<NodeId, number>();
  const free: number[] = [];
  let slots = 0;
  const leaves = new Set<NodeId>();
  const place = (o: NodeId): Place => {
    if (!isMember.has(o)) leaves.add(o);
    if (isMember.has(o) && !outputs.has(o)) return { id: o, slot: slotOf.get(o)!, moves: 0, step: 1 };
    const scalar = !isMember.has(o) && numel(graph.nodes[o].shape) === 1;
    return { id: o, slot: -1, moves: scalar ? 0 : 1, step: scalar ? 0 : 1 };
  };
  const steps = members.map((id, i): FusedStep => {
    const n = graph.nodes[id];
    const op = n.op as ElementwisePrim;
    const operands = n.args.map((a) => source[a]);
    const [a, b = null] = operands.map(place);
    // A block is read before the same element is written, so a result may reuse its operand's slot.
    for (const o of new Set(operands)) if (slotOf.has(o) && lastRead.get(o) === i) free.push(slotOf.get(o)!);
    if (!outputs.has(id)) slotOf.set(id, free.pop() ?? slots++);
    return { op, f: PRIMITIVES[op].fold!, a, b, into: place(id) };
  });
  return { members, size: numel(graph.nodes[members[0]].shape), steps, outputs: [...outputs], leaves: [...leaves], slots };
}

// Scratch arrays shared by every group (a group runs to completion before the next starts), grown on
// demand: allocating them per run would cost about what fusion saves on small tensors.
const scratch: Record<DType, FloatArray[]> = { f64: [], f32: [] };

function scratchArrays(dtype: DType, count: number): FloatArray[] {
  const list = scratch[dtype];
  while (list.length < count) list.push(dtype === 'f64' ? new Float64Array(BLOCK) : new Float32Array(BLOCK));
  return list;
}

/** Runs `group`, putting each of its outputs (new buffers from the pool) into `values`. */
export function runFusedGroup(graph: Graph, group: FusedGroup, values: (Tensor | undefined)[], dtype: DType): void {
  for (const id of group.outputs) values[id] = allocate(graph.nodes[id].shape, dtype);
  const slots = scratchArrays(dtype, group.slots);
  const { size, steps } = group;
  for (let start = 0; start < size; start += BLOCK) {
    const n = Math.min(BLOCK, size - start);
    for (let i = 0; i < steps.length; i++) runStep(steps[i], values, slots, start, n);
  }
}

/** One step on the block of n elements from `start`. */
function runStep(s: FusedStep, values: (Tensor | undefined)[], slots: FloatArray[], start: number, n: number): void {
  const { a, b, into } = s;
  const out = into.slot < 0 ? values[into.id]!.data : slots[into.slot];
  const A = a.slot < 0 ? values[a.id]!.data : slots[a.slot];
  if (b === null) return unaryRow(s.op as UnaryPrim, s.f, out, into.moves * start, A, a.moves * start, a.step, n);
  const B = b.slot < 0 ? values[b.id]!.data : slots[b.slot];
  if (isArithmetic(s.op)) arithmeticRow(s.op, out, into.moves * start, A, a.moves * start, a.step, B, b.moves * start, b.step, n);
  else binaryRow(s.f, out, into.moves * start, A, a.moves * start, a.step, B, b.moves * start, b.step, n);
}
