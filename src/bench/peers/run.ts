// `npm run bench -- --peers`: Gradient Lab against jax-js and TensorFlow.js, in one process, with
// every WebGPU system on our own Dawn adapter. Each answer is checked against Gradient Lab's f64 CPU
// interpreter during the warm-up; a wrong answer is reported and never timed.
import { loadNow, machineInfo } from '../machine.ts';
import { cpuBackend } from '../../api/backend.ts';
import { loadBackends } from '../context.ts';
import type { BenchIo } from '../main.ts';
import { errorMessage, type MeasurePolicy } from '../measure.ts';
import { measureTask, RELATIVE_TOLERANCE } from './compare.ts';
import { loadJax } from './jax.ts';
import { installNavigator, packageVersion } from './node.ts';
import { oursOn } from './ours.ts';
import type { PeerRow, PeersReport } from './report.ts';
import { peerDevices, SIDES, unavailableSystem, type PeerSystem, type Side } from './system.ts';
import { formatPeersReport } from './table.ts';
import { peerTasks, taskId, TASKS, type TaskName } from './tasks.ts';
import { loadTfjs } from './tfjs.ts';
import { parseBenchArgs, parseCounts, parseList, pick, UsageError } from '../args.ts';

/** The peers command line's usage error (the benchmark's own). */
export { UsageError as PeersUsageError };

export const PEERS_USAGE = `npm run bench -- --peers [options]

Gradient Lab against jax-js (wasm, webgpu) and TensorFlow.js (wasm, cpu, webgpu), all WebGPU systems on
one adapter. Every answer is checked against Gradient Lab's f64 CPU interpreter before it is timed.

  --widths 64,256        widths w (n = m = w; default 64,256; 1024 takes many minutes)
  --tasks jvp,vjp        only these tasks (${TASKS.join(', ')})
  --ks 1,64              only JVP and VJP rows with these numbers of directions (default 1, 64 and w)
  --formulations closed-form
                         only the peers' formulations whose names contain one of these (ours always run)
  --systems jax-js,tfjs  only these systems (gradient-lab, jax-js, tfjs; default all)
  --sides cpu,webgpu     only the CPU side (ours on the CPU, peers on wasm and TF.js on cpu) or the WebGPU side
  --repeats N            timed runs after the checked warm-up, at least (default 5)
  --rounds N             time every system in turn N times and keep each row's fastest median
                         (default 3; 1 with --quick): a slow stretch of a shared machine then
                         rarely decides a ratio
  --json                 one JSON object on stdout instead of the tables
  --full                 widths 64,256,1024,4096 (4096 takes hours on SwiftShader)
  --quick                width 8, k = 1 and 4, one timed run: checks that everything runs
`;

const SYSTEMS = ['gradient-lab', 'jax-js', 'tfjs'] as const;

export interface PeersPlan {
  readonly preset: 'quick' | 'default' | 'full';
  readonly widths: readonly number[];
  readonly tasks: readonly TaskName[];
  /** The JVP and VJP rows' direction counts to keep; null keeps 1, 64 and w. */
  readonly ks: readonly number[] | null;
  /** Name parts choosing the peers' formulations (CompareOptions.formulations); null: all. */
  readonly formulations: readonly string[] | null;
  readonly systems: readonly (typeof SYSTEMS)[number][];
  readonly sides: readonly Side[];
  readonly policy: MeasurePolicy;
  /** Rounds of timing (CompareOptions.rounds). */
  readonly rounds: number;
  readonly json: boolean;
}

function choose<T extends string>(text: string | undefined, allowed: readonly T[], what: string): T[] {
  return text === undefined ? [...allowed] : pick(parseList(text, what), allowed, what);
}

/** The plan for the arguments after `--peers`; throws UsageError for a malformed one. */
export function peersPlanFromArgs(argv: readonly string[]): PeersPlan | 'help' {
  const parsed = parseBenchArgs(argv, ['tasks', 'ks', 'formulations', 'systems', 'sides', 'rounds'] as const);
  if (parsed === 'help') return 'help';
  const { common: { preset, repeats, json }, values } = parsed;
  const rounds = values.rounds === undefined ? (preset === 'quick' ? 1 : 3) : Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1) throw new UsageError(`--rounds: '${values.rounds}' is not a positive whole number`);
  const widths = parsed.common.widths ?? { quick: [8], default: [64, 256], full: [64, 256, 1024, 4096] }[preset];
  return {
    preset,
    widths: [...new Set(widths)].sort((a, b) => a - b),
    tasks: choose(values.tasks, TASKS, '--tasks'),
    ks: values.ks === undefined ? null : parseCounts(values.ks, '--ks'),
    formulations: values.formulations === undefined ? null : parseList(values.formulations, '--formulations'),
    systems: choose(values.systems, SYSTEMS, '--systems'),
    sides: choose(values.sides, SIDES, '--sides'),
    policy: preset === 'quick'
      ? { repeats, minMs: 0, budgetMs: 1000, coldOnlyMs: 60_000 }
      : { repeats, minMs: 100, budgetMs: 2000, coldOnlyMs: 20_000, warmUpMs: 200 },
    rounds,
    json,
  };
}

/** Every requested system; the WebGPU peers get our own Dawn instance as navigator.gpu first. */
async function loadSystems(plan: PeersPlan, progress: (line: string) => void): Promise<{ systems: PeerSystem[]; adapter: string }> {
  const wantCpu = plan.sides.includes('cpu');
  const wantGpu = plan.sides.includes('webgpu');
  const { backends, adapter } = await loadBackends(wantGpu ? ['cpu', 'webgpu'] : ['cpu']);
  const webgpu = backends.get('webgpu');
  let noGpu = adapter === null || adapter.available ? null : `WebGPU unavailable: ${adapter.reason}`;
  if (webgpu !== undefined) {
    const { gpuEntryPoint } = await import('../../backend/webgpu/device.ts');
    const gpu = await gpuEntryPoint();
    if (gpu === null) noGpu = 'WebGPU unavailable: no navigator.gpu';
    else installNavigator(gpu);
  }
  const gpuSide = wantGpu && noGpu === null;
  const systems: PeerSystem[] = [];
  if (plan.systems.includes('gradient-lab')) {
    if (wantCpu) systems.push(oursOn('cpu', cpuBackend));
    if (gpuSide) systems.push(oursOn('webgpu', webgpu!));
  }
  const sides = SIDES.filter((s) => (s === 'cpu' ? wantCpu : gpuSide));
  const loaders = [
    ['jax-js', '@jax-js/jax', (version: string) => loadJax(peerDevices('jax-js', sides), { version })],
    ['tfjs', '@tensorflow/tfjs', (version: string) => loadTfjs(peerDevices('tfjs', sides), { version })],
  ] as const;
  for (const [name, pkg, load] of loaders) {
    if (!plan.systems.includes(name) || peerDevices(name, sides).length === 0) continue;
    progress(`loading ${name} ...`);
    let version = 'unknown';
    try {
      version = packageVersion(pkg);
    } catch {
      // not installed: the loader's import fails and its rows say so
    }
    systems.push(...await load(version));
  }
  // Without an adapter, every WebGPU system still gets rows, which say why they are empty.
  if (wantGpu && noGpu !== null) for (const name of plan.systems) systems.push(unavailableSystem(name, 'webgpu', noGpu));
  for (const s of systems) progress(`  ${s.system} ${s.device}: ${s.description}`);
  return { systems, adapter: adapter === null ? 'not requested' : adapter.available ? adapter.name : `unavailable: ${adapter.reason}` };
}

function versions(): Record<string, string> {
  const names = ['@jax-js/jax', '@tensorflow/tfjs', '@tensorflow/tfjs-backend-webgpu', '@tensorflow/tfjs-backend-wasm', 'webgpu'];
  return Object.fromEntries(names.map((name) => {
    try {
      return [name, packageVersion(name)];
    } catch {
      return [name, 'not installed'];
    }
  }));
}

/**
 * Peers print banners and warnings with console.log; they go to stderr so that stdout stays one
 * JSON object under --json.
 */
async function withConsoleOnStderr<T>(io: BenchIo, body: () => Promise<T>): Promise<T> {
  const saved = { log: console.log, info: console.info, warn: console.warn, debug: console.debug };
  const toStderr = (...args: unknown[]) => {
    io.stderr.write(`${args.map((a) => (typeof a === 'string' ? a : String(a))).join(' ')}\n`);
  };
  Object.assign(console, { log: toStderr, info: toStderr, warn: toStderr, debug: toStderr });
  try {
    return await body();
  } finally {
    Object.assign(console, saved);
  }
}

/** Measures every task of `plan` on every system. */
export async function runPeers(plan: PeersPlan, io: BenchIo): Promise<PeersReport> {
  const started = performance.now();
  const loadStart = loadNow();
  const progress = (line: string) => io.stderr.write(`${line}\n`);
  return withConsoleOnStderr(io, async () => {
    const { systems, adapter } = await loadSystems(plan, progress);
    const rows: PeerRow[] = [];
    for (const t of peerTasks(plan.widths, plan.tasks, plan.preset === 'quick', plan.ks ?? undefined)) {
      progress(`${taskId(t)}`);
      rows.push(...await measureTask(t, systems, { policy: plan.policy, rounds: plan.rounds, progress, ...(plan.formulations === null ? {} : { formulations: plan.formulations }) }));
    }
    return {
      adapter,
      machine: machineInfo(loadStart),
      versions: versions(),
      options: { widths: plan.widths, tasks: plan.tasks, ...(plan.ks === null ? {} : { ks: plan.ks }), ...(plan.formulations === null ? {} : { formulations: plan.formulations }), repeats: plan.policy.repeats, rounds: plan.rounds, preset: plan.preset },
      tolerance: RELATIVE_TOLERANCE,
      totalSeconds: (performance.now() - started) / 1000,
      rows,
    };
  });
}

/** `npm run bench -- --peers ...` (argv without `--peers`): exit code 0, 1 if one of our own rows failed, 2 for a usage error. */
export async function runPeersBench(argv: readonly string[], io: BenchIo): Promise<{ code: number; report?: PeersReport }> {
  let plan: PeersPlan | 'help';
  try {
    plan = peersPlanFromArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.stderr.write(`bench --peers: ${err.message}\n\n${PEERS_USAGE}`);
    return { code: 2 };
  }
  if (plan === 'help') {
    io.stdout.write(PEERS_USAGE);
    return { code: 0 };
  }
  const report = await runPeers(plan, io);
  io.stdout.write(plan.json ? `${JSON.stringify(report, (_, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v))}\n` : formatPeersReport(report));
  // A peer's wrong answer is a finding; ours failing or disagreeing with our own f64 reference is not.
  const oursFailed = report.rows.some((r) => r.system === 'gradient-lab' && /^(failed|wrong answer)/.test(r.note ?? ''));
  return { code: oursFailed ? 1 : 0, report };
}
