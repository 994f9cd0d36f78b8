/**
 * Planner for the reductions of shaders/reduce*.wgsl: `sum`, `max` and `logsumexp` of a row-major f32
 * tensor over any set of axes, with the elementwise producer fused into the load.
 *
 * Binding convention of every reduction kernel (all in @group(0)):
 * - @binding(0): the result, `array<f32>` read_write storage;
 * - @binding(1): the plan's `uniforms` (a uniform buffer);
 * - @binding(2...): whatever the caller's `loadFn` declares. Numbering the fused inputs after the
 *   reduction's own two bindings lets a code generator emit `loadFn` without knowing the kernel.
 *
 * Splitting: when one pass would leave a GPU mostly idle (few outputs, long reductions), the plan is two
 * stages. The plan's kernel then reduces chunks of the reduced range and writes `partials.count` f32
 * partial results — a [chunks, outputs] tensor, each entry the same reduction of one chunk (a chunk's
 * logsumexp for `logsumexp`) — into a scratch buffer the executor binds at @binding(0) in place of the
 * output. `partials.finish` (itself a ReducePlan, reading that scratch buffer through `defaultLoad()`
 * at @binding(2)) reduces those over the chunk axis into the output; it may be split again.
 */
import { numel } from '../../ir/shape.ts';
import type { KernelPlan } from './kernel-plan.ts';
import { loadShader } from './shader-source.ts';

export type ReduceOp = 'sum' | 'max' | 'logsumexp';

export interface ReduceSpec {
  readonly op: ReduceOp;
  /** Full input shape. */
  readonly inShape: readonly number[];
  /** Reduced axes, normalised to 0..rank-1, sorted, non-empty; they are removed from the output. */
  readonly axes: readonly number[];
}

/** One reduction dispatch, plus the second stage when the reduced range is split into chunks. */
export interface ReducePlan extends KernelPlan {
  /** Null when this kernel writes the output; otherwise it writes `count` partials for `finish`. */
  readonly partials: { readonly count: number; readonly finish: ReducePlan } | null;
}

/** The combine rule of each op (ReduceAcc, identity, push, combine, finish). */
const COMBINE_SHADER: { readonly [O in ReduceOp]: string } = {
  sum: 'reduce-sum',
  max: 'reduce-max',
  logsumexp: 'reduce-logsumexp',
};

/** Invocations per workgroup (REDUCE_WORKGROUP in shaders/reduce.wgsl). */
const WORKGROUP = 256;
/** Capacity of the `kept` and `red` arrays (REDUCE_MAX_GROUPS in shaders/reduce.wgsl). */
const MAX_GROUPS = 8;
/** u32 words of ReduceParams: an 8-word header, then two arrays of MAX_GROUPS vec4u. */
const UNIFORM_WORDS = 8 + 2 * 4 * MAX_GROUPS;
/**
 * Threads a reduction should keep busy before splitting stops paying. Each keeps four loads in
 * flight (the kernel's loop is unrolled), so 32k threads cover a large GPU's memory latency.
 */
const TARGET_THREADS = 32768;
/** Elements a lane should load: fewer and the tree, the partials and the launch dominate. */
const PER_LANE = 128;
/** Lanes that read one output's run as whole 128-byte lines (a warp of 32 × f32). */
const COALESCED_LANES = 32;
/** Most chunks per output, which bounds the finishing pass. */
const MAX_CHUNKS = 1024;
/** An innermost kept run at least this long gives coalesced reads with one thread per output. */
const COALESCED_RUN = 32;
/**
 * Software adapters (a CPU running WGSL): threads per workgroup run one after another on one core, and
 * a barrier is a context switch, so one thread owns each result and no tree is built. A reduction is
 * split only when its slots would not fill this many threads, and into chunks of at least
 * SOFTWARE_CHUNK elements: enough workgroups for every core, each thread with a long loop. Measured on
 * SwiftShader, a 64-element sum took 0.2 ms with a 16-lane tree.
 */
const SOFTWARE_THREADS = 4 * WORKGROUP;
const SOFTWARE_CHUNK = 1024;

const U32_LIMIT = 2 ** 32;

/** A run of adjacent input dims that are all kept or all reduced, merged into one. */
interface Group {
  readonly size: number;
  /** Input stride (elements) of the run's innermost dim. */
  readonly stride: number;
}

/**
 * Plans the reduction `spec` of the input that `loadFn` reads. `loadFn` is WGSL defining
 * `fn load_input(i: u32) -> f32` (i = row-major linear index into the input) plus any bindings it needs
 * at @group(0) @binding(2...). Shapes and strides are uniforms, so the code depends only on the op,
 * `loadFn` and whether lanes share a result: a handful of pipelines serve every shape.
 *
 * Strategy, chosen from the shape: `lanes` consecutive threads (a power of two) share one output.
 * - Innermost input axis reduced: 32 to 256 lanes per output (about 128 loads each) stride over the
 *   reduced range, so a warp reads whole cache lines, then combine through a shared-memory tree.
 * - Innermost axis kept, in a run of at least 32: one thread per output loops over the reduced
 *   range; neighbouring threads own neighbouring outputs, so their reads are coalesced. No tree.
 * - Too few threads for the GPU (e.g. everything into a scalar, or a sum over the leading axis of a
 *   narrow matrix): split the reduced range into chunks, and a second plan combines the partials.
 * - `softwareAdapter`: one thread per output always (see SOFTWARE_THREADS).
 */
export function planReduce(spec: ReduceSpec, loadFn: string, limits: { maxComputeWorkgroupsPerDimension: number }, softwareAdapter = false): ReducePlan {
  const { op, inShape, axes } = spec;
  checkSpec(spec);
  if (numel(inShape) >= U32_LIMIT) throw new RangeError(`planReduce: [${inShape.join(', ')}] has too many elements for u32 indices`);
  const { kept, reduced } = mergeGroups(inShape, axes);
  const outputs = product(kept);
  const R = product(reduced);

  const innermostKept = kept.length > 0 && (reduced.length === 0 || kept[0].stride < reduced[0].stride);
  // About PER_LANE loads per lane, but at least a coalescing warp's worth of lanes (while each gets 4).
  const lanes = softwareAdapter || (innermostKept && kept[0].size >= COALESCED_RUN) ? 1 : clamp(floorPow2(R / PER_LANE), Math.min(COALESCED_LANES, floorPow2(R / 4)), WORKGROUP);

  // Chunks per output: enough threads to fill the GPU, each lane still doing PER_LANE loads.
  const wanted = outputs === 0
    ? 1
    : softwareAdapter
      ? Math.min(Math.ceil(SOFTWARE_THREADS / outputs), Math.floor(R / SOFTWARE_CHUNK), MAX_CHUNKS)
      : Math.min(Math.ceil(TARGET_THREADS / (outputs * lanes)), Math.floor(R / (lanes * PER_LANE)), MAX_CHUNKS);
  // Chunk lengths are a multiple of `lanes`, so every lane of a slot does the same number of loads.
  const chunk = wanted > 1 ? Math.ceil(R / wanted / lanes) * lanes : R;
  const chunks = wanted > 1 ? Math.ceil(R / chunk) : 1;
  const slots = outputs * chunks;

  const uniforms = new Uint32Array(UNIFORM_WORDS);
  uniforms.set([outputs, slots, lanes, chunk, R, kept.length, reduced.length, 0]);
  kept.forEach((g, i) => uniforms.set([g.size, g.stride], 8 + 4 * i));
  reduced.forEach((g, i) => uniforms.set([g.size, g.stride], 8 + 4 * (MAX_GROUPS + i)));

  const label = `reduce ${op} [${inShape.join(', ')}] over (${axes.join(', ')})`;
  const partials =
    chunks === 1
      ? null
      : {
          count: slots,
          finish: planReduce({ op, inShape: outputs === 1 ? [chunks] : [chunks, outputs], axes: [0] }, defaultLoad(), limits, softwareAdapter),
        };
  return {
    label: chunks === 1 ? label : `${label}, ${chunks} chunks`,
    // A thread per output needs no shared-memory tree, hence no barrier: a separate, leaner pipeline.
    code: [loadShader('reduce'), loadShader(lanes === 1 ? 'reduce-thread' : 'reduce-tree'), loadShader(COMBINE_SHADER[op]), loadFn].join('\n'),
    entryPoint: 'reduce_main',
    workgroups: slots === 0 ? [0, 1, 1] : foldGrid(Math.ceil(slots / (WORKGROUP / lanes)), limits.maxComputeWorkgroupsPerDimension),
    uniforms,
    partials,
  };
}

/** `load_input` reading a plain f32 input buffer at @binding(2): unfused reductions and tests. */
export function defaultLoad(): string {
  return loadShader('reduce-load');
}

function checkSpec({ op, inShape, axes }: ReduceSpec): void {
  if (!Object.hasOwn(COMBINE_SHADER, op)) throw new RangeError(`planReduce: unknown op '${op}'`);
  if (!inShape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw new RangeError(`planReduce: bad shape [${inShape.join(', ')}]`);
  const sorted = axes.every((a, i) => Number.isInteger(a) && a >= 0 && a < inShape.length && (i === 0 || a > axes[i - 1]));
  if (axes.length === 0 || !sorted) {
    throw new RangeError(`planReduce: axes (${axes.join(', ')}) must be sorted, distinct, non-empty and within rank ${inShape.length}`);
  }
}

/**
 * The input dims as runs of kept and reduced dims, innermost first. Size-1 dims are dropped (they move
 * no index), then neighbours of the same kind merge: [a, b, c] over (1, 2) is [a, b·c] over (1).
 */
function mergeGroups(inShape: readonly number[], axes: readonly number[]): { kept: Group[]; reduced: Group[] } {
  const kept: Group[] = [];
  const reduced: Group[] = [];
  let stride = 1;
  let last: 'kept' | 'reduced' | null = null;
  for (let d = inShape.length - 1; d >= 0; d--) {
    const size = inShape[d];
    const kind = axes.includes(d) ? 'reduced' : 'kept';
    if (size !== 1) {
      const groups = kind === 'kept' ? kept : reduced;
      if (kind === last) {
        const g = groups.pop()!;
        groups.push({ size: g.size * size, stride: g.stride });
      } else {
        groups.push({ size, stride });
      }
      last = kind;
    }
    stride *= size;
  }
  if (kept.length > MAX_GROUPS || reduced.length > MAX_GROUPS) {
    throw new RangeError(`planReduce: [${inShape.join(', ')}] over (${axes.join(', ')}) alternates kept and reduced dims more than ${MAX_GROUPS} times`);
  }
  return { kept, reduced };
}

/** Workgroup counts for `count` workgroups, folded into y and z when x would exceed `maxPerDim`. */
function foldGrid(count: number, maxPerDim: number): [number, number, number] {
  const x = Math.min(count, maxPerDim);
  const y = Math.min(Math.ceil(count / x), maxPerDim);
  const z = Math.ceil(count / (x * y));
  if (z > maxPerDim) throw new RangeError(`planReduce: ${count} workgroups exceed ${maxPerDim}³`);
  return [x, y, z];
}

function product(groups: readonly Group[]): number {
  return groups.reduce((p, g) => p * g.size, 1);
}

function floorPow2(x: number): number {
  return x < 1 ? 1 : 2 ** Math.floor(Math.log2(x));
}

function clamp(x: number, lo: number, hi: number): number {
  return Math.min(Math.max(x, lo), hi);
}
