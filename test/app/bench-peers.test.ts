// The peer section's numbers without a browser: chart categories and series (times of every
// column, ratios of every peer column) and the CSV, from hand-made rows.
import { describe, expect, it } from 'vitest';
import type { PeerRow } from '../../src/bench/peers/report.ts';
import { plannedSystems, peersPlan } from '../../src/app/engine/peers-task.ts';
import { lineLabel, peerChartData, peerLines, peersCsv } from '../../src/app/views/bench-peers-data.ts';
import { seriesName } from '../../src/app/views/bench-peers-charts.ts';
import { SIDE_COLUMNS } from '../../src/bench/peers/summary.ts';

const row = (over: Partial<PeerRow>): PeerRow => ({
  system: 'gradient-lab', device: 'webgpu', fn: 'layer', task: 'vjp', n: 8, m: 8, k: 4,
  formulation: 'vjp', manual: false, ms: 2, runs: 3, maxAbsDiff: 1e-7, scale: 1, note: null, ...over,
});

const rows: PeerRow[] = [
  row({ roundMs: [2.5, 2] }),
  row({ system: 'jax-js', formulation: 'jit(vmap(vjp))', ms: 4 }),
  row({ system: 'jax-js', formulation: 'jit(hand-written VJP)', manual: true, ms: 1 }),
  row({ system: 'tfjs', formulation: 'tf.grad, "dy = U"', ms: null, maxAbsDiff: 0.5, note: 'wrong answer (max |Δ| 5e-1 > tolerance 1e-4)' }),
  row({ task: 'jvp', ms: 3 }),
  row({ task: 'jvp', system: 'tfjs', formulation: null, ms: null, maxAbsDiff: null, scale: null, note: 'not supported: TF.js has no forward mode (no JVP)' }),
  row({ device: 'cpu', task: 'gemm', fn: 'gemm', ms: 0.5 }),
];

describe('peer chart data', () => {
  it('labels each line and gives every present column a time and every peer a ratio to ours', () => {
    const lines = peerLines(rows, 'webgpu', 'all');
    expect(lines.map(lineLabel)).toEqual(['jvp layer w=8 k=4', 'vjp layer w=8 k=4']);
    expect(lineLabel({ task: 'gemm', fn: 'gemm', n: 64, k: 64 })).toBe('gemm w=64');
    const data = peerChartData(lines, 'webgpu');
    expect(data.times.map((s) => [s.column.system, s.column.manual, s.values])).toEqual([
      ['gradient-lab', false, [3, 2]],
      ['jax-js', false, [null, 4]],
      ['jax-js', true, [null, 1]],
      ['tfjs', false, [null, null]],
    ]);
    expect(data.ratios.map((s) => s.values)).toEqual([[null, 2], [null, 0.5], [null, null]]);
    expect(data.times[3].details).toEqual([
      { formulation: null, maxAbsDiff: null, note: 'not supported: TF.js has no forward mode (no JVP)' },
      { formulation: null, maxAbsDiff: 0.5, note: 'tf.grad, "dy = U": wrong answer (max |Δ| 5e-1 > tolerance 1e-4)' },
    ]);
    expect(peerLines(rows, 'webgpu', 'vjp')).toHaveLength(1);
    expect(peerChartData(peerLines(rows, 'cpu', 'all'), 'cpu').times.map((s) => s.column.system)).toEqual(['gradient-lab']);
  });
});

describe('peersCsv', () => {
  it('writes one line per row with its time over ours on its side, quoting fields that need it', () => {
    const [header, ...lines] = peersCsv(rows).trim().split('\n');
    expect(header).toBe('side,system,device,task,fn,n,m,k,formulation,manual,ms,runs,max_abs_diff,scale,over_ours,note,round_ms');
    expect(lines).toHaveLength(rows.length);
    expect(lines[0]).toBe('webgpu,gradient-lab,webgpu,vjp,layer,8,8,4,vjp,false,2,3,1e-7,1,1,,2.5 2');
    expect(lines[1]).toMatch(/^webgpu,jax-js,webgpu,vjp,layer,8,8,4,jit\(vmap\(vjp\)\),false,4,3,1e-7,1,2,,$/);
    expect(lines[3]).toBe('webgpu,tfjs,webgpu,vjp,layer,8,8,4,"tf.grad, ""dy = U""",false,,3,0.5,1,,wrong answer (max |Δ| 5e-1 > tolerance 1e-4),');
    expect(lines[6]).toMatch(/^cpu,gradient-lab,cpu,gemm,gemm,/);
  });
});

describe('the peers charts', () => {
  it('name every column of a side differently, so that each series has its own legend entry', () => {
    for (const { columns } of Object.values(SIDE_COLUMNS)) {
      const names = columns.map(seriesName);
      expect(new Set(names).size, names.join(', ')).toBe(columns.length);
    }
    expect(SIDE_COLUMNS.cpu.columns.map(seriesName)).toEqual(['ours', 'jax-js', 'jax-js, by hand', 'TF.js', 'TF.js, JavaScript']);
  });
});

describe('the peers plan', () => {
  it('runs ours first on each side, then each peer on its devices (TF.js on wasm and cpu on the CPU side), for every task', () => {
    const spec = { widths: [8], tasks: ['vjp', 'gemm'] as const, sides: ['cpu', 'webgpu'] as const, peers: ['jax-js', 'tfjs'] as const, repeats: 1, rounds: 1 };
    expect(plannedSystems(spec).map((s) => `${s.system} ${s.device}`)).toEqual([
      'gradient-lab cpu', 'jax-js wasm', 'tfjs wasm', 'tfjs cpu', 'gradient-lab webgpu', 'jax-js webgpu', 'tfjs webgpu',
    ]);
    const plan = peersPlan({ ...spec, tasks: [...spec.tasks], sides: [...spec.sides], peers: [...spec.peers] });
    // vjp: layer and mlp at k = 1 and 8; gemm once: 5 tasks × 7 systems.
    expect(plan).toHaveLength(35);
    expect(plan.every((u) => u.work > 0 && u.backend === (u.device === 'webgpu' ? 'webgpu' : 'cpu'))).toBe(true);
  });
});
