// The Benchmark tab's pure parts: the grid, medians, CSV, the remaining-time estimate, the FLOP model's
// scaling and the crossover data; and a tiny sweep run in-process (the same code the worker runs).
import { describe, expect, it } from 'vitest';
import { BENCH_FAMILIES, benchGrid, median, powersOfTwo, runBench, sizesFor, type BenchPoint, type BenchProgress, type BenchSpec, type PlannedPoint } from '../../src/app/engine/bench-task.ts';
import {
  crossoverContour, divergingColor, divergingPosition, estimateRemainingMs, fitTime, heatCells, modelScale, parseColor, slicePoints, slicesFor, timeLeft, toCsv, type Segment,
} from '../../src/app/views/bench-data.ts';

/** A measured point with defaults for everything a test does not care about. */
function point(over: Partial<BenchPoint>): BenchPoint {
  return {
    backend: 'cpu', dtype: 'f64', n: 4, m: 4, cols: 4, rows: 4,
    fwdFlops: 100, revFlops: 100, primalFlops: 10, jvpFlops: 30, vjpFlops: 30,
    fwdMs: 1, revMs: 1, primalMs: 0.1, jvpMs: 0.3, vjpMs: 0.3, fwdPasses: 1, revPasses: 1, runs: 3, elapsedMs: 5,
    ...over,
  };
}

describe('the sweep grid', () => {
  it('takes powers of two between the bounds, in either order, clamped to 1…4096', () => {
    expect(powersOfTwo(4, 64)).toEqual([4, 8, 16, 32, 64]);
    expect(powersOfTwo(64, 4)).toEqual([4, 8, 16, 32, 64]);
    expect(powersOfTwo(0, 1e6)).toHaveLength(13);
    expect(powersOfTwo(1, 1e6).at(-1)).toBe(4096);
    expect(powersOfTwo(5, 5)).toEqual([4]);
  });

  it('orders cells as growing squares, so a cancelled sweep covers a complete smaller grid', () => {
    const cells = benchGrid([4, 8, 16], [4, 8]);
    expect(cells).toHaveLength(6);
    expect(cells.slice(0, 4).map((c) => [c.n, c.m])).toEqual([[4, 4], [4, 8], [8, 4], [8, 8]]);
    expect(cells.slice(4).every((c) => c.n === 16)).toBe(true);
    expect(benchGrid([2, 1], null)).toEqual([{ n: 1, m: null }, { n: 2, m: null }]);
  });

  it('binds the swept sizes and ties the others to them', () => {
    const mlp = BENCH_FAMILIES.find((f) => f.id === 'mlp')!;
    expect(sizesFor(mlp, { n: 8, m: 2 })).toEqual({ n: 8, h: 8, m: 2 });
    expect(sizesFor({ nSize: 'k', mSize: null, others: { m: 3 } }, { n: 16, m: null })).toEqual({ k: 16, m: 3 });
  });

  it('takes the median of odd and even counts', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
  });
});

describe('CSV export', () => {
  it('writes a header and one row of plain numbers per point; missing values are empty', () => {
    const csv = toCsv([point({ n: 8, m: 4, fwdMs: 2, revMs: 0.5 }), point({ backend: 'webgpu', dtype: 'f32', m: null, revMs: null })]);
    const [header, first, second, end] = csv.split('\n');
    expect(end).toBe('');
    const columns = header.split(',');
    expect(columns.slice(0, 8)).toEqual(['backend', 'dtype', 'n', 'm', 'jacobian_cols', 'jacobian_rows', 'fwd_ms', 'rev_ms']);
    const row = Object.fromEntries(first.split(',').map((v, i) => [columns[i], v]));
    expect(row).toMatchObject({ backend: 'cpu', n: '8', m: '4', fwd_ms: '2', rev_ms: '0.5', fwd_over_rev: '4', jvp_over_primal: '3' });
    for (const [name, v] of Object.entries(row)) if (name !== 'backend' && name !== 'dtype') expect(Number.isFinite(Number(v)), name).toBe(true);
    const row2 = Object.fromEntries(second.split(',').map((v, i) => [columns[i], v]));
    expect(row2).toMatchObject({ backend: 'webgpu', m: '', rev_ms: '', fwd_over_rev: '' });
  });
});

describe('remaining time', () => {
  const planned = (work: number, backend: 'cpu' | 'webgpu' = 'cpu'): PlannedPoint => ({ n: 1, m: 1, backend, work });

  it('fits a fixed cost plus a cost per FLOP', () => {
    const fit = fitTime([{ work: 1e6, ms: 3 }, { work: 2e6, ms: 5 }, { work: 4e6, ms: 9 }])!;
    expect(fit.fixedMs).toBeCloseTo(1);
    expect(fit.msPerFlop).toBeCloseTo(2e-6);
    expect(fitTime([])).toBeNull();
    // A negative intercept is not a cost: fall back to time proportional to work.
    expect(fitTime([{ work: 1, ms: 1 }, { work: 10, ms: 30 }])).toEqual({ fixedMs: 0, msPerFlop: 31 / 11 });
  });

  it('extrapolates the remaining points by their FLOP model at the measured rate of their backend', () => {
    const done = [{ ...planned(1e6), ms: 3 }, { ...planned(2e6), ms: 5 }, { ...planned(1e6, 'webgpu'), ms: 30 }];
    expect(estimateRemainingMs(done, [planned(8e6)])).toBeCloseTo(17);
    expect(estimateRemainingMs(done, [planned(2e6, 'webgpu')])).toBeCloseTo(60);
    expect(estimateRemainingMs([], [planned(1)])).toBeNull();
    expect(estimateRemainingMs(done, [])).toBe(0);
  });

  it('says how long is left as a phrase that reads whole at every scale', () => {
    expect(timeLeft(400)).toBe('under a second left');
    expect(timeLeft(12_300)).toBe('about 12 s left');
    expect(timeLeft(180_000)).toBe('about 3 min left');
    expect(timeLeft(2.5 * 3600_000)).toBe('about 2.5 h left');
  });
});

describe('the FLOP model, scaled to measured time', () => {
  it('is the geometric mean of ms per FLOP, so a model off by a constant factor fits exactly', () => {
    expect(modelScale([{ flops: 1e6, ms: 2 }, { flops: 1e8, ms: 200 }])).toBeCloseTo(2e-6);
    expect(modelScale([{ flops: 1e6, ms: 1 }, { flops: 1e6, ms: 4 }])).toBeCloseTo(2e-6);
    expect(modelScale([{ flops: 1e6, ms: null }, { flops: 0, ms: 3 }])).toBeNull();
  });
});

describe('chart data', () => {
  const rounded = (segments: Segment[]) => segments.map((s) => s.map((p) => p.map((v) => Math.round(v * 1e6) / 1e6 + 0)));
  const grid = [4, 8].flatMap((n) => [4, 8].map((m) => point({ n, m, fwdMs: n, revMs: m, fwdFlops: n * 10, revFlops: m * 10 })));

  it('slices the grid for the width charts', () => {
    expect(slicesFor([4, 8], [4, 8]).map((s) => s.kind)).toEqual(['diagonal', 'vary-n', 'vary-n', 'vary-m', 'vary-m']);
    expect(slicesFor([4, 8], null)).toEqual([{ kind: 'vary-n', m: null }]);
    expect(slicePoints(grid, { kind: 'diagonal' }, 'cpu').map((p) => p.x)).toEqual([4, 8]);
    expect(slicePoints(grid, { kind: 'vary-m', n: 8 }, 'cpu').map((p) => [p.x, p.point.n])).toEqual([[4, 8], [8, 8]]);
    expect(slicePoints(grid, { kind: 'vary-n', m: 4 }, 'webgpu')).toEqual([]);
  });

  it('finds the crossover between forward-faster and reverse-faster cells', () => {
    const cells = heatCells(grid, 'cpu');
    expect(cells.map((c) => c.ratio)).toEqual([1, 0.5, 2, 1]);
    expect(heatCells(grid, 'model').map((c) => c.ratio)).toEqual([1, 0.5, 2, 1]);
    // Ratio = n / m: the ties on the diagonal put the contour through their centres.
    expect(rounded(crossoverContour(cells, [4, 8], [4, 8]))).toEqual([[[1, 1], [0, 0]]]);
    // Forward faster on the left column, reverse on the right: a vertical line between, where log ratio crosses 0.
    const split = heatCells([4, 8].flatMap((n) => [4, 8].map((m) => point({ n, m, fwdMs: n === 4 ? 1 : 4, revMs: 2 }))), 'cpu');
    expect(crossoverContour(split, [4, 8], [4, 8])).toEqual([[[0.5, 0], [0.5, 1]]]);
    // An unmeasured corner leaves its square out; a one-row grid gets a bar across each crossing.
    expect(crossoverContour(split.slice(0, 3), [4, 8], [4, 8])).toEqual([]);
    const row = heatCells([point({ n: 4, m: 4, fwdMs: 1, revMs: 2 }), point({ n: 8, m: 4, fwdMs: 4, revMs: 2 })], 'cpu');
    expect(crossoverContour(row, [4, 8], [4])).toEqual([[[0.5, -0.5], [0.5, 0.5]]]);
  });

  it('colours ratios on a diverging scale centred on 1', () => {
    expect(divergingPosition(1)).toBe(0);
    expect(divergingPosition(1 / 16)).toBe(-1);
    expect(divergingPosition(1e6)).toBe(1);
    expect(parseColor('#1f8a5b')).toEqual([31, 138, 91]);
    expect(parseColor('#fff')).toEqual([255, 255, 255]);
    expect(divergingColor(0, '#000000', '#ffffff', '#ff0000')).toBe('rgb(255, 255, 255)');
    expect(divergingColor(-1, '#000000', '#ffffff', '#ff0000')).toBe('rgb(0, 0, 0)');
    expect(divergingColor(0.5, '#000000', '#ffffff', '#ff0000')).toBe('rgb(255, 128, 128)');
  });
});

describe('a tiny sweep, in-process', () => {
  const layer = BENCH_FAMILIES.find((f) => f.id === 'layer')!;
  const spec: BenchSpec = { ...layer, label: 'layer', ns: [4, 8], ms: [4, 8], backends: ['cpu'], runs: 1, seed: 0 };

  it('sends its plan, then one point per cell with both modes measured and modelled', async () => {
    const messages: BenchProgress[] = [];
    const points = await runBench(spec, { report: (p) => messages.push(p) });
    expect(messages[0]).toMatchObject({ kind: 'bench-plan' });
    expect(messages.slice(1).map((m) => m.kind)).toEqual(['bench-point', 'bench-point', 'bench-point', 'bench-point']);
    expect(points).toHaveLength(4);
    for (const p of points) {
      expect(p.error).toBeUndefined();
      expect(p.cols).toBe(p.n);
      expect(p.rows).toBe(p.m);
      for (const ms of [p.fwdMs, p.revMs, p.primalMs, p.jvpMs, p.vjpMs]) expect(ms).toBeGreaterThan(0);
      expect(p.fwdFlops).toBeGreaterThan(p.primalFlops);
    }
    // Forward needs n seeds and reverse m: the model favours the smaller side.
    const tall = points.find((p) => p.n === 4 && p.m === 8)!;
    expect(tall.fwdFlops).toBeLessThan(tall.revFlops);
  });

  it('stops between points when aborted', async () => {
    const controller = new AbortController();
    const seen: BenchPoint[] = [];
    const run = runBench(spec, { signal: controller.signal, report: (p) => { if (p.kind === 'bench-point') { seen.push(p.point); controller.abort(); } } });
    await expect(run).rejects.toThrow();
    expect(seen).toHaveLength(1);
  });

  it('reports a point that cannot run instead of failing the sweep', async () => {
    const points = await runBench({ ...spec, ns: [4], ms: [4], wrt: 'nope' });
    expect(points[0].error).toMatch(/no input named 'nope'/);
  });
});
