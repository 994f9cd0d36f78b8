// The command line's vocabulary (every command and option, with its one-line help) and a small
// parser for it. Options may come before or after the command; `--name=value` and `--name value`
// both work; `--` ends the options. Anything unknown or incomplete is a usage error (exit code 2).
import { usageError } from './errors.ts';

export type CommandName = 'eval' | 'jvp' | 'vjp' | 'grad' | 'jacobian' | 'hvp' | 'hessian' | 'check' | 'graph' | 'wgsl' | 'help';

export interface CommandSpec {
  readonly summary: string;
  /** Extra options beyond the ones every program command takes. */
  readonly options: readonly OptionName[];
}

/** Options every command that runs a program accepts. */
export const COMMON_OPTIONS = ['expr', 'size', 'inputs', 'seed', 'backend', 'dtype', 'memory-budget', 'json'] as const;

export const COMMANDS: Readonly<Record<CommandName, CommandSpec>> = {
  eval: { summary: 'evaluate the outputs', options: [] },
  jvp: { summary: 'forward mode: output tangents J·v for input tangents v', options: ['tangent'] },
  vjp: { summary: 'reverse mode: input cotangents Jᵀ·u for output cotangents u', options: ['cotangent'] },
  grad: { summary: 'gradient of one scalar output with respect to every input', options: ['output'] },
  jacobian: { summary: 'the full Jacobian, by batched JVPs (fwd) or VJPs (rev)', options: ['mode', 'chunk', 'fold-seeds'] },
  hvp: { summary: 'Hessian-vector product H·v of one scalar output (forward-over-reverse)', options: ['output', 'vector'] },
  hessian: { summary: 'the full Hessian of one scalar output (small inputs only)', options: ['output'] },
  check: { summary: 'check JVP, VJP and HVP against finite differences and each other', options: [] },
  graph: { summary: 'print the primal or a derived graph (IR listing or Graphviz DOT)', options: ['mode', 'output', 'dot'] },
  wgsl: { summary: 'print the WebGPU dispatches and WGSL kernels of a graph (needs no GPU)', options: ['mode', 'batch', 'output'] },
  help: { summary: 'show this help, or one command\'s', options: [] },
};

export type OptionName =
  | typeof COMMON_OPTIONS[number]
  | 'tangent' | 'cotangent' | 'output' | 'vector' | 'mode' | 'chunk' | 'fold-seeds' | 'batch' | 'dot' | 'help' | 'version';

export interface OptionSpec {
  /** 'flag' takes no value; 'value' takes one; 'repeat' takes one each time and may be repeated. */
  readonly kind: 'flag' | 'value' | 'repeat';
  readonly short?: string;
  /** The value's placeholder in the help text. */
  readonly metavar?: string;
  readonly help: string;
  /** Shown instead of `help` for a command where the option means something else. */
  readonly helpFor?: Partial<Record<CommandName, { metavar: string; help: string }>>;
}

export const OPTIONS: Readonly<Record<OptionName, OptionSpec>> = {
  expr: { kind: 'value', short: 'e', metavar: 'SOURCE', help: 'program text instead of FILE (a literal \\n starts a new line; FILE - reads stdin)' },
  size: { kind: 'repeat', metavar: 'n=4,m=3', help: 'bind size names used in input shapes; may be repeated' },
  inputs: { kind: 'value', metavar: 'FILE', help: 'input values as JSON: {"x": [..], "W": [[..]], "s": 1.5}' },
  seed: { kind: 'value', metavar: 'N', help: 'seed for the random normal inputs and directions (default 0)' },
  backend: { kind: 'value', metavar: 'cpu|webgpu|auto', help: 'where to compute (default cpu); auto measures both and picks the faster' },
  dtype: { kind: 'value', metavar: 'f64|f32', help: 'floating-point precision (default: f64 on the CPU, f32 on WebGPU)' },
  'memory-budget': { kind: 'value', metavar: 'BYTES', help: 'most memory one pass may use, e.g. 512M or 2G (default: half the RAM, at most 8G)' },
  json: { kind: 'flag', help: 'print machine-readable JSON to stdout (errors too)' },
  tangent: { kind: 'value', metavar: 'FILE', help: 'input tangents v as JSON, one entry per input (default: random, seed+1)' },
  cotangent: { kind: 'value', metavar: 'FILE', help: 'output cotangents u as JSON, one entry per output (default: random, seed+2)' },
  vector: { kind: 'value', metavar: 'FILE', help: 'direction v as JSON, one entry per input (default: random, seed+1)' },
  output: { kind: 'value', metavar: 'NAME', help: 'which scalar output to differentiate (needed when there are several)' },
  mode: {
    kind: 'value',
    metavar: 'MODE',
    help: 'jacobian: fwd|rev|auto; graph: primal|jvp|vjp|grad|hvp; wgsl: primal|jvp|vjp|hvp',
    helpFor: {
      jacobian: { metavar: 'fwd|rev|auto', help: 'forward (one JVP per input element), reverse (one VJP per output element), or auto: the cheaper by the FLOP model (default)' },
      graph: { metavar: 'primal|jvp|vjp|grad|hvp', help: 'which graph to print (default primal; grad and hvp need a scalar output)' },
      wgsl: { metavar: 'primal|jvp|vjp|hvp', help: 'which graph\'s kernels to print (default primal; hvp needs a scalar output)' },
    },
  },
  chunk: { kind: 'value', metavar: 'K', help: 'seeds per pass (default: as many as fit the memory budget); the result does not depend on it' },
  'fold-seeds': { kind: 'flag', help: 'keep the identity seeds symbolic, one pass per port: the first matrix product they meet becomes a scaled copy (faster; changes what each mode costs)' },
  batch: { kind: 'value', metavar: 'K', help: 'directions pushed (jvp, hvp) or pulled (vjp) in one pass (default: one, unbatched)' },
  dot: { kind: 'flag', help: 'print Graphviz DOT instead of the IR listing' },
  help: { kind: 'flag', short: 'h', help: 'show help' },
  version: { kind: 'flag', help: 'print the version' },
};

/** A parsed command line: the command, the program file if given, and the options by name. */
export interface ParsedArgs {
  readonly command: CommandName | undefined;
  /** Positional arguments after the command (the program FILE, or the COMMAND of `help`). */
  readonly positionals: readonly string[];
  readonly values: ReadonlyMap<OptionName, readonly string[]>;
  readonly flags: ReadonlySet<OptionName>;
}

const isCommand = (name: string): name is CommandName => Object.hasOwn(COMMANDS, name);
const isOption = (name: string): name is OptionName => Object.hasOwn(OPTIONS, name);

/** The closest of `candidates` to `word` within two edits, for "did you mean" hints. */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const c of candidates) {
    const d = editDistance(word, c);
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row.push(Math.min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1)));
    previous = row;
  }
  return previous[b.length];
}

function optionNamed(token: string): OptionName {
  if (token.startsWith('--')) {
    const name = token.slice(2);
    if (isOption(name)) return name;
    const hint = closest(name, Object.keys(OPTIONS));
    throw usageError(`unknown option '${token}'${hint ? `; did you mean '--${hint}'?` : ''}`);
  }
  const short = (Object.keys(OPTIONS) as OptionName[]).find((n) => OPTIONS[n].short === token.slice(1));
  if (short === undefined) throw usageError(`unknown option '${token}'`);
  return short;
}

/** Splits argv into command, positionals and options; checks names, values and which command takes what. */
export function parseArgs(argv: readonly string[]): ParsedArgs {
  const positionals: string[] = [];
  const values = new Map<OptionName, string[]>();
  const flags = new Set<OptionName>();
  let optionsEnded = false;
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i];
    // A lone '-' is a positional (conventionally stdin); so is everything after '--'.
    if (optionsEnded || !token.startsWith('-') || token === '-') {
      positionals.push(token);
      continue;
    }
    if (token === '--') {
      optionsEnded = true;
      continue;
    }
    const eq = token.startsWith('--') ? token.indexOf('=') : -1;
    const name = optionNamed(eq === -1 ? token : token.slice(0, eq));
    const spec = OPTIONS[name];
    const label = `--${name}`;
    if (spec.kind === 'flag') {
      if (eq !== -1) throw usageError(`option ${label} takes no value`);
      flags.add(name);
      continue;
    }
    let value: string;
    if (eq !== -1) {
      value = token.slice(eq + 1);
    } else {
      const next = argv[i + 1];
      if (next === undefined) throw usageError(`option ${label} needs a value: ${label} ${spec.metavar}`);
      if (next.startsWith('--') && next.length > 2) throw usageError(`option ${label} needs a value (${label} ${spec.metavar}), but is followed by the option '${next}'`);
      value = next;
      i++;
    }
    const previous = values.get(name);
    if (previous !== undefined && spec.kind !== 'repeat') throw usageError(`option ${label} is given more than once`);
    values.set(name, [...(previous ?? []), value]);
  }

  const [first, ...rest] = positionals;
  if (first === undefined) return { command: undefined, positionals: [], values, flags };
  if (!isCommand(first)) {
    const hint = closest(first, Object.keys(COMMANDS));
    throw usageError(`unknown command '${first}'${hint ? `; did you mean '${hint}'?` : ''}`);
  }
  const parsed: ParsedArgs = { command: first, positionals: rest, values, flags };
  checkApplicable(parsed);
  return parsed;
}

/** Every option given must belong to the command (or be one all program commands take). */
function checkApplicable({ command, positionals, values, flags }: ParsedArgs): void {
  if (command === undefined || command === 'help' || flags.has('help')) return;
  const allowed = new Set<OptionName>([...COMMON_OPTIONS, ...COMMANDS[command].options, 'help', 'version']);
  for (const name of [...values.keys(), ...flags]) {
    if (allowed.has(name)) continue;
    const users = (Object.keys(COMMANDS) as CommandName[]).filter((c) => COMMANDS[c].options.includes(name));
    throw usageError(`option --${name} does not apply to '${command}'${users.length > 0 ? ` (it is for: ${users.join(', ')})` : ''}`);
  }
  const hasExpr = values.has('expr');
  if (positionals.length > (hasExpr ? 0 : 1)) {
    const extra = positionals[hasExpr ? 0 : 1];
    throw usageError(hasExpr ? `unexpected argument '${extra}': the program is given with -e` : `unexpected argument '${extra}': '${command}' takes one program FILE`);
  }
  if (positionals.length === 0 && !hasExpr) throw usageError(`'${command}' needs a program: a FILE, or -e SOURCE`);
}
