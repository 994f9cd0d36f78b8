// The peer comparison (`npm run bench -- --peers`), run in-process at width 8 on one task (the
// batched VJP, which every system supports). Checks the JSON's structure, and that every answer
// either agrees with Gradient Lab's f64 reference or carries a note that says why not. A peer that
// cannot load here (missing package, no adapter) must say so in its rows; the test prints that
// reason instead of failing, since it is outside this project's control.
import { describe, expect, inject, it } from 'vitest';
import { runBench } from '../../src/bench/main.ts';
import type { PeersReport } from '../../src/bench/peers/report.ts';
import { peersPlanFromArgs, PeersUsageError } from '../../src/bench/peers/run.ts';
import { formatPeersReport } from '../../src/bench/peers/table.ts';
import { peerTasks } from '../../src/bench/peers/tasks.ts';

async function bench(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const { code } = await runBench(argv, { stdout: { write: (t: string) => (stdout += t) }, stderr: { write: (t: string) => (stderr += t) } });
  return { code, stdout, stderr };
}

const ROW_KEYS = ['system', 'device', 'fn', 'task', 'n', 'm', 'k', 'formulation', 'manual', 'ms', 'runs', 'maxAbsDiff', 'scale', 'note', 'roundMs'];
const SYSTEMS = [['gradient-lab', 'cpu'], ['gradient-lab', 'webgpu'], ['jax-js', 'wasm'], ['jax-js', 'webgpu'], ['tfjs', 'wasm'], ['tfjs', 'cpu'], ['tfjs', 'webgpu']];
/** Notes that explain a missing time for a reason outside our control. */
const EXPLAINED = /could not load|unavailable|found no|could not initialise|backend failed|not supported/;

describe('npm run bench -- --peers --quick --tasks vjp --json', () => {
  it('reports every system, and each answer agrees with ours or says why not', async () => {
    const { code, stdout, stderr } = await bench(['--peers', '--quick', '--tasks', 'vjp', '--json']);
    expect(code, stderr).toBe(0);
    expect(stdout.trim().split('\n'), 'stdout is one JSON line (peers print to stderr)').toHaveLength(1);
    const report = JSON.parse(stdout) as PeersReport;

    expect(typeof report.adapter).toBe('string');
    if (inject('requireWebgpu')) expect(report.adapter).not.toMatch(/^unavailable/);
    expect(report.options).toMatchObject({ widths: [8], tasks: ['vjp'], preset: 'quick', rounds: 1 });
    expect(report.tolerance).toBeGreaterThan(0);
    expect(Object.keys(report.versions)).toContain('@jax-js/jax');

    for (const row of report.rows) {
      expect(Object.keys(row).sort()).toEqual([...ROW_KEYS].sort());
      expect(row).toMatchObject({ task: 'vjp', n: 8 });
      expect(['layer', 'mlp']).toContain(row.fn);
      expect([1, 4]).toContain(row.k);
      if (row.ms !== null) {
        expect(row.ms).toBeGreaterThan(0);
        expect(row.roundMs, 'one round with --quick').toEqual([row.ms]);
        expect(row.runs).toBeGreaterThanOrEqual(1);
        expect(row.maxAbsDiff, `${row.system} ${row.device} ${row.formulation}`).toBeLessThanOrEqual(report.tolerance * row.scale!);
      } else {
        expect(row.note, `${row.system} ${row.device} ${row.fn} k=${row.k}: no time and no note`).toEqual(expect.any(String));
      }
    }

    for (const [system, device] of SYSTEMS) {
      const rows = report.rows.filter((r) => r.system === system && r.device === device);
      expect(rows.length, `${system} on ${device} has rows`).toBeGreaterThan(0);
      const untimed = rows.filter((r) => r.ms === null);
      if (system === 'gradient-lab' && device === 'cpu') expect(untimed, 'our CPU rows are all timed').toEqual([]);
      for (const row of untimed) {
        // Only a reason outside our control may leave a peer untimed; say which, and why.
        expect(row.note, `${system} on ${device}`).toMatch(EXPLAINED);
        console.warn(`peers test: ${system} on ${device} was not measured: ${row.note}`);
      }
    }
    // Every system supports the VJP: with WebGPU required (CI), all of them must have run.
    if (inject('requireWebgpu')) {
      for (const [system, device] of SYSTEMS) expect(report.rows.some((r) => r.system === system && r.device === device && r.ms !== null), `${system} on ${device}`).toBe(true);
    }

    const text = formatPeersReport(report);
    expect(text).toContain('CPU: Gradient Lab');
    expect(text).toMatch(/vjp\s+layer\s+8\s+1/);
  });
});

describe('--peers options', () => {
  it('defaults to widths 64 and 256, every task, and rejects unknown names', async () => {
    const plan = peersPlanFromArgs([]);
    if (plan === 'help') throw new Error('unexpected help');
    expect(plan.widths).toEqual([64, 256]);
    expect(plan.tasks).toEqual(['primal', 'jvp', 'vjp', 'jacfwd', 'jacrev', 'hvp', 'gemm']);
    const full = peersPlanFromArgs(['--full']);
    expect(full !== 'help' && full.widths).toEqual([64, 256, 1024, 4096]);
    expect(() => peersPlanFromArgs(['--tasks', 'jvp,hessian'])).toThrow(PeersUsageError);
    expect(plan.rounds).toBe(3);
    expect(peersPlanFromArgs(['--quick'])).toMatchObject({ rounds: 1 });
    expect(peersPlanFromArgs(['--rounds', '5'])).toMatchObject({ rounds: 5 });
    expect(() => peersPlanFromArgs(['--rounds', '0'])).toThrow(PeersUsageError);
    expect((await bench(['--peers', '--widths', 'x'])).code).toBe(2);
    expect((await bench(['--peers', '--ks', '1,0'])).code).toBe(2);
    expect((await bench(['--peers', '--help'])).stdout).toContain('--ks');
    expect((await bench(['--peers', '--help'])).stdout).toContain('--formulations');
  });

  it('--ks keeps the JVP and VJP rows with those direction counts, and every Jacobian; --formulations names the peers\' to time', () => {
    expect(peersPlanFromArgs([])).toMatchObject({ ks: null, formulations: null });
    expect(peersPlanFromArgs(['--formulations', 'closed-form, jacfwd'])).toMatchObject({ formulations: ['closed-form', 'jacfwd'] });
    const plan = peersPlanFromArgs(['--widths', '256', '--ks', '1,64', '--tasks', 'jvp,vjp,jacfwd']);
    if (plan === 'help') throw new Error('unexpected help');
    expect(plan.ks).toEqual([1, 64]);
    const rows = peerTasks(plan.widths, plan.tasks, false, plan.ks!).map((t) => `${t.task} ${t.fn} ${t.k}`);
    expect(rows).toEqual(['jvp layer 1', 'jvp layer 64', 'jvp mlp 1', 'jvp mlp 64', 'vjp layer 1', 'vjp layer 64', 'vjp mlp 1', 'vjp mlp 64', 'jacfwd layer 256', 'jacfwd mlp 256']);
    expect(peerTasks([256], ['jvp'], false).map((t) => t.k)).toEqual([1, 64, 256, 1, 64, 256]);
  });
});
