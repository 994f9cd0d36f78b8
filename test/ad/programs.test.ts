import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { check, compile, compileOrThrow, hessian, jacobian, randomValues, type Program, type Values } from '../../src/index.ts';
import { expectAllclose } from '../support/allclose.ts';

const MLP = `
input x[n]
input W1[h, n]
input b1[h]
input W2[m, h]
input b2[m]
z = tanh(W1 @ x + b1)
output y = tanh(W2 @ z + b2)
output loss = sum(y * y) / 2
`;

function program(source: string, sizes: Record<string, number> = {}): Program {
  return compileOrThrow(source, sizes);
}

/** Every Jacobian block, flattened in a fixed order, for comparisons. */
function flatJacobian(j: Record<string, Record<string, { data: ArrayLike<number> }>>): number[] {
  return Object.keys(j).sort().flatMap((o) => Object.keys(j[o]).sort().flatMap((i) => Array.from(j[o][i].data)));
}

describe('composite functions and whole programs pass the derivative checks', () => {
  const programs: Record<string, string> = {
    'softmax of a vector': 'input x[n]\noutput y = softmax(x)',
    'softmax along each axis of a matrix': 'input A[m, n]\noutput r = softmax(A)\noutput c = softmax(A, 0)',
    'logsumexp, mean, norm': 'input A[m, n]\noutput a = logsumexp(A)\noutput b = logsumexp(A, 1)\noutput c = mean(A, 0)\noutput d = norm(A)\noutput e = mean(A)',
    'sums along axes': 'input A[m, n]\noutput r = sum(A, 1)\noutput c = sum(A, -2)',
    'min and max reductions': 'input x[n]\noutput y = max(x) - min(x) + max(x, 0.1) * min(x, 0.3)',
    'every matmul form': 'input A[m, n]\ninput B[n, m]\ninput x[n]\ninput v[m]\noutput y = A @ x\noutput z = v @ A\noutput d = dot(x, x) + x @ x\noutput M = A @ B + transpose(B) @ transpose(A)',
    'broadcasting scalars, vectors, matrices': 'input s\ninput x[n]\ninput A[m, n]\noutput y = A * x + s - x / (2 + s * s)',
    'powers and right-associativity': 'input x[n]\noutput y = sum(x^2 - -x^2 + 2^x + x^3^1)',
    'a 2-layer MLP with a scalar loss': MLP,
    'sizes as constants': 'input x[n]\noutput y = sum(x) / n',
    'elementwise library': 'input x[n]\noutput y = sin(x) + cos(x) + tanh(x) + sigmoid(x) + softplus(x) + square(x) + exp(x / 4)',
  };
  for (const [name, source] of Object.entries(programs)) {
    it(name, async () => {
      const p = program(source, { n: 4, m: 3, h: 5 });
      for (const seed of [0, 1, 2]) {
        const report = await check(p, undefined, { seed });
        for (const c of report.checks) expect(c.error, `${c.name} (seed ${seed}): ${c.detail}`).toBeLessThanOrEqual(c.tolerance);
        expect(report.passed).toBe(true);
      }
    });
  }
});

describe('Jacobians', () => {
  it('forward, reverse and auto agree, and match J = W for a linear map', async () => {
    const p = program('input W[m, n]\ninput x[n]\noutput y = W @ x', { n: 4, m: 3 });
    const inputs = randomValues(p.inputs, 3);
    const modes = await Promise.all((['fwd', 'rev', 'auto'] as const).map((mode) => jacobian(p, inputs, { mode })));
    for (const r of modes) expectAllclose(r.jacobian.y.x.data, inputs.W.data, { rtol: 1e-14, atol: 1e-15 }, r.mode);
    expect(modes[0].jacobian.y.W.shape).toEqual([3, 12]);
    expect(modes[2].estimates.fwd).toBeGreaterThan(0);
  });

  it('auto picks reverse for a scalar loss of many inputs and forward for few inputs, many outputs', async () => {
    const wide = program('input x[n]\noutput loss = sum(tanh(x) * x)', { n: 64 });
    const tall = program('input s\ninput W[m, 4]\noutput y = tanh(W * s)', { m: 32 });
    expect((await jacobian(wide, randomValues(wide.inputs, 0))).mode).toBe('rev');
    const t = await jacobian(tall, randomValues(tall.inputs, 0), { mode: 'auto' });
    expect(t.estimates.fwd).toBeLessThan(t.estimates.rev * 10);
    expect(t.estimates.reason).toMatch(/cheaper/);
  });

  it('chunked equals unchunked, in both modes, for any chunk size', async () => {
    const p = program(MLP, { n: 5, h: 4, m: 3 });
    const inputs = randomValues(p.inputs, 7);
    for (const mode of ['fwd', 'rev'] as const) {
      const whole = flatJacobian((await jacobian(p, inputs, { mode })).jacobian);
      await fc.assert(fc.asyncProperty(fc.integer({ min: 1, max: 60 }), async (chunkSize) => {
        const r = await jacobian(p, inputs, { mode, chunkSize });
        expect(r.stats.passes).toBe(Math.ceil(r.seeds / chunkSize));
        expectAllclose(flatJacobian(r.jacobian), whole, { rtol: 0, atol: 0 }, `${mode} chunk ${chunkSize}`);
      }), { numRuns: 12 });
    }
  });

  it('a small memory budget forces chunks and still gives the same Jacobian', async () => {
    const p = program(MLP, { n: 40, h: 30, m: 20 });
    const inputs = randomValues(p.inputs, 1);
    const whole = await jacobian(p, inputs, { mode: 'fwd' });
    const tight = await jacobian(p, inputs, { mode: 'fwd', memoryBudget: 1_000_000 });
    expect(tight.chunkSize).toBeLessThan(whole.chunkSize);
    expect(tight.stats.passes).toBeGreaterThan(1);
    expectAllclose(flatJacobian(tight.jacobian), flatJacobian(whole.jacobian), { rtol: 0, atol: 0 });
  });

  it('folded identity seeds give the same Jacobian with one pass per port and fewer FLOPs', async () => {
    const p = program(MLP, { n: 6, h: 5, m: 4 });
    const inputs = randomValues(p.inputs, 3);
    for (const mode of ['fwd', 'rev'] as const) {
      const dense = await jacobian(p, inputs, { mode });
      const folded = await jacobian(p, inputs, { mode, foldSeeds: true });
      expectAllclose(flatJacobian(folded.jacobian), flatJacobian(dense.jacobian), { rtol: 1e-12, atol: 1e-14 }, mode);
      expect(folded.stats.passes).toBe(mode === 'fwd' ? p.inputs.length : p.outputs.length);
      expect(folded.stats.flops).toBeLessThan(dense.stats.flops);
      expect(folded.estimates[mode]).toBe(folded.stats.flops);
    }
  });

  it("a block one pass gives whole is that pass's output, never an array the caller holds twice", async () => {
    // y and z are one node: the folded passes return one array under both names.
    const p = program('input x[3]\ninput A[3, 3]\nv = A @ x\noutput y = v\noutput z = v\n', {});
    const inputs = randomValues(p.inputs, 2);
    for (const mode of ['fwd', 'rev'] as const) {
      for (const foldSeeds of [false, true]) {
        const r = await jacobian(p, inputs, { mode, foldSeeds, wrt: ['x'] });
        const [y, z] = [r.jacobian.y.x, r.jacobian.z.x];
        expect(Array.from(y.data), `${mode} folded=${foldSeeds}`).toEqual(Array.from(inputs.A.data));
        expect(y.data === z.data || y.data === r.outputs.y.data || z.data === r.outputs.z.data, `${mode} folded=${foldSeeds}: shared arrays`).toBe(false);
        // Keys in the ports' order, whichever block was made first.
        expect(Object.keys(r.jacobian)).toEqual(['y', 'z']);
      }
    }
  });

  it('folded seeds fall back to chunks for a port that does not fit, with the same answer', async () => {
    const p = program(MLP, { n: 40, h: 30, m: 20 });
    const inputs = randomValues(p.inputs, 1);
    const dense = await jacobian(p, inputs, { mode: 'fwd', wrt: ['x', 'W1'] });
    const progress: number[] = [];
    const chunked = await jacobian(p, inputs, { mode: 'fwd', wrt: ['x', 'W1'], foldSeeds: true, chunkSize: 100, onProgress: (done) => progress.push(done) });
    // x (40 seeds) fits one folded pass; W1 (1200 seeds) goes in chunks of 100.
    expect(chunked.stats.passes).toBe(1 + 12);
    expect(progress.at(-1)).toBe(40 + 1200);
    expectAllclose(flatJacobian(chunked.jacobian), flatJacobian(dense.jacobian), { rtol: 1e-12, atol: 1e-14 });
    const tight = await jacobian(p, inputs, { mode: 'fwd', wrt: ['x', 'W1'], foldSeeds: true, memoryBudget: 1_000_000 });
    expect(tight.stats.passes).toBeGreaterThan(2);
    expectAllclose(flatJacobian(tight.jacobian), flatJacobian(dense.jacobian), { rtol: 1e-12, atol: 1e-14 });
  });

  it('forward and reverse agree on the MLP, and rows of the Jacobian match VJPs', async () => {
    const p = program(MLP, { n: 6, h: 5, m: 4 });
    const inputs = randomValues(p.inputs, 11);
    const f = await jacobian(p, inputs, { mode: 'fwd' });
    const r = await jacobian(p, inputs, { mode: 'rev' });
    expectAllclose(flatJacobian(f.jacobian), flatJacobian(r.jacobian), { rtol: 1e-12, atol: 1e-14 });
    const { gradient } = await p.grad(inputs, { output: 'loss' });
    expectAllclose(r.jacobian.loss.x.data, gradient.x.data, { rtol: 1e-12, atol: 1e-14 });
  });

  it('an input no output depends on is a warning and has zero blocks', async () => {
    const result = compile('input x[n]\ninput unused[n]\noutput y = x * 2', { n: 3 });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.warnings.map((w) => [w.kind, w.line, w.column])).toEqual([['unused-input', 2, 7]]);
    const j = await jacobian(result.program, randomValues(result.program.inputs, 0), { mode: 'rev' });
    expect(Array.from(j.jacobian.y.unused.data)).toEqual(new Array(9).fill(0));
    expect(Array.from(j.jacobian.y.x.data)).toEqual([2, 0, 0, 0, 2, 0, 0, 0, 2]);
  });

  it('f32 execution stays within f32 rounding of f64', async () => {
    const p = program(MLP, { n: 16, h: 12, m: 8 });
    const inputs = randomValues(p.inputs, 5);
    const a = await jacobian(p, inputs, { mode: 'rev', dtype: 'f64' });
    const b = await jacobian(p, inputs, { mode: 'rev', dtype: 'f32' });
    // Blocks come in the precision they were computed in.
    for (const row of Object.values(b.jacobian)) for (const block of Object.values(row)) expect(block.data).toBeInstanceOf(Float32Array);
    for (const row of Object.values(a.jacobian)) for (const block of Object.values(row)) expect(block.data).toBeInstanceOf(Float64Array);
    expectAllclose(flatJacobian(b.jacobian), flatJacobian(a.jacobian), { rtol: 1e-4, atol: 1e-5 });
  });
});

describe('gradients, HVPs and Hessians', () => {
  it('grad of sum(x*x) is 2x; hvp of sum(x^3) is 6 x v', async () => {
    const p = program('input x[n]\noutput y = sum(x * x)\noutput c = sum(x^3)', { n: 5 });
    const inputs: Values = { x: [1, -2, 3, 0.5, 4] };
    expect(Array.from((await p.grad(inputs, { output: 'y' })).gradient.x.data)).toEqual([2, -4, 6, 1, 8]);
    const { hvp } = await p.hvp(inputs, { x: [1, 1, 2, 0, -1] }, { output: 'c' });
    expectAllclose(hvp.x.data, [6, -12, 36, 0, -24], { rtol: 1e-14 });
  });

  it('grad of a vector output explains how to seed reverse mode', async () => {
    const p = program('input x[n]\noutput h = tanh(x)', { n: 3 });
    await expect(p.grad({ x: [1, 2, 3] })).rejects.toThrow(/scalar.*sum\(h\).*cotangent/s);
  });

  it('grad with several outputs asks which one', async () => {
    const p = program('input x[n]\noutput a = sum(x)\noutput b = sum(x * x)', { n: 2 });
    await expect(p.grad({ x: [1, 2] })).rejects.toThrow(/--output/);
    expect((await p.grad({ x: [1, 2] }, { output: 'b' })).value).toBe(5);
  });

  it('the Hessian is symmetric and its columns are HVPs', async () => {
    const p = program(MLP, { n: 3, h: 4, m: 2 });
    const inputs = randomValues(p.inputs, 2);
    const { hessian: H } = await hessian(p, inputs, { output: 'loss' });
    const names = p.inputs.map((q) => q.name);
    for (const a of names) {
      for (const b of names) {
        const [ra, cb] = H[a][b].shape;
        for (let i = 0; i < ra; i++) for (let j = 0; j < cb; j++) expect(H[a][b].data[i * cb + j]).toBeCloseTo(H[b][a].data[j * ra + i], 12);
      }
    }
    const v = randomValues(p.inputs, 9);
    const { hvp } = await p.hvp(inputs, v, { output: 'loss' });
    const hx = names.map((b) => H.x[b]);
    const expected = Array.from({ length: 3 }, (_, i) => hx.reduce((s, blk, bi) => s + Array.from(v[names[bi]].data).reduce((t, vj, j) => t + blk.data[i * blk.shape[1] + j] * vj, 0), 0));
    expectAllclose(hvp.x.data, expected, { rtol: 1e-10, atol: 1e-12 });
  });

  it('batched JVPs and VJPs through the public API equal single ones', async () => {
    const p = program(MLP, { n: 4, h: 3, m: 2 });
    const inputs = randomValues(p.inputs, 4);
    const k = 5;
    const dirs = Object.fromEntries(p.inputs.map((q) => [q.name, randomValues([{ name: 't', shape: [k, ...q.shape] }], q.name.length).t]));
    const batched = await p.jvp(inputs, dirs);
    expect(batched.tangents.y.shape).toEqual([k, 2]);
    for (let j = 0; j < k; j++) {
      const one = Object.fromEntries(Object.entries(dirs).map(([n, t]) => [n, { shape: t.shape.slice(1), data: t.data.subarray(j * (t.data.length / k), (j + 1) * (t.data.length / k)) }]));
      const single = await p.jvp(inputs, one);
      expectAllclose(batched.tangents.y.data.subarray(2 * j, 2 * j + 2), single.tangents.y.data, { rtol: 1e-14, atol: 1e-15 });
    }
  });
});

describe('resource limits', () => {
  it('refuses a pass beyond the memory budget before allocating', async () => {
    const p = program('input W[m, n]\ninput x[n]\noutput y = W @ x', { n: 4096, m: 4096 });
    await expect(jacobian(p, { W: { shape: [4096, 4096], data: new Float64Array(1) }, x: { shape: [4096], data: new Float64Array(4096) } }, { memoryBudget: 1e6 }))
      .rejects.toThrow(/memory/);
  });

  it('refuses inputs larger than the engine accepts at compile time', () => {
    const r = compile('input A[n, n]\noutput y = sum(A)', { n: 100000 });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors[0]).toMatchObject({ kind: 'too-large', line: 1, column: 7 });
  });
});

describe('HVP directions', () => {
  it('a missing direction is zero, and H·v still has an entry for every input', async () => {
    const p = program('input x[n]\ninput y[n]\noutput f = sum(x * x * y)', { n: 3 });
    const inputs = { x: [1, 2, 3], y: [4, 5, 6] };
    const partial = await p.hvp(inputs, { x: [1, 0, -1] }, { output: 'f' });
    const full = await p.hvp(inputs, { x: [1, 0, -1], y: [0, 0, 0] }, { output: 'f' });
    // f = Σ x² y: ∂²f/∂x² = 2y, ∂²f/∂y∂x = 2x.
    expect(Array.from(partial.hvp.x.data)).toEqual([8, 0, -12]);
    expect(Array.from(partial.hvp.y.data)).toEqual([2, 0, -6]);
    for (const name of ['x', 'y']) expect(Array.from(partial.hvp[name].data)).toEqual(Array.from(full.hvp[name].data));
  });

  it('`wrt` computes only the named inputs\' parts of H·v and of the gradient, with the same values', async () => {
    const p = program('input W[m, n]\ninput x[n]\noutput L = sum(tanh(W @ x) * tanh(W @ x))', { m: 4, n: 3 });
    const inputs = { W: [0, 1, 2, 3].map((i) => [0, 1, 2].map((j) => Math.sin(3 * i + j + 1))), x: [0.5, -1, 2] };
    const v = { x: [1, -2, 0.5] };
    const all = await p.hvp(inputs, v);
    const onlyX = await p.hvp(inputs, v, { wrt: ['x'] });
    expect(Object.keys(onlyX.hvp)).toEqual(['x']);
    expect(Object.keys(onlyX.gradient)).toEqual(['x']);
    expectAllclose(onlyX.hvp.x.data, all.hvp.x.data, { rtol: 1e-14, atol: 1e-15 });
    expectAllclose(onlyX.gradient.x.data, all.gradient.x.data, { rtol: 1e-14, atol: 1e-15 });
    // The gradient w.r.t. W (an outer product) and its tangent are never built.
    const size = (parts?: string[]) => p.derived('hvp', [], { of: ['L'], wrt: ['x'], parts }).nodes.length;
    expect(size(['x'])).toBeLessThan(size());
    await expect(p.hvp(inputs, v, { wrt: ['z'] })).rejects.toThrow(/no input named 'z'/);
  });

  it('`gradient: false` gives the same H·v without the gradient\'s last product or the output\'s sum', async () => {
    const p = program('input W[m, n]\ninput x[n]\noutput L = sum(tanh(W @ x) * tanh(W @ x))', { m: 4, n: 3 });
    const inputs = { W: [0, 1, 2, 3].map((i) => [0, 1, 2].map((j) => Math.sin(2 * i - j))), x: [0.25, 1, -2] };
    const v = { x: [-1, 0.5, 3], W: [0, 1, 2, 3].map((i) => [1, 0, i]) };
    const both = await p.hvp(inputs, v);
    const alone = await p.hvp(inputs, v, { gradient: false });
    expect(alone.gradient).toEqual({});
    for (const name of ['x', 'W']) expectAllclose(alone.hvp[name].data, both.hvp[name].data, { rtol: 1e-14, atol: 1e-15 });
    const graph = (gradient: boolean) => p.derived('hvp', [], { of: ['L'], gradient });
    const count = (gradient: boolean, op: string) => graph(gradient).nodes.filter((n) => n.op === op).length;
    expect(graph(false).outputs.map((o) => o.name).sort()).toEqual(['W.bar.dot', 'x.bar.dot']);
    expect(count(false, 'matmul')).toBeLessThan(count(true, 'matmul'));
    expect(count(false, 'sum')).toBe(0);
  });
});
