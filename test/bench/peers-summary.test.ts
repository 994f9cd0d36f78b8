// The peer comparison's shared pieces without any peer loaded: answer checking (including the
// transposed-Jacobian diagnosis) and the arrangement of rows into lines, cells and ratios.
import { describe, expect, it } from 'vitest';
import { checkAnswer, measureTask, RELATIVE_TOLERANCE } from '../../src/bench/peers/compare.ts';
import { oursOn, referenceAnswer } from '../../src/bench/peers/ours.ts';
import type { PeerRow } from '../../src/bench/peers/report.ts';
import { barChecks, describeCheck } from '../../src/bench/peers/bar.ts';
import { cellMs, SIDE_COLUMNS, sideLines } from '../../src/bench/peers/summary.ts';
import { peerDevices, sideOf, unavailableSystem, type PeerSystem } from '../../src/bench/peers/system.ts';
import { peerTasks, taskInputs } from '../../src/bench/peers/tasks.ts';

const row = (over: Partial<PeerRow>): PeerRow => ({
  system: 'gradient-lab', device: 'cpu', fn: 'layer', task: 'vjp', n: 8, m: 8, k: 1,
  formulation: 'f', manual: false, ms: 1, runs: 3, maxAbsDiff: 0, scale: 1, note: null, ...over,
});

describe('checkAnswer', () => {
  const [jac] = peerTasks([4], ['jacrev'], true);
  it('accepts the reference, names a transposed Jacobian, and counts values', async () => {
    const reference = await referenceAnswer(jac, taskInputs(jac));
    expect(checkAnswer(jac, reference, reference).problem).toBeNull();
    const transposed = new Float64Array(16);
    for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) transposed[j * 4 + i] = reference[i * 4 + j];
    expect(checkAnswer(jac, transposed, reference).problem).toMatch(/^wrong answer: it is Jᵀ/);
    expect(checkAnswer(jac, new Float64Array(3), reference).problem).toBe('wrong answer: 3 values, expected 16');
    const nudged = Float64Array.from(reference, (x, i) => (i === 0 ? x + 10 * RELATIVE_TOLERANCE : x));
    expect(checkAnswer(jac, nudged, reference).problem).toMatch(/^wrong answer \(max \|Δ\|/);
  });
});

describe('measureTask', () => {
  it('times ours, reports each system as it finishes, and gives an unloadable system a row that says why', async () => {
    const [t] = peerTasks([4], ['gemm'], true);
    const heard: string[] = [];
    const rows = await measureTask(t, [oursOn('cpu'), unavailableSystem('tfjs', 'wasm', 'could not load TensorFlow.js: test')], {
      policy: { repeats: 1, minMs: 0, budgetMs: 100, coldOnlyMs: 10_000 },
      onRows: (s, r) => heard.push(`${s.system} ${r.length}`),
    });
    expect(heard).toEqual(['gradient-lab 1', 'tfjs 1']);
    expect(rows[0]).toMatchObject({ system: 'gradient-lab', task: 'gemm', n: 4, k: 4, note: null });
    expect(rows[0].ms).toBeGreaterThan(0);
    expect(rows[1]).toMatchObject({ system: 'tfjs', ms: null, formulation: null, note: 'could not load TensorFlow.js: test' });
  });

  it('times every system in turn once per round, keeps each row\'s fastest round, and does not time a wrong answer again', async () => {
    const [t] = peerTasks([4], ['gemm'], true);
    const reference = await referenceAnswer(t, taskInputs(t));
    const order: string[] = [];
    // Each call of a formulation takes the time its round says (a busy stretch in round 1 for `slow`).
    const system = (name: 'jax-js' | 'tfjs', delays: readonly number[]): PeerSystem => {
      let round = -1;
      return {
        system: name, device: 'wasm', description: name,
        formulations: () => {
          round++;
          order.push(`${name} ${round}`);
          const wait = delays[round];
          return [
            { name: 'right', manual: false, run: async () => (await new Promise((r) => setTimeout(r, wait)), reference) },
            { name: 'wrong', manual: false, run: async () => new Float64Array(reference.length) },
          ];
        },
      };
    };
    const heard: string[] = [];
    const rows = await measureTask(t, [system('jax-js', [40, 5, 20]), system('tfjs', [5, 5, 5])], {
      policy: { repeats: 1, minMs: 0, budgetMs: 1000, coldOnlyMs: 10_000 },
      rounds: 3,
      onRows: (s, r) => heard.push(`${s.system} ${r.length}`),
    });
    expect(order).toEqual(['jax-js 0', 'tfjs 0', 'jax-js 1', 'tfjs 1', 'jax-js 2', 'tfjs 2']);
    expect(heard).toEqual(['jax-js 2', 'tfjs 2']);
    const [right, wrong] = rows;
    expect(right.roundMs).toHaveLength(3);
    expect(right.ms).toBe(Math.min(...right.roundMs!));
    expect(right.roundMs![0]).toBeGreaterThan(right.ms! + 15);
    expect(wrong).toMatchObject({ formulation: 'wrong', ms: null, roundMs: [] });
    expect(wrong.note).toMatch(/^wrong answer/);
  });

  it('times only the peers\' formulations chosen by name, and every one of ours', async () => {
    const [t] = peerTasks([4], ['gemm'], true);
    const reference = await referenceAnswer(t, taskInputs(t));
    const ran: string[] = [];
    const formulation = (name: string) => ({ name, manual: false, run: async () => (ran.push(name), reference) });
    const peer: PeerSystem = {
      system: 'jax-js', device: 'wasm', description: 'jax-js',
      formulations: () => [formulation('jit(jacrev(f))'), formulation('jit(closed-form J, by hand)')],
    };
    const rows = await measureTask(t, [oursOn('cpu'), peer], {
      policy: { repeats: 1, minMs: 0, budgetMs: 100, coldOnlyMs: 10_000 },
      formulations: ['closed-form'],
    });
    expect(rows.map((r) => `${r.system} ${r.formulation}`)).toEqual(['gradient-lab evaluate A @ B', 'jax-js jit(closed-form J, by hand)']);
    expect(new Set(ran)).toEqual(new Set(['jit(closed-form J, by hand)']));
  });

  it('stops at an aborted signal', async () => {
    const [t] = peerTasks([4], ['primal'], true);
    const controller = new AbortController();
    controller.abort();
    await expect(measureTask(t, [oursOn('cpu')], { policy: { repeats: 1, minMs: 0, budgetMs: 10, coldOnlyMs: 10 }, signal: controller.signal })).rejects.toThrow();
  });
});

describe('sideLines', () => {
  const rows: PeerRow[] = [
    row({ ms: 2 }),
    row({ system: 'jax-js', device: 'wasm', formulation: 'jit(vjp)', ms: 3 }),
    row({ system: 'jax-js', device: 'wasm', formulation: 'jit(vjp) slower', ms: 5 }),
    row({ system: 'jax-js', device: 'wasm', formulation: 'jit(hand-written VJP)', manual: true, ms: 1 }),
    row({ system: 'tfjs', device: 'wasm', formulation: 'tf.grad', ms: null, maxAbsDiff: 1, note: 'wrong answer (max |Δ| 1 > tolerance 1e-4)' }),
    row({ system: 'tfjs', device: 'cpu', formulation: 'tf.grad', ms: 8 }),
    row({ system: 'gradient-lab', device: 'webgpu', ms: 4 }),
    row({ system: 'tfjs', device: 'webgpu', formulation: null, ms: null, note: 'not supported: no JVP' }),
    row({ task: 'primal', ms: 1 }),
  ];

  it('puts one line per task and width on each side, the fastest correct time per cell, and peer/ours ratios', () => {
    const cpu = sideLines(rows, 'cpu');
    expect(cpu.map((l) => l.task)).toEqual(['primal', 'vjp']);
    const vjp = cpu[1];
    // Ours, jax-js (AD, by hand), TF.js on wasm, TF.js on cpu: one system on two devices is two cells.
    expect(vjp.cells.map(cellMs)).toEqual([2, 3, 1, null, 8]);
    expect(vjp.cells.map((c) => c.verdict)).toEqual(['timed', 'timed', 'timed', 'wrong', 'timed']);
    expect(vjp.cells[3].notes).toEqual(['tf.grad: wrong answer (max |Δ| 1 > tolerance 1e-4)']);
    expect(vjp.ratios).toEqual([1.5, 0.5, null, 4]);

    const [gpu] = sideLines(rows, 'webgpu');
    expect(gpu.cells.map((c) => c.verdict)).toEqual(['timed', 'absent', 'absent', 'unsupported']);
    expect(gpu.cells[3].notes).toEqual(['not supported: no JVP']);
  });

  it('maps devices to sides, and runs TF.js on both its WebAssembly and its JavaScript backend on the CPU side', () => {
    expect([sideOf('cpu'), sideOf('wasm'), sideOf('webgpu')]).toEqual(['cpu', 'cpu', 'webgpu']);
    expect(peerDevices('tfjs', ['cpu'])).toEqual(['wasm', 'cpu']);
    expect(peerDevices('tfjs', ['webgpu', 'cpu'])).toEqual(['wasm', 'cpu', 'webgpu']);
    expect(peerDevices('jax-js', ['cpu', 'webgpu'])).toEqual(['wasm', 'webgpu']);
    expect(peerDevices('jax-js', [])).toEqual([]);
    // Every peer device has a column on its side.
    for (const peer of ['jax-js', 'tfjs'] as const) {
      for (const device of peerDevices(peer, ['cpu', 'webgpu'])) {
        expect(SIDE_COLUMNS[sideOf(device)].columns.some((c) => c.system === peer && c.device === device), `${peer} ${device}`).toBe(true);
      }
    }
  });
});

describe('barChecks', () => {
  const at = (w: number, over: Partial<PeerRow>) => row({ n: w, m: w, ...over });
  const rows: PeerRow[] = [
    // w = 256: a Jacobian 3× faster than the best peer (by hand), a batched VJP 1.5×.
    at(256, { task: 'jacrev', k: 256, ms: 1 }),
    at(256, { task: 'jacrev', k: 256, system: 'jax-js', device: 'wasm', ms: 9 }),
    at(256, { task: 'jacrev', k: 256, system: 'jax-js', device: 'wasm', manual: true, ms: 3 }),
    at(256, { task: 'vjp', k: 64, ms: 2 }),
    at(256, { task: 'vjp', k: 64, system: 'tfjs', device: 'wasm', ms: 3 }),
    // k = 1 and w = 64 lines are outside the 2× goal.
    at(256, { task: 'vjp', k: 1, ms: 2.5 }),
    at(256, { task: 'vjp', k: 1, system: 'tfjs', device: 'wasm', ms: 1 }),
    at(64, { task: 'jvp', k: 64, ms: 5 }),
    at(64, { task: 'jvp', k: 64, system: 'jax-js', device: 'wasm', ms: 1 }),
    at(256, { task: 'primal', ms: 1 }),
    at(256, { task: 'gemm', fn: 'gemm', k: 256, ms: 4 }),
    at(256, { task: 'gemm', fn: 'gemm', k: 256, system: 'jax-js', device: 'wasm', ms: 5 }),
    // A peer with a wrong answer does not count as the fastest.
    at(256, { task: 'gemm', fn: 'gemm', k: 256, system: 'tfjs', device: 'wasm', ms: null, note: 'wrong answer' }),
  ];

  it('holds each side to the goals and says by how much it misses', () => {
    const checks = barChecks(rows, 'cpu');
    expect(checks.map((c) => [c.goal.split(':')[0], c.values, c.met])).toEqual([
      ['Jacobians and batched JVP/VJP, w ≥ 256', [1.5, 3], 1],
      ['GEMM', [1.25], 1],
      ['Every task and width', [0.2, 1.5, 0.4, 3, 1.25], 3],
      ['VJP / primal (k = 1) ≤ 3', [2.5], 1],
    ]);
    expect(checks.map(describeCheck)).toEqual([
      'Jacobians and batched JVP/VJP, w ≥ 256: best peer / ours ≥ 2: met in 1 of 2 (1.50–3.00); missed by vjp layer w=256 k=64 (1.50)',
      'GEMM: fastest peer / ours ≥ 1: met (1.25–1.25)',
      'Every task and width: best peer / ours ≥ 1: met in 3 of 5 (0.200–3.00); missed by jvp layer w=64 k=64 (0.200), vjp layer w=256 (0.400)',
      'VJP / primal (k = 1) ≤ 3: met (2.50–2.50)',
    ]);
    expect(barChecks(rows, 'webgpu')).toEqual([]);
  });

  it('names the lines that miss, the furthest first: the slowest speed-ups, the dearest costs, four and a count', () => {
    const slow = [1.9, 1.2, 1.6, 1.4, 1.8, 1.5].flatMap((speedup, i) => [
      at(256, { task: 'jvp', k: 64 + i, ms: 1 }),
      at(256, { task: 'jvp', k: 64 + i, system: 'jax-js', device: 'wasm', ms: speedup }),
    ]);
    const [goal2x] = barChecks(slow, 'cpu');
    expect(goal2x.met).toBe(0);
    expect(describeCheck(goal2x)).toBe('Jacobians and batched JVP/VJP, w ≥ 256: best peer / ours ≥ 2: not met (1.20–1.90); missed by '
      + 'jvp layer w=256 k=65 (1.20), jvp layer w=256 k=67 (1.40), jvp layer w=256 k=69 (1.50), jvp layer w=256 k=66 (1.60) and 2 more');
    // A cost goal misses by being too dear: the dearest first.
    const dear = [
      at(64, { task: 'primal', ms: 1 }), at(64, { task: 'jvp', k: 1, ms: 2.6 }),
      at(256, { task: 'primal', ms: 1 }), at(256, { task: 'jvp', k: 1, ms: 3.1 }),
      at(1024, { task: 'primal', ms: 1 }), at(1024, { task: 'jvp', k: 1, ms: 2 }),
    ];
    const jvp = barChecks(dear, 'cpu').find((c) => c.goal.startsWith('JVP / primal'))!;
    expect(jvp.misses).toEqual([{ line: 'jvp layer w=256', value: 3.1 }, { line: 'jvp layer w=64', value: 2.6 }]);
  });
});
