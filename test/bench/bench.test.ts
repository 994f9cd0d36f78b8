// The benchmark, run in-process on tiny sizes (--quick --json). No wall-clock limits are asserted:
// only the report's structure, and that every Jacobian agrees between forward and reverse mode.
import { describe, expect, inject, it } from 'vitest';
import { agreement, measure, median } from '../../src/bench/measure.ts';
import { planFromArgs, runBench, UsageError } from '../../src/bench/main.ts';
import type { BenchReport, JacobianRow } from '../../src/bench/report.ts';
import { alignedTable, num } from '../../src/bench/table.ts';

/** Runs the benchmark with captured output. */
async function bench(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const { code } = await runBench(argv, { stdout: { write: (t: string) => (stdout += t) }, stderr: { write: (t: string) => (stderr += t) } });
  return { code, stdout, stderr };
}

const isNumberOrNull = (x: unknown) => x === null || typeof x === 'number';

describe('npm run bench -- --quick --json', () => {
  it('prints one report object whose Jacobians agree between modes on every backend', async () => {
    const { code, stdout, stderr } = await bench(['--quick', '--json']);
    expect(stderr).toContain('jacobian square');
    expect(stdout.trim().split('\n')).toHaveLength(1);
    const report = JSON.parse(stdout) as BenchReport;
    expect(code, stdout).toBe(0);

    expect(report.machine.cpus).toBeGreaterThan(0);
    expect(report.machine.node).toMatch(/^v\d+/);
    expect(report.options).toMatchObject({ preset: 'quick', widths: [8, 16], backends: ['cpu', 'webgpu'] });
    expect(report.adapter).not.toBeNull();
    if (inject('requireWebgpu')) expect(report.adapter).toMatchObject({ available: true });
    const backends = report.adapter?.available ? ['cpu', 'webgpu'] : ['cpu'];

    for (const kind of ['gemm', 'ad-cost', 'jacobian']) {
      for (const backend of backends) expect(report.rows.some((r) => r.kind === kind && r.backend === backend), `${kind} on ${backend}`).toBe(true);
    }
    for (const row of report.rows) {
      expect(row.error, row.id).toBeUndefined();
      expect(row.runs).toBeGreaterThanOrEqual(1);
      expect(['f64', 'f32']).toContain(row.dtype);
      switch (row.kind) {
        case 'gemm':
          expect(row.ms).toBeGreaterThan(0);
          expect(row.gflops).toBeGreaterThan(0);
          expect(row.spotError).toBeLessThan(1e-4);
          expect(isNumberOrNull(row.kernelMs)).toBe(true);
          break;
        case 'ad-cost':
          expect(row.jvpOverPrimal).toBeCloseTo(row.jvpMs! / (row.k * row.primalMs!), 10);
          expect(row.vjpOverPrimal).toBeGreaterThan(0);
          expect(row.model.vjpOverPrimal).toBeGreaterThan(0);
          break;
        case 'jacobian':
          expect(row.fwdOverRev).toBeCloseTo(row.fwdMs! / row.revMs!, 10);
          expect(['fwd', 'rev']).toContain(row.modelPick);
          break;
      }
      if (report.adapter?.available && row.kind !== 'ad-cost') {
        expect(['cpu', 'webgpu']).toContain(row.auto?.backend);
        expect(row.auto?.reason).toMatch(/predicted faster|fallback/);
      }
    }

    const jacobians = report.rows.filter((r): r is JacobianRow => r.kind === 'jacobian');
    expect(new Set(jacobians.map((r) => r.case))).toEqual(new Set(['square', 'tall', 'loss']));
    for (const row of jacobians) {
      expect(row.agreement?.ok, row.id).toBe(true);
      expect(row.agreement!.maxAbsDiff).toBeLessThanOrEqual(row.agreement!.tolerance);
      if (row.backend === 'webgpu') expect(row.vsCpu?.ok, `${row.id} against the CPU`).toBe(true);
    }
    // The FLOP model sees the crossover: forward for few inputs, reverse for one scalar output.
    expect(jacobians.find((r) => r.case === 'tall')?.modelPick).toBe('fwd');
    expect(jacobians.find((r) => r.case === 'loss')?.modelPick).toBe('rev');
  });

  it('prints readable tables without --json', async () => {
    const { code, stdout } = await bench(['--quick', '--backends', 'cpu', '--only', 'jacobian']);
    expect(code).toBe(0);
    expect(stdout).toContain('Full Jacobian');
    expect(stdout).toMatch(/square\s+16\s+16\s+cpu/);
    expect(stdout).not.toContain('GEMM');
  });

  it('rejects a malformed command line with exit code 2', async () => {
    expect((await bench(['--widths', 'ten'])).code).toBe(2);
    expect((await bench(['--bogus'])).code).toBe(2);
    expect(() => planFromArgs(['--backends', 'tpu'])).toThrow(UsageError);
  });
});

describe('bench options', () => {
  it('defaults to widths up to 1024 and --full to 4096, with the n ≠ m cases at most 1024 wide', () => {
    const plan = planFromArgs([]);
    const full = planFromArgs(['--full']);
    if (plan === 'help' || full === 'help') throw new Error('unexpected help');
    expect(plan.widths).toEqual([16, 64, 256, 1024]);
    expect(full.widths).toEqual([16, 64, 256, 1024, 4096]);
    expect(full.cases.filter((c) => c.name !== 'square').map((c) => c.h)).toEqual([1024, 1024]);
    const chosen = planFromArgs(['--widths', '64,16', '--repeats', '2']);
    if (chosen === 'help') throw new Error('unexpected help');
    expect(chosen.widths).toEqual([16, 64]);
    expect(chosen.adWidths).toEqual([16, 64]);
    expect(chosen.policy.repeats).toBe(2);
  });
});

describe('bench helpers', () => {
  it('median, agreement and number formatting', async () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    expect(agreement(Float64Array.of(1, 2), Float64Array.of(1, 2 + 1e-12), 1e-9).ok).toBe(true);
    expect(agreement(Float64Array.of(1, 2), Float64Array.of(2, 1), 1e-4).ok).toBe(false);
    expect(agreement(Float64Array.of(NaN), Float64Array.of(NaN), 1e-4).ok).toBe(false);
    expect(num(1234.5)).toBe('1235');
    expect(num(0.012345)).toBe('0.0123');
    expect(num(null)).toBe('—');
    let calls = 0;
    const t = await measure(async () => ++calls, { repeats: 3, minMs: 0, budgetMs: 1e9, coldOnlyMs: 1e9 });
    expect(t.result).toBe(1);
    expect(t.runs).toBe(3);
    expect(calls).toBe(4);
  });

  it('warms a fast call up before timing it, and times from the call after', async () => {
    let calls = 0;
    const stamps: number[] = [];
    const t = await measure(async () => {
      stamps.push(performance.now());
      await new Promise((resolve) => setTimeout(resolve, 1));
      return ++calls;
    }, { repeats: 3, minMs: 0, budgetMs: 1e9, coldOnlyMs: 1e9, warmUpMs: 20 });
    expect(t.runs).toBe(3);
    // The cold call, untimed calls spanning the warm-up, then exactly the three timed ones.
    expect(calls).toBeGreaterThan(5);
    // The first timed call starts once the warm-up has lasted its 20 ms (which began after the cold call).
    expect(stamps[calls - 3] - stamps[0]).toBeGreaterThanOrEqual(20);
    expect(t.timed).toEqual([calls - 2, calls - 1, calls]);
  });

  it('aligns columns', () => {
    const text = alignedTable(['a', 'bb'], [['xyz', '1'], ['w', '22']], 'lr');
    expect(text.split('\n')).toEqual(['a    bb', '---  --', 'xyz   1', 'w    22']);
  });
});
