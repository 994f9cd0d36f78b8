import { expect } from 'vitest';

export interface Tolerance {
  /** Relative tolerance, against |expected|. */
  readonly rtol?: number;
  /** Absolute tolerance. */
  readonly atol?: number;
}

/** Largest violation of |a - e| ≤ atol + rtol·|e| over the elements, as a ratio (≤ 1 passes). */
export function allcloseRatio(actual: ArrayLike<number>, expected: ArrayLike<number>, { rtol = 1e-7, atol = 1e-9 }: Tolerance = {}): { ratio: number; index: number } {
  let ratio = 0;
  let index = -1;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    const same = a === e || (Number.isNaN(e) && Number.isNaN(a));
    // A NaN ratio (NaN vs a number, ∞ vs finite, −∞ vs +∞) is a mismatch that no later element may hide.
    const r = same ? 0 : Math.abs(a - e) / (atol + rtol * Math.abs(e)) || Infinity;
    if (!(r <= ratio)) [ratio, index] = [r, i];
  }
  return { ratio, index };
}

/** The one shared closeness assertion: same length, every element within atol + rtol·|expected|. */
export function expectAllclose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: Tolerance = {}, label = ''): void {
  expect(actual.length, `${label} length`).toBe(expected.length);
  const { ratio, index } = allcloseRatio(actual, expected, tol);
  if (!(ratio <= 1)) {
    expect.fail(`${label} element ${index}: got ${actual[index]}, expected ${expected[index]} (rtol ${tol.rtol ?? 1e-7}, atol ${tol.atol ?? 1e-9}; ${ratio.toFixed(1)}× over)`);
  }
}
