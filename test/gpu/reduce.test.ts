import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { reduce } from '../../src/backend/cpu/reduce.ts';
import { defaultLoad, planReduce, type ReduceOp, type ReducePlan, type ReduceSpec } from '../../src/backend/webgpu/reduce.ts';
import { expectAllclose, type Tolerance } from '../support/allclose.ts';
import { getTestDevice } from '../support/webgpu.ts';

const device = await getTestDevice();

const OPS: readonly ReduceOp[] = ['sum', 'max', 'logsumexp'];
/** Sizes around the 256-thread workgroup and its power-of-two lane counts. */
const EDGES = [1, 3, 63, 64, 65, 127, 257, 1000];
const EPS32 = 2 ** -23;
const LIMITS = { maxComputeWorkgroupsPerDimension: 65535 };

/**
 * Honest f32 tolerances against the f64 CPU reference on the same f32 inputs (the worst error seen on
 * SwiftShader over this file is about 0.15 of these bounds).
 * - max: exact (it only selects an input).
 * - sum: rounding in a sum of R terms grows like sqrt(R)·eps·Σ|x| (random-walk estimate for the lane
 *   loops plus the tree); `absSum` is the largest Σ|x| over the outputs.
 * - logsumexp: s = Σ e^{x-m} carries the same sqrt(R)·eps relative error, which log turns into an
 *   absolute one; SwiftShader's exp and log are approximate (~1e-6 relative), and m + log(s) rounds
 *   relative to the result.
 */
function tolerance(op: ReduceOp, R: number, absSum: number): Tolerance {
  const walk = Math.sqrt(Math.max(R, 1)) * EPS32;
  switch (op) {
    case 'max':
      return { rtol: 0, atol: 0 };
    case 'sum':
      return { rtol: EPS32, atol: 2 * walk * absSum };
    case 'logsumexp':
      return { rtol: 2 * EPS32, atol: 4e-6 + 2 * walk };
    default:
      return op satisfies never;
  }
}

/** Deterministic inputs in [-scale, scale) (mulberry32), exactly representable in f32. */
function randomInput(n: number, seed: number, scale = 4): Float32Array<ArrayBuffer> {
  let a = seed >>> 0;
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    x[i] = scale * (2 * (((t ^ (t >>> 14)) >>> 0) / 2 ** 32) - 1);
  }
  return x;
}

const pipelines = new Map<string, GPUComputePipeline>();

/** A minimal executor for reduce plans: runs the stage chain, binding `inputs` at @binding(2...). */
async function runPlan(gpu: GPUDevice, plan: ReducePlan, inputs: readonly Float32Array<ArrayBuffer>[], outLength: number): Promise<Float32Array> {
  const owned: GPUBuffer[] = [];
  const storage = (floats: number, usage = 0) => {
    const buffer = gpu.createBuffer({ size: Math.max(4, 4 * floats), usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | usage });
    owned.push(buffer);
    return buffer;
  };
  gpu.pushErrorScope('validation');
  try {
    const inputBuffers = inputs.map((x) => {
      const b = storage(x.length);
      gpu.queue.writeBuffer(b, 0, x);
      return b;
    });
    const output = storage(outLength, GPUBufferUsage.COPY_SRC);
    const encoder = gpu.createCommandEncoder();
    const pass = encoder.beginComputePass();
    let stage: ReducePlan | null = plan;
    let reads = inputBuffers;
    while (stage !== null) {
      const target = stage.partials === null ? output : storage(stage.partials.count);
      let pipeline = pipelines.get(stage.code);
      if (pipeline === undefined) {
        pipeline = gpu.createComputePipeline({ layout: 'auto', compute: { module: gpu.createShaderModule({ code: stage.code }), entryPoint: stage.entryPoint } });
        pipelines.set(stage.code, pipeline);
      }
      const uniforms = gpu.createBuffer({ size: stage.uniforms.byteLength, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
      owned.push(uniforms);
      gpu.queue.writeBuffer(uniforms, 0, stage.uniforms);
      const entries: GPUBindGroupEntry[] = [
        { binding: 0, resource: { buffer: target } },
        { binding: 1, resource: { buffer: uniforms } },
        ...reads.map((buffer, i) => ({ binding: 2 + i, resource: { buffer } })),
      ];
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, gpu.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries }));
      pass.dispatchWorkgroups(...stage.workgroups);
      reads = [target];
      stage = stage.partials?.finish ?? null;
    }
    pass.end();
    const readback = gpu.createBuffer({ size: output.size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    owned.push(readback);
    encoder.copyBufferToBuffer(output, 0, readback, 0, output.size);
    gpu.queue.submit([encoder.finish()]);
    const error = await gpu.popErrorScope();
    if (error !== null) throw new Error(`WebGPU validation error: ${error.message}`);
    await readback.mapAsync(GPUMapMode.READ);
    return new Float32Array(readback.getMappedRange().slice(0, 4 * outLength));
  } finally {
    for (const b of owned) b.destroy();
  }
}

function outShapeOf(spec: ReduceSpec): number[] {
  return spec.inShape.filter((_, d) => !spec.axes.includes(d));
}

/**
 * The f64 CPU reference on the same f32 inputs, and the largest finite Σ|x| over the outputs (outputs
 * with a non-finite Σ|x| expect ±inf or NaN, which must match exactly).
 */
function reference(spec: ReduceSpec, x: Float32Array): { expected: Float64Array; absSum: number } {
  const outShape = outShapeOf(spec);
  const input = { shape: spec.inShape, data: Float64Array.from(x) };
  const expected = reduce(input, spec.axes, outShape, spec.op, 'f64').data as Float64Array;
  const abs = reduce({ shape: spec.inShape, data: input.data.map(Math.abs) }, spec.axes, outShape, 'sum', 'f64').data as Float64Array;
  return { expected, absSum: abs.reduce((m, v) => (Number.isFinite(v) ? Math.max(m, v) : m), 0) };
}

/** Runs `spec` on the GPU with the plain loader and checks it against the CPU reference. */
async function checkReduce(spec: ReduceSpec, x: Float32Array<ArrayBuffer>, limits = LIMITS, softwareAdapter = false): Promise<ReducePlan> {
  const plan = planReduce(spec, defaultLoad(), limits, softwareAdapter);
  const { expected, absSum } = reference(spec, x);
  const actual = await runPlan(device!, plan, [x], expected.length);
  const R = spec.axes.reduce((p, a) => p * spec.inShape[a], 1);
  const label = `${spec.op} [${spec.inShape.join(', ')}] over (${spec.axes.join(', ')})`;
  expectSameNonFinite(actual, expected, label);
  expectAllclose(actual, expected, tolerance(spec.op, R, absSum), label);
  return plan;
}

/**
 * ±inf and NaN must match exactly, element by element. (allcloseRatio's ratio is NaN for such a
 * mismatch, which a later element's finite ratio then overwrites, so expectAllclose alone misses it.)
 */
function expectSameNonFinite(actual: ArrayLike<number>, expected: ArrayLike<number>, label: string): void {
  for (let i = 0; i < expected.length; i++) {
    const [a, e] = [actual[i], expected[i]];
    if ((!Number.isFinite(a) || !Number.isFinite(e)) && !Object.is(a, e) && !(Number.isNaN(a) && Number.isNaN(e))) {
      expect.fail(`${label} element ${i}: got ${a}, expected ${e}`);
    }
  }
}

/** Every non-empty subset of 0..rank-1, sorted. */
function axesSubsets(rank: number): number[][] {
  const subsets: number[][] = [];
  for (let mask = 1; mask < 1 << rank; mask++) subsets.push([...Array(rank).keys()].filter((d) => mask & (1 << d)));
  return subsets;
}

/** Stages of a plan, first to last. */
function stages(plan: ReducePlan): ReducePlan[] {
  return plan.partials === null ? [plan] : [plan, ...stages(plan.partials.finish)];
}

describe.skipIf(device === null)('WebGPU reductions against the CPU reference', () => {
  describe.each(OPS)('%s', (op) => {
    it('rank 1, sizes across workgroup and lane edges', async () => {
      for (const n of EDGES) await checkReduce({ op, inShape: [n], axes: [0] }, randomInput(n, n));
    });

    it.each(axesSubsets(2).map((axes) => [axes]))('rank 2 over %j, every pair of edge sizes', async (axes) => {
      for (const a of EDGES) {
        for (const b of EDGES) await checkReduce({ op, inShape: [a, b], axes }, randomInput(a * b, 31 * a + b));
      }
    });

    it('rank 3, every axes subset', async () => {
      const shapes = [[3, 65, 257], [257, 3, 65], [64, 127, 1], [1, 63, 3], [65, 1, 1000], [127, 64, 3]];
      for (const shape of shapes) {
        for (const axes of axesSubsets(3)) await checkReduce({ op, inShape: shape, axes }, randomInput(shape[0] * shape[1] * shape[2], shape[0] + shape[2]));
      }
    });

    it('split reductions: partials then a finishing pass (chained three deep for [65536, 64] over 0)', async () => {
      const cases: [number[], number[]][] = [
        [[1 << 20], [0]],
        [[4, 100_000], [1]],
        [[100_000, 4], [0]],
        [[65536, 64], [0]],
        [[30, 3, 7000], [0, 2]],
      ];
      for (const [shape, axes] of cases) {
        const plan = await checkReduce({ op, inShape: shape, axes }, randomInput(shape.reduce((p, d) => p * d, 1), shape[0]));
        expect(plan.partials, `${shape} split`).not.toBeNull();
      }
      expect(stages(planReduce({ op, inShape: [65536, 64], axes: [0] }, defaultLoad(), LIMITS))).toHaveLength(3);
    });

    it('the software-adapter plans: one thread per result, split only into long chunks', async () => {
      const cases: [number[], number[]][] = [
        [[64], [0]],
        [[1 << 20], [0]],
        [[4, 100_000], [1]],
        [[100_000, 4], [0]],
        [[65536, 64], [0]],
        [[30, 3, 7000], [0, 2]],
        [[257, 1000], [1]],
        [[3, 65, 257], [0, 2]],
      ];
      for (const [shape, axes] of cases) {
        const plan = await checkReduce({ op, inShape: shape, axes }, randomInput(shape.reduce((p, d) => p * d, 1), shape[1] ?? 3), LIMITS, true);
        for (const stage of stages(plan)) expect(stage.code, `${shape}`).not.toMatch(/workgroupBarrier/);
      }
      // A short sum is one thread; a long one is at least four workgroups of 1024-element chunks.
      expect(planReduce({ op, inShape: [64], axes: [0] }, defaultLoad(), LIMITS, true).partials).toBeNull();
      const long = planReduce({ op, inShape: [1 << 20], axes: [0] }, defaultLoad(), LIMITS, true);
      expect(long.workgroups[0]).toBeGreaterThanOrEqual(4);
      expect(long.partials!.count).toBe(1024);
    });

    it('a tiny maxComputeWorkgroupsPerDimension folds the grid into y and z', async () => {
      const tiny = { maxComputeWorkgroupsPerDimension: 4 };
      const cases: [number[], number[]][] = [
        [[40, 63], [1]],
        [[2000, 3], [1]],
        [[5000, 3], [1]],
        [[50, 1000], [1]],
        [[257, 1000], [0]],
        [[1 << 16], [0]],
      ];
      for (const [shape, axes] of cases) {
        const plan = await checkReduce({ op, inShape: shape, axes }, randomInput(shape.reduce((p, d) => p * d, 1), 7), tiny);
        for (const stage of stages(plan)) expect(Math.max(...stage.workgroups)).toBeLessThanOrEqual(4);
      }
      // 2000 and 5000 outputs at one thread each are 8 and 20 workgroups.
      expect(planReduce({ op, inShape: [2000, 3], axes: [1] }, defaultLoad(), tiny).workgroups).toEqual([4, 2, 1]);
      expect(planReduce({ op, inShape: [5000, 3], axes: [1] }, defaultLoad(), tiny).workgroups).toEqual([4, 4, 2]);
      expect(() => planReduce({ op, inShape: [1 << 20, 8], axes: [1] }, defaultLoad(), tiny)).toThrow(/exceed/);
    });

    it('random shapes and axes (property)', async () => {
      // Dims shrink with the rank to keep tensors under ~300k elements (the f64 reference is not free).
      const maxDim = [0, 2000, 300, 64, 20];
      const specs = fc
        .integer({ min: 1, max: 4 })
        .chain((rank) => fc.array(fc.integer({ min: 1, max: maxDim[rank] }), { minLength: rank, maxLength: rank }))
        .chain((shape) => fc.subarray([...shape.keys()], { minLength: 1 }).map((axes) => ({ shape, axes })));
      await fc.assert(
        fc.asyncProperty(specs, fc.nat(), async ({ shape, axes }, seed) => {
          await checkReduce({ op, inShape: shape, axes }, randomInput(shape.reduce((p, d) => p * d, 1), seed));
        }),
        { numRuns: 25 },
      );
    });
  });

  it('special values: ±inf and NaN like the CPU reference, in lanes, threads and chunks', async () => {
    const inf = Infinity;
    // Each row of 7 is one output; reduced over the last axis (lanes) and, transposed, over the first.
    const rows = [
      [1, 2, 3, inf, 4, 5, 6],
      [1, -inf, 3, 2, 4, 5, 6],
      [-inf, -inf, -inf, -inf, -inf, -inf, -inf],
      [inf, inf, 0, 1, 2, 3, 4],
      [1, NaN, 3, 2, 4, 5, 6],
      [NaN, inf, -inf, 2, 4, 5, 6],
      [inf, -inf, 3, 2, 4, 5, 6],
      [1e30, 1e30, -1e30, 0, 1, 2, 88],
      [-1e30, -1e30, -1e30, -1e30, -1e30, -1e30, -1e30],
    ];
    const byRow = Float32Array.from(rows.flat());
    const byColumn = Float32Array.from({ length: byRow.length }, (_, i) => rows[i % rows.length][Math.floor(i / rows.length)]);
    for (const op of OPS) {
      await checkReduce({ op, inShape: [rows.length, 7], axes: [1] }, byRow);
      await checkReduce({ op, inShape: [7, rows.length], axes: [0] }, byColumn);
      // Long rows, split into chunks: a special value lands in one chunk of many.
      for (const [position, value] of [[5, inf], [70_000, -inf], [123_456, NaN], [99_999, 1e30]] as const) {
        const x = randomInput(2 * 100_000, position);
        x[position] = value;
        x.fill(-inf, 100_000, 100_000 + 50_000);
        await checkReduce({ op, inShape: [2, 100_000], axes: [1] }, x);
        await checkReduce({ op, inShape: [100_000, 2], axes: [0] }, x);
      }
      const allNegInf = new Float32Array(300_000).fill(-inf);
      await checkReduce({ op, inShape: [300_000], axes: [0] }, allNegInf);
    }
  });

  it('empty reductions give the identity (0, -inf, -inf); no outputs dispatch nothing', async () => {
    for (const op of OPS) {
      await checkReduce({ op, inShape: [5, 0, 3], axes: [1] }, new Float32Array(0));
      await checkReduce({ op, inShape: [0, 5], axes: [0] }, new Float32Array(0));
      expect(planReduce({ op, inShape: [0, 5], axes: [1] }, defaultLoad(), LIMITS).workgroups).toEqual([0, 1, 1]);
    }
  });

  it('index decomposition over eight alternating kept and reduced runs (the limit)', async () => {
    const shape = Array<number>(16).fill(2);
    shape[15] = 3;
    shape[0] = 5;
    for (const op of OPS) {
      for (const first of [0, 1]) {
        const axes = [...shape.keys()].filter((d) => d % 2 === first);
        await checkReduce({ op, inShape: shape, axes }, randomInput(5 * 3 * 2 ** 14, first));
      }
    }
  });

  it('fuses a custom load_input: sum of squares and a two-input dot product', async () => {
    const gpu = device!;
    const square = `
@group(0) @binding(2) var<storage, read> fused_x: array<f32>;
fn load_input(i: u32) -> f32 {
  let v = fused_x[i];
  return v * v;
}`;
    const product = `
@group(0) @binding(2) var<storage, read> fused_a: array<f32>;
@group(0) @binding(3) var<storage, read> fused_b: array<f32>;
fn load_input(i: u32) -> f32 {
  return fused_a[i] * fused_b[i];
}`;
    for (const [shape, axes] of [[[1000], [0]], [[65, 257], [1]], [[257, 65], [0]], [[3, 1 << 18], [1]]] as [number[], number[]][]) {
      const n = shape.reduce((p, d) => p * d, 1);
      const x = randomInput(n, 1);
      const y = randomInput(n, 2);
      for (const op of OPS) {
        const spec = { op, inShape: shape, axes };
        const squared = reference(spec, x.map((v) => v * v));
        const R = axes.reduce((p, a) => p * shape[a], 1);
        const sq = await runPlan(gpu, planReduce(spec, square, LIMITS), [x], squared.expected.length);
        expectSameNonFinite(sq, squared.expected, `${op} of x²`);
        expectAllclose(sq, squared.expected, tolerance(op, R, squared.absSum), `${op} of x²`);
        const products = reference(spec, x.map((v, i) => v * y[i]));
        const dot = await runPlan(gpu, planReduce(spec, product, LIMITS), [x, y], products.expected.length);
        expectSameNonFinite(dot, products.expected, `${op} of x·y`);
        expectAllclose(dot, products.expected, tolerance(op, R, products.absSum), `${op} of x·y`);
      }
    }
  });
});

describe('planReduce', () => {
  it('emits one code string per op, load and strategy, with shapes in the uniforms', () => {
    const code = (op: ReduceOp, inShape: number[], axes: number[]) => planReduce({ op, inShape, axes }, defaultLoad(), LIMITS).code;
    const tree = code('sum', [4, 50], [1]);
    expect(code('sum', [7, 30, 9], [0, 2])).toBe(tree);
    expect(planReduce({ op: 'sum', inShape: [4, 50], axes: [1] }, defaultLoad(), LIMITS)).toEqual(planReduce({ op: 'sum', inShape: [4, 50], axes: [1] }, defaultLoad(), LIMITS));
    const thread = code('sum', [50, 40], [0]);
    expect(code('sum', [3, 7, 64], [0, 1])).toBe(thread);
    expect(thread).not.toBe(tree);
    expect(thread).not.toContain('workgroupBarrier');
    expect(code('max', [4, 50], [1])).not.toBe(tree);
    expect(tree).toContain('fn load_input');
  });

  it('merges neighbouring kept or reduced dims and drops size-1 dims', () => {
    const merged = planReduce({ op: 'sum', inShape: [2, 3, 1, 4, 5], axes: [1, 2, 3] }, defaultLoad(), LIMITS);
    const flat = planReduce({ op: 'sum', inShape: [2, 12, 5], axes: [1] }, defaultLoad(), LIMITS);
    expect(merged.uniforms).toEqual(flat.uniforms);
  });

  it('picks lanes per output from the innermost axis', () => {
    const lanes = (inShape: number[], axes: number[]) => planReduce({ op: 'sum', inShape, axes }, defaultLoad(), LIMITS).uniforms[2];
    expect(lanes([4096, 4096], [1])).toBe(32); // innermost reduced: a warp of lanes per output
    expect(lanes([64, 1 << 16], [1])).toBe(256); // long rows: a whole workgroup per output
    expect(lanes([4096, 4096], [0])).toBe(1); // innermost kept: a thread per output
    expect(lanes([1000, 3], [0])).toBe(32); // kept run too short to coalesce across outputs
    expect(lanes([100, 8], [1])).toBe(2); // short rows: every lane still gets 4 elements
  });

  it('rejects malformed specs', () => {
    const plan = (inShape: number[], axes: number[]) => () => planReduce({ op: 'sum', inShape, axes }, defaultLoad(), LIMITS);
    expect(plan([3, 4], [])).toThrow(/axes/);
    expect(plan([3, 4], [1, 0])).toThrow(/axes/);
    expect(plan([3, 4], [2])).toThrow(/axes/);
    expect(plan([3, 4.5], [0])).toThrow(/shape/);
    expect(plan(Array(18).fill(2), [0, 2, 4, 6, 8, 10, 12, 14, 16])).toThrow(/alternates/);
  });
});
