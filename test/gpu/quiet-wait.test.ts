// In Node, a run that took a while last time sleeps before it asks for its read-back, so that Dawn's
// polling does not take a core from a software adapter's workers (src/backend/webgpu/quiet-wait.ts):
// the sleep comes from the plan's last two runs, and the answers stay the same.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { interpret } from '../../src/backend/cpu/interpreter.ts';
import type { Tensor } from '../../src/backend/cpu/tensor.ts';
import { OVERSLEPT_MS, QUIET_FRACTION, quietDelayMs, TIMER_SLACK_MS, WaitHistory } from '../../src/backend/webgpu/quiet-wait.ts';
import { GpuRuntime } from '../../src/backend/webgpu/runtime.ts';
import { compileOrThrow } from '../../src/index.ts';
import { expectAllclose } from '../support/allclose.ts';
import { gpuTolerance } from '../support/gpu-parity.ts';
import { getTestRuntime } from '../support/gpu-runtime.ts';

describe('quietDelayMs', () => {
  it('sleeps through most of the last run, less a timer\'s lateness, and never on the first run or a short one', () => {
    expect(quietDelayMs(undefined)).toBe(0);
    expect(quietDelayMs(Number.NaN)).toBe(0);
    expect(quietDelayMs(0.4)).toBe(0);
    expect(quietDelayMs(2.4)).toBe(0); // 0.8 · 2.4 - 1 = 0.92
    expect(quietDelayMs(10)).toBe(7);
    expect(quietDelayMs(378)).toBe(Math.floor(QUIET_FRACTION * 378 - TIMER_SLACK_MS));
  });

  it('converges on the work\'s time from below when a run gets faster (each wait is at least the sleep)', () => {
    // The last wait was 400 ms and the work now takes 100: each run sleeps, wakes, and records
    // max(its sleep, the work) plus a little; within a few runs the sleep is under the work.
    let last = 400;
    const sleeps: number[] = [];
    for (let run = 0; run < 10; run++) {
      const sleep = quietDelayMs(last);
      sleeps.push(sleep);
      last = Math.max(sleep + 0.5, 100.2);
    }
    expect(sleeps[0]).toBe(319);
    expect(sleeps.slice(-3).every((s) => s < 100 && s === sleeps.at(-1))).toBe(true);
  });
});

describe('WaitHistory', () => {
  it('sleeps only once the plan has run twice, for the shorter of its last two waits', () => {
    const h = new WaitHistory();
    expect(h.nextSleepMs()).toBe(0);
    h.record(300, 0, 0);
    expect(h.nextSleepMs()).toBe(0);
    h.record(250, 0, 0);
    expect(h.nextSleepMs()).toBe(quietDelayMs(250));
    h.record(260, quietDelayMs(250), 60);
    expect(h.nextSleepMs()).toBe(quietDelayMs(250));
    h.record(270, quietDelayMs(250), 70);
    expect(h.nextSleepMs()).toBe(quietDelayMs(260));
  });

  it('one slow run (a first dispatch, a pause) does not make the next one sleep', () => {
    const h = new WaitHistory();
    h.record(1.1, 0, 0);
    h.record(8.3, 0, 0);
    expect(h.nextSleepMs()).toBe(0);
    h.record(1.0, 0, 0);
    expect(h.nextSleepMs()).toBe(0);
  });

  it('a run whose read-back came as soon as it woke has slept past its work: the next run measures it unslept', () => {
    const h = new WaitHistory();
    h.record(40, 0, 0);
    h.record(40, 0, 0);
    const slept = h.nextSleepMs();
    expect(slept).toBe(31);
    // The work got faster (10 ms): the read-back was ready when the sleep ended.
    h.record(31.2, slept, OVERSLEPT_MS / 2);
    expect(h.nextSleepMs()).toBe(0);
    h.record(10, 0, 0);
    // The shorter of the last two (31.2 and 10).
    expect(h.nextSleepMs()).toBe(quietDelayMs(10));
    h.record(10.5, quietDelayMs(10), 3);
    expect(h.nextSleepMs()).toBe(quietDelayMs(10));
  });
});

const shared = await getTestRuntime();

describe.skipIf(shared === null)('a run in Node', () => {
  afterEach(() => vi.restoreAllMocks());

  it('sleeps after submitting for the share of its plan\'s last waits that quietDelayMs gives, with the same answer', async () => {
    const n = 384; // a product of some milliseconds on SwiftShader, so that the third run sleeps
    const program = compileOrThrow('input A[n, n]\ninput B[n, n]\noutput C = tanh(A @ B)', { n });
    const values = (seed: number): Map<string, Tensor> => new Map(['A', 'B'].map((name, j) => [name, {
      shape: [n, n], data: Float64Array.from({ length: n * n }, (_, i) => Math.fround(Math.sin(seed + j * 3.3 + i * 0.731) / 16)),
    }]));
    const rt = new GpuRuntime(shared!.gpu);
    const timeout = vi.spyOn(globalThis, 'setTimeout');
    try {
      await rt.run(program.graph, values(1));
      const first = rt.lastProfile!.wallMs;
      await rt.run(program.graph, values(2));
      const second = rt.lastProfile!.wallMs;
      timeout.mockClear();
      const inputs = values(3);
      const got = (await rt.run(program.graph, inputs)).get('C')!.data;
      const expected = quietDelayMs(Math.min(first, second));
      // On SwiftShader this product takes well over the few milliseconds below which runs do not sleep.
      if (rt.softwareAdapter) expect(expected).toBeGreaterThan(0);
      if (expected > 0) expect(timeout.mock.calls.map((call) => call[1])).toContain(expected);
      expect(rt.lastProfile!.wallMs).toBeGreaterThanOrEqual(expected);
      const want = interpret(program.graph, inputs, 'f64').get('C')!.data;
      expectAllclose(got, want, gpuTolerance('transcendental', program.graph), 'after the sleep');
    } finally {
      rt.dispose();
    }
  });
});
