// In Node, a run that took a while last time sleeps before it asks for its read-back, so that Dawn's
// polling does not take a core from a software adapter's workers (src/backend/webgpu/quiet-wait.ts):
// the sleep comes from the plan's last two runs, and the answers stay the same.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { interpret } from '../../src/backend/cpu/interpreter.ts';
import type { Tensor } from '../../src/backend/cpu/tensor.ts';
import {
  blockingWait,
  OVERSLEPT_MS,
  QUIET_FRACTION,
  quietDelayMs,
  THROTTLE_MIN_MS,
  THROTTLE_SLICE_MS,
  throttleUntilSettled,
  TIMER_SLACK_MS,
  WaitHistory,
} from '../../src/backend/webgpu/quiet-wait.ts';
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

describe('waiting in slices after asking (throttleUntilSettled)', () => {
  it('throttles only once both of the plan\'s last two runs took THROTTLE_MIN_MS or more', () => {
    const h = new WaitHistory();
    expect(h.throttles()).toBe(false);
    h.record(5, 0, 0);
    expect(h.throttles()).toBe(false);
    h.record(THROTTLE_MIN_MS, 0, 0);
    expect(h.throttles()).toBe(true);
    h.record(THROTTLE_MIN_MS / 2, 0, 0); // one short run: the next one spins
    expect(h.throttles()).toBe(false);
    h.record(3, 0, 0);
    expect(h.throttles()).toBe(false);
    h.record(3, 0, 0);
    expect(h.throttles()).toBe(true);
  });

  it('blocks a slice in every turn of the event loop until the answer comes, and lets other callbacks run between', async () => {
    let answer!: () => void;
    const answered = new Promise<void>((resolve) => (answer = resolve));
    const slices: number[] = [];
    let turns = 0;
    const tick = () => {
      turns++;
      if (turns === 5) answer();
      else setImmediate(tick);
    };
    setImmediate(tick);
    await throttleUntilSettled(answered, (ms) => void slices.push(ms));
    expect(turns).toBe(5); // the other setImmediate callbacks ran: the loop kept turning
    expect(slices.length).toBeGreaterThanOrEqual(4);
    expect(slices.every((ms) => ms === THROTTLE_SLICE_MS)).toBe(true);
  });

  it('a read-back that fails ends the slices too', async () => {
    const block = vi.fn();
    await throttleUntilSettled(Promise.reject(new Error('device lost')), block);
    expect(block.mock.calls.length).toBeLessThanOrEqual(1);
  });

  it('blockingWait blocks the thread (Node has SharedArrayBuffer)', () => {
    const block = blockingWait();
    expect(block).not.toBeNull();
    const t0 = performance.now();
    block!(3);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(2);
  });
});

const shared = await getTestRuntime();

describe.skipIf(shared === null)('a run in Node', () => {
  afterEach(() => vi.restoreAllMocks());

  it('sleeps after submitting for the share of its plan\'s last waits that quietDelayMs gives, then waits in slices, with the same answer', async () => {
    const n = 384; // a product of some milliseconds on SwiftShader, so that the third run sleeps
    const program = compileOrThrow('input A[n, n]\ninput B[n, n]\noutput C = tanh(A @ B)', { n });
    const values = (seed: number): Map<string, Tensor> => new Map(['A', 'B'].map((name, j) => [name, {
      shape: [n, n], data: Float64Array.from({ length: n * n }, (_, i) => Math.fround(Math.sin(seed + j * 3.3 + i * 0.731) / 16)),
    }]));
    const rt = new GpuRuntime(shared!.gpu);
    const timeout = vi.spyOn(globalThis, 'setTimeout');
    const slices = vi.spyOn(Atomics, 'wait');
    try {
      await rt.run(program.graph, values(1));
      const first = rt.lastProfile!.wallMs;
      await rt.run(program.graph, values(2));
      const second = rt.lastProfile!.wallMs;
      timeout.mockClear();
      slices.mockClear();
      const inputs = values(3);
      const got = (await rt.run(program.graph, inputs)).get('C')!.data;
      const expected = quietDelayMs(Math.min(first, second));
      // On SwiftShader this product takes well over the few milliseconds below which runs do not sleep.
      if (rt.softwareAdapter) expect(expected).toBeGreaterThan(0);
      if (expected > 0) expect(timeout.mock.calls.map((call) => call[1])).toContain(expected);
      // ...and over THROTTLE_MIN_MS, so after the sleep it waited in slices.
      if (Math.min(first, second) >= THROTTLE_MIN_MS) expect(slices.mock.calls.some((call) => call[3] === THROTTLE_SLICE_MS)).toBe(true);
      expect(rt.lastProfile!.wallMs).toBeGreaterThanOrEqual(expected);
      const want = interpret(program.graph, inputs, 'f64').get('C')!.data;
      expectAllclose(got, want, gpuTolerance('transcendental', program.graph), 'after the sleep');
    } finally {
      rt.dispose();
    }
  });

  it('a plan of well under THROTTLE_MIN_MS neither sleeps nor waits in slices', async () => {
    const program = compileOrThrow('input x[n]\noutput y = sum(x * x)', { n: 64 });
    const rt = new GpuRuntime(shared!.gpu);
    const slices = vi.spyOn(Atomics, 'wait');
    try {
      const inputs = new Map<string, Tensor>([['x', { shape: [64], data: Float64Array.from({ length: 64 }, (_, i) => i / 64) }]]);
      const walls: number[] = [];
      for (let run = 0; run < 4; run++) {
        await rt.run(program.graph, inputs);
        walls.push(rt.lastProfile!.wallMs);
      }
      // A 64-element sum takes a fraction of a millisecond; only a run after two slow ones (a first
      // dispatch, a pause) could throttle.
      const throttledRuns = walls.slice(2).filter((_, i) => Math.min(walls[i], walls[i + 1]) >= THROTTLE_MIN_MS).length;
      if (throttledRuns === 0) expect(slices.mock.calls.filter((call) => call[3] === THROTTLE_SLICE_MS)).toEqual([]);
    } finally {
      rt.dispose();
    }
  });
});
