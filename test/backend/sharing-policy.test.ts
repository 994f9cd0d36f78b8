// When the GEMM stops sharing products with its helper threads, and when it tries again (sharing-policy.ts).
import { describe, expect, it } from 'vitest';
import { MAX_SOLO_MS, SharingPolicy, sharingHurt, SOLO_MS, STRIKES } from '../../src/backend/cpu/wasm/sharing-policy.ts';

describe('whether sharing made a run slower', () => {
  it('compares the run with one thread at the caller\'s pace, counting only clear losses', () => {
    // Half the jobs in 0.1 ms: one thread would have taken 0.2 ms.
    expect(sharingHurt(4, 2, 0.1, 0.11)).toBe(false);
    expect(sharingHurt(4, 2, 0.1, 0.22)).toBe(false); // no faster, but not clearly slower
    // A helper that lost its core while holding a job: the caller ran 3 and then waited.
    expect(sharingHurt(4, 3, 0.15, 1.9)).toBe(true);
    // The caller ran them all: the helper only cost (woken, it spins on a core the caller needs).
    expect(sharingHurt(4, 4, 0.2, 0.21)).toBe(true);
    expect(sharingHurt(4, 4, 0.2, 1.1)).toBe(true);
    expect(sharingHurt(1, 1, 0.2, 0.21)).toBe(false);
    expect(sharingHurt(4, 0, 0, 0.2)).toBe(false);
  });
});

describe('the sharing policy', () => {
  it(`stops sharing after ${STRIKES} runs in a row that sharing made slower, for a while that doubles while retries fail`, () => {
    const p = new SharingPolicy();
    let now = 0;
    const fail = (times: number) => {
      for (let i = 0; i < times; i++) p.record(true, now);
    };
    expect(p.allows(now)).toBe(true);
    fail(STRIKES - 1);
    p.record(false, now); // a run sharing did not slow clears the strikes
    fail(STRIKES - 1);
    expect(p.allows(now)).toBe(true);
    fail(1);
    expect(p.allows(now)).toBe(false);
    expect(p.allows(now + SOLO_MS - 1)).toBe(false);
    now += SOLO_MS;
    expect(p.allows(now)).toBe(true);
    fail(STRIKES);
    expect(p.allows(now + 2 * SOLO_MS - 1)).toBe(false);
    now += 2 * SOLO_MS;
    expect(p.allows(now)).toBe(true);
    for (let i = 0; i < 10; i++) {
      fail(STRIKES);
      now += MAX_SOLO_MS;
    }
    fail(STRIKES);
    expect(p.allows(now + MAX_SOLO_MS - 1)).toBe(false);
    expect(p.allows(now + MAX_SOLO_MS)).toBe(true);
    // A run sharing did not slow starts the waits over.
    now += MAX_SOLO_MS;
    p.record(false, now);
    fail(STRIKES);
    expect(p.allows(now + SOLO_MS)).toBe(true);
    // setGemmThreads starts it over (reset): shared at once.
    fail(STRIKES);
    expect(p.allows(now)).toBe(false);
    p.reset();
    expect(p.allows(now)).toBe(true);
  });
});
