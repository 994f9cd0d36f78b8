import { describe, expect, it, vi } from 'vitest';
import { compileOrThrow, listKernels, randomValues, type Program } from '../../src/index.ts';
import { interpret } from '../../src/backend/cpu/interpreter.ts';
import type { Tensor } from '../../src/backend/cpu/tensor.ts';
import { expectAllclose } from '../support/allclose.ts';
import { gpuTolerance } from '../support/gpu-parity.ts';
import { getTestRuntime } from '../support/gpu-runtime.ts';

const rt = await getTestRuntime();

const LAYER = 'input W[m, n]\ninput x[n]\ninput b[m]\noutput y = tanh(W @ x + b)';
const SQUARES = 'input x[n]\noutput s = sum(x * x)';

function inputsOf(p: Program, seed: number): Map<string, Tensor> {
  return new Map(Object.entries(randomValues(p.inputs, seed)).map(([k, t]) => [k, { shape: t.shape, data: t.data.map(Math.fround) }]));
}

describe('fusion: kernels planned for small programs (no device needed)', () => {
  it('tanh(W @ x + b) is one matrix-vector kernel and one fused elementwise kernel', () => {
    const p = compileOrThrow(LAYER, { m: 65, n: 127 });
    const { kernels, problem } = listKernels(p.graph);
    expect(problem).toBeNull();
    expect(kernels.map((k) => k.label.split(' ')[0])).toEqual(['matvec', 'elementwise']);
    // The bias add and the tanh are inlined into one kernel that reads the GEMM result and b.
    const fused = kernels[1].code;
    expect(fused).toMatch(/gl_tanh\(/);
    expect(fused).toMatch(/\+/);
    expect(fused.match(/var<storage, read>/g)).toHaveLength(2);
  });

  it('sum(x * x) is one reduction kernel with the product fused into its load', () => {
    const p = compileOrThrow(SQUARES, { n: 1000 });
    const { kernels } = listKernels(p.graph);
    expect(kernels).toHaveLength(1);
    expect(kernels[0].label).toMatch(/^reduce sum/);
    expect(kernels[0].code).toMatch(/fn load_input\(i: u32\) -> f32 \{[^}]*\*[^}]*\}/);
  });

  it('a transpose read only by matmuls is a flag on each, never a copy, however many read it', () => {
    // The HVP of a loss through W @ x multiplies Wᵀ by two vectors (the gradient and its tangent).
    const p = compileOrThrow('input W[n, n]\ninput x[n]\noutput L = sum(tanh(W @ x) * tanh(W @ x))', { n: 64 });
    const hvp = p.derived('hvp', [], { of: ['L'], wrt: ['x'], parts: ['x'] });
    const transposes = hvp.nodes.filter((n) => n.op === 'transpose');
    expect(transposes).toHaveLength(1);
    expect(hvp.nodes.filter((n) => n.args.includes(transposes[0].id)).map((n) => n.op)).toEqual(['matmul', 'matmul']);
    const labels = listKernels(hvp).kernels.map((k) => k.label);
    expect(labels.filter((l) => l.startsWith('matvec [64×64ᵀ]'))).toHaveLength(2);
    expect(labels.filter((l) => l === `elementwise %${transposes[0].id}`)).toEqual([]);
    // Without the gradient, every elementwise step between the products is one epilogue of W x and W ẋ
    // (which share one dispatch, matvec-rows-pair.wgsl) that computes each shared value (tanh, its slope,
    // their tangents) once, in registers.
    const alone = listKernels(p.derived('hvp', [], { of: ['L'], wrt: ['x'], parts: ['x'], gradient: false })).kernels;
    expect(alone.map((k) => k.label.split(' ')[0])).toEqual(['matvec', 'matvec']);
    expect(alone[0].label).toContain('two vectors, then elementwise');
    // The helper's definition and one call (the epilogue computes one output per call).
    expect(alone[0].code.match(/gl_tanh\(/g)).toHaveLength(2);
    // With the gradient, the steps before the reductions are the products' epilogue and those after share a kernel.
    const both = listKernels(p.derived('hvp', [], { of: ['L'], wrt: ['x'], parts: ['x'] })).kernels.map((k) => k.label);
    expect(both.map((l) => l.split(' ')[0])).toEqual(['matvec', 'reduce', 'reduce', 'elementwise', 'matvec', 'matvec']);
    expect(both[0].split(', then elementwise')[1].split(' %')).toHaveLength(4); // three outputs
    // Read by anything else, it is stored once.
    const mixed = compileOrThrow('input W[n, n]\ninput x[n]\noutput y = transpose(W) @ x\noutput z = sum(transpose(W) * W)', { n: 8 });
    expect(listKernels(mixed.graph).kernels.some((k) => k.label.startsWith('elementwise'))).toBe(true);
  });
});

describe.skipIf(rt === null)('fusion and the pipeline cache on the device', () => {
  it('runs tanh(W @ x + b) in 2 dispatches and sum(x * x) in 1, with the right values', async () => {
    for (const [source, sizes, dispatches] of [[LAYER, { m: 65, n: 127 }, 2], [SQUARES, { n: 1000 }, 1]] as const) {
      const p = compileOrThrow(source, sizes);
      const inputs = inputsOf(p, 5);
      const out = await rt!.run(p.graph, inputs);
      expect(rt!.lastProfile?.dispatches, source).toBe(dispatches);
      const want = interpret(p.graph, inputs, 'f64');
      const name = p.outputs[0].name;
      expectAllclose(out.get(name)!.data, want.get(name)!.data, gpuTolerance('transcendental', p.graph), source);

      const { stats } = await p.evaluate(Object.fromEntries(inputs), { backend: 'webgpu' });
      expect(stats.dispatches).toBe(dispatches);
    }
  });

  it('compiles no new pipelines when the same program runs again, or is compiled again', async () => {
    const source = `${LAYER}\noutput loss = sum(y * y)`;
    const p = compileOrThrow(source, { m: 63, n: 257 });
    const inputs = Object.fromEntries(inputsOf(p, 6));
    await p.evaluate(inputs, { backend: 'webgpu' });
    await p.grad(inputs, { backend: 'webgpu', output: 'loss' });
    const compiled = rt!.compiledPipelines;
    expect(compiled).toBeGreaterThan(0);

    await p.evaluate(inputs, { backend: 'webgpu' });
    await p.grad(inputs, { backend: 'webgpu', output: 'loss' });
    expect(rt!.compiledPipelines, 'the same program again').toBe(compiled);

    // A fresh compile builds new Graph objects (new plans) but the same WGSL: the cache is keyed by source.
    const again = compileOrThrow(source, { m: 63, n: 257 });
    await again.evaluate(inputs, { backend: 'webgpu' });
    await again.grad(inputs, { backend: 'webgpu', output: 'loss' });
    expect(rt!.compiledPipelines, 'the same source compiled again').toBe(compiled);
  });

  it('elementwise steps over one shape share a kernel only where each reads the others at its own index', async () => {
    // D reads B transposed: another thread's element, so B must be written first, by a kernel of its own.
    const p = compileOrThrow('input A[n, n]\ninput v[n]\nB = exp(A)\noutput C = B * 3\noutput D = transpose(B) * 2 + C\noutput E = v * v', { n: 6 });
    const labels = listKernels(p.graph).kernels.map((k) => k.label);
    expect(labels).toHaveLength(3);
    const inputs = inputsOf(p, 9);
    const out = await rt!.run(p.graph, inputs);
    const want = interpret(p.graph, inputs, 'f64');
    for (const name of ['C', 'D', 'E']) expectAllclose(out.get(name)!.data, want.get(name)!.data, gpuTolerance('transcendental', p.graph), name);
    // Same shape, same index: one kernel with two outputs.
    const q = compileOrThrow('input x[n]\nt = tanh(x)\noutput a = t * 2\noutput b = t * t + a', { n: 100 });
    const [kernel] = listKernels(q.graph).kernels;
    expect(listKernels(q.graph).kernels).toHaveLength(1);
    // t is read by a and b only, inside the kernel: it stays in a register, never written.
    expect(kernel.code.match(/read_write/g)).toHaveLength(2);
    const qin = inputsOf(q, 10);
    const qout = await rt!.run(q.graph, qin);
    const qwant = interpret(q.graph, qin, 'f64');
    for (const name of ['a', 'b']) expectAllclose(qout.get(name)!.data, qwant.get(name)!.data, gpuTolerance('transcendental', q.graph), name);
  });

  it('an HVP with its gradient runs in six dispatches and matches the f64 interpreter', async () => {
    const p = compileOrThrow('input W[m, n]\ninput x[n]\noutput L = sum(tanh(W @ x) * tanh(W @ x))', { m: 96, n: 80 });
    const graph = p.derived('hvp', [], { of: ['L'], wrt: ['x'], parts: ['x'] });
    const feed = new Map([...inputsOf(p, 3), ['x.dot', inputsOf(p, 4).get('x')!]]);
    const out = await rt!.run(graph, feed);
    expect(rt!.lastProfile?.dispatches).toBe(6);
    const want = interpret(graph, feed, 'f64');
    for (const port of graph.outputs) expectAllclose(out.get(port.name)!.data, want.get(port.name)!.data, { rtol: 1e-4, atol: 1e-4 }, port.name);
  });

  it('times each kernel only when asked: one compute pass otherwise, a pass per kernel with timestamps', async () => {
    const p = compileOrThrow(`${LAYER}\noutput loss = sum(y * y)`, { m: 40, n: 33 });
    const inputs = Object.fromEntries(inputsOf(p, 8));
    const { device } = rt!.gpu;
    const create = device.createCommandEncoder.bind(device);
    let passes = 0;
    const encoders = vi.spyOn(device, 'createCommandEncoder').mockImplementation((descriptor) => {
      const encoder = create(descriptor);
      const begin = encoder.beginComputePass.bind(encoder);
      encoder.beginComputePass = (d) => (passes++, begin(d));
      return encoder;
    });
    try {
      const quiet = await p.evaluate(inputs, { backend: 'webgpu' });
      expect(quiet.stats.gpuMs).toBeNull();
      expect(quiet.stats.kernels?.every((k) => k.ms === null)).toBe(true);
      expect(passes, 'compute passes of an unprofiled run').toBe(1);
      passes = 0;
      const timed = await p.evaluate(inputs, { backend: 'webgpu', profile: true });
      if (rt!.gpu.info.timestamps) {
        expect(passes, 'compute passes of a profiled run').toBe(3);
        expect(timed.stats.gpuMs).toBeGreaterThanOrEqual(0);
        expect(timed.stats.kernels?.every((k) => k.ms !== null && k.ms >= 0)).toBe(true);
      }
      for (const { stats, outputs } of [quiet, timed]) {
        expect(stats.dispatches).toBe(3);
        expectAllclose(outputs.loss.data, interpret(p.graph, inputsOf(p, 8), 'f64').get('loss')!.data, gpuTolerance('transcendental', p.graph));
      }
    } finally {
      encoders.mockRestore();
    }
  });

  it('an HVP without its gradient runs in two dispatches and matches the f64 interpreter', async () => {
    const p = compileOrThrow('input W[m, n]\ninput x[n]\noutput L = sum(tanh(W @ x) * tanh(W @ x))', { m: 96, n: 80 });
    const graph = p.derived('hvp', [], { of: ['L'], wrt: ['x'], parts: ['x'], gradient: false });
    const feed = new Map([...inputsOf(p, 3), ['x.dot', inputsOf(p, 4).get('x')!]]);
    const out = await rt!.run(graph, feed);
    expect(rt!.lastProfile?.dispatches).toBe(2);
    const want = interpret(graph, feed, 'f64').get('x.bar.dot')!;
    // Second derivatives through tanh in f32 (measured ≤ 1.1e-5 relative in the test below).
    expectAllclose(out.get('x.bar.dot')!.data, want.data, { rtol: 1e-4, atol: 1e-4 });
  });

  it('a repeated run creates no bind group, buffer or query set, and overlapping runs of one graph each get their own answer', async () => {
    const p = compileOrThrow(`${LAYER}\noutput loss = sum(y * y)`, { m: 40, n: 33 });
    const graph = p.derived('hvp', [], { of: ['loss'] });
    const feeds = [1, 2, 3].map((seed) => new Map([...inputsOf(p, seed), ...inputsOf(p, seed + 10)].map(([k, t]) => [k, t])));
    // Directions for every input, named as the HVP graph wants them.
    const withDirections = feeds.map((feed, i) => new Map([...feed, ...[...feed].map(([k, t]) => [`${k}.dot`, { shape: t.shape, data: t.data.map((v) => Math.fround(v * (i + 2) / 7)) }] as const)]));
    // Second derivatives through tanh in f32 against f64: measured ≤ 1.1e-5 relative. A bind group pointing
    // at another run's buffers would be off by O(1).
    const tol = { rtol: 1e-4, atol: 1e-4 };
    const check = (out: Map<string, Tensor>, feed: Map<string, Tensor>, what: string) => {
      const want = interpret(graph, feed, 'f64');
      for (const port of graph.outputs) expectAllclose(out.get(port.name)!.data, want.get(port.name)!.data, tol, `${what}: ${port.name}`);
    };
    check(await rt!.run(graph, withDirections[0]), withDirections[0], 'first run');

    const { device } = rt!.gpu;
    const groups = vi.spyOn(device, 'createBindGroup');
    const buffers = vi.spyOn(device, 'createBuffer');
    const querySets = vi.spyOn(device, 'createQuerySet');
    try {
      check(await rt!.run(graph, withDirections[1]), withDirections[1], 'second run');
      expect(groups, 'bind groups made by a repeated run').not.toHaveBeenCalled();
      // Every output and the kernel times come back through one pooled read-back buffer.
      expect(buffers, 'buffers made by a repeated run').not.toHaveBeenCalled();
      expect(querySets, 'query sets made by a repeated run').not.toHaveBeenCalled();
      expect(rt!.lastProfile?.kernels.every((k) => k.ms === null || k.ms >= 0)).toBe(true);

      // Three runs in flight at once: each must read its own inputs, whatever buffers the pool hands out.
      const outs = await Promise.all(withDirections.map((feed) => rt!.run(graph, feed)));
      outs.forEach((out, i) => check(out, withDirections[i], `overlapping run ${i}`));
      check(await rt!.run(graph, withDirections[2]), withDirections[2], 'a run after them');
    } finally {
      groups.mockRestore();
      buffers.mockRestore();
      querySets.mockRestore();
    }
  });
});
