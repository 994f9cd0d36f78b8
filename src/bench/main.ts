// `npm run bench`: GEMM throughput, JVP/VJP cost against the primal, and full Jacobians by forward
// and reverse mode, on the CPU and WebGPU backends. A table on stdout (or one JSON object with
// --json), progress on stderr.
import { loadNow, machineInfo } from './machine.ts';
import { adCostRows, type AdVariant } from './ad-cost.ts';
import { compareBackends } from './compare.ts';
import { browserLimitedWebgpu, loadBackends, type BenchContext } from './context.ts';
import { gemmRows, type GemmShape } from './gemm.ts';
import { jacobianRows } from './jacobians.ts';
import type { MeasurePolicy } from './measure.ts';
import { lossCase, squareCase, tallCase, type MlpCase } from './programs.ts';
import type { BackendName, BenchReport, Row } from './report.ts';
import { formatReport } from './table.ts';
import type { PeersReport } from './peers/report.ts';
import { parseBenchArgs, parseList, pick, UsageError } from './args.ts';

export { UsageError };

export const USAGE = `npm run bench -- [options]

  --widths 16,64,256        Jacobian widths n = h = m (default 16,64,256,1024; --full adds 4096)
  --backends cpu,webgpu     backends to measure (default both)
  --repeats N               timed runs per measurement after one warm-up, at least (default 5);
                            fast ones repeat until 0.25 s, slow ones stop after 10 s
  --only gemm,ad-cost,jacobian   run only these sections
  --cases square,tall,loss  run only these Jacobian cases (tall and loss: largest width up to 1024)
  --json                    one JSON object on stdout instead of the tables
  --full                    widths up to 4096 (minutes of SwiftShader time per row)
  --quick                   tiny sizes, one timed run: checks that everything runs
  --peers                   compare with jax-js and TensorFlow.js instead (--peers --help for its options)
  --help
`;

const SECTIONS = ['gemm', 'ad-cost', 'jacobian'] as const;
type Section = (typeof SECTIONS)[number];
const CASES = ['square', 'tall', 'loss'] as const;

/** Everything a run is configured by, after presets and options are combined. */
export interface BenchPlan {
  readonly preset: 'quick' | 'default' | 'full';
  readonly widths: readonly number[];
  readonly backends: readonly BackendName[];
  readonly sections: readonly Section[];
  readonly policy: MeasurePolicy;
  readonly gemm: readonly GemmShape[];
  /** Widths of the JVP/VJP cost rows: the two largest selected widths up to 1024. */
  readonly adWidths: readonly number[];
  readonly adVariants: readonly AdVariant[];
  /** The Jacobian cases: square at every width, then tall and loss at the largest width up to 1024. */
  readonly cases: readonly MlpCase[];
  readonly json: boolean;
}

/** Largest width of the n ≠ m cases, so they stay within minutes even with --full. */
const CROSSOVER_MAX = 1024;

/** The plan for a command line; throws UsageError for a malformed one. */
export function planFromArgs(argv: readonly string[]): BenchPlan | 'help' {
  const parsed = parseBenchArgs(argv, ['backends', 'only', 'cases'] as const);
  if (parsed === 'help') return 'help';
  const { common: { preset, repeats, json }, values } = parsed;
  const quick = preset === 'quick';
  const widths = parsed.common.widths ?? (quick ? [8, 16] : preset === 'full' ? [16, 64, 256, 1024, 4096] : [16, 64, 256, 1024]);
  const backends = pick(values.backends === undefined ? ['cpu', 'webgpu'] : parseList(values.backends, '--backends'), ['cpu', 'webgpu'] as const, '--backends');
  const sections = values.only === undefined ? [...SECTIONS] : pick(parseList(values.only, '--only'), SECTIONS, '--only');
  const caseNames = values.cases === undefined ? [...CASES] : pick(parseList(values.cases, '--cases'), CASES, '--cases');

  const sorted = [...new Set(widths)].sort((a, b) => a - b);
  const upTo1024 = sorted.filter((w) => w <= CROSSOVER_MAX);
  const crossover = upTo1024.length > 0 ? upTo1024[upTo1024.length - 1] : CROSSOVER_MAX;
  const k = quick ? 4 : 64;
  return {
    preset,
    widths: sorted,
    backends,
    sections,
    policy: quick
      ? { repeats, minMs: 0, budgetMs: 1000, coldOnlyMs: 60_000 }
      : { repeats, minMs: 250, budgetMs: 10_000, coldOnlyMs: 60_000 },
    gemm: quick
      ? [{ M: 32, N: 32, K: 32, transB: false }, { M: 4, N: 32, K: 32, transB: true }]
      : [{ M: 256, N: 256, K: 256, transB: false }, { M: 1024, N: 1024, K: 1024, transB: false }, { M: 256, N: 1024, K: 1024, transB: true }],
    adWidths: (upTo1024.length > 0 ? upTo1024 : [crossover]).slice(-2),
    adVariants: [{ k: 1, wrt: 'all' }, { k: 1, wrt: 'x' }, { k, wrt: 'x' }],
    cases: [
      ...(caseNames.includes('square') ? sorted.map(squareCase) : []),
      ...(caseNames.includes('tall') ? [tallCase(crossover)] : []),
      ...(caseNames.includes('loss') ? [lossCase(crossover)] : []),
    ],
    json,
  };
}

/** Where the benchmark writes; tests pass their own to run it in-process. */
export interface BenchIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
}

/** Measures everything in `plan`. */
export async function runPlan(plan: BenchPlan, io: BenchIo): Promise<BenchReport> {
  const started = performance.now();
  const loadStart = loadNow();
  const progress = (line: string) => io.stderr.write(`${line}\n`);
  const { backends, adapter } = await loadBackends(plan.backends);
  if (adapter !== null && !adapter.available) progress(`WebGPU unavailable, measuring the CPU only: ${adapter.reason}`);
  const ctx: BenchContext = {
    backends,
    policy: plan.policy,
    askAuto: backends.has('webgpu'),
    browserLimited: browserLimitedWebgpu,
    progress,
  };
  const rows: Row[] = [];
  if (plan.sections.includes('gemm')) rows.push(...await gemmRows(ctx, plan.gemm));
  if (plan.sections.includes('ad-cost')) rows.push(...await adCostRows(ctx, plan.adWidths, plan.adVariants));
  if (plan.sections.includes('jacobian')) rows.push(...await jacobianRows(ctx, plan.cases));
  return {
    adapter,
    machine: machineInfo(loadStart),
    options: { widths: plan.widths, backends: plan.backends, repeats: plan.policy.repeats, preset: plan.preset },
    totalSeconds: (performance.now() - started) / 1000,
    rows: compareBackends(rows),
  };
}

/** JSON has no Infinity or NaN: they print as null. */
function toJson(report: BenchReport): string {
  return JSON.stringify(report, (_, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v));
}

/** Runs the benchmark for a command line; resolves to the exit code and the report, if any. */
export async function runBench(argv: readonly string[], io: BenchIo): Promise<{ code: number; report?: BenchReport | PeersReport }> {
  if (argv.includes('--peers')) {
    const { runPeersBench } = await import('./peers/run.ts');
    return runPeersBench(argv.filter((a) => a !== '--peers'), io);
  }
  let plan: BenchPlan | 'help';
  try {
    plan = planFromArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.stderr.write(`bench: ${err.message}\n\n${USAGE}`);
    return { code: 2 };
  }
  if (plan === 'help') {
    io.stdout.write(USAGE);
    return { code: 0 };
  }
  const report = await runPlan(plan, io);
  io.stdout.write(plan.json ? `${toJson(report)}\n` : formatReport(report));
  const failed = report.rows.some((r) => r.error !== undefined);
  return { code: failed ? 1 : 0, report };
}

/** The `bench` entry point: Dawn's threads may keep Node alive, so exit explicitly. */
export async function runFromProcess(): Promise<never> {
  let code: number;
  try {
    ({ code } = await runBench(process.argv.slice(2), process));
  } catch (err) {
    process.stderr.write(`bench: internal error: ${(err as Error).stack ?? String(err)}\n`);
    code = 70;
  }
  // Let stdout drain (it may be a pipe) before exiting.
  await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
  process.exit(code);
}
