// Matrix-vector products on WebGPU: a GEMM with one output row or column runs as a matrix-vector
// kernel (shaders/matvec-*.wgsl) when its operands are vec4-aligned, else as a sum over k with the
// product fused into the load (executor.ts, `matvecOf`), never as the 64×64-tile GEMM.
import { describe, expect, it } from 'vitest';
import { compileOrThrow, listKernels, type Program } from '../../src/index.ts';
import { rng } from '../../src/api/random.ts';
import { interpret } from '../../src/backend/cpu/interpreter.ts';
import type { Tensor } from '../../src/backend/cpu/tensor.ts';
import type { Graph } from '../../src/ir/graph.ts';
import { numel } from '../../src/ir/shape.ts';
import { expectAllclose } from '../support/allclose.ts';
import { gpuTolerance } from '../support/gpu-parity.ts';
import { getTestRuntime } from '../support/gpu-runtime.ts';
import { GpuRuntime } from '../../src/backend/webgpu/runtime.ts';
import { planMatvec, planMatvecPair } from '../../src/backend/webgpu/matvec.ts';
import { DEFAULT_LIMITS } from '../../src/backend/webgpu/inspect.ts';

const rt = await getTestRuntime();
/** The same device planned both ways: one lane per four rows (software adapters) and 16 lanes with a tree (GPUs). */
const strategies = rt === null ? [] : [true, false].map((softwareAdapter) => ({ softwareAdapter, runtime: new GpuRuntime(rt.gpu, {}, { softwareAdapter }) }));

/** Sizes around the reduction's lane counts and the GEMM tile (64), and one past its split threshold. */
const SIZES = [1, 3, 63, 64, 65, 257, 1000];

const CASES: Record<string, string> = {
  'W @ x': 'input W[m, n]\ninput x[n]\noutput y = W @ x',
  'x @ W': 'input W[n, m]\ninput x[n]\noutput y = x @ W',
  'transpose(W) @ x': 'input W[n, m]\ninput x[n]\noutput y = transpose(W) @ x',
  'dot(x, y)': 'input x[n]\ninput y[n]\noutput d = dot(x, y)',
};

/** Every size as n, paired with another as m, so that no product is square and each size meets each role. */
const shapes = SIZES.map((n, i) => ({ n, m: SIZES[(i + 2) % SIZES.length] }));
/**
 * Shapes where both vec4 kernels apply (m ≥ 16 outputs, n and m multiples of 4), across workgroup edges;
 * m / 4 leaves 0 to 3 vec4s over for the software adapter's 4 vec4s per thread (28: 3; 1028: one vec4 past a full workgroup).
 */
const ALIGNED = [{ n: 4, m: 16 }, { n: 256, m: 68 }, { n: 8, m: 1000 }, { n: 1024, m: 20 }, { n: 64, m: 260 }, { n: 12, m: 28 }, { n: 8, m: 1028 }];

const MLP = `input x[n]
input W1[h, n]
input b1[h]
input W2[m, h]
input b2[m]
hidden = tanh(W1 @ x + b1)
output y = tanh(W2 @ hidden + b2)`;

/** Values for every input of `graph`: the program's own where given, else uniform in [-scale, scale); all f32-representable. */
function feed(graph: Graph, given: Record<string, Tensor>, seed: number, scale = 2): Map<string, Tensor> {
  const next = rng(seed);
  return new Map(graph.inputs.map((p) => {
    const shape = graph.nodes[p.id].shape;
    const data = given[p.name]?.data ?? Float64Array.from({ length: numel(shape) }, () => scale * (2 * next() - 1));
    return [p.name, { shape, data: Float64Array.from(data, Math.fround) }];
  }));
}

/** MLP weights scaled by 1/√fan-in, so that tanh does not saturate (and 1 - tanh² keeps its digits). */
function mlpValues(p: Program, seed: number): Record<string, Tensor> {
  const values = Object.fromEntries(feed(p.graph, {}, seed, 1));
  for (const t of Object.values(values)) if (t.shape.length === 2) t.data.forEach((v, i, a) => (a[i] = Math.fround(v / Math.sqrt(t.shape[1]))));
  return values;
}

const labels = (graph: Graph) => listKernels(graph, rt?.limits).kernels.map((k) => k.label);

describe('matrix-vector products are planned as matvec kernels or fused reductions (no device needed)', () => {
  for (const [name, source] of Object.entries(CASES)) {
    it(`${name} at every size is a matvec kernel or a fused sum (a multiply when K = 1), not a GEMM`, () => {
      for (const sizes of [...shapes, ...ALIGNED]) {
        const ks = labels(compileOrThrow(source, sizes).graph);
        // With K = n = 1 there is nothing to sum: the builder makes the product a multiply.
        expect(ks[0], `${name} ${JSON.stringify(sizes)}`).toMatch(sizes.n === 1 ? /^elementwise / : /^matvec /);
        expect(ks.filter((l) => l.startsWith('matmul')), `${name} ${JSON.stringify(sizes)}`).toEqual([]);
      }
    });
  }

  it('uses the vec4 kernels where the operands are vec4-aligned and there are enough outputs, else the fused sum', () => {
    const first = (source: string, sizes: Record<string, number>) => labels(compileOrThrow(source, sizes).graph)[0];
    // W @ x reads W's rows: it needs n (= K) a multiple of 4; the outputs m need not be.
    expect(first(CASES['W @ x'], { m: 63, n: 256 })).toBe('matvec [63×256]·[256], 16 lanes per 4 rows');
    expect(first(CASES['W @ x'], { m: 64, n: 65 })).toMatch(/ as reduce sum /);
    // x @ W and Wᵀ x read W's rows as outputs: they need m a multiple of 4.
    expect(first(CASES['x @ W'], { n: 65, m: 64 })).toBe('matvec [65×64ᵀ]·[65]');
    expect(first(CASES['transpose(W) @ x'], { n: 64, m: 63 })).toMatch(/ as reduce sum /);
    // Too few outputs to fill a GPU (a dot product above all): the reduction, which can split k.
    expect(first(CASES['W @ x'], { m: 12, n: 4096 })).toMatch(/ as reduce sum /);
    expect(first(CASES['dot(x, y)'], { n: 4096 })).toMatch(/ as reduce sum /);
    // A software adapter gets one lane per four rows and no barrier.
    const software = listKernels(compileOrThrow(CASES['W @ x'], { m: 64, n: 64 }).graph, undefined, true).kernels[0];
    expect(software.label).toBe('matvec [64×64]·[64], 1 lane per 4 rows');
    expect(software.code).toContain('const MATVEC_LANES: u32 = 1u;');
    // Rows along the outputs (Wᵀ x): sixteen outputs per thread there, so its lanes read whole cache lines.
    const cols = (software: boolean) => listKernels(compileOrThrow(CASES['transpose(W) @ x'], { n: 64, m: 64 }).graph, undefined, software).kernels[0];
    expect(cols(true).label).toBe('matvec [64×64ᵀ]·[64], 16 outputs per thread');
    expect(cols(true).workgroups).toEqual([1, 1, 1]);
    expect(cols(false).label).toBe('matvec [64×64ᵀ]·[64]');
  });

  it('reads each operand in memory order, with the product in the load', () => {
    const plain = listKernels(compileOrThrow(CASES['W @ x'], { m: 5, n: 3 }).graph).kernels[0];
    expect(plain.label).toContain('reduce sum [5, 3] over (1)');
    expect(plain.code).toMatch(/fn load_input\(i: u32\) -> f32 \{[^}]*in2\[o \* 3u \+ k\] \* in3\[k\][^}]*\}/);
    // Wᵀ's rows are W's columns: neighbouring outputs read neighbouring addresses.
    const transposed = listKernels(compileOrThrow(CASES['transpose(W) @ x'], { m: 5, n: 3 }).graph).kernels[0];
    expect(transposed.label).toContain('reduce sum [3, 5] over (0)');
    expect(transposed.code).toMatch(/in2\[o \+ k \* 5u\] \* in3\[k\]/);
    // dot(x, x) binds x once.
    const square = listKernels(compileOrThrow('input x[n]\noutput d = dot(x, x)', { n: 3 }).graph).kernels[0];
    expect(square.code.match(/var<storage, read>/g)).toHaveLength(1);
  });

  it('keeps the GEMM for real matrix products (batched JVPs), and outer products become multiplies', () => {
    const p = compileOrThrow(MLP, { n: 65, h: 127, m: 63 });
    // One direction: every W @ v and Wᵀ @ v is a matvec; the VJP's outer products ct·vᵀ (K = 1) are
    // broadcast multiplies (the builder's rewrite), fused into elementwise kernels.
    expect(labels(p.derived('jvp')).filter((l) => l.startsWith('matmul'))).toEqual([]);
    const vjp = labels(p.derived('vjp'));
    expect(vjp.filter((l) => l.startsWith('matvec'))).toHaveLength(4);
    expect(vjp.filter((l) => l.startsWith('matmul'))).toEqual([]);
    const outer = p.derived('vjp').nodes.filter((n) => n.op === 'mul' && n.shape.length === 2);
    expect(outer.map((n) => n.shape)).toEqual(expect.arrayContaining([[63, 127], [127, 65]]));
    // Eight directions: W @ [x.dot₁ … x.dot₈] is a GEMM with 8 rows, each with the slope's product as its
    // epilogue; only the primal W @ x stay matvecs.
    const jvp8 = labels(p.derived('jvp', [8], { wrt: ['x'] }));
    expect(jvp8.filter((l) => l.startsWith('matmul'))).toEqual([
      expect.stringMatching(/^matmul 1×\[8×65N\]·\[65×127T\], then elementwise %\d+$/),
      expect.stringMatching(/^matmul 1×\[8×127N\]·\[127×63T\], then elementwise %\d+$/),
    ]);
    expect(jvp8.filter((l) => l.startsWith('matvec'))).toHaveLength(2);
  });
});

describe('two products with one matrix, side by side, share a dispatch', () => {
  const LAYER = 'input W[m, n]\ninput x[n]\noutput y = W @ x';
  it('a JVP of W @ x is one pair kernel; apart, different matrices or a dependent vector are not paired', () => {
    const jvp = compileOrThrow(LAYER, { m: 68, n: 256 }).derived('jvp', [], { wrt: ['x'] });
    expect(labels(jvp)).toEqual(['matvec [68×256]·[256], 16 lanes per 4 rows, two vectors']);
    // W' (W @ x): the second product's vector is the first's result, so they cannot share a pass.
    const chained = compileOrThrow('input W[n, n]\ninput x[n]\noutput y = W @ (W @ x)', { n: 64 });
    expect(labels(chained.graph)).toEqual(['matvec [64×64]·[64], 16 lanes per 4 rows', 'matvec [64×64]·[64], 16 lanes per 4 rows']);
    const two = compileOrThrow('input A[n, n]\ninput B[n, n]\ninput x[n]\noutput y = A @ x\noutput z = B @ x', { n: 64 });
    expect(labels(two.graph).every((l) => !l.includes('two vectors'))).toBe(true);
    // Rows along C (Wᵀ v) keep one vector per dispatch.
    const cols = compileOrThrow('input W[n, m]\ninput x[n]\noutput y = transpose(W) @ x', { n: 64, m: 64 }).derived('jvp', [], { wrt: ['x'] });
    expect(labels(cols).every((l) => !l.includes('two vectors'))).toBe(true);
  });
});

describe('the elementwise steps after a row product are its epilogue (no device needed)', () => {
  const LAYER = 'input W[m, n]\ninput x[n]\ninput b[m]\noutput y = tanh(W @ x + b)';
  const plan = (source: string, sizes: Record<string, number>, graph?: (p: Program) => Graph, limits = { ...DEFAULT_LIMITS }) => {
    const p = compileOrThrow(source, sizes);
    return listKernels(graph?.(p) ?? p.graph, limits, true).kernels;
  };

  it('a layer, its JVP and an MLP run one dispatch per layer, on GPUs and software adapters alike', () => {
    expect(labels(compileOrThrow(LAYER, { m: 64, n: 32 }).graph)).toEqual(['matvec [64×32]·[32], 16 lanes per 4 rows, then elementwise %7']);
    const layer = plan(LAYER, { m: 64, n: 32 });
    expect(layer).toHaveLength(1);
    expect(layer[0].code).toContain('fn matvec_store(o: u32, v: f32) {');
    expect(layer[0].code).toMatch(/epilogue_out0\[o\] = v\d+;/);
    const jvp = plan(LAYER, { m: 64, n: 32 }, (p) => p.derived('jvp', [], { wrt: ['x'] }));
    expect(jvp.map((k) => k.label)).toEqual([expect.stringMatching(/two vectors, then elementwise %\d+ %\d+$/)]);
    expect(jvp[0].code).toContain('fn matvec_store_pair(o: u32, v: f32, w: f32) {');
    expect(plan(MLP, { n: 32, h: 64, m: 16 }).map((k) => k.label.split(',').at(-1))).toEqual([expect.stringMatching(/^ then elementwise/), expect.stringMatching(/^ then elementwise/)]);
  });

  it('a batched JVP: y moves up behind W x as its epilogue, and (T Wᵀ) ⊙ (1 − y²) is the GEMM\'s', () => {
    const jvp = (softwareAdapter: boolean) => listKernels(compileOrThrow(LAYER, { m: 64, n: 32 }).derived('jvp', [16], { wrt: ['x'] }), DEFAULT_LIMITS, softwareAdapter).kernels;
    for (const kernels of [jvp(true), jvp(false)]) {
      expect(kernels.map((k) => k.label.replace(/ %\d+/g, ' %'))).toEqual([
        expect.stringMatching(/^matvec \[64×32\]·\[32\], .*, then elementwise %$/),
        expect.stringMatching(/^matmul 1×\[16×32N\]·\[32×64T\].*, then elementwise %$/),
      ]);
      // The epilogue replaces the plain store, and still writes C.
      expect(kernels[1].code).toContain('fn gemm_store(o: u32, v: f32) {\n  C[o] = v;');
      expect(kernels[1].code.match(/^fn gemm_store\(/gm)).toHaveLength(1);
    }
  });

  it('not fused: steps over another number of elements, a column product, or too many buffers for the device', () => {
    // z [m] broadcast over the rows of C [m, m]: the elementwise kernel has m² elements.
    expect(plan('input W[m, n]\ninput x[n]\ninput C[m, m]\nz = W @ x\noutput o = C * z', { m: 16, n: 8 }).map((k) => k.label.split(' ')[0])).toEqual(['matvec', 'elementwise']);
    // Wᵀ x: the column kernels only write.
    expect(plan('input W[n, m]\ninput x[n]\noutput y = tanh(transpose(W) @ x)', { m: 16, n: 8 }).map((k) => k.label.split(' ')[0])).toEqual(['matvec', 'elementwise']);
    // The layer binds z, W, x, b and y: five storage buffers.
    const at = (max: number) => plan(LAYER, { m: 16, n: 8 }, undefined, { ...DEFAULT_LIMITS, maxStorageBuffersPerShaderStage: max }).length;
    expect([at(5), at(4)]).toEqual([1, 2]);
  });
});

describe('workgroup sizes (no device needed)', () => {
  const workgroupOf = (code: string) => Number(code.match(/const MATVEC_WORKGROUP: u32 = (\d+)u;/)?.[1]);
  const spec = (outputs: number, layout: 'ok' | 'ko') => ({ outputs, K: 64, layout, matrixOffset: 0, vectorOffset: 0 });
  const limits = { maxComputeWorkgroupsPerDimension: 65535 };

  it('a GPU gets workgroups of 64; a software adapter at least two workgroups, none mostly idle', () => {
    // 64 rows: 16 threads of four rows each; 1024 rows: 256.
    expect(workgroupOf(planMatvec(spec(64, 'ok'), limits, false).code)).toBe(64);
    const small = planMatvec(spec(64, 'ok'), limits, true);
    expect([workgroupOf(small.code), small.workgroups[0]]).toEqual([8, 2]);
    const large = planMatvec(spec(1024, 'ok'), limits, true);
    expect([workgroupOf(large.code), large.workgroups[0]]).toEqual([64, 4]);
    // The uniforms' grid width (threads per row of workgroups) follows the size.
    expect(small.uniforms[4]).toBe(16);
    // Columns: 16 outputs per thread on a software adapter, so 256 outputs are 16 threads.
    const cols = planMatvec(spec(256, 'ko'), limits, true);
    expect([workgroupOf(cols.code), cols.workgroups[0], cols.uniforms[4]]).toEqual([8, 2, 16]);
    // The pair kernel keeps its single's grid.
    const pair = planMatvecPair(spec(64, 'ok'), 64, limits, true);
    expect([workgroupOf(pair.code), pair.workgroups]).toEqual([8, small.workgroups]);
  });
});

describe.skipIf(rt === null)('matrix-vector products on the device match the CPU f64 reference', () => {
  it('a pair of products with one matrix gives each product\'s answer, planned both ways', async () => {
    for (const { softwareAdapter, runtime } of strategies) {
      for (const sizes of [{ m: 16, n: 4 }, { m: 68, n: 256 }, { m: 1000, n: 8 }, { m: 63, n: 1024 }]) {
        const p = compileOrThrow('input W[m, n]\ninput x[n]\noutput y = tanh(W @ x)', sizes);
        const graph = p.derived('jvp', [], { wrt: ['x'] });
        const inputs = feed(graph, {}, sizes.m + sizes.n, 1);
        const gpu = await runtime.run(graph, inputs);
        expect(runtime.lastProfile!.kernels[0].label, JSON.stringify(sizes)).toContain('two vectors');
        const cpu = interpret(graph, inputs, 'f64');
        for (const port of graph.outputs) {
          expectAllclose(gpu.get(port.name)!.data, cpu.get(port.name)!.data, gpuTolerance('transcendental', graph), `${softwareAdapter ? 'software' : 'GPU'} ${JSON.stringify(sizes)} ${port.name}`);
        }
      }
    }
  });

  for (const [name, source] of Object.entries(CASES)) {
    for (const { softwareAdapter, runtime } of strategies) {
      it(`${name} at sizes ${SIZES.join(', ')} and vec4-aligned shapes, planned for a ${softwareAdapter ? 'software adapter' : 'GPU'}`, async () => {
        for (const sizes of [...shapes, ...ALIGNED]) {
          const p = compileOrThrow(source, sizes);
          const inputs = feed(p.graph, {}, sizes.n * 31 + sizes.m);
          const gpu = await runtime.run(p.graph, inputs);
          expect(runtime.lastProfile!.kernels[0].label).toMatch(sizes.n === 1 ? /^elementwise / : /^matvec /);
          const cpu = interpret(p.graph, inputs, 'f64');
          const out = p.outputs[0].name;
          expectAllclose(gpu.get(out)!.data, cpu.get(out)!.data, gpuTolerance('arithmetic', p.graph), `${name} ${JSON.stringify(sizes)}`);
        }
      });
    }
  }

  it('the vec4 kernels ran for the aligned shapes', async () => {
    for (const { runtime } of strategies) {
      for (const [name, source] of Object.entries(CASES).filter(([n]) => n !== 'dot(x, y)')) {
        const p = compileOrThrow(source, { n: 256, m: 68 });
        await runtime.run(p.graph, feed(p.graph, {}, 5));
        expect(runtime.lastProfile!.kernels[0].label, name).not.toContain('reduce');
      }
    }
  });

  it('epilogues give the layer\'s answer on both strategies: a layer and its JVP, the product also an output, x read again, an MLP', async () => {
    const cases: [string, string, Record<string, number>, (p: Program) => Graph][] = [
      ['layer', 'input W[m, n]\ninput x[n]\ninput b[m]\noutput y = tanh(W @ x + b)', { m: 68, n: 36 }, (p) => p.graph],
      ['its JVP', 'input W[m, n]\ninput x[n]\ninput b[m]\noutput y = tanh(W @ x + b)', { m: 68, n: 36 }, (p) => p.derived('jvp', [], { wrt: ['x'] })],
      ['product and activation both outputs', 'input W[m, n]\ninput x[n]\ninput b[m]\noutput z = W @ x\noutput y = tanh(z + b) * z', { m: 20, n: 8 }, (p) => p.graph],
      ['a residual (x read by the product and the epilogue)', 'input W[n, n]\ninput x[n]\noutput y = tanh(W @ x) + x', { n: 40 }, (p) => p.graph],
      ['an MLP\'s JVP', MLP, { n: 36, h: 64, m: 20 }, (p) => p.derived('jvp', [], { wrt: ['x'] })],
      ['a batched JVP (the GEMM\'s epilogue)', 'input W[m, n]\ninput x[n]\ninput b[m]\noutput y = tanh(W @ x + b)', { m: 68, n: 36 }, (p) => p.derived('jvp', [5], { wrt: ['x'] })],
      ['a batched JVP with K < 8 (the short-K GEMM)', 'input W[m, n]\ninput x[n]\ninput b[m]\noutput y = tanh(W @ x + b)', { m: 20, n: 4 }, (p) => p.derived('jvp', [6], { wrt: ['x'] })],
      ['an MLP\'s batched JVP', MLP, { n: 36, h: 64, m: 20 }, (p) => p.derived('jvp', [3], { wrt: ['x'] })],
    ];
    for (const { softwareAdapter, runtime } of strategies) {
      for (const [what, source, sizes, graphOf] of cases) {
        const p = compileOrThrow(source, sizes);
        const graph = graphOf(p);
        const inputs = feed(graph, mlpValues(p, 9), 11, 1);
        const gpu = await runtime.run(graph, inputs);
        expect(runtime.lastProfile!.kernels.every((k) => !k.label.startsWith('elementwise')), what).toBe(true);
        const cpu = interpret(graph, inputs, 'f64');
        for (const port of graph.outputs) expectAllclose(gpu.get(port.name)!.data, cpu.get(port.name)!.data, gpuTolerance('transcendental', graph), `${what} (${softwareAdapter ? 'software' : 'GPU'}): ${port.name}`);
      }
    }
  });

  it('JVPs and VJPs of tanh(W @ x + b) layers, one direction and three, agree with the CPU', async () => {
    const p = compileOrThrow(MLP, { n: 65, h: 127, m: 63 });
    const values = mlpValues(p, 3);
    const graphs: [string, Graph][] = [
      ['jvp', p.derived('jvp')],
      ['jvp k=3', p.derived('jvp', [3])],
      ['vjp', p.derived('vjp')],
      ['vjp k=3', p.derived('vjp', [3])],
    ];
    const tol = gpuTolerance('transcendental', ...graphs.map(([, g]) => g));
    for (const [what, graph] of graphs) {
      const inputs = feed(graph, values, 7, 1);
      const gpu = await rt!.run(graph, inputs);
      const cpu = interpret(graph, inputs, 'f64');
      for (const port of graph.outputs) expectAllclose(gpu.get(port.name)!.data, cpu.get(port.name)!.data, tol, `${what}: ${port.name}`);
    }
  });
});
