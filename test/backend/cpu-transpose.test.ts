// The CPU interpreter reads a transpose that only feeds matmuls in place (gemm's `trans` flag) instead of
// copying it. Same bits either way, and the memory estimate counts no copy.
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { compileOrThrow } from '../../src/index.ts';
import { inPlaceTransposes, interpret, peakBytes } from '../../src/backend/cpu/interpreter.ts';
import { GraphBuilder } from '../../src/ir/builder.ts';
import type { Graph, NodeId } from '../../src/ir/graph.ts';
import type { Shape } from '../../src/ir/shape.ts';
import { PRIMITIVES } from '../../src/prims/table.ts';
import { uniformInputs } from '../support/uniform-inputs.ts';

/** Runs `graph` with and without reading transposes in place; every output must be bit-identical. */
function expectSameBits(graph: Graph, seed: number, label: string): void {
  const inputs = uniformInputs(graph, seed);
  const inPlace = interpret(graph, inputs, 'f64');
  const copied = interpret(graph, inputs, 'f64', { transposeInPlace: false });
  for (const p of graph.outputs) expect(Array.from(inPlace.get(p.name)!.data), `${label}: ${p.name}`).toEqual(Array.from(copied.get(p.name)!.data));
}

/**
 * y = op(A) @ op(B) where op(A) is [...batchA, p, q] and op(B) is [...batchB, q, r]; a transposed
 * operand is an input stored [..., q, p] (resp. [..., r, q]) under a `transpose`.
 */
function product(p: number, q: number, r: number, transA: boolean, transB: boolean, batchA: Shape = [], batchB: Shape = []): Graph {
  const b = new GraphBuilder();
  const A = b.input('A', transA ? [...batchA, q, p] : [...batchA, p, q]);
  const B = b.input('B', transB ? [...batchB, r, q] : [...batchB, q, r]);
  b.output('y', b.matmul(transA ? b.transpose(A) : A, transB ? b.transpose(B) : B));
  return b.finish();
}

const MLP = `input x[n]
input W1[h, n]
input b1[h]
input W2[m, h]
input b2[m]
hidden = tanh(W1 @ x + b1)
y = tanh(W2 @ hidden + b2)
output y
output loss = 0.5 * sum(y * y)`;

afterEach(() => vi.restoreAllMocks());

describe('transposes read in place by the CPU matmul', () => {
  // Sizes of 1 are left out: the builder turns those transposes into reshapes, and K = 1 products into multiplies.
  it('gives the same bits as a copy for a transposed left, right or both operands', () => {
    for (const [p, q, r] of [[4, 4, 4], [5, 7, 3], [7, 5, 2], [2, 9, 6], [5, 260, 300], [300, 130, 2]]) {
      for (const [transA, transB] of [[true, false], [false, true], [true, true]]) {
        const graph = product(p, q, r, transA, transB);
        expect(inPlaceTransposes(graph).size, 'transposes read in place').toBe(Number(transA) + Number(transB));
        expectSameBits(graph, p * 1000 + q * 10 + r, `[${p}×${q}${transA ? 'ᵀ' : ''}]·[${q}×${r}${transB ? 'ᵀ' : ''}]`);
      }
    }
  });

  it('gives the same bits in batched products: one side batched, both, broadcast, and a batch of vectors', () => {
    const cases: [number, number, number, boolean, boolean, Shape, Shape][] = [
      [3, 5, 4, true, false, [2], []], // stacked transposed left operands: no folding into rows
      [3, 5, 4, true, false, [1], []], // a batch of one folds
      [3, 5, 4, false, true, [2], []],
      [3, 5, 4, true, true, [], [2]],
      [3, 5, 4, true, true, [2, 3], [3]], // broadcast batch dims
      [4, 6, 1, true, false, [], [5]], // a fixed Aᵀ applied to 5 vectors (the batched-JVP GEMM)
      [4, 6, 1, true, true, [], [5]],
      [4, 6, 2, false, true, [7, 1], [3]],
    ];
    for (const [p, q, r, transA, transB, batchA, batchB] of cases) {
      const graph = product(p, q, r, transA, transB, batchA, batchB);
      expect(inPlaceTransposes(graph).size).toBeGreaterThan(0);
      expectSameBits(graph, p + q + r, `[${batchA}|${p}×${q}${transA ? 'ᵀ' : ''}]·[${batchB}|${q}×${r}${transB ? 'ᵀ' : ''}]`);
    }
  });

  it('gives the same bits for random shapes, batches and transposes (property)', () => {
    const dim = fc.integer({ min: 1, max: 9 });
    const batch = fc.constantFrom<Shape>([], [1], [2], [3, 2], [1, 2]);
    fc.assert(fc.property(dim, dim, dim, fc.boolean(), fc.boolean(), batch, batch, fc.nat(), (p, q, r, transA, transB, batchA, batchB, seed) => {
      fc.pre(transA || transB);
      // Batch dims broadcast only when equal or 1 (right-aligned): skip the pairs that do not.
      const a = [...batchA].reverse();
      const b = [...batchB].reverse();
      fc.pre(a.every((d, i) => b[i] === undefined || d === b[i] || d === 1 || b[i] === 1));
      expectSameBits(product(p, q, r, transA, transB, batchA, batchB), seed, `${p} ${q} ${r} ${transA} ${transB} [${batchA}] [${batchB}]`);
    }), { numRuns: 150 });
  });

  it('gives the same bits for the VJPs (one seed and three), gradient and HVP of an MLP, and copies no transpose', () => {
    const program = compileOrThrow(MLP, { n: 13, h: 17, m: 11 });
    const copy = vi.spyOn(PRIMITIVES.transpose, 'cpu');
    const graphs: [string, Graph][] = [
      ['vjp', program.derived('vjp')],
      ['vjp k=3', program.derived('vjp', [3])],
      ['grad', program.derived('grad', [], { of: ['loss'] })],
      ['hvp', program.derived('hvp', [], { of: ['loss'] })],
    ];
    for (const [what, graph] of graphs) {
      expect(inPlaceTransposes(graph).size, what).toBeGreaterThan(0);
      copy.mockClear();
      interpret(graph, uniformInputs(graph, 1), 'f64');
      const copied = graph.nodes.filter((n) => n.op === 'transpose' && !inPlaceTransposes(graph).has(n.id)).length;
      expect(copy, `${what}: transpose copies`).toHaveBeenCalledTimes(copied);
      expectSameBits(graph, 2, what);
    }
    // W1ᵀ and W2ᵀ in the VJP are only ever read by matmuls: no copy at all.
    copy.mockClear();
    interpret(program.derived('vjp'), uniformInputs(program.derived('vjp'), 3), 'f64');
    expect(copy).not.toHaveBeenCalled();
  });

  it('still copies a transpose that an elementwise op reads or that is an output', () => {
    const b = new GraphBuilder();
    const A = b.input('A', [3, 4]);
    const t = b.transpose(A);
    b.output('s', b.unary('exp', t));
    b.output('t', b.transpose(b.input('B', [2, 5])));
    b.output('y', b.matmul(t, b.input('C', [3, 2])));
    const graph = b.finish();
    expect(inPlaceTransposes(graph).size).toBe(0);
    expectSameBits(graph, 4, 'mixed consumers');
    expect(peakBytes(graph, 'f64')).toBe(peakBytes(graph, 'f64', { transposeInPlace: false }));
  });
});

describe('peakBytes with transposes read in place', () => {
  it('counts no copy, and keeps the shared buffer alive until the matmul', () => {
    // y = Aᵀ @ B with A [m, k], B [m, n]. Copying: A, B and Aᵀ are live at once (2mk + mn), then B, Aᵀ
    // and y (mk + mn + kn). In place: A, B and y (mk + mn + kn).
    const [m, k, n] = [8, 6, 2];
    const graph = product(k, m, n, true, false);
    expect(peakBytes(graph, 'f64', { transposeInPlace: false })).toBe(8 * Math.max(2 * m * k + m * n, m * k + m * n + k * n));
    expect(peakBytes(graph, 'f64')).toBe(8 * (m * k + m * n + k * n));
    expect(peakBytes(graph, 'f32')).toBe(4 * (m * k + m * n + k * n));
  });

  it('saves one W per transposed weight matrix in the VJP of tanh(W @ x + b)', () => {
    const n = 64;
    const program = compileOrThrow('input W[n, n]\ninput x[n]\ninput b[n]\noutput y = tanh(W @ x + b)', { n });
    const graph = program.derived('vjp', [], { wrt: ['x'] });
    // Copying, W and Wᵀ are live at once; in place, only W. The two peaks fall at different nodes, so the
    // few n-vectors (and scalars) live beside the matrices may differ.
    const saved = peakBytes(graph, 'f64', { transposeInPlace: false }) - peakBytes(graph, 'f64');
    expect(saved).toBeLessThanOrEqual(8 * n * n);
    expect(saved).toBeGreaterThanOrEqual(8 * n * (n - 4));
  });

  it('keeps a buffer shared through a reshape alive until the reshape is last read', () => {
    // x [6] is read only by its reshape r [2, 3], which shares its buffer; the matmul reads r after e = exp(y).
    const b = new GraphBuilder();
    const x = b.input('x', [6]);
    const y = b.input('y', [3, 5]);
    const r: NodeId = b.reshape(x, [6], [2, 3]);
    const e = b.unary('exp', y);
    b.output('z', b.matmul(r, e));
    const graph = b.finish();
    // The peak is at e: x (still held by r), y and e. Dropping x at the reshape would say 15 + 15.
    expect(peakBytes(graph, 'f64')).toBe(8 * (6 + 15 + 15));
  });
});
