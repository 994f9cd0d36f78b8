// In a browser a run asks for its read-back at submit and then nudges the GPU process (a map request on
// a buffer no run writes) at growing gaps until the read-back is answered (nudged-read-back.ts): when
// nudging starts, how often, when it stops, and that a run nudged on a real device gives the same answer.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { interpret } from '../../src/backend/cpu/interpreter.ts';
import type { Tensor } from '../../src/backend/cpu/tensor.ts';
import {
  ANSWER_MS,
  FIRST_NUDGE_GAP_MS,
  NUDGE_GROWTH,
  NUDGE_LEAD_MS,
  NudgeHistory,
  nudgeGapsMs,
  nudgeUntilAnswered,
  nudgePause,
  POLL_MS,
  precisePause,
  timerPause,
} from '../../src/backend/webgpu/nudged-read-back.ts';
import { GpuRuntime } from '../../src/backend/webgpu/runtime.ts';
import { compileOrThrow } from '../../src/index.ts';
import { expectAllclose } from '../support/allclose.ts';
import { gpuTolerance } from '../support/gpu-parity.ts';
import { getTestRuntime } from '../support/gpu-runtime.ts';

describe('NudgeHistory', () => {
  it('nudges at once until the plan has run twice, then from just before the end its last two answers tell', () => {
    const h = new NudgeHistory();
    expect(h.firstNudgeMs()).toBe(0);
    h.record(9);
    expect(h.firstNudgeMs()).toBe(0);
    h.record(3);
    expect(h.firstNudgeMs()).toBeCloseTo(3 - ANSWER_MS - NUDGE_LEAD_MS, 12);
    h.record(4); // the last two are 3 and 4
    expect(h.firstNudgeMs()).toBeCloseTo(3 - ANSWER_MS - NUDGE_LEAD_MS, 12);
    h.record(5); // 4 and 5: the 3 has left
    expect(h.firstNudgeMs()).toBeCloseTo(4 - ANSWER_MS - NUDGE_LEAD_MS, 12);
  });

  it('one slow run (a first dispatch, a pause) does not delay the next one\'s nudges', () => {
    const h = new NudgeHistory();
    h.record(1.2);
    h.record(40);
    expect(h.firstNudgeMs()).toBeCloseTo(1.2 - ANSWER_MS - NUDGE_LEAD_MS, 12);
  });

  it('never starts before submit', () => {
    const h = new NudgeHistory();
    h.record(0.3);
    h.record(0.3);
    expect(h.firstNudgeMs()).toBe(0);
  });

  /**
   * Runs a plan whose work ends `workEnds` ms after submit `runs` times from a history of `from`: each
   * run nudges from firstNudgeMs at nudgeGapsMs, and the first nudge at or after the end is answered
   * ANSWER_MS later. Returns each run's answer and how many of its nudges came while the work ran.
   */
  function simulate(workEnds: number, from: number, runs: number): { answers: number[]; early: number[] } {
    const h = new NudgeHistory();
    h.record(from);
    h.record(from);
    const answers: number[] = [];
    const early: number[] = [];
    for (let run = 0; run < runs; run++) {
      let at = h.firstNudgeMs();
      let before = 0;
      for (const gap of nudgeGapsMs()) {
        if (at >= workEnds) break;
        before++;
        at += gap;
      }
      answers.push(at + ANSWER_MS);
      early.push(before);
      h.record(at + ANSWER_MS);
    }
    return { answers, early };
  }

  it('brings the answer to within one gap of the work\'s end, from a history far too long', () => {
    const { answers } = simulate(0.6, 3, 24);
    for (const answer of answers.slice(16)) expect(answer).toBeLessThanOrEqual(0.6 + FIRST_NUDGE_GAP_MS + ANSWER_MS + 1e-9);
  });

  it('once settled, sends at most one nudge while the work runs (each one slows it)', () => {
    // Nudging from 0.8 A - 0.5 ms, as before, sent three or four into a 7 ms run.
    for (const workEnds of [0.6, 1.4, 2.4, 4.9, 7.3]) {
      const { answers, early } = simulate(workEnds, workEnds + ANSWER_MS, 12);
      for (const n of early.slice(4)) expect(n).toBeLessThanOrEqual(1);
      for (const answer of answers.slice(4)) expect(answer).toBeLessThanOrEqual(workEnds + FIRST_NUDGE_GAP_MS + ANSWER_MS + 1e-9);
    }
  });
});

describe('nudgeGapsMs', () => {
  it('grows from FIRST_NUDGE_GAP_MS by NUDGE_GROWTH and stops before a gap as long as the poll', () => {
    const gaps = nudgeGapsMs();
    expect(gaps[0]).toBe(FIRST_NUDGE_GAP_MS);
    gaps.slice(1).forEach((gap, i) => expect(gap).toBeCloseTo(gaps[i] * NUDGE_GROWTH, 12));
    expect(Math.max(...gaps)).toBeLessThan(POLL_MS);
    expect(gaps[gaps.length - 1] * NUDGE_GROWTH).toBeGreaterThanOrEqual(POLL_MS);
    // A run far from done is nudged a handful of times, not hundreds.
    expect(gaps.length).toBeLessThanOrEqual(6);
  });
});

describe('nudgeUntilAnswered', () => {
  /** A pause that records what it was asked for and returns at once. */
  const recordingPause = () => {
    const asked: number[] = [];
    return { asked, pause: async (ms: number) => void asked.push(ms) };
  };

  it('waits until the first nudge is due, then nudges at the growing gaps until the answer comes', async () => {
    let answer!: () => void;
    const answered = new Promise<void>((resolve) => (answer = resolve));
    const { asked, pause } = recordingPause();
    let nudges = 0;
    const sent = await nudgeUntilAnswered(answered, performance.now(), 50, () => {
      if (++nudges === 3) answer(); // the third nudge finds the work done
    }, pause);
    expect(sent).toBe(3);
    expect(asked[0]).toBeGreaterThan(45); // until the start, less what passed since submit
    expect(asked.slice(1)).toEqual(nudgeGapsMs().slice(0, 3));
  });

  it('sends no nudge when the answer comes before the first one is due', async () => {
    const { pause } = recordingPause();
    const nudge = vi.fn();
    expect(await nudgeUntilAnswered(Promise.resolve(), performance.now(), 50, nudge, pause)).toBe(0);
    expect(nudge).not.toHaveBeenCalled();
  });

  it('stops nudging after the last gap and leaves the answer to the poll', async () => {
    let answer!: () => void;
    const answered = new Promise<void>((resolve) => (answer = resolve));
    const { pause } = recordingPause();
    const nudge = vi.fn();
    const waiting = nudgeUntilAnswered(answered, performance.now(), 0, nudge, pause);
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(nudge).toHaveBeenCalledTimes(nudgeGapsMs().length);
    answer();
    expect(await waiting).toBe(nudgeGapsMs().length);
  });

  it('a read-back that fails (a lost device, a rejected run) ends the nudging without an error of its own', async () => {
    const { pause } = recordingPause();
    const failed = Promise.reject(new Error('device lost'));
    await expect(nudgeUntilAnswered(failed, performance.now(), 50, () => undefined, pause)).resolves.toBe(0);
  });
});

describe('timerPause (pages without cross-origin isolation)', () => {
  afterEach(() => vi.restoreAllMocks());

  it('asks setTimeout for whole milliseconds, at least one, so that the nudges never come back to back', async () => {
    const timeout = vi.spyOn(globalThis, 'setTimeout');
    for (const ms of [0.3, 1, 1.5]) await timerPause(ms);
    expect(timeout.mock.calls.map((call) => call[1])).toEqual([1, 1, 2]);
  });
});

describe('nudgePause', () => {
  it('is the precise pause where there is one (Node has SharedArrayBuffer and Atomics.waitAsync)', () => {
    expect(nudgePause()).not.toBe(timerPause);
  });
});

describe('precisePause', () => {
  it('waits without blocking where SharedArrayBuffer and Atomics.waitAsync exist (Node has both)', async () => {
    const pause = precisePause();
    expect(pause).not.toBeNull();
    let other = false;
    setTimeout(() => (other = true), 0);
    await pause!(5);
    expect(other).toBe(true); // the thread ran a timer meanwhile
  });
});

const shared = await getTestRuntime();

describe.skipIf(shared === null)('a run on a device that answers like a browser\'s', () => {
  afterEach(() => vi.restoreAllMocks());

  it('nudges a buffer of its own until its read-back is answered, and gives the interpreter\'s answer', async () => {
    const n = 192;
    const program = compileOrThrow('input A[n, n]\ninput x[n]\noutput y = tanh(A @ x)\noutput s = sum(y * y)', { n });
    const values = (seed: number): Map<string, Tensor> => new Map([
      ['A', { shape: [n, n], data: Float64Array.from({ length: n * n }, (_, i) => Math.fround(Math.sin(seed + i * 0.731) / 8)) }],
      ['x', { shape: [n], data: Float64Array.from({ length: n }, (_, i) => Math.fround(Math.cos(seed + i * 0.37))) }],
    ]);
    // Dawn in Node with the browser's read-back path: same device, only `browser` differs.
    const rt = new GpuRuntime({ ...shared!.gpu, browser: true });
    const mapAsync = vi.spyOn(GPUBuffer.prototype, 'mapAsync');
    let nudges = 0;
    try {
      for (let run = 1; run <= 4; run++) {
        mapAsync.mockClear();
        const inputs = values(run);
        const got = await rt.run(program.graph, inputs);
        const nudged = mapAsync.mock.contexts.filter((buffer) => (buffer as GPUBuffer).label === 'nudge');
        // The nudge when the error scopes answer, then at most one per gap.
        expect(nudged.length).toBeLessThanOrEqual(nudgeGapsMs().length + 1);
        nudges += nudged.length;
        if (run === 1) expect(mapAsync.mock.contexts.some((buffer) => (buffer as GPUBuffer).label === 'read-back')).toBe(true);
        const want = interpret(program.graph, inputs, 'f64');
        for (const name of ['y', 's']) expectAllclose(got.get(name)!.data, want.get(name)!.data, gpuTolerance('transcendental', program.graph), `run ${run}, ${name}`);
      }
      // Dawn answers the scopes before a 192-wide product is done, so some run was nudged.
      expect(nudges).toBeGreaterThan(0);
    } finally {
      rt.dispose();
    }
  });

  it('sends no nudge, not even at the error scopes\' answer, before its history says the work ends', async () => {
    // A 320³ product runs for several ms on SwiftShader; its scopes answer within about one.
    const n = 320;
    const program = compileOrThrow('input A[n, n]\ninput B[n, n]\noutput C = A @ B', { n });
    const inputs: Map<string, Tensor> = new Map(['A', 'B'].map((name, k) => [name, { shape: [n, n], data: Float64Array.from({ length: n * n }, (_, i) => Math.sin(k + i * 0.37)) }]));
    const rt = new GpuRuntime({ ...shared!.gpu, browser: true });
    const mapAsync = GPUBuffer.prototype.mapAsync;
    const nudgedAt: number[] = [];
    vi.spyOn(GPUBuffer.prototype, 'mapAsync').mockImplementation(function (this: GPUBuffer, ...args: Parameters<GPUBuffer['mapAsync']>) {
      if (this.label === 'nudge') nudgedAt.push(performance.now());
      return mapAsync.apply(this, args);
    });
    try {
      const answers: number[] = [];
      for (let run = 0; run < 3; run++) {
        await rt.run(program.graph, inputs);
        answers.push(rt.lastProfile!.wallMs);
      }
      const quietMs = Math.min(answers[1], answers[2]) - ANSWER_MS - NUDGE_LEAD_MS;
      expect(quietMs).toBeGreaterThan(3); // else this run says nothing about the scopes' nudge
      nudgedAt.length = 0;
      const before = performance.now();
      const got = await rt.run(program.graph, inputs);
      // Node times Atomics.waitAsync in whole milliseconds (a 10.4 ms pause measured 9.8), hence the 1 ms.
      for (const at of nudgedAt) expect(at - before).toBeGreaterThanOrEqual(quietMs - 1);
      const want = interpret(program.graph, inputs, 'f64');
      expectAllclose(got.get('C')!.data, want.get('C')!.data, gpuTolerance('arithmetic', program.graph), 'C');
    } finally {
      rt.dispose();
    }
  });
});
