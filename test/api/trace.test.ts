import { describe, expect, it } from 'vitest';
import mlpSource from '../../examples/mlp.gl?raw';
import { compileOrThrow, GradientLabError, jacobian, randomValues, traceForward, traceReverse, type Program, type Tensor } from '../../src/index.ts';
import { expectAllclose } from '../support/allclose.ts';

const SIZES = { n: 4, h: 5, m: 3 };
const numel = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** Column j of the Jacobian block ∂out/∂in, by central differences in f64 (the independent oracle). */
async function fdColumn(program: Program, inputs: Record<string, Tensor>, input: string, j: number, h = 1e-6): Promise<Record<string, Float64Array>> {
  const shifted = async (delta: number) => {
    const data = Float64Array.from(inputs[input].data);
    data[j] += delta;
    return (await program.evaluate({ ...inputs, [input]: { shape: inputs[input].shape, data } })).outputs;
  };
  const [plus, minus] = [await shifted(h), await shifted(-h)];
  return Object.fromEntries(Object.keys(plus).map((o) => [o, plus[o].data.map((v, i) => (v - minus[o].data[i]) / (2 * h)) as Float64Array]));
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

describe('sweep traces of the MLP', () => {
  const program = compileOrThrow(mlpSource, SIZES);
  const inputs = randomValues(program.inputs, 0);
  const { graph } = program;
  const nodeOf = (name: string) => [...graph.labels!].find(([, l]) => l === name)![0];

  it('forward: the tangent at the outputs is Jacobian column `index`, and matches finite differences', async () => {
    const J = await jacobian(program, inputs, { mode: 'rev' });
    for (const input of program.inputs) {
      for (let j = 0; j < numel(input.shape); j++) {
        const trace = await traceForward(program, inputs, { input: input.name, index: j });
        for (const out of program.outputs) {
          const block = J.jacobian[out.name][input.name];
          const column = Array.from({ length: block.shape[0] }, (_, i) => block.data[i * block.shape[1] + j]);
          expectAllclose(trace.outputTangents[out.name].data, column, { rtol: 1e-12, atol: 1e-14 }, `∂${out.name}/∂${input.name}[${j}]`);
          const node = graph.outputs.find((p) => p.name === out.name)!.id;
          expect(trace.tangents[node].data).toEqual(trace.outputTangents[out.name].data);
        }
      }
    }
    const fd = await fdColumn(program, inputs, 'W1', 7);
    const trace = await traceForward(program, inputs, { input: 'W1', index: 7 });
    for (const out of program.outputs) expectAllclose(trace.outputTangents[out.name].data, fd[out.name], { rtol: 1e-6, atol: 1e-8 }, `fd ${out.name}`);
  });

  it('forward: every node keeps its value, and the seeded input carries e_index', async () => {
    const trace = await traceForward(program, inputs, { input: 'x', index: 2 });
    const x = graph.inputs.find((p) => p.name === 'x')!.id;
    expect(Array.from(trace.tangents[x].data)).toEqual([0, 0, 1, 0]);
    expect(trace.values[x].data).toEqual(inputs.x.data);
    const evaluated = await program.evaluate(inputs);
    expectAllclose(trace.values[nodeOf('loss')].data, evaluated.outputs.loss.data, { rtol: 0, atol: 0 }, 'loss value');
    // W1 is not on the way from x: a zero tangent, and not in the order.
    const W1 = graph.inputs.find((p) => p.name === 'W1')!.id;
    expect(trace.order).not.toContain(W1);
    expect(Array.from(trace.tangents[W1].data).every((v) => v === 0)).toBe(true);
  });

  it('forward order: the seeded input first, then its consumers in topological order, ending at the outputs', async () => {
    const trace = await traceForward(program, inputs, { input: 'b2', index: 0 });
    const b2 = graph.inputs.find((p) => p.name === 'b2')!.id;
    expect(trace.order[0]).toBe(b2);
    for (let k = 1; k < trace.order.length; k++) {
      expect(trace.order[k]).toBeGreaterThan(trace.order[k - 1]);
      expect(graph.nodes[trace.order[k]].args.some((a) => trace.order.slice(0, k).includes(a))).toBe(true);
    }
    // b2 enters at y = W2 @ hidden + b2, so the hidden layer is never reached.
    expect(trace.order).toContain(nodeOf('y'));
    expect(trace.order).not.toContain(nodeOf('hidden'));
    expect(trace.order.at(-1)).toBe(nodeOf('loss'));
  });

  it('reverse: the adjoint at the inputs is Jacobian row `index`', async () => {
    const J = await jacobian(program, inputs, { mode: 'fwd' });
    for (const out of program.outputs) {
      for (let i = 0; i < numel(out.shape); i++) {
        const trace = await traceReverse(program, inputs, { output: out.name, index: i });
        for (const input of program.inputs) {
          const block = J.jacobian[out.name][input.name];
          const row = block.data.slice(i * block.shape[1], (i + 1) * block.shape[1]);
          expectAllclose(trace.inputAdjoints[input.name].data, row, { rtol: 1e-12, atol: 1e-14 }, `∂${out.name}[${i}]/∂${input.name}`);
          const node = graph.inputs.find((p) => p.name === input.name)!.id;
          expect(trace.adjoints[node].data).toEqual(trace.inputAdjoints[input.name].data);
        }
      }
    }
  });

  it('reverse order: the seeded output first, every node it depends on after all its uses, the inputs last', async () => {
    const trace = await traceReverse(program, inputs, { output: 'y', index: 1 });
    const y = nodeOf('y');
    expect(trace.order[0]).toBe(y);
    expect(Array.from(trace.adjoints[y].data)).toEqual([0, 1, 0]);
    for (let k = 1; k < trace.order.length; k++) expect(trace.order[k]).toBeLessThan(trace.order[k - 1]);
    expect(trace.order).not.toContain(nodeOf('loss'));
    expect(new Set(trace.order.slice(-5))).toEqual(new Set(graph.inputs.map((p) => p.id)));
  });

  it('intermediate adjoints and tangents meet at a cut: ⟨h̄, ḣ⟩ = ∂y[i]/∂x[j] when every path from x to y passes through h', async () => {
    const J = await jacobian(program, inputs, { mode: 'fwd', wrt: ['x'], of: ['y'] });
    const hidden = nodeOf('hidden');
    for (const [i, j] of [[0, 0], [2, 3], [1, 1]]) {
      const fwd = await traceForward(program, inputs, { input: 'x', index: j });
      const rev = await traceReverse(program, inputs, { output: 'y', index: i });
      expect(dot(rev.adjoints[hidden].data, fwd.tangents[hidden].data)).toBeCloseTo(J.jacobian.y.x.data[i * SIZES.n + j], 12);
    }
  });

  it('names unknown ports and out-of-range elements', async () => {
    await expect(traceForward(program, inputs, { input: 'nope', index: 0 })).rejects.toThrow(/no input named 'nope'/);
    await expect(traceReverse(program, inputs, { output: 'loss', index: 1 })).rejects.toThrow(GradientLabError);
    await expect(traceForward(program, inputs, { input: 'x', index: 4 })).rejects.toThrow(/'x' has 4 elements; index 4 is out of range/);
  });
});

describe('adjoints of nodes whose tangents the builder shares', () => {
  it('z = x + 1 has ż = ẋ, but z̄ counts only the uses of z', async () => {
    // loss = Σ z² + Σ x, so z̄ = 2z while x̄ = 2z + 1.
    const program = compileOrThrow('input x[n]\nz = x + 1\noutput loss = sum(z * z) + sum(x)', { n: 3 });
    const inputs = randomValues(program.inputs, 4);
    const z = [...program.graph.labels!].find(([, l]) => l === 'z')![0];
    const x = program.graph.inputs[0].id;
    const trace = await traceReverse(program, inputs, { output: 'loss', index: 0 });
    const zValue = inputs.x.data.map((v) => v + 1);
    expectAllclose(trace.adjoints[z].data, zValue.map((v) => 2 * v), { rtol: 1e-14 }, 'z̄');
    expectAllclose(trace.adjoints[x].data, zValue.map((v) => 2 * v + 1), { rtol: 1e-14 }, 'x̄');
    const fwd = await traceForward(program, inputs, { input: 'x', index: 1 });
    expect(Array.from(fwd.tangents[z].data)).toEqual([0, 1, 0]);
  });
});
