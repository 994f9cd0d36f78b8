// How a WebGPU run reads back: which read-back buffers it keeps for the next one (a 4096 × 4096 f32 result
// with its other outputs fits, twice; bigger ones, and more than four of a size, are made anew), and
// that in Node the map request goes with the error scopes (a browser's waits for them: Gpu.browser).
import { describe, expect, it } from 'vitest';
import { keepsReadback } from '../../src/backend/webgpu/runtime.ts';
import { getTestRuntime } from '../support/gpu-runtime.ts';

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

const rt = await getTestRuntime();

describe.skipIf(rt === null)('the read-back request', () => {
  it('goes out with the error scopes in Node, whose Dawn has no GPU process to poll', () => {
    expect(rt!.gpu.browser).toBe(false);
  });
});
