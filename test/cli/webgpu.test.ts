// `--backend webgpu|auto` on the command line, in-process on Dawn: every computing command runs on the
// engine's WebGPU device and agrees with the CPU, and the text says where and how it ran.
import { describe, expect, it } from 'vitest';
import { formatStats } from '../../src/cli/format.ts';
import type { RunStats } from '../../src/index.ts';
import { expectAllclose, type Tolerance } from '../support/allclose.ts';
import { getTestRuntime } from '../support/gpu-runtime.ts';
import { cli } from './harness.ts';

const MLP = ['examples/mlp.gl', '--size', 'n=4,h=8,m=3'];

/**
 * f32 on SwiftShader against f64 on the CPU: rounding alone is about 1e-6 relative here, and
 * SwiftShader's tanh is approximate (about 1e-5 absolute, see PLATFORM-NOTES); second-order terms
 * (hvp, hessian) add a little. The worst result here (hvp) uses about a quarter of this tolerance;
 * a wrong kernel is off by O(1).
 */
const F32: Tolerance = { rtol: 1e-4, atol: 1e-5 };

// In CI (CI or REQUIRE_WEBGPU) this throws when Dawn finds no adapter, so these tests fail instead of skipping.
const runtime = await getTestRuntime();

/** Every number in a JSON result (but its stats), by path, so two results can be compared leaf by leaf. */
function leaves(value: unknown, path = ''): [string, unknown][] {
  if (Array.isArray(value)) return value.flatMap((v, i) => leaves(v, `${path}[${i}]`));
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value).filter(([key]) => path !== '' || key !== 'stats').flatMap(([key, v]) => leaves(v, `${path}.${key}`));
  }
  return [[path, value]];
}

/** The same result computed twice: identical structure and strings, numbers within `tol`. */
function expectSameResult(actual: unknown, expected: unknown, tol: Tolerance): void {
  const a = leaves(actual);
  const e = leaves(expected);
  expect(a.map(([path]) => path)).toEqual(e.map(([path]) => path));
  const numeric = e.flatMap(([, v], i) => (typeof v === 'number' ? [i] : []));
  for (const [i, [path, v]] of e.entries()) if (typeof v !== 'number') expect(a[i][1], path).toEqual(v);
  expectAllclose(numeric.map((i) => a[i][1] as number), numeric.map((i) => e[i][1] as number), tol, 'values');
}

describe('backend options that need no GPU', () => {
  it('--backend webgpu with --dtype f64 is a usage error that says what to do', async () => {
    const r = await cli(['eval', ...MLP, '--backend', 'webgpu', '--dtype', 'f64', '--json']);
    expect(r.code).toBe(2);
    expect(r.json().errors[0]).toMatchObject({ kind: 'usage', message: expect.stringContaining('--backend webgpu computes in f32 only') });
  });

  it('check runs in f64 on the CPU, so it refuses --backend webgpu', async () => {
    const r = await cli(['check', ...MLP, '--backend', 'webgpu']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('drop --backend webgpu');
  });

  it('the text names the CPU device, and no reason when the CPU was asked for', async () => {
    const r = await cli(['eval', ...MLP]);
    const last = r.stdout.trimEnd().split('\n').at(-1)!;
    expect(last).toMatch(/^CPU \(interpreter, (WebAssembly SIMD GEMM on \d threads?|TypeScript GEMM)\), f64 · [\d.]+ ms · \d+ FLOPs \(estimated\) · peak /);
    expect(r.stdout).not.toContain('backend:');
    expect(r.stdout).not.toContain('dispatch');
  });
});

describe('the stats line', () => {
  const cpu: RunStats = { backend: 'cpu', device: 'CPU (TypeScript interpreter)', reason: 'the CPU backend was requested', dtype: 'f64', ms: 1.5, flops: 42, passes: 1, peakBytes: 80 };
  const gpu: RunStats = { ...cpu, backend: 'webgpu', device: 'WebGPU (some adapter)', reason: 'the WebGPU backend was requested', dtype: 'f32', dispatches: 1, gpuMs: null };

  it('gives the reason under auto, and for a fallback', () => {
    const fallback = { ...cpu, reason: 'CPU fallback: WebGPU failed (lost device)' };
    expect(formatStats(fallback, 'auto')).toBe('CPU (TypeScript interpreter), f64 · 1.50 ms · 42 FLOPs (estimated) · peak 80 B\nbackend: CPU fallback: WebGPU failed (lost device)');
    expect(formatStats(cpu, 'cpu')).not.toContain('\n');
  });

  it('adds dispatches, and GPU time only when it was measured', () => {
    expect(formatStats(gpu, 'webgpu')).toBe('WebGPU (some adapter), f32 · 1.50 ms · 42 FLOPs (estimated) · peak 80 B · 1 GPU dispatch');
    expect(formatStats({ ...gpu, dispatches: 3, gpuMs: 0.25, passes: 2 }, 'webgpu')).toBe('WebGPU (some adapter), f32 · 1.50 ms in 2 passes · 42 FLOPs (estimated) · peak 80 B · 3 GPU dispatches (0.25 ms GPU time)');
  });
});

describe.skipIf(runtime === null)('the CLI on WebGPU (Node, Dawn)', () => {
  const COMMANDS: [string, string[]][] = [
    ['eval', []],
    ['jvp', []],
    ['vjp', []],
    ['grad', ['--output', 'loss']],
    ['jacobian', ['--mode', 'fwd']],
    ['jacobian', ['--mode', 'rev']],
    ['hvp', ['--output', 'loss']],
    ['hessian', ['--output', 'loss']],
  ];

  it.each(COMMANDS)('%s %j --backend webgpu agrees with the CPU', async (command, extra) => {
    const gpu = await cli([command, ...MLP, ...extra, '--backend', 'webgpu', '--json']);
    expect(gpu.code, gpu.stdout).toBe(0);
    const cpu = await cli([command, ...MLP, ...extra, '--json']);
    const { stats } = gpu.json();
    expect(stats).toMatchObject({ backend: 'webgpu', dtype: 'f32', device: `WebGPU (${runtime!.name})`, reason: 'the WebGPU backend was requested' });
    expect(stats.dispatches).toBeGreaterThan(0);
    expect(cpu.json().stats).toMatchObject({ backend: 'cpu', dtype: 'f64' });
    expectSameResult(gpu.json(), cpu.json(), F32);
  });

  it('prints the device, the dispatches and the GPU time', async () => {
    const r = await cli(['eval', ...MLP, '--backend', 'webgpu']);
    expect(r.code).toBe(0);
    const last = r.stdout.trimEnd().split('\n').at(-1)!;
    expect(last.startsWith(`WebGPU (${runtime!.name}), f32 · `)).toBe(true);
    expect(last).toMatch(/ · \d+ GPU dispatches/);
    if (runtime!.gpu.info.timestamps) expect(last).toMatch(/\([\d.]+ ms GPU time\)$/);
    // Asked for by name: no reason line.
    expect(r.stdout).not.toContain('backend:');
  });

  it('under --backend auto says which backend ran and why', async () => {
    const text = await cli(['grad', ...MLP, '--output', 'loss', '--backend', 'auto']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/\nbackend: (cpu|webgpu) predicted faster: webgpu ≈[\d.]+ ms .* on WebGPU \(.*\); cpu ≈[\d.]+ ms/);
    const json = (await cli(['grad', ...MLP, '--output', 'loss', '--backend', 'auto', '--json'])).json();
    expect(json.stats.reason).toMatch(/^(cpu|webgpu) predicted faster: /);
  });
});
