/**
 * Planner for the matrix-vector kernels of shaders/matvec-rows.wgsl and matvec-cols(-wide).wgsl:
 * out[o] = Σ_k matrix[o, k] · vector[k], the shape of every GEMM with one output row or column (a primal
 * W @ x, a single-direction JVP or VJP through it). The 64×64-tile GEMM would compute 64 outputs per
 * dot product and keep one; the general reduction (reduce.ts) handles any layout but pays a shared-memory
 * tree per output, which measured 50× slower than these kernels on SwiftShader (W @ x at 256: 15 ms vs 0.3).
 *
 * Binding convention (as for reductions): @binding(0) the output, @binding(1) the uniforms,
 * @binding(2) the matrix, @binding(3) the vector.
 */
import { softwareWorkgroupSize, type KernelPlan, type KernelStore } from './kernel-plan.ts';
import { foldGrid } from './matmul.ts';
import { loadShader } from './shader-source.ts';

export interface MatvecSpec {
  readonly outputs: number;
  readonly K: number;
  /** 'ok': the matrix is [outputs, K] row-major (rows contiguous); 'ko': [K, outputs]. */
  readonly layout: 'ok' | 'ko';
  /** Element offsets of the matrix and the vector (the vector is contiguous). */
  readonly matrixOffset: number;
  readonly vectorOffset: number;
}

/** Threads per workgroup on a GPU (MATVEC_WORKGROUP, which the planner prepends to the shaders). */
const WORKGROUP = 64;
/**
 * Lanes sharing a row on a hardware GPU: 16 lanes × 16 bytes read a row's 256 contiguous bytes per step,
 * whole cache lines for a warp. Software adapters get one lane per row group: there a workgroup barrier
 * costs more than the loads it saves (SwiftShader, W @ x at 1024: 1 lane 3.6 ms, 8 lanes and a tree 17 ms).
 */
const GPU_LANES = 16;
/**
 * Below this many outputs the kernels leave most of a GPU idle (one thread per four outputs, no split
 * of k); the general reduction splits k into chunks instead.
 */
const MIN_OUTPUTS = 16;

/** Where the matvec kernels apply: vec4-aligned operands and enough outputs. */
export function matvecApplies(spec: MatvecSpec): boolean {
  const rowsOf4 = spec.layout === 'ok' ? spec.K : spec.outputs;
  const vectorAligned = spec.layout === 'ko' || spec.vectorOffset % 4 === 0;
  return spec.outputs >= MIN_OUTPUTS && spec.K > 0 && rowsOf4 % 4 === 0 && spec.matrixOffset % 4 === 0 && vectorAligned;
}

const PLAIN_STORE: KernelStore = { code: 'fn matvec_store(o: u32, v: f32) {\n  matvec_out[o] = v;\n}', label: '' };
const PLAIN_PAIR_STORE: KernelStore = { code: 'fn matvec_store_pair(o: u32, v: f32, w: f32) {\n  matvec_out[o] = v;\n  matvec_out_b[o] = w;\n}', label: '' };

/**
 * The kernel for `spec` (which must satisfy matvecApplies); `softwareAdapter` picks the lane count. A row
 * kernel (layout 'ok') writes through `store` (the plain one by default: see KernelStore); column kernels
 * only write.
 */
export function planMatvec(spec: MatvecSpec, limits: { maxComputeWorkgroupsPerDimension: number }, softwareAdapter: boolean, store: KernelStore = PLAIN_STORE): KernelPlan {
  if (!matvecApplies(spec)) throw new RangeError(`planMatvec: outputs ${spec.outputs}, K ${spec.K}, ${spec.layout}: operands are not vec4-aligned or too few outputs`);
  const { outputs, K, layout } = spec;
  const label = `matvec [${layout === 'ok' ? `${outputs}×${K}` : `${K}×${outputs}ᵀ`}]·[${K}]`;
  if (layout === 'ko') {
    if (store !== PLAIN_STORE) throw new RangeError('planMatvec: only row kernels (layout ok) take an epilogue');
    const vec4sPerThread = softwareAdapter ? 4 : 1;
    const { size, workgroups } = gridFor(Math.ceil(outputs / 4 / vec4sPerThread), limits, softwareAdapter);
    return {
      label: softwareAdapter ? `${label}, 16 outputs per thread` : label,
      code: `${constants(size)}${loadShader('matvec-cols-params')}\n${loadShader(softwareAdapter ? 'matvec-cols-wide' : 'matvec-cols')}`,
      entryPoint: 'matvec_main',
      workgroups,
      uniforms: Uint32Array.of(outputs / 4, K, spec.matrixOffset / 4, spec.vectorOffset, workgroups[0] * size, 0, 0, 0),
    };
  }
  const rows = rowsGrid(spec, limits, softwareAdapter);
  return {
    label: `${label}, ${rows.lanes} lane${rows.lanes === 1 ? '' : 's'} per 4 rows${store.label}`,
    code: `${constants(rows.size, rows.lanes)}${loadShader('matvec-rows')}\n${store.code}\n`,
    entryPoint: 'matvec_main',
    workgroups: rows.workgroups,
    uniforms: Uint32Array.of(outputs, K / 4, spec.matrixOffset / 4, spec.vectorOffset / 4, rows.workgroups[0] * rows.size, 0, 0, 0),
  };
}

/**
 * Two products with one row-major matrix (layout 'ok'), `spec`'s vector and a second one at element
 * `vectorOffsetB` of its own buffer, in one dispatch that reads the matrix once (matvec-rows-pair.wgsl).
 * Bindings as planMatvec's, then @binding(4) the second output and @binding(5) the second vector.
 */
export function planMatvecPair(spec: MatvecSpec, vectorOffsetB: number, limits: { maxComputeWorkgroupsPerDimension: number }, softwareAdapter: boolean, store: KernelStore = PLAIN_PAIR_STORE): KernelPlan {
  if (spec.layout !== 'ok' || !matvecApplies(spec) || vectorOffsetB % 4 !== 0) throw new RangeError(`planMatvecPair: outputs ${spec.outputs}, K ${spec.K}, ${spec.layout}: needs rows along k, vec4-aligned`);
  const single = planMatvec(spec, limits, softwareAdapter);
  const rows = rowsGrid(spec, limits, softwareAdapter);
  const uniforms = single.uniforms.slice();
  uniforms[5] = vectorOffsetB / 4;
  return {
    ...single,
    label: `${single.label}, two vectors${store.label}`,
    code: `${constants(rows.size, rows.lanes)}${loadShader('matvec-rows-pair')}\n${store.code}\n`,
    uniforms,
  };
}

/** MATVEC_WORKGROUP, and for the row kernels MATVEC_LANES: constants the planner defines for the shaders. */
function constants(size: number, lanes?: number): string {
  return `${lanes === undefined ? '' : `const MATVEC_LANES: u32 = ${lanes}u;\n`}const MATVEC_WORKGROUP: u32 = ${size}u;\n`;
}

/** Workgroup size and grid for `threads` threads (smaller workgroups on software adapters). */
function gridFor(threads: number, limits: { maxComputeWorkgroupsPerDimension: number }, softwareAdapter: boolean) {
  const size = softwareAdapter ? softwareWorkgroupSize(threads, WORKGROUP) : WORKGROUP;
  return { size, workgroups: foldGrid(Math.ceil(threads / size), limits.maxComputeWorkgroupsPerDimension) };
}

/** The row kernels' lanes per group of four rows, and their grid. */
function rowsGrid(spec: MatvecSpec, limits: { maxComputeWorkgroupsPerDimension: number }, softwareAdapter: boolean) {
  const lanes = softwareAdapter ? 1 : GPU_LANES;
  return { lanes, ...gridFor(Math.ceil(spec.outputs / 4) * lanes, limits, softwareAdapter) };
}
