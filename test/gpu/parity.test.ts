import { afterAll, describe, it } from 'vitest';
import { jvp } from '../../src/ad/jvp.ts';
import { vjp } from '../../src/ad/vjp.ts';
import { interpret } from '../../src/backend/cpu/interpreter.ts';
import type { Tensor } from '../../src/backend/cpu/tensor.ts';
import { cotangentName, tangentName, type Graph } from '../../src/ir/graph.ts';
import { UNARY_PRIMS, type BinaryPrim, type ReducePrim, type UnaryPrim } from '../../src/ir/primitives.ts';
import { formatShape, numel, type Shape } from '../../src/ir/shape.ts';
import { graphOf, randomLike, sampleInputs, shapesOf, type AdCase, type Values } from '../support/ad-harness.ts';
import { ErrorLog, gpuTolerance, type Family } from '../support/gpu-parity.ts';
import { getTestRuntime } from '../support/gpu-runtime.ts';
import { BINARY_DOMAINS as SHARED_BINARY_DOMAINS, UNARY_DOMAINS } from '../support/domains.ts';

const rt = await getTestRuntime();

/** Tangent/cotangent batch sizes: a single seed, an odd few, and a full workgroup-sized batch. */
const BATCHES = [1, 7, 64] as const;
/**
 * Largest batched tensor a case is run with (k · its largest input or output): SwiftShader runs the
 * sums in batched VJPs at only about 1 M elements/s (measured), so big shapes get the small batches.
 */
const MAX_BATCHED = 70_000;

/**
 * Batch sizes for the JVP and the VJP of the case with this seed. Elementwise kernels compile in ~10 ms
 * on SwiftShader, so unary cases try every batch size; a reduction kernel takes 0.1-0.4 s to compile,
 * so the other cases rotate through the sizes (each family still meets all three).
 */
function batchesFor(graph: Graph, seed: number, every: boolean): { jvp: number[]; vjp: number[] } {
  const largest = Math.max(...[...graph.inputs, ...graph.outputs].map((p) => numel(graph.nodes[p.id].shape)));
  const fits = BATCHES.filter((k) => k === 1 || k * largest <= MAX_BATCHED);
  if (every) return { jvp: fits, vjp: fits };
  const pick = (i: number) => fits[i % fits.length];
  return { jvp: [pick(seed)], vjp: [pick(seed + 1)] };
}

/** Few distinct values, so that comparisons meet ties. */
const coarse = (u: number) => Math.floor(5 * u) / 2 - 1;
const BINARY_DOMAINS: Partial<Record<BinaryPrim, (u: number, arg: number) => number>> = {
  ...SHARED_BINARY_DOMAINS,
  greater: coarse,
  equal: coarse,
};

const FAMILY: Record<UnaryPrim | BinaryPrim, Family> = {
  neg: 'exact', abs: 'exact', sign: 'exact', relu: 'exact', maximum: 'exact', minimum: 'exact', greater: 'exact', equal: 'exact',
  square: 'arithmetic', add: 'arithmetic', sub: 'arithmetic', mul: 'arithmetic', div: 'arithmetic',
  exp: 'transcendental', log: 'transcendental', sqrt: 'transcendental', tanh: 'transcendental', sigmoid: 'transcendental',
  softplus: 'transcendental', pow: 'transcendental',
  sin: 'trig', cos: 'trig', tan: 'trig',
};

const log = new ErrorLog();

/** f32-representable copies, so both backends see identical inputs. */
const toF32 = (values: Values): Values => Object.fromEntries(Object.entries(values).map(([k, v]) => [k, v.map(Math.fround)]));

function feed(graph: Graph, values: Values, as: 'f32' | 'f64'): Map<string, Tensor> {
  return new Map(graph.inputs.map((p) => {
    const data = values[p.name];
    if (data === undefined) throw new Error(`test feeds no value for ${p.name}`);
    return [p.name, { shape: graph.nodes[p.id].shape, data: as === 'f32' ? Float32Array.from(data) : data }];
  }));
}

/** Runs `graph` on both backends and compares every output. */
async function compare(row: string, family: Family, graph: Graph, values: Values, label: string): Promise<void> {
  const gpu = await rt!.run(graph, feed(graph, values, 'f32'));
  const cpu = interpret(graph, feed(graph, values, 'f64'), 'f64');
  const tol = gpuTolerance(family, graph);
  for (const p of graph.outputs) log.check(row, gpu.get(p.name)!.data, cpu.get(p.name)!.data, tol, `${label}: ${p.name}`);
}

/** The primal, batched JVP and batched VJP graphs of a case, on WebGPU against the CPU. */
async function checkParity(row: string, family: Family, c: AdCase, seed: number, everyBatch = false): Promise<void> {
  const graph = graphOf(c);
  const label = `${c.name} ${c.shapes.map(formatShape).join(', ')}`;
  const x = toF32(sampleInputs(c, seed));
  await compare(row, family, graph, x, `${label} primal`);
  const batches = batchesFor(graph, seed, everyBatch);
  for (const k of batches.jvp) {
    const tangents = toF32(randomLike(shapesOf(graph, 'inputs'), seed + k, [k]));
    await compare(row, family, jvp(graph, [k]), { ...x, ...rename(tangents, tangentName) }, `${label} jvp k=${k}`);
  }
  for (const k of batches.vjp) {
    const cotangents = toF32(randomLike(shapesOf(graph, 'outputs'), seed + 2 * k, [k]));
    await compare(row, family, vjp(graph, [k]), { ...x, ...rename(cotangents, cotangentName) }, `${label} vjp k=${k}`);
  }
}

const rename = (values: Values, name: (k: string) => string): Values => Object.fromEntries(Object.entries(values).map(([k, v]) => [name(k), v]));

/** Picks `count` entries of `list` starting at `start`, wrapping around: spreads sizes over cases. */
const rotate = <T>(list: readonly T[], start: number, count: number): T[] => Array.from({ length: count }, (_, i) => list[(start + i) % list.length]);

// Sizes straddle the 256-thread elementwise workgroup, the 64-wide GEMM tile and reduction lane counts.
const UNARY_SHAPES: Shape[] = [[3, 257], [63, 65], [1], [127, 64], [64], [65, 3]];
const BINARY_SHAPES: [Shape, Shape][] = [
  [[1000], [1000]],
  [[1000], []],
  [[63, 1], [1, 65]],
  [[3, 257], [257]],
  [[63, 1, 3], [65, 1]],
  [[1], [64, 65]],
];

describe.skipIf(rt === null)('WebGPU matches the CPU f64 reference: primal, batched JVP and VJP', () => {
  afterAll(() => {
    if (process.env.GL_PARITY_REPORT) console.log(`GPU vs CPU f64, per family (${rt!.compiledPipelines} pipelines compiled):\n${log.table()}`);
  });

  UNARY_PRIMS.forEach((prim, i) => {
    it(prim, async () => {
      const sample = UNARY_DOMAINS[prim];
      for (const shape of [[1000], UNARY_SHAPES[i % UNARY_SHAPES.length]]) {
        await checkParity(FAMILY[prim], FAMILY[prim], { name: prim, shapes: [shape], build: (b, [x]) => b.unary(prim, x), sample: sample && ((u) => sample(u)) }, 100 + i, true);
      }
    });
  });

  (['add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum', 'greater', 'equal'] as const).forEach((prim, i) => {
    it(`${prim} with broadcasting`, async () => {
      for (const shapes of rotate(BINARY_SHAPES, i, 3)) {
        await checkParity(FAMILY[prim], FAMILY[prim], { name: prim, shapes, build: (b, [x, y]) => b.apply(prim, [x, y], {}), sample: BINARY_DOMAINS[prim] }, 200 + i);
      }
    });
  });

  it('transcendentals over wide ranges (the measurements behind the tolerances)', async () => {
    const ranges: [UnaryPrim, number, number][] = [
      ['sin', -100, 100], ['cos', -100, 100], ['tan', -1.5, 1.5], ['exp', -40, 40], ['log', 1e-3, 1e3], ['sqrt', 0, 1e4],
      ['tanh', -20, 20], ['sigmoid', -80, 80], ['softplus', -80, 80],
    ];
    const n = 1 << 16;
    for (const [prim, lo, hi] of ranges) {
      const c: AdCase = { name: `${prim} on [${lo}, ${hi}]`, shapes: [[n]], build: (b, [x]) => b.unary(prim, x) };
      const graph = graphOf(c);
      const x = { a0: Float64Array.from({ length: n }, (_, i) => Math.fround(lo + ((hi - lo) * i) / (n - 1))) };
      await compare(c.name, FAMILY[prim], graph, x, c.name);
    }
  });

  it('pow with a constant integer exponent takes negative bases', async () => {
    await checkParity('transcendental', 'transcendental', { name: 'x^3', shapes: [[1000]], build: (b, [x]) => b.apply('pow', [x, b.constant(3)], {}) }, 300);
  });

  it('broadcast, reshape and transpose, alone (pure index maps) and fused into a consumer', async () => {
    const cases: AdCase[] = [
      { name: 'broadcast', shapes: [[63, 1]], build: (b, [x]) => b.broadcast(x, [63, 1], [63, 65]) },
      { name: 'broadcast', shapes: [[65]], build: (b, [x]) => b.broadcast(x, [65], [3, 65]) },
      { name: 'broadcast', shapes: [[]], build: (b, [x]) => b.broadcast(x, [], [1000]) },
      { name: 'broadcast·broadcast', shapes: [[1, 64]], build: (b, [x]) => b.mul(b.broadcast(x, [1, 64], [127, 64]), b.broadcast(x, [1, 64], [127, 64])) },
      { name: 'reshape', shapes: [[3, 257]], build: (b, [x]) => b.reshape(x, [3, 257], [771]) },
      { name: 'sin∘reshape', shapes: [[63, 64]], build: (b, [x]) => b.unary('sin', b.reshape(x, [63, 64], [64, 63])) },
      { name: 'transpose', shapes: [[63, 65]], build: (b, [x]) => b.transpose(x) },
      { name: 'neg∘transpose', shapes: [[7, 3, 257]], build: (b, [x]) => b.neg(b.transpose(x)) },
    ];
    const family = (c: AdCase): Family => (c.name.startsWith('sin') ? 'trig' : c.name.includes('·') ? 'arithmetic' : 'exact');
    for (const [i, c] of cases.entries()) await checkParity('structural', family(c), c, 400 + i);
  });

  const REDUCTIONS: { shape: Shape; axes: number[] }[] = [
    { shape: [1000], axes: [-1] },
    { shape: [63, 65], axes: [-2] },
    { shape: [127, 64], axes: [-1] },
    { shape: [257, 3], axes: [-2] },
    { shape: [7, 64, 3], axes: [-3, -1] },
    // Long enough that the planner splits it into a chunked pass and a finishing pass.
    { shape: [40000], axes: [-1] },
  ];
  (['sum', 'reduce_max', 'logsumexp'] as const satisfies readonly ReducePrim[]).forEach((prim, i) => {
    it(`${prim} over axes`, async () => {
      const family = prim === 'logsumexp' ? 'transcendental' : prim === 'sum' ? 'arithmetic' : 'exact';
      for (const [j, { shape, axes }] of REDUCTIONS.entries()) {
        await checkParity('reductions', family, { name: `${prim} over (${axes})`, shapes: [shape], build: (b, [x]) => b.apply(prim, [x], { axes }) }, 500 + 10 * i + j);
      }
    });
  });

  it('logsumexp of values whose exp overflows f32', async () => {
    const c: AdCase = { name: 'logsumexp', shapes: [[3, 1000]], build: (b, [x]) => b.apply('logsumexp', [x], { axes: [-1] }), sample: (u) => 200 * u - 100 };
    await checkParity('reductions', 'transcendental', c, 600);
  });

  const MATMULS: [string, Shape, Shape][] = [
    ['plain', [65, 127], [127, 63]],
    ['inner 1000', [1, 1000], [1000, 3]],
    ['1000 columns', [3, 64], [64, 1000]],
    ['matrix-vector', [257, 64], [64, 1]],
    ['1×1', [1, 1], [1, 1]],
    // Batched forms, kept small: a tangent batch k in front of a primal batch takes the GEMM path with one
    // launch per leading index, and each small product still fills a 64×64-tile workgroup, which costs
    // SwiftShader about a millisecond whatever the matrix.
    ['batch on the left', [3, 2, 65], [65, 2]],
    ['batch on the right', [2, 65], [3, 65, 2]],
    ['batch on both', [3, 65, 2], [3, 2, 3]],
    ['broadcast batch', [3, 2, 3], [1, 3, 65]],
  ];
  for (const [i, [name, a, b]] of MATMULS.entries()) {
    it(`matmul ${name}: ${formatShape(a)} @ ${formatShape(b)}`, async () => {
      await checkParity('matmul', 'arithmetic', { name: 'matmul', shapes: [a, b], build: (g, [x, y]) => g.matmul(x, y) }, 700 + i);
    });
  }
});
