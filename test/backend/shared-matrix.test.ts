// Matrix–vector products that share their matrix run as one product (src/backend/cpu/shared-matrix.ts):
// which products are grouped, and the same bits in f64 as running them one by one.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileOrThrow } from '../../src/index.ts';
import { interpret } from '../../src/backend/cpu/interpreter.ts';
import { GraphBuilder } from '../../src/ir/builder.ts';
import { sharedMatrixGroups } from '../../src/backend/cpu/shared-matrix.ts';
import type { Graph } from '../../src/ir/graph.ts';
import { expectAllclose } from '../support/allclose.ts';
import { uniformInputs } from '../support/uniform-inputs.ts';

/** A tanh layer, a linear layer and a scalar loss: a single JVP multiplies each W by two vectors, an HVP each Wᵀ. */
const MLP = readFileSync(new URL('../../examples/mlp.gl', import.meta.url), 'utf8');

/** The matrix each grouped product multiplies, by group: [leader's matrix, members' matrices]. */
const groupedMatrices = (graph: Graph) => [...sharedMatrixGroups(graph)].map(([leader, rest]) => [leader, ...rest].map((id) => graph.nodes[graph.nodes[id].args[0]].op === 'input' ? graph.inputs.find((p) => p.id === graph.nodes[id].args[0])!.name : `%${graph.nodes[id].args[0]}`));

describe('matrix-vector products sharing a matrix', () => {
  const program = compileOrThrow(MLP, { n: 13, h: 17, m: 11 });

  it('groups the primal and tangent products of a single JVP, and the two Wᵀ products of an HVP', () => {
    expect(groupedMatrices(program.derived('jvp')).map((g) => g.length)).toEqual([2, 2]);
    expect(groupedMatrices(program.derived('jvp')).map((g) => new Set(g).size)).toEqual([1, 1]);
    const hvp = program.derived('hvp', [], { of: ['loss'], wrt: ['x'], parts: ['x'] });
    expect(sharedMatrixGroups(hvp).size).toBeGreaterThanOrEqual(2);
    // A VJP's backward product needs the forward one first: nothing to share. Neither does the primal.
    expect(sharedMatrixGroups(program.derived('vjp')).size).toBe(0);
    expect(sharedMatrixGroups(program.graph).size).toBe(0);
  });

  it('gives the same f64 bits as separate products, and f32 within rounding, for JVPs, gradients and HVPs', () => {
    const graphs: [string, Graph][] = [
      ['jvp', program.derived('jvp')],
      ['jvp wrt x', program.derived('jvp', [], { wrt: ['x'] })],
      ['grad', program.derived('grad', [], { of: ['loss'] })],
      ['hvp', program.derived('hvp', [], { of: ['loss'] })],
      ['hvp wrt x', program.derived('hvp', [], { of: ['loss'], wrt: ['x'], parts: ['x'] })],
    ];
    for (const [what, graph] of graphs) {
      const inputs = uniformInputs(graph, what.length);
      const together = interpret(graph, inputs, 'f64');
      const apart = interpret(graph, inputs, 'f64', { shareMatrices: false });
      for (const p of graph.outputs) expect(Array.from(together.get(p.name)!.data), `${what}: ${p.name}`).toEqual(Array.from(apart.get(p.name)!.data));
      const f32 = interpret(graph, inputs, 'f32');
      for (const p of graph.outputs) expectAllclose(f32.get(p.name)!.data, apart.get(p.name)!.data, { rtol: 1e-4, atol: 1e-5 }, `${what} f32: ${p.name}`);
    }
  });

  it('shares a transposed matrix read in place among three products, but not with a product whose vector comes later', () => {
    const b = new GraphBuilder();
    const W = b.input('W', [9, 70]);
    const vectors = ['a', 'b', 'c'].map((name) => b.input(name, [9, 1]));
    const Wt = b.transpose(W);
    ['u', 'v', 'w'].forEach((name, i) => b.output(name, b.matmul(Wt, vectors[i])));
    // This vector is computed after the first product, so its product runs on its own.
    b.output('z', b.matmul(Wt, b.unary('sin', vectors[0])));
    const graph = b.finish();
    expect([...sharedMatrixGroups(graph).values()].map((ids) => ids.length)).toEqual([2]);
    const inputs = uniformInputs(graph, 4);
    const together = interpret(graph, inputs, 'f64');
    const apart = interpret(graph, inputs, 'f64', { shareMatrices: false, transposeInPlace: false });
    for (const name of ['u', 'v', 'w', 'z']) expect(Array.from(together.get(name)!.data), name).toEqual(Array.from(apart.get(name)!.data));
  });

  it('runs the primal product of a batched JVP as one more row of its tangents\' product: same f64 bits, f32 within rounding', () => {
    for (const [k, sizes] of [[3, { n: 13, h: 17, m: 11 }], [64, { n: 37, h: 70, m: 5 }]] as const) {
      const ragged = compileOrThrow(MLP, sizes);
      const graph = ragged.derived('jvp', [k], { wrt: ['x'] });
      // W1 x with W1 Ẋ, and W2 h with W2 Ḣ.
      expect(groupedMatrices(graph)).toEqual([['W1', 'W1'], ['W2', 'W2']]);
      const inputs = uniformInputs(graph, k);
      const together = interpret(graph, inputs, 'f64');
      const apart = interpret(graph, inputs, 'f64', { shareMatrices: false });
      for (const p of graph.outputs) {
        expect(together.get(p.name)!.shape, `k=${k}: ${p.name}`).toEqual(apart.get(p.name)!.shape);
        expect(Array.from(together.get(p.name)!.data), `k=${k}: ${p.name}`).toEqual(Array.from(apart.get(p.name)!.data));
      }
      // Against f32 run apart: the scalar loss sums 70 products, too many for f32 to stay within 1e-4 of f64.
      const f32 = interpret(graph, inputs, 'f32');
      const f32Apart = interpret(graph, inputs, 'f32', { shareMatrices: false });
      for (const p of graph.outputs) expectAllclose(f32.get(p.name)!.data, f32Apart.get(p.name)!.data, { rtol: 1e-5, atol: 1e-6 }, `k=${k} f32: ${p.name}`);
    }
  });
});
