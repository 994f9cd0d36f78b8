import type { AnyNode, Graph, NodeId } from '../../ir/graph.ts';
import { formatShape, numel, shapesEqual, stridesOf, type Shape } from '../../ir/shape.ts';
import { PRIMITIVES } from '../../prims/table.ts';
import { broadcastStrides } from '../cpu/strided.ts';
import { softwareWorkgroupSize, type KernelPlan, type KernelStore } from './kernel-plan.ts';
import { readsAtOwnIndex, type Schedule } from './schedule.ts';

/** WGSL helpers that primitive expressions may call, emitted only into kernels that use them. */
const HELPERS: Record<string, string> = {
  // tanh(±15) is ±1 in f32; clamping keeps implementations that build tanh from exp away from inf/inf.
  gl_tanh: 'fn gl_tanh(x: f32) -> f32 { return tanh(clamp(x, -15.0, 15.0)); }',
  gl_sigmoid: 'fn gl_sigmoid(x: f32) -> f32 { return 1.0 / (1.0 + exp(-x)); }',
  gl_softplus: 'fn gl_softplus(x: f32) -> f32 { return max(x, 0.0) + log(1.0 + exp(-abs(x))); }',
  // WGSL's pow is exp2(b·log2(a)), undefined for a ≤ 0: integer exponents of negative bases are well
  // defined in math, and 0^b is 0 or ∞ (SwiftShader's log2(0) is finite: 0^0.1 came out as 1.5e-4).
  gl_pow: [
    'fn gl_pow(a: f32, b: f32) -> f32 {',
    '  if (b == 0.0) { return 1.0; }',
    '  if (a == 0.0) { return select(gl_bits(0x7f800000u), 0.0, b > 0.0); }',
    '  if (a > 0.0) { return pow(a, b); }',
    '  if (b != floor(b)) { return gl_bits(0x7fc00000u); }',
    '  let r = pow(-a, b);',
    '  return select(r, -r, fract(b * 0.5) != 0.0);',
    '}',
  ].join('\n'),
  // NaN and ±∞ from their bits. `bitcast<f32>(0x7fc00000u)` written inline is a constant expression,
  // and WGSL rejects constant expressions whose value is not a finite f32 (the whole shader fails to
  // compile); a function argument is a runtime value, so this is not evaluated at compile time.
  gl_bits: 'fn gl_bits(bits: u32) -> f32 { return bitcast<f32>(bits); }',
};

/** An f32 literal that reads naturally (2.0, 0.5, 1e-3), or exact bits for values WGSL cannot spell. */
export function f32Literal(value: number): string {
  const v = Math.fround(value);
  if (Number.isNaN(v)) return 'gl_bits(0x7fc00000u)';
  if (v === Infinity) return 'gl_bits(0x7f800000u)';
  if (v === -Infinity) return 'gl_bits(0xff800000u)';
  const abs = Math.abs(v);
  if (v !== 0 && (abs < 1e-30 || abs > 1e30)) return `bitcast<f32>(${new Uint32Array(new Float32Array([v]).buffer)[0]}u)`;
  // The shortest decimal that rounds back to the same f32.
  for (let digits = 1; digits <= 9; digits++) {
    const text = v.toPrecision(digits);
    if (Math.fround(Number(text)) === v) return /[.e]/.test(text) ? text.replace(/e\+?/, 'e') : `${text}.0`;
  }
  return `${v}`;
}

/** Per output dimension, where its coordinate moves the argument's linear index (0: broadcast). */
function argStrides(node: AnyNode, argShape: Shape): number[] {
  switch (node.op) {
    case 'broadcast': {
      const batch = node.shape.length - node.params.to.length;
      return [...stridesOf(argShape).slice(0, batch), ...broadcastStrides(node.params.from, node.params.to)];
    }
    case 'transpose': {
      const s = stridesOf(argShape);
      const r = s.length;
      [s[r - 2], s[r - 1]] = [s[r - 1], s[r - 2]];
      return s;
    }
    default:
      return broadcastStrides(argShape, node.shape);
  }
}

/** Consecutive elements each invocation of a vectorised elementwise kernel computes: one vec4 per stored value. */
export const ELEMENTWISE_LANES = 4;
const COMPONENTS = ['x', 'y', 'z', 'w'];

/**
 * Where a lane's index sits: element `lane` of four consecutive ones starting at `base`, a multiple of 4.
 * A value read at such indices by all four lanes is one vec4 load at base / 4.
 */
interface LaneIndex {
  readonly base: string;
  readonly lane: number;
  /** base / 4: the vec4 that holds the four elements. */
  readonly quad: string;
}

/**
 * Builds the body of a fused kernel: the value of a stored node at a linear index, with every
 * non-stored producer inlined as `let` statements. Stored producers become buffer reads ("leaves").
 *
 * A vectorised kernel (see emitElementwise) asks for each node's value at four lane indices. Indices are
 * tracked through broadcasts: where the four lanes read four consecutive, aligned elements of a leaf, they
 * share one vec4 load; where they read one element (a value per row scaling a row), one scalar load; only
 * other patterns (a transpose) read each lane's element alone.
 */
class Fusion {
  readonly lines: string[] = [];
  readonly leaves: NodeId[] = [];
  /** Leaves read as vec4 somewhere: declared array<vec4<f32>>. */
  readonly quadLeaves = new Set<NodeId>();
  /** Leaves read one element at a time somewhere. */
  readonly scalarLeaves = new Set<NodeId>();
  private readonly memo = new Map<string, string>();
  private readonly names = new Set<string>();
  private readonly lanes = new Map<string, LaneIndex>();
  private indexCount = 0;

  /**
   * `computed`: stored nodes this kernel computes itself (the roots of a multi-output kernel, in order);
   * a later root reads an earlier one at the kernel's own index from its `let`, not from its buffer.
   * `declaredQuad`: leaves bound as array<vec4<f32>>, whose single elements are read as [j / 4][j % 4].
   * `given`: stored nodes whose value at the kernel's own index `ownIndex` is already in a variable (an
   * epilogue's product), read from there and never from a buffer.
   */
  constructor(
    private readonly graph: Graph,
    private readonly stored: ReadonlySet<NodeId>,
    private readonly firstBinding: number,
    private readonly computed: ReadonlySet<NodeId> = new Set(),
    private readonly declaredQuad: ReadonlySet<NodeId> = new Set(),
    private readonly given: ReadonlyMap<NodeId, string> = new Map(),
    private readonly ownIndex = 'i',
  ) {}

  /** Name of the binding that holds leaf `id`. */
  leafName(id: NodeId): string {
    let i = this.leaves.indexOf(id);
    if (i < 0) i = this.leaves.push(id) - 1;
    return `in${i + this.firstBinding}`;
  }

  /** The four lane indices of invocation `q`'s elements 4q, 4q + 1, ..., as `let`s. */
  laneIndices(q: string): string[] {
    const names = COMPONENTS.map((_, lane) => `e${lane}`);
    names.forEach((name, lane) => {
      this.lines.push(`let ${name} = ${lane === 0 ? `${ELEMENTWISE_LANES}u * ${q}` : `e0 + ${lane}u`};`);
      this.lanes.set(name, { base: 'e0', lane, quad: q });
    });
    return names;
  }

  /** An expression for node `id` at linear index `index` (itself an expression). */
  value(id: NodeId, index: string, root = false): string {
    const n = this.graph.nodes[id];
    if (n.op === 'const') return f32Literal(n.params.value);
    // A root this kernel computes, read by a later one: its value at that index, from the same `let`s.
    if (!root && this.computed.has(id)) return this.value(id, index, true);
    const known = root ? undefined : this.given.get(id);
    if (known !== undefined) {
      if (index !== this.ownIndex) throw new Error(`internal error: %${id} is given at ${this.ownIndex} only, read at ${index}`);
      return known;
    }
    if (!root && this.stored.has(id)) return this.leafRead(id, index);
    const key = `${id}@${index}`;
    const hit = this.memo.get(key);
    if (hit !== undefined) return hit;
    if (n.op === 'input' || n.op === 'matmul') throw new Error(`internal error: %${id} (${n.op}) must be stored`);
    const lowering = PRIMITIVES[n.op].wgsl;
    let expr: string;
    if (lowering.kind === 'elementwise') {
      const args = n.args.map((a) => this.value(a, this.remap(index, n, this.graph.nodes[a].shape)));
      expr = lowering.expr(...args);
    } else if (lowering.kind === 'index') {
      return this.value(n.args[0], n.op === 'reshape' ? index : this.remap(index, n, this.graph.nodes[n.args[0]].shape));
    } else {
      throw new Error(`internal error: %${id} (${n.op}) cannot be inlined`);
    }
    let name = `v${id}`;
    for (let k = 1; this.names.has(name); k++) name = `v${id}_${k}`;
    this.names.add(name);
    const label = this.graph.labels?.get(id);
    this.lines.push(`let ${name} = ${expr}; // ${label ? `${label} = ` : ''}${n.op} ${formatShape(n.shape)}`);
    this.memo.set(key, name);
    return name;
  }

  /** Leaf `id` at `index`: a component of a shared vec4 load where the lanes read four aligned elements. */
  private leafRead(id: NodeId, index: string): string {
    const name = this.leafName(id);
    const lane = this.lanes.get(index);
    if (lane !== undefined) {
      this.quadLeaves.add(id);
      return `${this.once(`${name}_${lane.base}`, `${name}[${lane.quad}]`)}.${COMPONENTS[lane.lane]}`;
    }
    this.scalarLeaves.add(id);
    const read = this.declaredQuad.has(id) ? `${name}[${index} / ${ELEMENTWISE_LANES}u][${index} % ${ELEMENTWISE_LANES}u]` : `${name}[${index}]`;
    // Lanes that share an index (a broadcast value) share its load; scalar kernels read inline as always.
    return this.lanes.size === 0 ? read : this.once(`${name}_${index}`, read);
  }

  /** A `let` for `expr`, made once per `key`. */
  private once(key: string, expr: string): string {
    const hit = this.memo.get(key);
    if (hit !== undefined) return hit;
    const name = `r${this.memo.size}`;
    this.lines.push(`let ${name} = ${expr};`);
    this.memo.set(key, name);
    return name;
  }

  /**
   * The argument's index for output index `index`. A lane index whose four elements lie in one row keeps
   * its structure where the argument's elements are consecutive too (stride 1 along the row), and becomes
   * the group's one shared index where the argument is broadcast along the row (stride 0).
   */
  private remap(index: string, node: AnyNode, argShape: Shape): string {
    if (shapesEqual(argShape, node.shape) && node.op !== 'transpose') return index;
    if (numel(argShape) === 1) return '0u';
    const lane = this.lanes.get(index);
    const rowLength = node.shape[node.shape.length - 1];
    if (lane === undefined || rowLength % ELEMENTWISE_LANES !== 0) return this.affine(index, node, argShape);
    const strides = argStrides(node, argShape);
    const last = strides.length - 1;
    if (strides[last] === 0) return this.affine(lane.base, node, argShape);
    // Row-major broadcasts and transposes that keep stride 1 along the row have every other stride a
    // multiple of the row (so of 4); checked so that a future index op cannot misalign a vec4 load.
    const aligned = strides.every((s, d) => d === last || s % ELEMENTWISE_LANES === 0 || node.shape[d] === 1);
    if (strides[last] !== 1 || !aligned) return this.affine(index, node, argShape);
    const base = this.affine(lane.base, node, argShape);
    const name = lane.lane === 0 ? base : this.once(`${base}+${lane.lane}`, `${base} + ${lane.lane}u`);
    this.lanes.set(name, { base, lane: lane.lane, quad: this.once(`${base}/4`, `${base} / ${ELEMENTWISE_LANES}u`) });
    return name;
  }

  /** The argument's linear index for output linear index `index`, as a `let` when it needs arithmetic. */
  private affine(index: string, node: AnyNode, argShape: Shape): string {
    const key = `${index}:${node.id}:${formatShape(argShape)}`;
    const hit = this.memo.get(key);
    if (hit !== undefined) return hit;
    const strides = argStrides(node, argShape);
    const outStrides = stridesOf(node.shape);
    const terms: string[] = [];
    node.shape.forEach((size, d) => {
      if (strides[d] === 0 || size === 1) return;
      let coord = outStrides[d] === 1 ? index : `(${index} / ${outStrides[d]}u)`;
      if (d > 0) coord = `(${coord} % ${size}u)`;
      terms.push(strides[d] === 1 ? coord : `${coord} * ${strides[d]}u`);
    });
    const name = `i${this.indexCount++}`;
    this.lines.push(`let ${name} = ${terms.join(' + ') || '0u'};`);
    this.memo.set(key, name);
    return name;
  }
}

/** The helpers that `body` calls, directly or through other helpers, in a stable order. */
function helperSource(body: readonly string[]): string {
  const used = new Set<string>();
  const visit = (text: string) => {
    for (const [name, source] of Object.entries(HELPERS)) {
      if (used.has(name) || !text.includes(`${name}(`)) continue;
      used.add(name);
      visit(source);
    }
  };
  body.forEach(visit);
  return [...used].sort().map((h) => HELPERS[h]).join('\n');
}

function bindingDecl(binding: number, name: string, access: 'read' | 'read_write', what: string, element = 'f32'): string {
  return `@group(0) @binding(${binding}) var<storage, ${access}> ${name}: array<${element}>; // ${what}`;
}

/** How a kernel's comments name a node: its input or binding name when it has one, else %id. */
function describe(graph: Graph, id: NodeId): string {
  const n = graph.nodes[id];
  const name = n.op === 'input' ? n.params.name : graph.labels?.get(id) ?? `%${id}`;
  return `${name} ${formatShape(n.shape)}`;
}

export const ELEMENTWISE_WORKGROUP = 256;

/**
 * Blocks (vec4s, or single elements) each invocation of an elementwise kernel computes on a software
 * adapter. SwiftShader pays a fixed cost per invocation (its builtins and every binding's descriptor),
 * measured larger than the loads and stores themselves: J = (1 − y²) ⊙ W over 256 × 256 took 0.41 ms
 * with one vec4 per invocation, 0.28 ms with four, 0.26 ms with eight, and an empty kernel of the first
 * shape 0.32 ms. The blocks are written out in straight-line code: a loop over them, or a bounds check
 * per block, cost as much as it saved (0.52 and 0.36 ms). Four keeps a 64 K-element kernel at 16
 * workgroups, enough for a many-core CPU.
 */
export const SOFTWARE_ELEMENTWISE_BLOCKS = 4;

/** The largest workgroup of an elementwise kernel on a software adapter (see softwareWorkgroupSize). */
export const SOFTWARE_ELEMENTWISE_WORKGROUP = 64;

/** Workgroup grid for `count` invocations of `size` threads, folded into 2-D past the per-dimension limit. */
export function grid(count: number, size: number, maxPerDimension: number): [number, number, number] {
  const groups = Math.max(1, Math.ceil(count / size));
  if (groups <= maxPerDimension) return [groups, 1, 1];
  const x = maxPerDimension;
  const y = Math.ceil(groups / x);
  if (y > maxPerDimension) throw new Error(`${count} invocations need more than ${maxPerDimension}² workgroups`);
  return [x, y, 1];
}

/** A fused elementwise kernel plan and the stored nodes it reads, in binding order. */
export interface FusedKernel {
  readonly plan: KernelPlan;
  /** Stored nodes bound at @binding(0...), then the output at @binding(reads.length). */
  readonly reads: readonly NodeId[];
}

/**
 * The kernel that computes the stored nodes `ids` (one shape; each reading the earlier ones, if at all, at
 * its own index: see elementwiseReads) elementwise, with their producers inlined and each value computed
 * once. It writes those in `written` (default all; a value only later roots read stays in registers),
 * bound after the reads in the order of `ids`.
 *
 * When the element count is a multiple of 4, each invocation computes four consecutive elements and
 * stores them as one vec4, and reads its operands four at a time where they allow (see Fusion). Wide
 * loads and stores are what GPUs' memory systems reward, and on a software adapter they matter more:
 * measured on SwiftShader, scaling the rows of a 1024 × 1024 matrix took 19 ms one element per
 * invocation and 7 ms four.
 *
 * On a software adapter each invocation computes SOFTWARE_ELEMENTWISE_BLOCKS consecutive such blocks,
 * one after another in straight-line code, in workgroups sized by softwareWorkgroupSize.
 */
export function emitElementwise(graph: Graph, schedule: Schedule, ids: readonly NodeId[], maxPerDimension: number, written: readonly NodeId[] = ids, softwareAdapter = false): FusedKernel {
  const count = numel(graph.nodes[ids[0]].shape);
  const lanes = count % ELEMENTWISE_LANES === 0 ? ELEMENTWISE_LANES : 1;
  const build = (declaredQuad?: ReadonlySet<NodeId>) => {
    const fusion = new Fusion(graph, schedule.stored, 0, new Set(ids), declaredQuad);
    const at = lanes === 1 ? ['i'] : fusion.laneIndices('i');
    const values = new Map(ids.map((id) => [id, at.map((index) => fusion.value(id, index, true))]));
    return { fusion, results: written.map((id) => values.get(id)!) };
  };
  let { fusion, results } = build();
  // A leaf read both four at a time and one element at a time is bound as vec4s: build again knowing it.
  if ([...fusion.quadLeaves].some((id) => fusion.scalarLeaves.has(id))) ({ fusion, results } = build(fusion.quadLeaves));
  const reads = fusion.leaves;
  const out = (k: number) => (written.length === 1 ? 'out' : `out${k}`);
  const element = lanes === 1 ? 'f32' : 'vec4<f32>';
  const stored = results.map((r) => (lanes === 1 ? r[0] : `vec4<f32>(${r.join(', ')})`));
  const units = count / lanes;
  const perInvocation = softwareAdapter ? Math.min(SOFTWARE_ELEMENTWISE_BLOCKS, units) : 1;
  const invocations = Math.ceil(units / perInvocation);
  const size = softwareAdapter ? softwareWorkgroupSize(invocations, SOFTWARE_ELEMENTWISE_WORKGROUP) : ELEMENTWISE_WORKGROUP;
  const workgroups = grid(invocations, size, maxPerDimension);
  const body = [...fusion.lines.map((l) => `  ${l}`), ...stored.map((r, k) => `  ${out(k)}[i] = ${r};`)];
  const thread = `gid.x + gid.y * groups.x * ${size}u`;
  const entry = perInvocation === 1
    ? [`  let i = ${thread};`, `  if (i >= ${units}u) { return; }`, ...body]
    : [
        `  let first = (${thread}) * ${perInvocation}u;`,
        `  if (first >= ${units}u) { return; }`,
        // The last invocation's blocks past the end repeat the last block (its own), so no branch is needed.
        ...Array.from({ length: perInvocation }, (_, b) => {
          const index = b === 0 ? 'first' : `first + ${b}u`;
          return `  compute_block(${units % perInvocation === 0 || b === 0 ? index : `min(${index}, ${units - 1}u)`});`;
        }),
      ];
  const code = [
    `// Gradient Lab fused kernel: ${written.map((id) => `${describe(graph, id)} = ${graph.nodes[id].op}(...)`).join(', ')}, ${fusion.lines.length} inlined steps`,
    ...(lanes === 1 ? [] : [`// Each block is ${lanes} consecutive elements, stored as one vec4.`]),
    ...(perInvocation === 1 ? [] : [`// Each invocation computes ${perInvocation} consecutive blocks.`]),
    ...reads.map((r, i) => bindingDecl(i, `in${i}`, 'read', describe(graph, r), fusion.quadLeaves.has(r) ? 'vec4<f32>' : 'f32')),
    ...written.map((id, k) => bindingDecl(reads.length + k, out(k), 'read_write', describe(graph, id), element)),
    helperSource([...fusion.lines, ...stored]),
    '',
    ...(perInvocation === 1 ? [] : ['fn compute_block(i: u32) {', ...body, '}', '']),
    `@compute @workgroup_size(${size})`,
    'fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {',
    ...entry,
    '}',
    '',
  ].filter((l, i, all) => l !== '' || all[i - 1] !== '').join('\n');
  return { plan: { label: `elementwise ${written.map((id) => `%${id}`).join(' ')}`, code, entryPoint: 'main', workgroups, uniforms: new Uint32Array(0) }, reads };
}

/**
 * A product kernel's store function and the buffers it writes its products to: matvec_store
 * (matvec_out), matvec_store_pair (matvec_out, matvec_out_b) or gemm_store (C); see KernelStore.
 */
export interface StoreFunction {
  readonly name: string;
  readonly products: readonly string[];
}

/**
 * The store of a product kernel (see KernelStore) with the elementwise kernel of stored nodes `ids`
 * fused in after the product: `store.name(o, v)` (`(o, v, w)` for two products) writes the products at
 * element o, then `written` at o, one element at a time. `given` names the parameter (v or w) that holds
 * each stored node the steps read as a product: views of the kernel's own outputs, read at o only. The
 * steps' other reads bind from `firstBinding` on, then the written nodes, in the order returned.
 */
export function emitStoreEpilogue(graph: Graph, schedule: Schedule, ids: readonly NodeId[], written: readonly NodeId[], given: ReadonlyMap<NodeId, 'v' | 'w'>, firstBinding: number, store: StoreFunction): KernelStore & { reads: NodeId[] } {
  const fusion = new Fusion(graph, schedule.stored, firstBinding, new Set(ids), new Set(), given, 'o');
  const values = new Map(ids.map((id) => [id, fusion.value(id, 'o', true)]));
  const reads = fusion.leaves;
  const out = (k: number) => `epilogue_out${k}`;
  const params = ['v', 'w'].slice(0, store.products.length);
  const code = [
    `// Epilogue: ${written.map((id) => `${describe(graph, id)} = ${graph.nodes[id].op}(...)`).join(', ')} at each element o, ${fusion.lines.length} inlined steps.`,
    ...reads.map((r, i) => bindingDecl(firstBinding + i, `in${firstBinding + i}`, 'read', describe(graph, r))),
    ...written.map((id, k) => bindingDecl(firstBinding + reads.length + k, out(k), 'read_write', describe(graph, id))),
    helperSource([...fusion.lines, ...values.values()]),
    `fn ${store.name}(o: u32, ${params.map((p) => `${p}: f32`).join(', ')}) {`,
    ...store.products.map((buffer, k) => `  ${buffer}[o] = ${params[k]};`),
    ...fusion.lines.map((l) => `  ${l}`),
    ...written.map((id, k) => `  ${out(k)}[o] = ${values.get(id)};`),
    '}',
  ].filter((l) => l !== '').join('\n');
  return { code, label: `, then elementwise ${written.map((id) => `%${id}`).join(' ')}`, reads };
}

/**
 * The stored nodes that computing stored node `id` elementwise reads, each with whether every read is at
 * `id`'s own index (through same-shape elementwise steps and reshapes only), which is what lets it join a
 * kernel that computes them.
 */
export function elementwiseReads(graph: Graph, stored: ReadonlySet<NodeId>, id: NodeId): Map<NodeId, boolean> {
  const reads = new Map<NodeId, boolean>();
  const seen = new Set<string>();
  const visit = (n: NodeId, sameIndex: boolean, root: boolean) => {
    const node = graph.nodes[n];
    if (node.op === 'const') return;
    if (!root && stored.has(n)) {
      reads.set(n, (reads.get(n) ?? true) && sameIndex);
      return;
    }
    if (seen.has(`${n}:${sameIndex}`)) return;
    seen.add(`${n}:${sameIndex}`);
    for (const a of node.args) {
      visit(a, sameIndex && readsAtOwnIndex(graph, n, a), false);
    }
  };
  visit(id, true, true);
  return reads;
}

/** `fn load_input(i: u32) -> f32` for a reduction over node `id`'s argument, producers inlined. */
export function emitReduceLoad(graph: Graph, schedule: Schedule, id: NodeId, firstBinding: number): { source: string; reads: NodeId[] } {
  const fusion = new Fusion(graph, schedule.stored, firstBinding);
  const arg = graph.nodes[id].args[0];
  const result = fusion.value(arg, 'i', false);
  const reads = fusion.leaves;
  const source = [
    ...reads.map((r, i) => bindingDecl(i + firstBinding, `in${i + firstBinding}`, 'read', describe(graph, r))),
    helperSource([...fusion.lines, result]),
    `// The reduced value ${describe(graph, arg)} at linear index i, its producers inlined.`,
    'fn load_input(i: u32) -> f32 {',
    ...fusion.lines.map((l) => `  ${l}`),
    `  return ${result};`,
    '}',
  ].filter((l) => l !== '').join('\n');
  return { source, reads };
}

/** One operand of a matrix-vector product: where element (o, k) (matrix) or k (vector) sits in a node's buffer. */
export interface ProductOperand {
  readonly node: NodeId;
  readonly offset: number;
  /** Element stride along the output index o (the matrix only; 0 for the vector). */
  readonly oStride: number;
  readonly kStride: number;
}

/**
 * A matrix-vector product out[o] = Σ_k matrix[o, k] · vector[k] as a sum over the virtual tensor of the
 * products: [outputs, K] summed over axis 1 (`layout` 'ok'), or [K, outputs] over axis 0 ('ko').
 */
export interface ProductLoad {
  readonly outputs: number;
  readonly K: number;
  readonly matrix: ProductOperand;
  readonly vector: ProductOperand;
  readonly layout: 'ok' | 'ko';
}

/** `fn load_input(i: u32) -> f32` reading the product matrix[o, k] · vector[k] at linear index i of `p`'s virtual tensor. */
export function emitProductLoad(graph: Graph, p: ProductLoad, firstBinding: number): { source: string; reads: NodeId[] } {
  const reads = [...new Set([p.matrix.node, p.vector.node])];
  const name = (id: NodeId) => `in${reads.indexOf(id) + firstBinding}`;
  // o and k from i; a dimension of size 1 contributes no index at all.
  const [outer, inner] = p.layout === 'ok' ? [['o', p.outputs], ['k', p.K]] as const : [['k', p.K], ['o', p.outputs]] as const;
  const lets: string[] = [];
  if (outer[1] > 1) lets.push(`let ${outer[0]} = ${inner[1] > 1 ? `i / ${inner[1]}u` : 'i'};`);
  if (inner[1] > 1) lets.push(`let ${inner[0]} = ${outer[1] > 1 ? `i % ${inner[1]}u` : 'i'};`);
  const address = (x: ProductOperand) => {
    const terms = [x.offset > 0 ? `${x.offset}u` : ''];
    for (const [index, size, stride] of [['o', p.outputs, x.oStride], ['k', p.K, x.kStride]] as const) {
      if (size > 1 && stride > 0) terms.push(stride === 1 ? index : `${index} * ${stride}u`);
    }
    return terms.filter((t) => t !== '').join(' + ') || '0u';
  };
  const shape = p.layout === 'ok' ? `[${p.outputs}, ${p.K}]` : `[${p.K}, ${p.outputs}]`;
  const source = [
    ...reads.map((r) => bindingDecl(reads.indexOf(r) + firstBinding, name(r), 'read', describe(graph, r))),
    `// Element i of the ${shape} tensor of products matrix[o, k] · vector[k], indexed (${p.layout.split('').join(', ')}), summed over k.`,
    'fn load_input(i: u32) -> f32 {',
    ...lets.map((l) => `  ${l}`),
    `  return ${name(p.matrix.node)}[${address(p.matrix)}] * ${name(p.vector.node)}[${address(p.vector)}];`,
    '}',
  ].join('\n');
  return { source, reads };
}
