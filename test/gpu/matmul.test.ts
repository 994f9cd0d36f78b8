import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { KernelPlan } from '../../src/backend/webgpu/kernel-plan.ts';
import { DIRECT_MIN_K, foldGrid, MATMUL_KERNELS, matmulKernelFor, planMatmul, SMALL_MAX_N, type MatmulKernel, type MatmulSpec } from '../../src/backend/webgpu/matmul.ts';
import { loadShader } from '../../src/backend/webgpu/shader-source.ts';
import { expectAllclose } from '../support/allclose.ts';
import { getTestDevice } from '../support/webgpu.ts';

const LIMITS = { maxComputeWorkgroupsPerDimension: 65535 };
/** Written into C before the kernel runs, so elements it must not touch can be checked. */
const SENTINEL = -12345.5;

/** Deterministic values in [-1, 1). */
function randomArray(length: number, seed: number): Float32Array<ArrayBuffer> {
  const out = new Float32Array(length);
  let s = seed >>> 0;
  for (let i = 0; i < length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

/** Element counts the operand buffers need for `spec` (at least 1: WebGPU cannot bind empty buffers). */
function extents(spec: MatmulSpec) {
  const { M, N, K, batch } = spec;
  const last = batch - 1;
  return {
    a: Math.max(1, (spec.offsetA ?? 0) + last * spec.batchStrideA + M * K),
    b: Math.max(1, (spec.offsetB ?? 0) + last * spec.batchStrideB + K * N),
    // A few trailing elements past the last batch check that nothing is written beyond it.
    c: (spec.offsetC ?? 0) + batch * M * N + 5,
  };
}

/**
 * The f64 reference C[b] = op(A[b]) · op(B[b]), with each element's Σ_k |a·b|: an f32 dot product
 * of length K accumulated with fma has error |ĉ - c| ≤ γ_K Σ|a·b| in the worst case and about
 * √K·u·Σ|a·b| in practice (u = 2⁻²⁴ ≈ 6e-8).
 */
function referenceGemm(spec: MatmulSpec, a: Float32Array, b: Float32Array): { c: Float64Array; scale: number } {
  const { M, N, K, batch, transA, transB } = spec;
  const c = new Float64Array(batch * M * N);
  let scale = 0;
  for (let t = 0; t < batch; t++) {
    const a0 = (spec.offsetA ?? 0) + t * spec.batchStrideA;
    const b0 = (spec.offsetB ?? 0) + t * spec.batchStrideB;
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let sum = 0;
        let abs = 0;
        for (let k = 0; k < K; k++) {
          const x = a[a0 + (transA ? k * M + i : i * K + k)];
          const y = b[b0 + (transB ? j * K + k : k * N + j)];
          sum += x * y;
          abs += Math.abs(x * y);
        }
        c[(t * M + i) * N + j] = sum;
        scale = Math.max(scale, abs);
      }
    }
  }
  return { c, scale };
}

const pipelines = new Map<string, GPUComputePipeline>();

/** Runs `plan` the way the executor will: A, B, C, then the uniforms, in bind group 0. */
async function runPlan(device: GPUDevice, plan: KernelPlan, a: Float32Array<ArrayBuffer>, b: Float32Array<ArrayBuffer>, cLength: number): Promise<Float32Array> {
  const storage = (data: Float32Array<ArrayBuffer>, usage: number) => {
    const buffer = device.createBuffer({ size: data.byteLength, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | usage });
    device.queue.writeBuffer(buffer, 0, data);
    return buffer;
  };
  const bufferA = storage(a, 0);
  const bufferB = storage(b, 0);
  const bufferC = storage(new Float32Array(cLength).fill(SENTINEL), GPUBufferUsage.COPY_SRC);
  const uniforms = device.createBuffer({ size: Math.ceil(plan.uniforms.byteLength / 16) * 16, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
  const readback = device.createBuffer({ size: cLength * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  device.pushErrorScope('validation');
  try {
    device.queue.writeBuffer(uniforms, 0, plan.uniforms);
    let pipeline = pipelines.get(plan.code);
    if (pipeline === undefined) {
      const module = device.createShaderModule({ code: plan.code });
      pipeline = device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: plan.entryPoint } });
      pipelines.set(plan.code, pipeline);
    }
    const bindGroup = device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: [bufferA, bufferB, bufferC, uniforms].map((buffer, binding) => ({ binding, resource: { buffer } })),
    });
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(...plan.workgroups);
    pass.end();
    encoder.copyBufferToBuffer(bufferC, 0, readback, 0, cLength * 4);
    device.queue.submit([encoder.finish()]);
    const error = await device.popErrorScope();
    if (error !== null) throw new Error(`WebGPU validation error: ${error.message}`);
    await readback.mapAsync(GPUMapMode.READ);
    return new Float32Array(readback.getMappedRange().slice(0));
  } finally {
    for (const buffer of [bufferA, bufferB, bufferC, uniforms, readback]) buffer.destroy();
  }
}

/** Plans and runs `spec` on random operands and checks C against the f64 reference, and that nothing else in C changed. */
async function checkMatmul(device: GPUDevice, spec: MatmulSpec, limits: typeof LIMITS, kernel: MatmulKernel): Promise<KernelPlan> {
  const plan = planMatmul(spec, limits, kernel !== 'tiled', kernel);
  const size = extents(spec);
  const a = randomArray(size.a, spec.M * 7919 + spec.K);
  const b = randomArray(size.b, spec.N * 104729 + spec.K + 1);
  const c = await runPlan(device, plan, a, b, size.c);
  const { c: expected, scale } = referenceGemm(spec, a, b);
  const offsetC = spec.offsetC ?? 0;
  const label = `${plan.label}${spec.batch > 1 ? ` strides ${spec.batchStrideA}/${spec.batchStrideB}` : ''}`;
  // Typical f32 error is ~√K·u·Σ|a·b| (see referenceGemm); 2e-6·√K·Σ|a·b| is ~30× that, while one
  // wrong or missing term (~Σ|a·b|/K) would still exceed it by ≥ 15× for every K used here.
  const atol = 2e-6 * Math.sqrt(Math.max(spec.K, 1)) * scale + 1e-30;
  expectAllclose(c.subarray(offsetC, offsetC + expected.length), expected, { rtol: 0, atol }, label);
  const untouched = [...c.subarray(0, offsetC), ...c.subarray(offsetC + expected.length)];
  expect(untouched.every((v) => v === SENTINEL), `${label}: C written outside its range`).toBe(true);
  return plan;
}

const TRANSPOSES = [
  [false, false],
  [true, false],
  [false, true],
  [true, true],
] as const;

const spec = (M: number, N: number, K: number, transA = false, transB = false, extra: Partial<MatmulSpec> = {}): MatmulSpec => ({
  M, N, K, transA, transB, batch: 1, batchStrideA: 0, batchStrideB: 0, ...extra,
});

// [M, N, K]: tile-edge sizes (64 ± 1, 2·64 - 1, 4·64 + 1, 1, 3) mixed so each dimension crosses
// its tile boundary in some case, plus a few with 1000 (not a multiple of the tile nor of TK).
const SIZES: readonly (readonly [number, number, number])[] = [
  [1, 1, 1], [1, 1, 257], [3, 3, 3], [1, 64, 64], [64, 1, 64], [64, 64, 1],
  [63, 63, 63], [64, 64, 64], [65, 65, 65], [64, 65, 63], [65, 63, 64], [127, 127, 127],
  [127, 64, 65], [63, 127, 257], [257, 63, 3], [3, 257, 64], [65, 1, 127], [1, 127, 65],
  [127, 3, 1], [257, 1, 1], [1, 257, 3], [63, 65, 127], [257, 257, 257], [128, 128, 17],
  [1000, 3, 65], [3, 1000, 127], [65, 64, 1000], [127, 257, 1000], [1000, 127, 64], [1, 1000, 1000],
  // The direct kernel's edges: 32-row thread blocks, 128-column tiles, k in steps of 4 (K % 4 = 0..3).
  [33, 129, 2], [31, 130, 66], [97, 255, 6], [32, 128, 4], [129, 33, 130], [96, 256, 7],
];

const device = await getTestDevice();

/** How a GEMM writes C without an epilogue (matmul.ts). */
const PLAIN_GEMM_STORE = 'fn gemm_store(i: u32, v: f32) {\n  C[i] = v;\n}';

describe('planMatmul (pure)', () => {
  it('uses one shader for every shape and transpose, with strides in the uniforms', () => {
    const plans = [planMatmul(spec(3, 5, 7), LIMITS), planMatmul(spec(1000, 64, 9, true, true, { batch: 3, batchStrideA: 0, batchStrideB: 576 }), LIMITS)];
    expect(plans[0].code).toBe(plans[1].code);
    expect(plans[0].code).toBe(`${loadShader('matmul-params')}\n${loadShader('matmul')}\n${PLAIN_GEMM_STORE}\n`);
    // A software adapter gets a kernel without workgroup memory, on the same uniforms: the 8×8 one for
    // short K or narrow C (same tiles as the GPU's), else the 32×16 one (64×128 tiles).
    const shortK = planMatmul(spec(1000, 64, DIRECT_MIN_K - 1, true, true, { batch: 3, batchStrideA: 0, batchStrideB: 576 }), LIMITS, true);
    expect(shortK.code).toBe(`${loadShader('matmul-params')}\n${loadShader('matmul-direct-small')}\n${PLAIN_GEMM_STORE}\n`);
    const direct = planMatmul(spec(1000, 64, 9, true, true, { batch: 3, batchStrideA: 0, batchStrideB: 576 }), LIMITS, true, 'direct');
    expect(direct.code).toBe(`${loadShader('matmul-direct-lanes')}\n${loadShader('matmul-params')}\n${loadShader('matmul-direct')}\n${PLAIN_GEMM_STORE}\n`);
    // With quad subgroups, the same kernel body behind an entry point that shares op(A)'s loads; its
    // `enable subgroups;` must come first.
    const quads = planMatmul(spec(1000, 64, 9, true, true, { batch: 3, batchStrideA: 0, batchStrideB: 576 }), LIMITS, true, 'direct-quads');
    expect(quads.code).toBe(`${loadShader('matmul-direct-quads')}\n${loadShader('matmul-params')}\n${loadShader('matmul-direct')}\n${PLAIN_GEMM_STORE}\n`);
    expect(quads.code.startsWith('enable subgroups;')).toBe(true);
    for (const plan of [shortK, direct, quads]) expect(plan.code).not.toContain('var<workgroup>');
    for (const plan of [direct, quads]) {
      expect([...plan.uniforms]).toEqual([...plans[1].uniforms]);
      expect(plan.workgroups).toEqual(plans[1].workgroups);
    }
    const tileGrid = (K: number, softwareAdapter: boolean) => [...planMatmul(spec(130, 300, K), LIMITS, softwareAdapter).uniforms.subarray(12)];
    expect(tileGrid(DIRECT_MIN_K, false)).toEqual([5, 15, 15, 15, 15]);
    expect(tileGrid(DIRECT_MIN_K - 1, true)).toEqual([5, 15, 15, 15, 15]);
    expect(tileGrid(DIRECT_MIN_K, true)).toEqual([3, 9, 9, 9, 9]);
    expect([0, 1, 7, 8, 1000].map((K) => matmulKernelFor({ K, N: 300 }, true))).toEqual(['direct-small', 'direct-small', 'direct-small', 'direct', 'direct']);
    expect([7, 8].map((K) => matmulKernelFor({ K, N: 300 }, true, true))).toEqual(['direct-small', 'direct-quads']);
    // C at most SMALL_MAX_N wide: the 8×8 kernel whatever K.
    expect([1, SMALL_MAX_N, SMALL_MAX_N + 1].map((N) => matmulKernelFor({ K: 256, N }, true, true))).toEqual(['direct-small', 'direct-small', 'direct-quads']);
    expect(matmulKernelFor({ K: 1, N: 1 }, false)).toBe('tiled');
    expect(matmulKernelFor({ K: 1000, N: 1000 }, false, true)).toBe('tiled');
    expect(plans[0].entryPoint).toBe('main');
    // M N K | aRow aK bK bCol | batchA batchB offA offB offC | tilesN tilesPerBatch tiles gridX gridXY
    expect([...plans[0].uniforms]).toEqual([3, 5, 7, 7, 1, 5, 1, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1]);
    expect([...plans[1].uniforms.subarray(0, 7)]).toEqual([1000, 64, 9, 1, 1000, 1, 9]);
    expect([...plans[1].uniforms.subarray(12)]).toEqual([1, 16, 48, 48, 48]);
    expect(plans[1].workgroups).toEqual([48, 1, 1]);
  });

  it('dispatches nothing for an empty output', () => {
    expect(planMatmul(spec(0, 5, 7), LIMITS).workgroups).toEqual([0, 1, 1]);
    expect(planMatmul(spec(5, 5, 5, false, false, { batch: 0 }), LIMITS).workgroups).toEqual([0, 1, 1]);
  });

  it('rejects invalid sizes and buffers beyond u32 indexing', () => {
    expect(() => planMatmul(spec(-1, 2, 2), LIMITS)).toThrow(RangeError);
    expect(() => planMatmul(spec(2.5, 2, 2), LIMITS)).toThrow(RangeError);
    expect(() => planMatmul(spec(2, 2, 2, false, false, { offsetC: -1 }), LIMITS)).toThrow(RangeError);
    expect(() => planMatmul(spec(65537, 65536, 2), LIMITS)).toThrow(/u32/);
  });

  it('folds the workgroup grid under the per-dimension limit with little surplus', () => {
    for (const limit of [1, 2, 3, 7, 100, 65535]) {
      for (const count of [1, 2, 5, 7, 8, 49, 50, 343, 1000, 65535, 65536, 3_000_000]) {
        if (count > limit ** 3) {
          expect(() => foldGrid(count, limit)).toThrow(RangeError);
          continue;
        }
        const [x, y, z] = foldGrid(count, limit);
        expect(Math.max(x, y, z), `count ${count}, limit ${limit}`).toBeLessThanOrEqual(limit);
        expect(x * y * z).toBeGreaterThanOrEqual(count);
        expect(x * y * z - count).toBeLessThan(x * (z + 1));
      }
    }
    // The batched-JVP worst case: 4096 batches of 4096 × 64 outputs is 262144 tiles.
    expect(planMatmul(spec(4096, 64, 64, false, false, { batch: 4096, batchStrideA: 4096 * 64 }), LIMITS).workgroups).toEqual([65535, 5, 1]);
  });
});

describe('loadShader', () => {
  it('gives the file contents under Vite (import.meta.glob)', () => {
    const onDisk = readFileSync(new URL('../../shaders/matmul.wgsl', import.meta.url), 'utf8');
    expect(loadShader('matmul')).toBe(onDisk);
    expect(() => loadShader('no-such-shader')).toThrow(/no-such-shader/);
    expect(() => loadShader('../package')).toThrow(/Invalid shader name/);
  });

  it('gives the same contents under plain Node with tsx (file system)', () => {
    const script = "import { loadShader } from './src/backend/webgpu/shader-source.ts'; process.stdout.write(loadShader('matmul'));";
    const root = new URL('../../', import.meta.url);
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' });
    expect(out).toBe(readFileSync(new URL('shaders/matmul.wgsl', root), 'utf8'));
  });
});

// Every kernel on this device, at every size (not only the sizes it would be picked for): the staged
// one GPUs get and the direct ones software adapters get. The one that needs subgroups runs wherever
// the device has them, which SwiftShader's does (test/gpu/adapter.test.ts checks that it does in CI).
for (const kernel of Object.keys(MATMUL_KERNELS) as MatmulKernel[]) {
  const unsupported = MATMUL_KERNELS[kernel].subgroups && !device?.features.has('subgroups');
  describe.skipIf(device === null || unsupported)(`${kernel} matmul kernel on WebGPU (Node, Dawn)`, () => {
    const gpu = device!;
    const check = (s: MatmulSpec, limits = LIMITS) => checkMatmul(gpu, s, limits, kernel);
    const tile = { M: MATMUL_KERNELS[kernel].tileM, N: MATMUL_KERNELS[kernel].tileN };

    it.each(SIZES)('M=%i N=%i K=%i, all four transposes', async (M, N, K) => {
      for (const [transA, transB] of TRANSPOSES) await check(spec(M, N, K, transA, transB));
    });

    it('K = 0 writes zeros', async () => {
      await check(spec(5, 67, 0));
    });

    it('batches with separate, padded and broadcast (stride 0) operands', async () => {
      const [M, N, K] = [65, 63, 70];
      for (const [transA, transB] of TRANSPOSES) {
        await check(spec(M, N, K, transA, transB, { batch: 7, batchStrideA: M * K, batchStrideB: K * N }));
        await check(spec(M, N, K, transA, transB, { batch: 7, batchStrideA: 0, batchStrideB: K * N + 3 }));
        await check(spec(M, N, K, transA, transB, { batch: 7, batchStrideA: M * K + 5, batchStrideB: 0 }));
      }
    });

    it('64 batches of small products sharing B, like a batched JVP', async () => {
      await check(spec(3, 130, 33, false, true, { batch: 64, batchStrideA: 3 * 33, batchStrideB: 0 }));
      await check(spec(17, 5, 64, true, false, { batch: 64, batchStrideA: 0, batchStrideB: 64 * 5 }));
    });

    it('honours element offsets into A, B and C', async () => {
      for (const [transA, transB] of TRANSPOSES) {
        await check(spec(67, 9, 66, transA, transB, { offsetA: 3, offsetB: 17, offsetC: 11 }));
        await check(spec(5, 70, 3, transA, transB, { batch: 3, batchStrideA: 20, batchStrideB: 211, offsetA: 1, offsetB: 2, offsetC: 7 }));
      }
    });

    it('recovers tile and batch from a folded grid (fake limits 7, 4 and 2)', async () => {
      // 3 × 3 tiles per batch × 5 batches = 45 workgroups.
      const [M, N] = [2 * tile.M + 2, 2 * tile.N + 1];
      const folded = spec(M, N, 19, true, false, { batch: 5, batchStrideA: 0, batchStrideB: 19 * N });
      const plan7 = await check(folded, { maxComputeWorkgroupsPerDimension: 7 });
      expect(plan7.workgroups).toEqual([7, 7, 1]);
      const plan4 = await check(folded, { maxComputeWorkgroupsPerDimension: 4 });
      expect(plan4.workgroups).toEqual([4, 4, 3]);
      const plan2 = await check(spec(tile.M + 1, tile.N + 1, 8, false, true, { batch: 2 }), { maxComputeWorkgroupsPerDimension: 2 });
      expect(plan2.workgroups).toEqual([2, 2, 2]);
    });
  });
}
