import { describe, expect, it } from 'vitest';
import { compileOrThrow } from '../../src/index.ts';
import { interpret } from '../../src/backend/cpu/interpreter.ts';
import { GraphBuilder } from '../../src/ir/builder.ts';
import type { Graph, NodeId } from '../../src/ir/graph.ts';
import { getTestRuntime } from '../support/gpu-runtime.ts';

const rt = await getTestRuntime();

const X = Float32Array.of(-2, -0.5, 0, 0.25, 3);

/** y = f(x) over the five values of X. */
function graph(f: (b: GraphBuilder, x: NodeId) => NodeId): Graph {
  const b = new GraphBuilder();
  b.output('y', f(b, b.input('x', [X.length])));
  return b.finish();
}

describe.skipIf(rt === null)('values WGSL cannot write as literals', () => {
  // Each graph holds one kind of non-finite constant (see the builder bug below).
  const cases: Record<string, Graph> = {
    // (Not 0·∞: WebGPU's min and max return the other operand of a NaN, where Math.min propagates it.)
    '+∞': graph((b, x) => b.add(b.apply('minimum', [x, b.constant(Infinity)], {}), b.apply('greater', [b.constant(Infinity), x], {}))),
    '-∞ (log 0, folded)': graph((b, x) => b.apply('maximum', [x, b.apply('log', [b.constant(0)], {})], {})),
    'NaN': graph((b, x) => b.add(x, b.constant(NaN))),
    // WGSL's pow is exp2(b·log2 a), undefined for a ≤ 0: gl_pow gives NaN for fractional powers of
    // negative bases, signed integer powers, and 0^b = 0 (b > 0) or ∞ (b < 0), as Math.pow does.
    'pow: fractional powers': graph((b, x) => b.apply('pow', [x, b.constant(0.1)], {})),
    'pow: negative fractional powers': graph((b, x) => b.apply('pow', [x, b.constant(-0.5)], {})),
    'pow: odd powers': graph((b, x) => b.apply('pow', [x, b.constant(3)], {})),
    'pow: negative even powers': graph((b, x) => b.apply('pow', [x, b.constant(-2)], {})),
    'pow: zeroth power': graph((b, x) => b.apply('pow', [x, b.constant(0)], {})),
  };
  for (const [name, g] of Object.entries(cases)) {
    it(`${name} compiles and computes like the CPU`, async () => {
      const gpu = (await rt!.run(g, new Map([['x', { shape: [X.length], data: X }]]))).get('y')!.data;
      const cpu = interpret(g, new Map([['x', { shape: [X.length], data: Float64Array.from(X) }]]), 'f64').get('y')!.data;
      // Exact where the CPU's value is special (0, ±∞, NaN, ±1) or a power of two; otherwise f32 rounding.
      cpu.forEach((want, i) => {
        if (!Number.isFinite(want) || want === 0 || Number.isInteger(Math.log2(Math.abs(want)))) expect(gpu[i], `${name} at x = ${X[i]}`).toBe(Math.fround(want));
        else expect(Math.abs(gpu[i] - want), `${name} at x = ${X[i]}`).toBeLessThanOrEqual(4e-6 * Math.abs(want));
      });
    });
  }
});

describe('non-finite constants in the IR', () => {
  // JSON.stringify writes Infinity, -Infinity and NaN all as null; hash-consing keyed on it once merged
  // these constants, so exp(1000) (+∞) became the -∞ of log(0) and y came out -∞ instead of 2x.
  it('keeps -∞, +∞ and NaN apart (max(x, log 0) + min(x, exp 1000) = 2x)', async () => {
    const p = compileOrThrow('input x[n]\noutput y = max(x, log(0)) + min(x, exp(1000))', { n: 3 });
    const { outputs } = await p.evaluate({ x: [1, 2, 3] });
    expect(Array.from(outputs.y.data)).toEqual([2, 4, 6]);
  });
});
