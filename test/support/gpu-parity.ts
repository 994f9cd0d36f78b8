import type { Graph } from '../../src/ir/graph.ts';
import { normalizeAxis, numel } from '../../src/ir/shape.ts';
import { allcloseRatio, expectAllclose, type Tolerance } from './allclose.ts';

/**
 * Tolerances for WebGPU (f32) against the CPU f64 reference, fed the same f32-representable inputs,
 * so that every difference is the GPU's own rounding and approximation. All GPU-vs-CPU tests use these.
 *
 * - One correctly rounded f32 operation errs by at most EPS32/2 ≈ 6e-8 relative; the derived (JVP, VJP)
 *   graph of an arithmetic primitive chains a handful of them, and a difference of two products can
 *   cancel, so arithmetic gets a few EPS32 relative plus the same absolute at unit scale.
 * - Data movement, comparisons, masks and sign/abs/relu/max/min are exact in f32 (a 0/1 mask times a
 *   value, or a selection): zero tolerance, except for the sums their VJPs contain.
 * - SwiftShader's transcendentals are not correctly rounded. Measured on 65 536 points per range (the
 *   'wide ranges' test in test/gpu/parity.test.ts; GL_PARITY_REPORT=1 prints its table):
 *     exp on [-40, 40]: 1.9e-6 relative (about |x|·EPS32/2: exp amplifies its own argument reduction);
 *     log on [1e-3, 1e3]: 7e-7 absolute (so few correct digits next to x = 1, where log x ≈ 0);
 *     sqrt: 6e-8 relative (correctly rounded); tanh on [-20, 20]: 1.4e-7 absolute (poor relative
 *     accuracy next to 0, where it is built from exp); sigmoid: 9e-8 absolute, 5e-7 relative;
 *     softplus on [-80, 80]: 5.4e-7 absolute; relative accuracy degrades for x < -7 and is lost for
 *     x < -17, where 1 + e^x rounds to 1 before the log (the CPU uses log1p).
 *   The family allows 4e-6 relative plus 2e-6 absolute.
 * - SwiftShader's sin and cos err by up to 1.9e-4 absolute, on [-2, 2] and [-100, 100] alike (only
 *   2.5e-5 on [-0.5, 0.5]): worse than the ~4e-5 PLATFORM-NOTES suggests. tan inherits it, relative
 *   to tan' = 1 + tan² (4.4e-4 absolute, 2.2e-4 relative on [-1.5, 1.5]). The family allows 4e-4
 *   absolute plus 1e-4 relative.
 * - Sums (reductions, and GEMMs along K) round once per addition, in an order each kernel chooses. Summed
 *   one after another, R terms of random sign and rms size σ leave an error of about 0.2·EPS32·σ·R (a
 *   random walk over partial sums of size σ·sqrt(i)); terms of one sign leave about
 *   0.2·EPS32·sqrt(R) relative to the result. Tree reductions do better. So the longest sum R in the
 *   graph (reduced elements per output, or a GEMM's inner size) adds EPS32·TERM·R absolute and
 *   EPS32·sqrt(R) relative, about 5 standard deviations with σ ≤ TERM = 4 (inputs in [-2, 2], seeds in
 *   [-1, 1]). The cruder sqrt(R)·EPS32·Σ|x| bound is sqrt(R) times looser than that.
 */
export const EPS32 = 2 ** -23;

export type Family = 'exact' | 'arithmetic' | 'transcendental' | 'trig';

export const FAMILY_TOLERANCE: Readonly<Record<Family, Required<Tolerance>>> = {
  exact: { rtol: 0, atol: 0 },
  arithmetic: { rtol: 8 * EPS32, atol: 8 * EPS32 },
  transcendental: { rtol: 4e-6, atol: 2e-6 },
  trig: { rtol: 1e-4, atol: 4e-4 },
};

/** Bound on the magnitude of one summed term (see above). */
const TERM = 4;

/** The longest sum a graph computes: the most elements reduced into one output, or a GEMM's inner size. */
export function longestSum(graph: Graph): number {
  let longest = 1;
  for (const n of graph.nodes) {
    if (n.op === 'sum' || n.op === 'logsumexp') {
      const shape = graph.nodes[n.args[0]].shape;
      longest = Math.max(longest, numel(n.params.axes.map((a) => shape[normalizeAxis(a, shape.length)!])));
    } else if (n.op === 'matmul') {
      const a = graph.nodes[n.args[0]].shape;
      longest = Math.max(longest, a[a.length - 1]);
    }
  }
  return longest;
}

/** The tolerance for running `graphs` on WebGPU, for primitives of `family`. */
export function gpuTolerance(family: Family, ...graphs: Graph[]): Tolerance {
  const { rtol, atol } = FAMILY_TOLERANCE[family];
  const R = Math.max(1, ...graphs.map(longestSum));
  if (R === 1) return { rtol, atol };
  return { rtol: rtol + EPS32 * Math.sqrt(R), atol: atol + EPS32 * TERM * R };
}

/** Largest observed errors per row of a report. */
interface Observed {
  abs: number;
  rel: number;
  /** Largest fraction of the tolerance used (1 = at the limit). */
  used: number;
  checks: number;
}

/**
 * Compares GPU against CPU with the shared assertion, and keeps the largest errors per row for a report.
 * Relative errors are taken over elements with |expected| ≥ 1e-3, where they mean something.
 */
export class ErrorLog {
  private readonly rows = new Map<string, Observed>();

  check(row: string, actual: ArrayLike<number>, expected: ArrayLike<number>, tol: Tolerance, label: string): void {
    const o = this.rows.get(row) ?? { abs: 0, rel: 0, used: 0, checks: 0 };
    for (let i = 0; i < expected.length; i++) {
      const err = Math.abs(actual[i] - expected[i]);
      if (err > o.abs) o.abs = err;
      if (Math.abs(expected[i]) >= 1e-3 && err / Math.abs(expected[i]) > o.rel) o.rel = err / Math.abs(expected[i]);
    }
    o.used = Math.max(o.used, allcloseRatio(actual, expected, tol).ratio);
    o.checks++;
    this.rows.set(row, o);
    expectAllclose(actual, expected, tol, label);
  }

  /** A Markdown table of the rows. */
  table(): string {
    const lines = ['| family | outputs compared | max abs error | max rel error (|e| ≥ 1e-3) | most of tolerance used |', '|---|---|---|---|---|'];
    for (const [row, o] of this.rows) lines.push(`| ${row} | ${o.checks} | ${o.abs.toExponential(1)} | ${o.rel.toExponential(1)} | ${(100 * o.used).toFixed(1)}% |`);
    return lines.join('\n');
  }
}
