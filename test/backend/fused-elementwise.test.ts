// Chains of elementwise nodes run fused, block by block (src/backend/cpu/fused-elementwise.ts): how the
// planner groups them, and the same bits as running node by node, in f64 and f32, for the derived graphs
// of many programs and for random elementwise graphs, on inputs full of NaN, ±Inf, -0 and huge values.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileOrThrow } from '../../src/index.ts';
import { rng } from '../../src/api/random.ts';
import { BLOCK, planFusion } from '../../src/backend/cpu/fused-elementwise.ts';
import { interpret, peakBytes } from '../../src/backend/cpu/interpreter.ts';
import { sharedMatrixGroups } from '../../src/backend/cpu/shared-matrix.ts';
import { clearPool, type DType, type Tensor } from '../../src/backend/cpu/tensor.ts';
import { GraphBuilder } from '../../src/ir/builder.ts';
import type { Graph, NodeId } from '../../src/ir/graph.ts';
import { BINARY_PRIMS, isElementwise, UNARY_PRIMS } from '../../src/ir/primitives.ts';
import { broadcastShapes, numel, type Shape } from '../../src/ir/shape.ts';
import { PRIMITIVES } from '../../src/prims/table.ts';
import { unaryRow } from '../../src/backend/cpu/elementwise.ts';
import { derivedGraphs, graphOf } from '../support/ad-harness.ts';

const SPECIAL = [NaN, Infinity, -Infinity, -0, 0, 1, -1, 1e300, -3e38, 4e38, 1e-310, 1e-45, 0.5, 88.7, -745];

/** Inputs for every graph input: uniform in [-3, 3), one in four a special value. */
function specialInputs(graph: Graph, seed: number): Map<string, Tensor> {
  const next = rng(seed);
  return new Map(graph.inputs.map((p) => {
    const shape = graph.nodes[p.id].shape;
    const data = Float64Array.from({ length: numel(shape) }, () => (next() < 0.25 ? SPECIAL[Math.floor(next() * SPECIAL.length)] : 6 * next() - 3));
    return [p.name, { shape, data }];
  }));
}

/** Fused and node-by-node runs of `graph` agree bit for bit (Object.is on every element of every output). */
function expectSameBits(graph: Graph, inputs: Map<string, Tensor>, dtype: DType, what: string): void {
  const fused = interpret(graph, inputs, dtype);
  const plain = interpret(graph, inputs, dtype, { fuseElementwise: false });
  for (const [name, t] of plain) {
    const got = fused.get(name)!;
    expect(got.data.constructor, `${what} ${name}`).toBe(t.data.constructor);
    const differ = Array.from(t.data).findIndex((v, i) => !Object.is(v, got.data[i]));
    expect(differ, `${what} ${dtype} ${name}: element ${differ} is ${got.data[differ]}, node by node ${t.data[differ]}`).toBe(-1);
  }
}

const elementwiseNodes = (graph: Graph) => graph.nodes.filter((n) => isElementwise(n.op)).map((n) => n.id);

describe('planning fused groups', () => {
  const loss = compileOrThrow('input x[n]\ninput W[m, n]\nt = tanh(W @ x)\noutput loss = sum(t * t)', { n: 8, m: 8 });

  it("puts an HVP's whole elementwise chain in one group, and skips the broadcast 1 that seeds it", () => {
    const hvp = loss.derived('hvp', [], { of: ['loss'], wrt: ['x'], parts: ['x'], gradient: false });
    const plan = planFusion(hvp, sharedMatrixGroups(hvp));
    expect(plan.groups).toHaveLength(1);
    const [group] = plan.groups;
    expect(group.members).toEqual(elementwiseNodes(hvp));
    expect(group.members.length).toBeGreaterThan(10);
    // Only the result leaves the group; the rest lives in a few scratch blocks.
    expect(group.outputs).toHaveLength(1);
    expect(group.slots).toBeLessThan(group.members.length / 2);
    const seeds = hvp.nodes.filter((n) => n.op === 'broadcast' || (n.op === 'reshape' && numel(hvp.nodes[n.args[0]].shape) === 1));
    expect(seeds.length).toBeGreaterThan(0);
    for (const n of seeds) expect(plan.notRun[n.id], `%${n.id} ${n.op}`).toBe(1);
  });

  it('writes out a member read outside its group, and gives the same values', () => {
    const b = new GraphBuilder();
    const a = b.input('a', [2 * BLOCK + 100]);
    const t = b.unary('tanh', a);
    const u = b.mul(b.sub(b.constant(1), b.unary('square', t)), a);
    b.output('y', b.add(u, b.constant(2)));
    b.output('u', u); // a graph output inside the chain
    b.output('s', b.sum(t, [-1])); // t is read by a reduction: outside the group
    const graph = b.finish();
    const [group] = planFusion(graph, new Map()).groups;
    expect(group.members).toEqual(elementwiseNodes(graph));
    expect(new Set(group.outputs)).toEqual(new Set([t, u, graph.outputs.find((p) => p.name === 'y')!.id]));
    for (const dtype of ['f64', 'f32'] as const) expectSameBits(graph, specialInputs(graph, 1), dtype, 'read outside');
  });

  it('makes no buffer for intermediates: a chain holds its input and its output at peak', () => {
    const n = 5000;
    const b = new GraphBuilder();
    const a = b.input('a', [n]);
    b.output('y', b.mul(b.unary('exp', b.unary('sin', b.unary('cos', a))), a));
    const graph = b.finish();
    expect(peakBytes(graph, 'f64')).toBe(2 * 8 * n);
    expect(peakBytes(graph, 'f64', { fuseElementwise: false })).toBe(3 * 8 * n);
  });

  it('leaves true broadcasts (a column times a matrix) to run alone, and starts a new group after them', () => {
    const b = new GraphBuilder();
    const c = b.input('c', [6, 1]);
    const M = b.input('M', [6, 7]);
    const col = b.unary('exp', b.unary('sin', c));
    const y = b.unary('tanh', b.unary('cos', b.mul(col, M)));
    b.output('y', y);
    const graph = b.finish();
    const plan = planFusion(graph, new Map());
    expect(plan.groups.map((g) => g.members.map((id) => graph.nodes[id].op))).toEqual([['sin', 'exp'], ['cos', 'tanh']]);
    for (const dtype of ['f64', 'f32'] as const) expectSameBits(graph, specialInputs(graph, 2), dtype, 'column times matrix');
  });

  it('closes a group before a product that runs early with its shared matrix reads a member', () => {
    // W @ v runs with W @ x (its group's first product, shared-matrix.ts), before the later members.
    const b = new GraphBuilder();
    const W = b.input('W', [5, 5]);
    const a = b.input('a', [5, 1]);
    const v = b.unary('sin', b.unary('tanh', a));
    const first = b.matmul(W, b.input('x', [5, 1]));
    const later = b.mul(b.unary('exp', v), first);
    b.output('y', b.add(later, b.matmul(W, v)));
    const graph = b.finish();
    const shared = sharedMatrixGroups(graph);
    expect(shared.size).toBe(1);
    const plan = planFusion(graph, shared);
    expect(plan.groups.every((g) => g.members.every((id) => id < first) || g.members.every((id) => id > first))).toBe(true);
    for (const dtype of ['f64', 'f32'] as const) expectSameBits(graph, specialInputs(graph, 3), dtype, 'shared matrix');
  });
});

describe('fused groups give the bits of node-by-node runs', () => {
  const programs: Record<string, string> = {
    'a 2-layer MLP with a scalar loss': 'input x[n]\ninput W1[h, n]\ninput b1[h]\ninput W2[m, h]\ninput b2[m]\nz = tanh(W1 @ x + b1)\noutput y = tanh(W2 @ z + b2)\noutput loss = sum(y * y) / 2',
    'the peer loss': 'input x[n]\ninput W[m, n]\nt = tanh(W @ x)\noutput loss = sum(t * t)',
    'softmax along each axis of a matrix': 'input A[m, n]\noutput r = softmax(A)\noutput c = softmax(A, 0)',
    'logsumexp, mean, norm': 'input A[m, n]\noutput a = logsumexp(A)\noutput b = logsumexp(A, 1)\noutput c = mean(A, 0)\noutput d = norm(A)\noutput e = mean(A)',
    'min and max reductions': 'input x[n]\noutput y = max(x) - min(x) + max(x, 0.1) * min(x, 0.3)',
    'broadcasting scalars, vectors, matrices': 'input s\ninput x[n]\ninput A[m, n]\noutput y = A * x + s - x / (2 + s * s)',
    'powers': 'input x[n]\noutput y = sum(x^2 - -x^2 + 2^x + x^3^1)',
    'sizes as constants': 'input x[n]\noutput y = sum(x) / n',
    'elementwise library': 'input x[n]\noutput y = sin(x) + cos(x) + tanh(x) + sigmoid(x) + softplus(x) + square(x) + exp(x / 4)',
    'every unary function': 'input x[n]\ninput y[n]\noutput z = sum(tan(x) * log(abs(y) + 1) * sqrt(abs(x)) + relu(y) - abs(x) * x - y / (1 + exp(-x)))',
  };
  // Sizes across one block and several, with a ragged last block.
  for (const sizes of [{ n: 4, m: 3, h: 5 }, { n: 2 * BLOCK + 37, m: 3, h: 40 }]) {
    for (const [name, source] of Object.entries(programs)) {
      it(`${name}, n = ${sizes.n}: primal, JVP, batched VJP, gradient and HVP`, () => {
        const p = compileOrThrow(source, sizes);
        const scalar = p.outputs.find((o) => o.shape.length === 0)?.name;
        const graphs: [string, Graph][] = [
          ['primal', p.graph],
          ['jvp', p.derived('jvp')],
          ['jvp k=3', p.derived('jvp', [3])],
          ['vjp k=2', p.derived('vjp', [2])],
          ...(scalar === undefined ? [] : [['grad', p.derived('grad', [], { of: [scalar] })], ['hvp', p.derived('hvp', [], { of: [scalar] })]] as [string, Graph][]),
        ];
        for (const [what, graph] of graphs) for (const dtype of ['f64', 'f32'] as const) for (const seed of [1, 2]) {
          expectSameBits(graph, specialInputs(graph, seed), dtype, `${name} ${what}`);
        }
      });
    }
  }

  it('every elementwise primitive, with its JVP, VJP and HVP graphs', () => {
    const cases = [
      ...UNARY_PRIMS.map((prim) => ({ name: prim, shapes: [[700], [700]], build: (b: GraphBuilder, [x, y]: readonly NodeId[]) => b.mul(b.unary(prim, b.add(x, y)), b.unary(prim, x)) })),
      ...BINARY_PRIMS.map((prim) => ({ name: prim, shapes: [[3, 40], [40], []], build: (b: GraphBuilder, [x, y, s]: readonly NodeId[]) => b.apply(prim, [b.unary('tanh', b.mul(x, s)), b.add(y, s)], {}) })),
    ];
    for (const c of cases) {
      const graph = graphOf({ name: c.name, shapes: c.shapes, build: c.build });
      for (const [what, g] of Object.entries({ primal: graph, ...derivedGraphs(graph, 2) })) {
        for (const dtype of ['f64', 'f32'] as const) expectSameBits(g, specialInputs(g, 5), dtype, `${c.name} ${what}`);
      }
    }
  });

  it('random elementwise graphs with scalars, constants, broadcasts and reshapes', () => {
    const shapes: Shape[] = [[], [1], [5], [3, 5], [2, 3, 5], [1, 5]];
    fc.assert(fc.property(fc.nat(), fc.integer({ min: 2, max: 25 }), (seed, count) => {
      const next = rng(seed);
      const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)];
      const b = new GraphBuilder();
      const values: NodeId[] = shapes.slice(2).map((s, i) => b.input(`x${i}`, s));
      values.push(b.input('s', []), b.constant(1.5), b.constant(-0));
      for (let i = 0; i < count; i++) {
        const x = pick(values);
        const shape = b.shape(x);
        const r = next();
        if (r < 0.35) values.push(b.unary(pick(UNARY_PRIMS), x));
        else if (r < 0.8) {
          const y = pick(values);
          if (broadcastShapes(shape, b.shape(y)) !== null) values.push(b.apply(pick(BINARY_PRIMS), next() < 0.5 ? [x, y] : [y, x], {}));
        } else if (r < 0.9 && numel(shape) === 1) values.push(b.broadcast(b.reshape(x, shape, [1]), [1], pick(shapes.slice(2))));
        else if (shape.length > 1) values.push(b.reshape(x, shape, [numel(shape)]));
      }
      const outputs = [values[values.length - 1], ...values.filter(() => next() < 0.2)];
      outputs.forEach((v, i) => b.output(`y${i}`, v));
      const graph = b.finish();
      for (const dtype of ['f64', 'f32'] as const) expectSameBits(graph, specialInputs(graph, seed + 1), dtype, `random graph ${seed}`);
    }), { numRuns: 300 });
  });

  it('gives the same bits from a warm buffer pool, and leaves earlier outputs alone', () => {
    const p = compileOrThrow(programs['a 2-layer MLP with a scalar loss'], { n: 70, h: 90, m: 65 });
    const graph = p.derived('jvp', [64], { wrt: ['x'] });
    for (const dtype of ['f64', 'f32'] as const) {
      clearPool();
      const inputs = specialInputs(graph, 7);
      const first = interpret(graph, inputs, dtype);
      const held = new Map([...first].map(([k, t]) => [k, Array.from(t.data)]));
      for (let pass = 0; pass < 3; pass++) interpret(graph, specialInputs(graph, 8 + pass), dtype);
      const again = interpret(graph, inputs, dtype);
      for (const [k, data] of held) {
        expect(Array.from(first.get(k)!.data), `${dtype} ${k} untouched`).toEqual(data);
        expect(Array.from(again.get(k)!.data), `${dtype} ${k} warm`).toEqual(data);
      }
    }
  });
});

describe('unary row loops', () => {
  it("write out each primitive's function with the same bits as the table's, in f64 and f32", () => {
    const values = [...SPECIAL, ...Array.from({ length: 200 }, (_, i) => (i - 100) * 0.37), 1e-8, -1e-20, 710, -710, 20, -20];
    for (const prim of UNARY_PRIMS) {
      const f = PRIMITIVES[prim].fold!;
      for (const Arr of [Float64Array, Float32Array]) {
        const A = Arr.from(values);
        const O = new Arr(A.length);
        unaryRow(prim, f, O, 0, A, 0, 1, A.length);
        const expected = Arr.from(Array.from(A, (v) => f(v)));
        const differ = Array.from(O).findIndex((v, i) => !Object.is(v, expected[i]));
        expect(differ, `${prim} ${Arr.name} at ${A[differ]}`).toBe(-1);
      }
    }
  });
});
