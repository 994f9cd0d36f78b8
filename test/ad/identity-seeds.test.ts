import { describe, expect, it } from 'vitest';
import { columnsName, foldIdentitySeed } from '../../src/ad/identity-seeds.ts';
import { cpuBackend } from '../../src/api/backend.ts';
import { graphFlops } from '../../src/api/cost.ts';
import { compileOrThrow } from '../../src/api/program.ts';
import type { Tensor } from '../../src/backend/cpu/tensor.ts';
import { cotangentName, findInput, tangentName, type Graph } from '../../src/ir/graph.ts';
import { numel } from '../../src/ir/shape.ts';
import { typecheck } from '../../src/ir/typecheck.ts';
import { expectAllclose } from '../support/allclose.ts';
import { uniformInputs } from '../support/uniform-inputs.ts';

/** Programs that meet the identity seed in every way the fold handles, and in ways it must not. */
const PROGRAMS: Record<string, string> = {
  layer: 'input x[n]\ninput W[m, n]\ninput b[m]\noutput y = tanh(W @ x + b)\n',
  mlp: 'input x[n]\ninput W1[h, n]\ninput W2[m, h]\nh1 = tanh(W1 @ x)\noutput y = sigmoid(W2 @ h1)\n',
  loss: 'input x[n]\ninput W[m, n]\nt = tanh(W @ x)\noutput loss = sum(t * t)\n',
  elementwise: 'input x[n]\noutput y = x * sin(x) - exp(x) / (1 + x * x) + 2 * -x\n',
  rowVector: 'input x[n]\ninput W[n, m]\noutput y = softplus(x @ W)\n',
  matrixInput: 'input X[n, m]\ninput W[m, n]\noutput Y = tanh(W @ X)\n',
  axisSum: 'input X[n, m]\noutput s = sum(X * X, 1)\noutput t = sum(exp(X))\n',
  softmax: 'input x[n]\ninput W[m, n]\noutput y = softmax(W @ x) * sum(x)\n',
  broadcastTangent: 'input x[n]\ninput W[m, n]\noutput y = W @ x + sum(x)\noutput Z = x * W\n',
  twoOutputs: 'input x[n]\ninput W[m, n]\nh = W @ x\noutput y = tanh(h)\noutput z = h * sum(x)\n',
  // Tangents held as columns meeting neg, div, a difference of two products, and a full sum.
  twoProducts: 'input x[n]\ninput W[m, n]\ninput V[m, n]\nh = W @ x\ng = V @ x\noutput y = -h / (1 + g * g) - g\noutput s = sum(h * g)\n',
};
const SIZES = { n: 5, m: 4, h: 6 };

/** The identity seed for `graph`'s input `seed`, as a dense tensor. */
function identityFor(graph: Graph, seed: string): Tensor {
  const shape = graph.nodes[findInput(graph, seed)!.id].shape;
  const k = shape[0];
  const data = new Float64Array(k * k);
  for (let j = 0; j < k; j++) data[j * k + j] = 1;
  return { shape, data };
}

/** Runs the dense graph on I and the folded graph (fed I only if it still reads it); every output must agree. */
async function expectSameAsDense(graph: Graph, seed: string): Promise<Graph> {
  const folded = foldIdentitySeed(graph, seed);
  expect(typecheck(folded)).toEqual([]);
  const feed = uniformInputs(graph, 7);
  feed.set(seed, identityFor(graph, seed));
  const expected = await cpuBackend.run(graph, feed, 'f64');
  if (findInput(folded, seed) === undefined) feed.delete(seed);
  const actual = await cpuBackend.run(folded, feed, 'f64');
  for (const p of graph.outputs) expectAllclose(actual.get(p.name)!.data, expected.get(p.name)!.data, { rtol: 1e-12, atol: 1e-12 });
  return folded;
}

const matmuls = (g: Graph) => g.nodes.filter((n) => n.op === 'matmul').length;

describe('folding identity seeds', () => {
  for (const [name, source] of Object.entries(PROGRAMS)) {
    const program = compileOrThrow(source, SIZES);
    for (const input of program.inputs) {
      it(`${name}: forward seeds on ${input.name} give the dense graph's values`, async () => {
        const graph = program.derived('jvp', [numel(input.shape)], { wrt: [input.name] });
        const folded = await expectSameAsDense(graph, tangentName(input.name));
        expect(graphFlops(folded)).toBeLessThanOrEqual(graphFlops(graph));
      });
    }
    for (const output of program.outputs) {
      it(`${name}: reverse seeds on ${output.name} give the dense graph's values`, async () => {
        const graph = program.derived('vjp', [numel(output.shape)], { of: [output.name] });
        const folded = await expectSameAsDense(graph, cotangentName(output.name));
        expect(graphFlops(folded)).toBeLessThanOrEqual(graphFlops(graph));
      });
    }
  }

  for (const [name, source] of Object.entries(PROGRAMS)) {
    const program = compileOrThrow(source, SIZES);
    for (const input of program.inputs) {
      it(`${name}: forward seeds on ${input.name} as columns give the dense graph's values, transposed`, async () => {
        const graph = program.derived('jvp', [numel(input.shape)], { wrt: [input.name] });
        const seed = tangentName(input.name);
        const folded = foldIdentitySeed(graph, seed, { columns: true });
        expect(typecheck(folded)).toEqual([]);
        const feed = uniformInputs(graph, 11);
        feed.set(seed, identityFor(graph, seed));
        const expected = await cpuBackend.run(graph, feed, 'f64');
        if (findInput(folded, seed) === undefined) feed.delete(seed);
        const actual = await cpuBackend.run(folded, feed, 'f64');
        for (const p of graph.outputs) {
          const want = expected.get(p.name)!;
          const columns = actual.get(columnsName(p.name));
          if (columns === undefined) {
            expectAllclose(actual.get(p.name)!.data, want.data, { rtol: 1e-12, atol: 1e-12 }, p.name);
            continue;
          }
          // Row f of the columns holds element f of every seed's value.
          const [k, size] = [want.shape[0], numel(want.shape.slice(1))];
          expect(columns.shape).toEqual([size, k]);
          const transposed = Float64Array.from({ length: k * size }, (_, i) => columns.data[(i % size) * k + Math.floor(i / size)]);
          expectAllclose(transposed, want.data, { rtol: 1e-12, atol: 1e-12 }, p.name);
        }
      });
    }
  }

  it('a layer\'s forward-mode Jacobian as columns is diag(1 − y²) W: no product, no transpose', () => {
    const program = compileOrThrow(PROGRAMS.layer, SIZES);
    const fwd = foldIdentitySeed(program.derived('jvp', [SIZES.n], { wrt: ['x'] }), 'x.dot', { columns: true });
    expect(fwd.outputs.map((p) => p.name)).toEqual(['y', 'y.dot.columns']);
    expect(matmuls(fwd)).toBe(1);
    expect(fwd.nodes.filter((n) => n.op === 'transpose')).toEqual([]);
  });

  it('a layer\'s Jacobian needs no matrix product in either mode, and no seed input', () => {
    const program = compileOrThrow(PROGRAMS.layer, SIZES);
    const fwd = foldIdentitySeed(program.derived('jvp', [SIZES.n], { wrt: ['x'] }), 'x.dot');
    const rev = foldIdentitySeed(program.derived('vjp', [SIZES.m], { wrt: ['x'] }), 'y.bar');
    // The primal W @ x stays; the seed's product is gone.
    expect([matmuls(fwd), matmuls(rev)]).toEqual([1, 1]);
    expect(findInput(fwd, 'x.dot')).toBeUndefined();
    expect(findInput(rev, 'y.bar')).toBeUndefined();
  });

  it('a 2-layer MLP\'s Jacobian needs one batched product instead of two', () => {
    const program = compileOrThrow(PROGRAMS.mlp, SIZES);
    const dense = program.derived('jvp', [SIZES.n], { wrt: ['x'] });
    const fwd = foldIdentitySeed(dense, 'x.dot');
    const rev = foldIdentitySeed(program.derived('vjp', [SIZES.m], { wrt: ['x'] }), 'y.bar');
    expect(matmuls(dense)).toBe(4);
    expect([matmuls(fwd), matmuls(rev)]).toEqual([3, 3]);
  });

  it('keeps the seed input where the identity has to be materialised', () => {
    const program = compileOrThrow(PROGRAMS.matrixInput, SIZES);
    const folded = foldIdentitySeed(program.derived('jvp', [SIZES.n * SIZES.m], { wrt: ['X'] }), 'X.dot');
    expect(findInput(folded, 'X.dot')).toBeDefined();
  });

  it('refuses a seed that is not a square identity', () => {
    const program = compileOrThrow(PROGRAMS.layer, SIZES);
    expect(() => foldIdentitySeed(program.derived('jvp', [2], { wrt: ['x'] }), 'x.dot')).toThrow(/not a square identity/);
  });
});
