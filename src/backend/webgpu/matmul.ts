import type { KernelPlan, KernelStore } from './kernel-plan.ts';
import { loadShader } from './shader-source.ts';

/** A batch of GEMMs C[b] (M×N) = op(A[b]) (M×K) · op(B[b]) (K×N) over f32 storage buffers. */
export interface MatmulSpec {
  readonly M: number;
  readonly N: number;
  readonly K: number;
  /** A stored as [K, M] (row-major) when true, else [M, K]. */
  readonly transA: boolean;
  /** B stored as [N, K] when true, else [K, N]. */
  readonly transB: boolean;
  /** Number of independent products; C is row-major [batch, M, N], batch stride M·N. */
  readonly batch: number;
  /** Element stride between the batches of A (0 = one A shared by every batch). */
  readonly batchStrideA: number;
  /** Element stride between the batches of B (0 = one B shared by every batch). */
  readonly batchStrideB: number;
  readonly offsetA?: number;
  readonly offsetB?: number;
  readonly offsetC?: number;
}

/** Rows and columns of C computed by one workgroup (must match TILE in shaders/matmul.wgsl). */
export const MATMUL_TILE = 64;

/**
 * The GEMM kernels: their shaders, in order (`entry` first, for its `enable` directives, then
 * matmul-params, then `body`), the tile of C one workgroup computes, and whether the WGSL needs the
 * device's `subgroups` feature (see GpuInfo.quadSubgroups).
 */
export const MATMUL_KERNELS = {
  /** GPUs: panels staged in workgroup memory. */
  tiled: { entry: null, body: 'matmul', tileM: MATMUL_TILE, tileN: MATMUL_TILE, subgroups: false },
  /** Software adapters with whole quads in their subgroups (see matmulKernelFor): the quad shares op(A)'s loads. */
  'direct-quads': { entry: 'matmul-direct-quads', body: 'matmul-direct', tileM: 64, tileN: 128, subgroups: true },
  /** Software adapters (see matmulKernelFor): 32×16 blocks per thread read straight from the buffers. */
  direct: { entry: 'matmul-direct-lanes', body: 'matmul-direct', tileM: 64, tileN: 128, subgroups: false },
  /** Software adapters, short K or narrow C: 8×8 blocks, 64 threads to a 64×64 tile. */
  'direct-small': { entry: null, body: 'matmul-direct-small', tileM: MATMUL_TILE, tileN: MATMUL_TILE, subgroups: false },
} as const;

export type MatmulKernel = keyof typeof MATMUL_KERNELS;

/** Below this K the 8×8 kernel is faster on SwiftShader (K = 1: 1.65×, 4: 1.1-1.2×, 8: 0.95×). */
export const DIRECT_MIN_K = 8;

/**
 * Up to this many columns of C the 8×8 kernel is faster on SwiftShader too: the 32×16 kernels' 128
 * columns to a workgroup leave half of its threads idle at 64 (and a workgroup runs on one core), where
 * the 8×8 kernel has a 64×64 tile's 64 threads all working. Measured (2-core Intel Xeon, interleaved,
 * medians of 9–15), the 8×8 kernel against the quad one: 64³ 1.10–1.32×, [256×64]·[64×64] 1.32×,
 * [64×128]·[128×64]ᵀ 1.18×, [64×256]ᵀ·[256×64] 1.15×; with 256 columns it lost (0.61–1.12×: 256³
 * 0.63×, [64×256]·[256×256] 0.61×), and with 1024 (0.57–0.73×).
 */
export const SMALL_MAX_N = 64;

/**
 * The kernel planMatmul picks: staged tiles on a GPU; on a software adapter, 8×8 blocks for short K or
 * narrow C, else 32×16 blocks, sharing op(A)'s loads within quads where the device allows it
 * (`quadSubgroups`, GpuInfo.quadSubgroups).
 */
export function matmulKernelFor(spec: Pick<MatmulSpec, 'K' | 'N'>, softwareAdapter: boolean, quadSubgroups = false): MatmulKernel {
  if (!softwareAdapter) return 'tiled';
  if (spec.K < DIRECT_MIN_K || spec.N <= SMALL_MAX_N) return 'direct-small';
  return quadSubgroups ? 'direct-quads' : 'direct';
}

const U32_LIMIT = 2 ** 32;

/** How every GEMM kernel writes C unless given an epilogue (see KernelStore). */
const PLAIN_STORE: KernelStore = { code: 'fn gemm_store(i: u32, v: f32) {\n  C[i] = v;\n}', label: '' };

/**
 * Plans a GEMM kernel for `spec`: the tiled one of shaders/matmul.wgsl, or on a software adapter one
 * without workgroup memory (shaders/matmul-direct*.wgsl; matmulKernelFor picks, `kernel` overrides),
 * writing C through `store` (see KernelStore).
 * All share the grid scheme and uniforms; only the tile differs. Binding order: @binding(0) A (read-only storage f32), @binding(1) B (read-only), @binding(2) C
 * (read_write), @binding(3) the plan's uniforms.
 *
 * Shapes, transposes, strides and offsets are uniforms, so every spec shares one pipeline (and one
 * compile). Baking them into the code as constants measured no faster on SwiftShader (1024³:
 * 1.83 vs 1.74 GFLOP/s; 64×4096·4096×4096ᵀ: 1.74 vs 1.86, both within run-to-run noise): the
 * kernel is bound by its workgroup-memory reads, not by index arithmetic or bounds checks.
 */
export function planMatmul(
  spec: MatmulSpec,
  limits: { maxComputeWorkgroupsPerDimension: number },
  softwareAdapter = false,
  kernel: MatmulKernel = matmulKernelFor(spec, softwareAdapter),
  store: KernelStore = PLAIN_STORE,
): KernelPlan {
  const { M, N, K, transA, transB, batch, batchStrideA, batchStrideB } = spec;
  const offsetA = spec.offsetA ?? 0;
  const offsetB = spec.offsetB ?? 0;
  const offsetC = spec.offsetC ?? 0;
  for (const [name, value] of Object.entries({ M, N, K, batch, batchStrideA, batchStrideB, offsetA, offsetB, offsetC })) {
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`planMatmul: ${name} must be a non-negative integer, got ${value}`);
  }
  // The kernel indexes with u32: the last element touched in each buffer must fit.
  const lastBatch = Math.max(batch - 1, 0);
  checkU32('A', offsetA + lastBatch * batchStrideA + M * K);
  checkU32('B', offsetB + lastBatch * batchStrideB + K * N);
  checkU32('C', offsetC + batch * M * N);

  const { entry, body, tileM, tileN } = MATMUL_KERNELS[kernel];
  const tilesN = Math.ceil(N / tileN);
  const tilesPerBatch = Math.ceil(M / tileM) * tilesN;
  const tiles = tilesPerBatch * batch;
  const workgroups = foldGrid(tiles, limits.maxComputeWorkgroupsPerDimension);

  // Strides of op(A) along (row, k) and of op(B) along (k, column); see Params in the shader.
  const [aRow, aK] = transA ? [1, M] : [K, 1];
  const [bK, bCol] = transB ? [1, K] : [N, 1];
  const uniforms = Uint32Array.of(
    M, N, K,
    aRow, aK, bK, bCol,
    batchStrideA, batchStrideB, offsetA, offsetB, offsetC,
    tilesN, tilesPerBatch, tiles, workgroups[0], workgroups[0] * workgroups[1],
  );
  const op = (trans: boolean) => (trans ? 'T' : 'N');
  return {
    label: `matmul ${batch}×[${M}×${K}${op(transA)}]·[${K}×${N}${op(transB)}]${kernel === 'tiled' ? '' : `, ${kernel}`}${store.label}`,
    // Software adapters read the operands directly (matmul-direct.wgsl says why); GPUs stage tiles.
    code: [...[entry, 'matmul-params', body].flatMap((name) => (name === null ? [] : [loadShader(name)])), store.code, ''].join('\n'),
    entryPoint: 'main',
    workgroups,
    uniforms,
  };
}

/**
 * Lays `count` workgroups, numbered linearly x-fastest, over a grid with no dimension above `limit`.
 * The shader recovers the number as x + y·gridX + z·gridX·gridY and returns when it is ≥ count,
 * so surplus is kept small (< gridX·(gridZ + 1)) by balancing the rows over the layers.
 */
export function foldGrid(count: number, limit: number): [number, number, number] {
  if (count === 0) return [0, 1, 1];
  const x = Math.min(count, limit);
  const rows = Math.ceil(count / x);
  const z = Math.ceil(rows / limit);
  const y = Math.ceil(rows / z);
  if (z > limit) throw new RangeError(`planMatmul: ${count} workgroups exceed a ${limit}³ dispatch grid`);
  return [x, y, z];
}

function checkU32(buffer: string, elements: number): void {
  if (elements > U32_LIMIT) throw new RangeError(`planMatmul: ${buffer} spans ${elements} elements, beyond u32 indexing`);
}
