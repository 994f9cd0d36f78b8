// Which read-back buffers a WebGPU run keeps for the next one (no device needed): a 4096 × 4096 f32
// result with its other outputs fits, twice; bigger ones, and more than four of a size, are made anew.
import { describe, expect, it } from 'vitest';
import { keepsReadback } from '../../src/backend/webgpu/runtime.ts';

const MiB = 2 ** 20;

describe('the read-back pool', () => {
  it('keeps a 4096-wide Jacobian\'s read-back (64 MiB and its primal output) for the next run, and a second beside it', () => {
    const jacobian = 64 * MiB + 16 * 1024;
    expect(keepsReadback(jacobian, 0, 0)).toBe(true);
    expect(keepsReadback(jacobian, 1, jacobian)).toBe(true);
    expect(keepsReadback(jacobian, 2, 2 * jacobian)).toBe(false);
  });

  it('makes buffers over 80 MiB for one run, and keeps at most four of a size', () => {
    expect(keepsReadback(80 * MiB, 0, 0)).toBe(true);
    expect(keepsReadback(80 * MiB + 256, 0, 0)).toBe(false);
    expect(keepsReadback(256, 3, 3 * 256)).toBe(true);
    expect(keepsReadback(256, 4, 4 * 256)).toBe(false);
  });
});
