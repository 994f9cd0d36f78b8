// An f32 pass hands f64 weights read by one product to the GEMM as they are, and the GEMM rounds them to
// f32 while packing them (inputsRoundedByGemm; packAFromF64 / packBFromF64): the bits must be those of
// converting them first, in every layout, at ragged sizes, on the matvec path and on the JS fallback.
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { rng } from '../../src/api/random.ts';
import { compileOrThrow } from '../../src/index.ts';
import { bestGemm } from '../../src/backend/cpu/best-gemm.ts';
import { inputsRoundedByGemm, inPlaceTransposes, interpret } from '../../src/backend/cpu/interpreter.ts';
import { toDType, type Tensor } from '../../src/backend/cpu/tensor.ts';
import { setGemmMode } from '../../src/backend/cpu/wasm/module.ts';
import { setGemmThreads } from '../../src/backend/cpu/wasm/threads.ts';
import type { Graph } from '../../src/ir/graph.ts';
import { uniformInputs } from '../support/uniform-inputs.ts';

const MLP = readFileSync(new URL('../../examples/mlp.gl', import.meta.url), 'utf8');

const random = (n: number, seed: number) => {
  const next = rng(seed);
  // Some values that f32 cannot hold exactly, and ties: 1 + 2⁻²⁴ rounds to even.
  return Float64Array.from({ length: n }, (_, i) => (i % 7 === 0 ? 1 + 2 ** -24 * (i % 3) : 2 * next() - 1));
};

/** Names of the inputs an f32 pass leaves in f64. */
const roundedNames = (graph: Graph) => {
  const ids = inputsRoundedByGemm(graph, inPlaceTransposes(graph));
  return graph.inputs.filter((p) => ids.has(p.id)).map((p) => p.name).sort();
};

afterEach(() => {
  setGemmMode('auto');
  setGemmThreads(Infinity);
});

describe('f64 operands of f32 products', () => {
  it('give the bits of their f32 copies: wasm (every pack path, matvec, threads) and JS', () => {
    for (const mode of ['wasm', 'js'] as const) {
      setGemmMode(mode);
      // Two rows (W x and W ẋ stacked) as well: the JS path reads f64 matrices rounding on the fly there.
      for (const [M, N, K] of [[1, 9, 7], [9, 1, 7], [1, 70, 257], [70, 1, 1001], [2, 33, 17], [2, 300, 65], [65, 33, 18], [5, 300, 5], [64, 129, 130], [67, 515, 129]]) {
        for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]]) {
          const a64 = random(M * K + 3, M + K);
          const b64 = random(K * N + 2, N + K);
          const [a32, b32] = [new Float32Array(a64), new Float32Array(b64)];
          const want = new Float32Array(M * N);
          bestGemm(M, N, K, { data: a32, offset: 3, trans: ta }, { data: b32, offset: 2, trans: tb }, want, 0);
          for (const threads of [1, Infinity]) {
            setGemmThreads(threads);
            for (const [a, b] of [[a64, b64], [a64, b32], [a32, b64]]) {
              const got = new Float32Array(M * N);
              bestGemm(M, N, K, { data: a, offset: 3, trans: ta }, { data: b, offset: 2, trans: tb }, got, 0);
              expect(Array.from(got), `${mode} ${M}×${N}×${K} ${ta ? 'T' : 'N'}${tb ? 'T' : 'N'} a ${a.constructor.name} b ${b.constructor.name}`).toEqual(Array.from(want));
            }
          }
        }
      }
    }
  });
});

describe('inputs an f32 pass rounds in the GEMM', () => {
  const program = compileOrThrow(MLP, { n: 37, h: 70, m: 5 });

  it("are those read by matrix products only, however many: a JVP's weights (and their tangents), a VJP's (read twice)", () => {
    expect(roundedNames(program.derived('jvp', [64], { wrt: ['x'] }))).toEqual(['W1', 'W2']);
    expect(roundedNames(program.derived('jvp'))).toEqual(['W1', 'W1.dot', 'W2', 'W2.dot']);
    expect(roundedNames(program.derived('vjp', [64], { wrt: ['x'], of: ['loss'] }))).toEqual(['W1', 'W2']);
    expect(roundedNames(program.graph)).toEqual(['W1', 'W2']);
    // x is read by an elementwise node too (an output's input is never left in f64 either).
    const both = compileOrThrow('input W[3, 3]\ninput x[3]\noutput y = W @ x + x', {});
    expect(roundedNames(both.graph)).toEqual(['W']);
  });

  it('give the bits of the pass over f32 copies of the inputs', () => {
    const graphs: [string, Graph][] = [
      ['jvp k=64', program.derived('jvp', [64], { wrt: ['x'] })],
      ['jvp', program.derived('jvp')],
      ['primal', program.graph],
      ['hvp', program.derived('hvp', [], { of: ['loss'] })],
      ['vjp k=64', program.derived('vjp', [64], { wrt: ['x'], of: ['loss'] })],
      ['vjp', program.derived('vjp', [], { of: ['loss'] })],
    ];
    for (const [what, graph] of graphs) {
      const inputs = uniformInputs(graph, 3);
      const f32Inputs = new Map<string, Tensor>([...inputs].map(([k, t]) => [k, toDType(t, 'f32')]));
      const fromF64 = interpret(graph, inputs, 'f32');
      const fromF32 = interpret(graph, f32Inputs, 'f32');
      for (const p of graph.outputs) expect(Array.from(fromF64.get(p.name)!.data), `${what}: ${p.name}`).toEqual(Array.from(fromF32.get(p.name)!.data));
    }
  });
});
