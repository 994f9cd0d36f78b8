// The `gradient-lab` command: parse the command line, compile the program, run one command, and
// report the result or the errors (as text for people, or as JSON with --json).
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { text } from 'node:stream/consumers';
import { totalmem } from 'node:os';
import { resolve } from 'node:path';
import {
  assertFits, compile, GradientLabError, peakBytes, randomValues,
  type Diagnostic, type DType, type Program, type RunOptions, type Tensor,
} from '../index.ts';
import { COMMANDS, parseArgs, type CommandName, type OptionName, type ParsedArgs } from './args.ts';
import { RUNNERS, type Report, type Session } from './commands.ts';
import { CliError, EXIT, usageError } from './errors.ts';
import { jsonDiagnostic, textDiagnostic } from './format.ts';
import { defaultMemoryBudget, parseBytes, parseChoice, parseSizes, parseValuesJson, parseWhole, withZeroDirections } from './settings.ts';
import { commandUsage, usage } from './usage.ts';

/** Where the command reads and writes; tests pass their own to run it in-process. */
export interface CliIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
  /** UTF-8 contents of a file, given an absolute path. */
  readFile(path: string): Promise<string>;
  /** Relative file names are resolved against this directory. */
  readonly cwd: string;
  /** All of standard input, for the program FILE '-'. */
  readStdin?(): Promise<string>;
  /** Bytes of memory of the machine, for the default budget (default: os.totalmem()). */
  readonly totalMemory?: number;
}

/** A problem as both renderers see it: a diagnostic, or a line-0 error about the command line or files. */
type Problem = Omit<Diagnostic, 'kind'> & { readonly kind: string };

/** The program text, once read, so errors can quote it. */
interface Context {
  fileName: string;
  source: string | undefined;
  warnings: readonly Diagnostic[];
}

/** Thrown when the program does not compile: its diagnostics are already located in the source. */
class ProgramErrors extends Error {
  constructor(readonly diagnostics: readonly Diagnostic[]) {
    super('the program has errors');
  }
}

/** Runs the command line `argv` (without the node and script paths); resolves to the exit code. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const json = argv.includes('--json');
  const context: Context = { fileName: 'gradient-lab', source: undefined, warnings: [] };
  try {
    return await execute(argv, io, context, json);
  } catch (e) {
    return reportFailure(e, io, context, json);
  }
}

async function execute(argv: readonly string[], io: CliIo, context: Context, json: boolean): Promise<number> {
  const args = parseArgs(argv);
  if (args.flags.has('version')) {
    io.stdout.write(`gradient-lab ${version()}\n`);
    return EXIT.ok;
  }
  if (args.command === undefined) {
    if (args.flags.has('help')) {
      io.stdout.write(usage());
      return EXIT.ok;
    }
    if (json) throw usageError(`no command given; run 'gradient-lab help'`);
    io.stderr.write(usage());
    return EXIT.usage;
  }
  if (args.command === 'help' || args.flags.has('help')) {
    io.stdout.write(helpFor(args));
    return EXIT.ok;
  }

  // Options that need no program are checked first, so a typo is reported before any work.
  const sizes = parseSizes(args.values.get('size') ?? []);
  const run = runOptions(args, io);
  const seedText = one(args, 'seed');
  const seed = seedText === undefined ? 0 : parseWhole(seedText, 'seed', 0);

  await loadSource(args, io, context);
  const compiled = compile(context.source!, sizes);
  context.warnings = compiled.warnings;
  if (!compiled.ok) throw new ProgramErrors(compiled.errors);

  const { program } = compiled;
  // Refuse sizes beyond the budget before drawing (allocating) any inputs; the library checks each pass again.
  if (args.command !== 'graph' && args.command !== 'wgsl') assertFits(peakBytes(program.graph, run.dtype ?? 'f32'), run.memoryBudget);
  const report = await RUNNERS[args.command](session(program, args, io, run, seed));
  writeReport(report, io, context, json);
  return report.exitCode ?? EXIT.ok;
}

function runOptions(args: ParsedArgs, io: CliIo): RunOptions & { memoryBudget: number } {
  const budget = one(args, 'memory-budget');
  const dtype = one(args, 'dtype');
  const backend = parseChoice(one(args, 'backend') ?? 'cpu', 'backend', ['cpu', 'webgpu', 'auto'] as const);
  // Unset: the backend's own precision (f64 on the CPU, f32 on WebGPU).
  const precision = dtype === undefined ? undefined : parseChoice(dtype, 'dtype', ['f64', 'f32'] as const);
  if (backend === 'webgpu' && precision === 'f64') {
    throw usageError('--backend webgpu computes in f32 only: drop --dtype f64 (or use --dtype f32), or use --backend cpu for f64');
  }
  return {
    backend,
    dtype: precision,
    // One run per command: its GPU time is worth the timestamp queries (JSON "gpuMs").
    profile: true,
    memoryBudget: budget === undefined ? defaultMemoryBudget(io.totalMemory ?? totalmem()) : parseBytes(budget),
  };
}

/** Reads the program text from -e, stdin ('-') or FILE into the context, so errors can quote it. */
async function loadSource(args: ParsedArgs, io: CliIo, context: Context): Promise<void> {
  const expr = one(args, 'expr');
  const file = args.positionals[0];
  if (expr !== undefined) {
    context.fileName = '-e';
    // In a shell, -e 'input x[n]\noutput y = sum(x)' passes a backslash and an n: make it a line break.
    context.source = expr.replace(/\\n/g, '\n');
  } else if (file === '-') {
    context.fileName = '<stdin>';
    if (io.readStdin === undefined) throw new CliError('cannot read the program from standard input here', 'file');
    context.source = await io.readStdin();
  } else {
    context.fileName = file;
    context.source = await readText(io, file, 'the program');
  }
}

/** The single value of a non-repeatable option. */
const one = (args: ParsedArgs, name: OptionName) => args.values.get(name)?.[0];

function helpFor(args: ParsedArgs): string {
  if (args.command !== 'help') return commandUsage(args.command!);
  const topic = args.positionals[0];
  if (topic === undefined) return usage();
  if (!Object.hasOwn(COMMANDS, topic)) throw usageError(`no help for '${topic}': not a command`);
  return commandUsage(topic as CommandName);
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

async function readText(io: CliIo, file: string, what: string): Promise<string> {
  try {
    return await io.readFile(resolve(io.cwd, file));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : (e as Error).message;
    throw new CliError(`cannot read ${what} '${file}': ${reason}`, 'file');
  }
}

/** The session a command runs in: lazy access to inputs and value files. */
function session(program: Program, args: ParsedArgs, io: CliIo, run: RunOptions, seed: number): Session {
  const readValues = async (option: 'inputs' | 'tangent' | 'cotangent' | 'vector') => {
    const file = one(args, option)!;
    return parseValuesJson(await readText(io, file, `the ${option} file`), file);
  };
  return {
    program,
    run,
    seed,
    option: (name) => one(args, name),
    flag: (name) => args.flags.has(name),
    async inputs(): Promise<Record<string, Tensor>> {
      const file = one(args, 'inputs');
      if (file === undefined) return randomValues(program.inputs, seed);
      const raw = await readValues('inputs');
      try {
        return Object.fromEntries(program.inputValues(raw));
      } catch (e) {
        // Name the file: "in.json: input 'W' should have shape [3, 5], got [2, 5]".
        if (e instanceof GradientLabError) throw new GradientLabError(`${file}: ${e.message}`, e.diagnostics[0].kind);
        throw e;
      }
    },
    async values(option, ports, offset) {
      if (one(args, option) === undefined) return randomValues(ports, seed + offset);
      const given = await readValues(option);
      // Outputs without a cotangent are not seeded (weight zero); inputs without a direction move by zero.
      return option === 'cotangent' ? given : withZeroDirections(given, ports, option === 'tangent' ? 'tangent' : 'HVP direction');
    },
    describe(option, offset = 0) {
      return one(args, option) ?? `random normal, seed ${seed + offset}`;
    },
  };
}

function writeReport(report: Report, io: CliIo, context: Context, json: boolean): void {
  if (json) {
    const warnings = context.warnings.length > 0 ? { warnings: context.warnings.map(jsonDiagnostic) } : {};
    io.stdout.write(`${JSON.stringify({ ...report.json, ...warnings })}\n`);
    return;
  }
  for (const w of context.warnings) io.stderr.write(`${textDiagnostic(w, context.source, context.fileName)}\n`);
  io.stdout.write(`${report.text.join('\n')}\n`);
}

/** Reports any failure and returns its exit code; a JS stack trace is shown only for bugs, on request. */
function reportFailure(e: unknown, io: CliIo, context: Context, json: boolean): number {
  let problems: Problem[];
  let code: number = EXIT.failure;
  const lineZero = (kind: string, message: string): Problem => ({ severity: 'error', kind, message, line: 0, column: 0, length: 0, offset: 0 });
  if (e instanceof ProgramErrors || e instanceof GradientLabError) {
    // The library says "raise the budget"; on the command line that is an option.
    problems = e.diagnostics.map((d) => (d.kind === 'too-large' && d.message.endsWith('raise the budget') ? { ...d, message: `${d.message} with --memory-budget` } : d));
  } else if (e instanceof CliError) {
    problems = [lineZero(e.kind, e.message)];
    code = e.exitCode;
  } else {
    const message = e instanceof Error ? e.message : String(e);
    problems = [lineZero('internal', `internal error: ${message}`)];
    code = EXIT.internal;
  }
  if (json) {
    const warnings = context.warnings.length > 0 ? { warnings: context.warnings.map(jsonDiagnostic) } : {};
    io.stdout.write(`${JSON.stringify({ errors: problems.map(jsonDiagnostic), ...warnings })}\n`);
    return code;
  }
  for (const w of context.warnings) io.stderr.write(`${textDiagnostic(w, context.source, context.fileName)}\n`);
  for (const p of problems) io.stderr.write(`${textDiagnostic(p as Diagnostic, context.source, context.fileName)}\n`);
  if (code === EXIT.usage) io.stderr.write(`Run 'gradient-lab help' for usage.\n`);
  if (code === EXIT.internal) {
    io.stderr.write(process.env.GRADIENT_LAB_DEBUG ? `${(e as Error).stack}\n` : 'This is a bug in gradient-lab; set GRADIENT_LAB_DEBUG=1 to see the stack trace.\n');
  }
  return code;
}

/** The executable's entry point: runs `main` on this process's arguments and streams. */
export async function runFromProcess(): Promise<void> {
  // `gradient-lab ... | head` closes the pipe early; that is not an error.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? EXIT.ok);
    throw e;
  });
  process.exitCode = await main(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    readFile: (path) => readFile(path, 'utf8'),
    readStdin: () => text(process.stdin),
    cwd: process.cwd(),
  });
}
