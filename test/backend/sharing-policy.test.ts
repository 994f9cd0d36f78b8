// When the GEMM stops sharing products with its helper threads, and when it tries again (sharing-policy.ts).
import { describe, expect, it } from 'vitest';
import { MAX_SOLO_MS, SharingPolicy, sharingPaid, SOLO_MS, STRIKES } from '../../src/backend/cpu/wasm/sharing-policy.ts';

describe('whether a shared run paid', () => {
  it('compares the run with one thread at the caller\'s pace', () => {
    // Half the jobs in 0.1 ms: one thread would have taken 0.2 ms.
    expect(sharingPaid(4, 2, 0.1, 0.11)).toBe(true);
    expect(sharingPaid(4, 2, 0.1, 0.19)).toBe(false);
    // A helper that lost its core while holding a job: the caller ran 3 and then waited.
    expect(sharingPaid(4, 3, 0.15, 1.9)).toBe(false);
    // The caller ran them all and still waited for the helper to check in.
    expect(sharingPaid(4, 4, 0.2, 0.21)).toBe(false);
    expect(sharingPaid(4, 0, 0, 0.2)).toBe(true);
  });
});

describe('the sharing policy', () => {
  it(`stops sharing after ${STRIKES} runs in a row that did not pay, for a while that doubles while retries fail`, () => {
    const p = new SharingPolicy();
    let now = 0;
    const fail = (times: number) => {
      for (let i = 0; i < times; i++) p.record(false, now);
    };
    expect(p.allows(now)).toBe(true);
    fail(STRIKES - 1);
    p.record(true, now); // a run that paid clears the strikes
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
    // Sharing that pays again starts the waits over.
    now += MAX_SOLO_MS;
    p.record(true, now);
    fail(STRIKES);
    expect(p.allows(now + SOLO_MS)).toBe(true);
    // setGemmThreads starts it over (reset): shared at once.
    fail(STRIKES);
    expect(p.allows(now)).toBe(false);
    p.reset();
    expect(p.allows(now)).toBe(true);
  });
});
