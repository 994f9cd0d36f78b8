// One function per command: each runs the library on a compiled program and returns its report,
// as a JSON object (the --json contract) and as lines of text for people.
import {
  check, DEFAULT_LIMITS, formatGraph, GradientLabError, graphToDot, hessian, jacobian, listKernels,
  type CheckResult, type Program, type RunOptions, type RunStats, type Tensor, type Values,
} from '../index.ts';
import type { CommandName } from './args.ts';
import { usageError } from './errors.ts';
import {
  formatBytes, formatCount, formatNumber, formatStats, formatTable, formatWorkgroups, jsonNested, jsonOutputs, labelled,
  labelledAll, plural,
} from './format.ts';
import { parseChoice, parseWhole } from './settings.ts';

/** What a command needs: the program, how to run it, and access to its options and value files. */
export interface Session {
  readonly program: Program;
  readonly run: RunOptions;
  readonly seed: number;
  /** The value of a command-specific option, if given. */
  option(name: 'output' | 'mode' | 'chunk' | 'batch'): string | undefined;
  flag(name: 'dot' | 'fold-seeds'): boolean;
  /** The inputs: from --inputs, or random normal from the seed (checked against the memory budget first). */
  inputs(): Promise<Record<string, Tensor>>;
  /** Values from a JSON file option, or random normal values for `ports` from seed + offset. */
  values(option: 'tangent' | 'cotangent' | 'vector', ports: Program['inputs'], offset: number): Promise<Values>;
  /** Where the inputs came from ("random normal, seed 0" or a file name). */
  describe(option: 'inputs' | 'tangent' | 'cotangent' | 'vector', offset?: number): string;
}

/** A command's result: the JSON object for --json, the text lines otherwise, and the exit code. */
export interface Report {
  readonly json: Record<string, unknown>;
  readonly text: string[];
  readonly exitCode?: number;
}

export type Command = (s: Session) => Promise<Report>;

/** The stats line, and why the backend ran unless it is simply the one requested with --backend. */
function statsText(s: Session, stats: RunStats): string {
  const requested = s.run.backend ?? 'cpu';
  return formatStats(stats, typeof requested === 'string' ? requested : requested.name);
}

/** Indents a block of lines under a heading. */
function section(title: string, blocks: readonly string[]): string[] {
  return [title, ...blocks.flatMap((b) => b.split('\n')).map((line) => `  ${line}`)];
}

async function evalCommand(s: Session): Promise<Report> {
  const { outputs, stats } = await s.program.evaluate(await s.inputs(), s.run);
  return {
    json: { outputs: jsonOutputs(outputs), stats },
    text: [`inputs: ${s.describe('inputs')}`, ...labelledAll(outputs), statsText(s, stats)],
  };
}

async function jvpCommand(s: Session): Promise<Report> {
  const tangents = await s.values('tangent', s.program.inputs, 1);
  const result = await s.program.jvp(await s.inputs(), tangents, s.run);
  return {
    json: { outputs: jsonOutputs(result.outputs), tangents: jsonNested(result.tangents), stats: result.stats },
    text: [
      `inputs: ${s.describe('inputs')}; tangents v: ${s.describe('tangent', 1)}`,
      ...section('outputs:', labelledAll(result.outputs)),
      ...section('output tangents J·v:', labelledAll(result.tangents)),
      statsText(s, result.stats),
    ],
  };
}

async function vjpCommand(s: Session): Promise<Report> {
  const cotangents = await s.values('cotangent', s.program.outputs, 2);
  const result = await s.program.vjp(await s.inputs(), cotangents, s.run);
  return {
    json: { outputs: jsonOutputs(result.outputs), cotangents: jsonNested(result.cotangents), stats: result.stats },
    text: [
      `inputs: ${s.describe('inputs')}; cotangents u: ${s.describe('cotangent', 2)}`,
      ...section('outputs:', labelledAll(result.outputs)),
      ...section('input cotangents Jᵀ·u:', labelledAll(result.cotangents)),
      statsText(s, result.stats),
    ],
  };
}

async function gradCommand(s: Session): Promise<Report> {
  const result = await s.program.grad(await s.inputs(), { ...s.run, output: s.option('output') });
  return {
    json: { output: result.output, value: result.value, gradient: jsonNested(result.gradient), stats: result.stats },
    text: [
      `inputs: ${s.describe('inputs')}`,
      `${result.output} = ${formatNumber(result.value)}`,
      ...section(`gradient of ${result.output}:`, labelledAll(result.gradient, (name) => `∂${result.output}/∂${name}`)),
      statsText(s, result.stats),
    ],
  };
}

async function jacobianCommand(s: Session): Promise<Report> {
  const mode = parseChoice(s.option('mode') ?? 'auto', 'mode', ['fwd', 'rev', 'auto'] as const);
  const chunk = s.option('chunk');
  const result = await jacobian(s.program, await s.inputs(), {
    ...s.run,
    mode,
    chunkSize: chunk === undefined ? undefined : parseWhole(chunk, 'chunk', 1),
    foldSeeds: s.flag('fold-seeds'),
  });
  const blocks = Object.entries(result.jacobian).flatMap(([out, row]) =>
    Object.entries(row).map(([inp, block]) => labelled(`∂${out}/∂${inp}`, block)));
  const passes = result.stats.passes;
  return {
    json: {
      outputs: jsonOutputs(result.outputs),
      jacobian: Object.fromEntries(Object.entries(result.jacobian).map(([out, row]) => [out, jsonNested(row)])),
      mode: result.mode,
      estimates: result.estimates,
      chunkSize: result.chunkSize,
      seeds: result.seeds,
      foldSeeds: result.foldSeeds,
      stats: result.stats,
    },
    text: [
      `inputs: ${s.describe('inputs')}`,
      `mode: ${result.mode} (${result.estimates.reason})`,
      `estimates: fwd ≈${formatCount(result.estimates.fwd)} FLOPs, rev ≈${formatCount(result.estimates.rev)} FLOPs`,
      `seeds: ${result.seeds} ${result.mode === 'fwd' ? 'JVPs' : 'VJPs'} in chunks of ${result.chunkSize} (${passes} pass${passes === 1 ? '' : 'es'})${result.foldSeeds ? ', identity seeds folded' : ''}`,
      ...section('outputs:', labelledAll(result.outputs)),
      ...section('Jacobian blocks [output elements, input elements]:', blocks),
      statsText(s, result.stats),
    ],
  };
}

async function hvpCommand(s: Session): Promise<Report> {
  const vector = await s.values('vector', s.program.inputs, 1);
  const result = await s.program.hvp(await s.inputs(), vector, { ...s.run, output: s.option('output') });
  return {
    json: { hvp: jsonNested(result.hvp), output: result.output, gradient: jsonNested(result.gradient), stats: result.stats },
    text: [
      `inputs: ${s.describe('inputs')}; direction v: ${s.describe('vector', 1)}`,
      ...section(`Hessian-vector product H·v of ${result.output}:`, labelledAll(result.hvp)),
      statsText(s, result.stats),
    ],
  };
}

async function hessianCommand(s: Session): Promise<Report> {
  const result = await hessian(s.program, await s.inputs(), { ...s.run, output: s.option('output') });
  const blocks = Object.entries(result.hessian).flatMap(([a, row]) =>
    Object.entries(row).map(([b, block]) => labelled(`∂²${result.output}/∂${a}∂${b}`, block)));
  return {
    json: {
      output: result.output,
      hessian: Object.fromEntries(Object.entries(result.hessian).map(([a, row]) => [a, jsonNested(row)])),
      stats: result.stats,
    },
    text: [
      `inputs: ${s.describe('inputs')}`,
      ...section(`Hessian of ${result.output}, blocks [elements of a, elements of b]:`, blocks),
      statsText(s, result.stats),
    ],
  };
}

function checkLine(c: CheckResult): string {
  const mark = c.passed ? '✓' : '✗';
  const error = c.error === 0 ? '0' : c.error.toExponential(2);
  return `${mark} ${c.name}: error ${error} ${c.passed ? '≤' : '>'} tolerance ${c.tolerance.toExponential(0)}  (${c.detail})`;
}

async function checkCommand(s: Session): Promise<Report> {
  if (s.run.backend === 'webgpu') {
    throw usageError('check compares against finite differences, which need f64, so it runs on the CPU; WebGPU computes in f32: drop --backend webgpu');
  }
  const start = performance.now();
  const report = await check(s.program, await s.inputs(), { ...s.run, seed: s.seed });
  const ms = performance.now() - start;
  const failed = report.checks.filter((c) => !c.passed).length;
  const note = s.run.dtype === 'f32' ? ['(checks always run in f64)'] : [];
  return {
    json: { passed: report.passed, checks: report.checks, ms },
    text: [
      `inputs: ${s.describe('inputs')}; directions: random normal, seed ${s.seed + 1} and ${s.seed + 2}`,
      ...note,
      ...report.checks.map(checkLine),
      report.passed ? `all ${report.checks.length} checks passed (${ms.toFixed(1)} ms)` : `${failed} of ${report.checks.length} checks failed`,
    ],
    exitCode: report.passed ? 0 : 1,
  };
}

const GRAPH_MODES = ['primal', 'jvp', 'vjp', 'grad', 'hvp'] as const;

async function graphCommand(s: Session): Promise<Report> {
  const mode = parseChoice(s.option('mode') ?? 'primal', 'mode', GRAPH_MODES);
  const output = s.option('output');
  if (output !== undefined && mode !== 'grad' && mode !== 'hvp') throw usageError(`--output selects the scalar output for --mode grad or hvp, not ${mode}`);
  const graph = mode === 'primal' ? s.program.graph : s.program.derived(mode, [], output === undefined ? {} : { of: [output] });
  const text = s.flag('dot') ? graphToDot(graph, mode) : formatGraph(graph);
  return {
    json: { graph: text, mode, format: s.flag('dot') ? 'dot' : 'ir', flops: s.program.flops(graph) },
    text: [text],
  };
}

const WGSL_MODES = ['primal', 'jvp', 'vjp', 'hvp'] as const;

/**
 * The kernels WebGPU would dispatch for the primal or a derived graph, planned for WebGPU's default
 * limits (what every adapter offers), so no device is needed. Dispatches often share a kernel (the
 * GEMM, with different uniforms): the text shows each distinct WGSL once, under the dispatches using it.
 */
async function wgslCommand(s: Session): Promise<Report> {
  const mode = parseChoice(s.option('mode') ?? 'primal', 'mode', WGSL_MODES);
  const output = s.option('output');
  const batchText = s.option('batch');
  if (output !== undefined && mode !== 'hvp') throw usageError(`--output selects the scalar output for --mode hvp, not ${mode}`);
  if (batchText !== undefined && mode === 'primal') throw usageError('--batch sets how many directions --mode jvp, vjp or hvp carries; the primal graph has none');
  const batch = batchText === undefined ? [] : [parseWhole(batchText, 'batch', 1)];
  const graph = mode === 'primal' ? s.program.graph : s.program.derived(mode, batch, output === undefined ? {} : { of: [output] });
  const { kernels, peakBytes, problem } = listKernels(graph, DEFAULT_LIMITS);
  if (problem !== null) throw new GradientLabError(`WebGPU cannot run this with its default limits: ${problem}; use smaller sizes or a smaller --batch`, 'too-large');

  const distinct = [...new Set(kernels.map((k) => k.code))];
  const kernelOf = kernels.map((k) => distinct.indexOf(k.code));
  const table = formatTable([
    ['#', 'workgroups', 'WGSL', 'label'],
    ...kernels.map((k, i) => [String(i), formatWorkgroups(k.workgroups), `k${kernelOf[i]}`, k.label]),
  ]);
  const what = mode === 'primal' ? 'the primal graph' : `the ${mode} graph${batch.length > 0 ? `, batch ${batch[0]}` : ''}`;
  const code = distinct.flatMap((text, k) => {
    const users = kernelOf.flatMap((owner, i) => (owner === k ? [i] : []));
    const labels = new Set(users.map((i) => kernels[i].label));
    const label = labels.size === 1 ? `: ${kernels[users[0]].label}` : '';
    return ['', `// kernel k${k} (dispatch${users.length === 1 ? '' : 'es'} ${users.join(', ')})${label}`, text.trimEnd()];
  });
  return {
    json: {
      kernels: kernels.map((k) => ({ label: k.label, workgroups: [...k.workgroups], code: k.code })),
      dispatches: kernels.length,
      peakBytes,
      mode,
      limits: DEFAULT_LIMITS,
    },
    text: [
      `WebGPU kernels for ${what}: ${plural(kernels.length, 'dispatch')} of ${plural(distinct.length, 'distinct kernel')}, peak ${formatBytes(peakBytes)}`,
      "(planned for WebGPU's default limits; no GPU needed)",
      '',
      ...table,
      ...code,
    ],
  };
}

/** Every command that runs a program. */
export const RUNNERS: Readonly<Record<Exclude<CommandName, 'help'>, Command>> = {
  eval: evalCommand,
  jvp: jvpCommand,
  vjp: vjpCommand,
  grad: gradCommand,
  jacobian: jacobianCommand,
  hvp: hvpCommand,
  hessian: hessianCommand,
  check: checkCommand,
  graph: graphCommand,
  wgsl: wgslCommand,
};
