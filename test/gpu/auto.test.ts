import { describe, expect, it } from 'vitest';
import { compileOrThrow, randomValues, type RunStats } from '../../src/index.ts';
import { getTestRuntime } from '../support/gpu-runtime.ts';

const rt = await getTestRuntime();

/** "webgpu ≈12.3 ms (measured 1.52 GFLOP/s, 0.412 ms per step)": a prediction with the numbers behind it. */
const ESTIMATE = (name: string) => new RegExp(`${name} ≈[\\d.]+ ms \\(measured [\\d.]+ GFLOP/s, [\\d.]+ ms per step\\)`);

function expectExplained(stats: RunStats): void {
  expect(stats.reason).toMatch(new RegExp(`^${stats.backend} predicted faster: `));
  expect(stats.reason).toMatch(ESTIMATE('webgpu'));
  expect(stats.reason).toMatch(ESTIMATE('cpu'));
}

describe.skipIf(rt === null)("backend: 'auto' decides by measurement and says so", () => {
  // No assertion on which backend wins: that depends on the adapter (SwiftShader is a CPU in disguise).
  it('for a small elementwise program and for a GEMM-heavy one', async () => {
    const small = compileOrThrow('input x[n]\noutput y = sin(x) * x', { n: 16 });
    const heavy = compileOrThrow('input A[n, n]\ninput B[n, n]\noutput C = tanh(A @ B)', { n: 384 });
    const picks: string[] = [];
    for (const [name, p] of [['small', small], ['GEMM-heavy', heavy]] as const) {
      const { stats } = await p.evaluate(randomValues(p.inputs, 1), { backend: 'auto' });
      expectExplained(stats);
      picks.push(`${name} (${p.flops().toExponential(1)} FLOPs): ${stats.backend}, because ${stats.reason}`);
    }
    if (process.env.GL_PARITY_REPORT) console.log(picks.join('\n'));
  });
});
