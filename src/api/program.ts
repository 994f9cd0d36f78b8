import { hvpGraph, gradGraph, hvpOutputName } from '../ad/hvp.ts';
import { jvp as jvpTransform } from '../ad/jvp.ts';
import { vjp as vjpTransform } from '../ad/vjp.ts';
import type { DType, Tensor } from '../backend/cpu/tensor.ts';
import { cotangentName, tangentName, type Graph } from '../ir/graph.ts';
import { formatShape, numel, type Shape } from '../ir/shape.ts';
import { formatDiagnostic, type Diagnostic } from '../lang/diagnostics.ts';
import { lower, type PortInfo, type Sizes } from '../lang/lower.ts';
import { parse } from '../lang/parser.ts';
import { graphFlops } from './cost.ts';
import { GradientLabError, runtimeError } from './errors.ts';
import type { Backend } from './backend.ts';
import { fallback, selectBackend, type BackendChoice, type BackendRequest } from './select.ts';
import { toTensor, type Values } from './values.ts';

/** Options shared by every computation on a compiled program. */
export interface RunOptions {
  /** Where to compute (default 'cpu'); 'auto' measures both and picks the faster, falling back to the CPU. */
  readonly backend?: BackendRequest | Backend;
  /** Default: the backend's own (f64 on the CPU, f32 on WebGPU). */
  readonly dtype?: DType;
  /** Most bytes one pass may hold; batches are chunked to fit and single passes beyond it are refused. */
  readonly memoryBudget?: number;
  /** Seeds per pass for batched work (Jacobians, Hessians); default: as many as fit the budget. */
  readonly chunkSize?: number;
  readonly signal?: AbortSignal;
  /** Called after each pass of a chunked computation. */
  readonly onProgress?: (done: number, total: number) => void;
  /**
   * Time every GPU kernel with timestamp queries (stats.gpuMs and stats.kernels[].ms), where the adapter
   * has them. Off by default: the queries and a compute pass per kernel cost about a fifth of a small
   * run on SwiftShader (measured: a 64-wide layer 0.17 ms without, 0.25 ms with).
   */
  readonly profile?: boolean;
}

/** How a result was computed. */
export interface RunStats {
  readonly backend: 'cpu' | 'webgpu';
  /** The device in words, e.g. "WebGPU (google swiftshader (software adapter))". */
  readonly device: string;
  /** Why this backend ran (requested, predicted faster, or a fallback with its cause). */
  readonly reason: string;
  readonly dtype: DType;
  readonly ms: number;
  /** Estimated floating-point operations of all passes, from the primitive cost table. */
  readonly flops: number;
  /** Graph executions (chunks). */
  readonly passes: number;
  readonly peakBytes: number;
  /** GPU dispatches of all passes, and GPU time from timestamp queries where available. */
  readonly dispatches?: number;
  readonly gpuMs?: number | null;
  /** Per-kernel GPU times of the (last) pass, in dispatch order; ms is null without timestamp queries. */
  readonly kernels?: readonly { readonly label: string; readonly ms: number | null }[];
}

export const DEFAULT_MEMORY_BUDGET = 2 * 1024 ** 3;

export type CompileResult =
  | { readonly ok: true; readonly program: Program; readonly warnings: Diagnostic[] }
  | { readonly ok: false; readonly errors: Diagnostic[]; readonly warnings: Diagnostic[] };

/** Parse, shape-check and lower `source` with its sizes bound. Never throws on bad source. */
export function compile(source: string, sizes: Sizes = {}): CompileResult {
  const parsed = parse(source);
  const syntaxErrors = parsed.diagnostics.filter((d) => d.severity === 'error');
  if (syntaxErrors.length > 0) return { ok: false, errors: syntaxErrors, warnings: parsed.diagnostics.filter((d) => d.severity !== 'error') };
  const lowered = lower(parsed.program, sizes, source);
  const all = [...parsed.diagnostics, ...lowered.diagnostics];
  const errors = all.filter((d) => d.severity === 'error');
  const warnings = all.filter((d) => d.severity !== 'error');
  if (lowered.graph === undefined || errors.length > 0) return { ok: false, errors, warnings };
  return { ok: true, program: new Program(source, sizes, lowered.graph, lowered.inputs, lowered.outputs, warnings), warnings };
}

/** Like `compile`, but throws a GradientLabError carrying the diagnostics. */
export function compileOrThrow(source: string, sizes: Sizes = {}): Program {
  const result = compile(source, sizes);
  if (result.ok) return result.program;
  const message = result.errors.map((d) => formatDiagnostic(d, source)).join('\n');
  throw new GradientLabError(message, result.errors[0].kind, result.errors);
}

type DerivedKind = 'jvp' | 'vjp' | 'grad' | 'hvp';

/** Which inputs (`wrt`) and outputs (`of`) a derived graph differentiates; default: all of them. */
export interface Selection {
  readonly wrt?: readonly string[];
  readonly of?: readonly string[];
  /** For 'hvp': the inputs whose parts of H·v (and of the gradient) are computed; default all. */
  readonly parts?: readonly string[];
  /** For 'hvp': whether the graph also returns the output and its gradient (default true). */
  readonly gradient?: boolean;
}

/** A compiled program: its typed graph and every derivative computation on it. */
export class Program {
  private readonly derivedCache = new Map<string, Graph>();

  constructor(
    readonly source: string,
    readonly sizes: Sizes,
    readonly graph: Graph,
    readonly inputs: readonly PortInfo[],
    readonly outputs: readonly PortInfo[],
    readonly warnings: readonly Diagnostic[],
  ) {}

  /** Total number of scalar inputs (the Jacobian's width n) and outputs (its height m). */
  get inputWidth(): number { return width(this.inputs); }
  get outputWidth(): number { return width(this.outputs); }

  /**
   * A derived graph, built once per (kind, batch, selection): 'jvp' and 'vjp' batched over `batch`,
   * 'grad' of one scalar output, 'hvp' (forward-over-reverse) of one scalar output, where `wrt`
   * names the inputs that have directions.
   */
  derived(kind: DerivedKind, batch: Shape = [], selection: Selection = {}): Graph {
    const wrt = selection.wrt === undefined ? undefined : this.selectPorts(selection.wrt, this.inputs, 'input').map((p) => p.name);
    const of = selection.of === undefined ? undefined : this.selectPorts(selection.of, this.outputs, 'output').map((p) => p.name);
    const parts = selection.parts === undefined ? undefined : this.selectPorts(selection.parts, this.inputs, 'input').map((p) => p.name);
    const gradient = selection.gradient ?? true;
    const key = `${kind}|${batch.join(',')}|${wrt?.join(',') ?? '*'}|${of?.join(',') ?? '*'}|${parts?.join(',') ?? '*'}|${gradient}`;
    let g = this.derivedCache.get(key);
    if (g === undefined) {
      const scalar = () => this.scalarOutput(of?.[0], kind).name;
      switch (kind) {
        case 'jvp': g = jvpTransform(this.graph, batch, { wrt, outputs: of }); break;
        case 'vjp': g = vjpTransform(this.graph, batch, { wrt, outputs: of }); break;
        case 'grad': g = gradGraph(this.graph, scalar(), wrt); break;
        case 'hvp': g = hvpGraph(this.graph, scalar(), batch, wrt, parts, gradient); break;
      }
      this.derivedCache.set(key, g);
    }
    return g;
  }

  /** The named ports, in program order; unknown names are errors. */
  selectPorts(names: readonly string[], ports: readonly PortInfo[], what: string): PortInfo[] {
    for (const n of names) {
      if (!ports.some((p) => p.name === n)) throw runtimeError('unknown-name', `no ${what} named '${n}'; ${what}s: ${ports.map((p) => p.name).join(', ')}`);
    }
    return ports.filter((p) => names.includes(p.name));
  }

  /** Estimated FLOPs of one run of a graph. */
  flops(graph: Graph = this.graph): number {
    return graphFlops(graph);
  }

  /** The output values. */
  async evaluate(inputs: Values, options: RunOptions = {}): Promise<{ outputs: Record<string, Tensor>; stats: RunStats }> {
    const { values, stats } = await this.run(this.graph, this.inputValues(inputs), options);
    return { outputs: this.pick(values, this.outputs.map((p) => p.name)), stats };
  }

  /**
   * Forward mode: output tangents J·v for the given input tangents v. Inputs without a tangent are held
   * fixed (their tangent is a structural zero, never materialised). A tangent of shape [k, ...input] is
   * a batch of k directions, pushed through in one pass.
   */
  async jvp(inputs: Values, tangents: Values, options: RunOptions = {}): Promise<{ outputs: Record<string, Tensor>; tangents: Record<string, Tensor>; stats: RunStats }> {
    const seeds = this.seeds(tangents, this.inputs, 'tangent');
    const graph = this.derived('jvp', seeds.batch, { wrt: [...seeds.values.keys()] });
    const feed = this.inputValues(inputs);
    for (const [name, t] of seeds.values) feed.set(tangentName(name), t);
    const { values, stats } = await this.run(graph, feed, options);
    return {
      outputs: this.pick(values, this.outputs.map((p) => p.name)),
      tangents: Object.fromEntries(this.outputs.map((p) => [p.name, values.get(tangentName(p.name))!])),
      stats,
    };
  }

  /**
   * Reverse mode: input cotangents Jᵀ·u for the given output cotangents u (outputs without one are not
   * seeded). A cotangent of shape [k, ...output] is a batch of k seeds, pulled back in one pass.
   * `wrt` limits which inputs' cotangents are computed (default: all).
   */
  async vjp(inputs: Values, cotangents: Values, options: RunOptions & { wrt?: readonly string[] } = {}): Promise<{ outputs: Record<string, Tensor>; cotangents: Record<string, Tensor>; stats: RunStats }> {
    const seeds = this.seeds(cotangents, this.outputs, 'cotangent');
    const wrt = this.selectPorts(options.wrt ?? this.inputs.map((p) => p.name), this.inputs, 'input');
    const graph = this.derived('vjp', seeds.batch, { wrt: wrt.map((p) => p.name), of: [...seeds.values.keys()] });
    const feed = this.inputValues(inputs);
    for (const [name, t] of seeds.values) feed.set(cotangentName(name), t);
    const { values, stats } = await this.run(graph, feed, options);
    return {
      outputs: this.pick(values, this.outputs.map((p) => p.name)),
      cotangents: Object.fromEntries(wrt.map((p) => [p.name, values.get(cotangentName(p.name))!])),
      stats,
    };
  }

  /** Gradient of one scalar output with respect to the inputs (reverse mode, seed 1). */
  async grad(inputs: Values, options: RunOptions & { output?: string; wrt?: readonly string[] } = {}): Promise<{ output: string; value: number; gradient: Record<string, Tensor>; stats: RunStats }> {
    const output = this.scalarOutput(options.output, 'grad').name;
    const wrt = this.selectPorts(options.wrt ?? this.inputs.map((p) => p.name), this.inputs, 'input');
    const graph = this.derived('grad', [], { of: [output], wrt: wrt.map((p) => p.name) });
    const { values, stats } = await this.run(graph, this.inputValues(inputs), options);
    return {
      output,
      value: values.get(output)!.data[0],
      gradient: Object.fromEntries(wrt.map((p) => [p.name, values.get(cotangentName(p.name))!])),
      stats,
    };
  }

  /**
   * Hessian-vector product H·v of one scalar output by forward-over-reverse: two AD passes, no Hessian.
   * `vector` holds a direction per input (missing: zero, never materialised), or a batch [k, ...input]
   * of directions; the result has an entry for every input in `wrt` (default all), and only those parts
   * of H·v and of the gradient are computed. `gradient: false` skips the gradient (its record is then
   * empty), which saves a matrix product per weight the gradient flows back through.
   */
  async hvp(inputs: Values, vector: Values, options: RunOptions & { output?: string; wrt?: readonly string[]; gradient?: boolean } = {}): Promise<{ output: string; hvp: Record<string, Tensor>; gradient: Record<string, Tensor>; stats: RunStats }> {
    const output = this.scalarOutput(options.output, 'hvp').name;
    const seeds = this.seeds(vector, this.inputs, 'HVP direction');
    const wrt = this.selectPorts(options.wrt ?? this.inputs.map((p) => p.name), this.inputs, 'input');
    const gradient = options.gradient ?? true;
    const graph = this.derived('hvp', seeds.batch, { of: [output], wrt: [...seeds.values.keys()], parts: wrt.map((p) => p.name), gradient });
    const feed = this.inputValues(inputs);
    for (const [name, t] of seeds.values) feed.set(tangentName(name), t);
    const { values, stats } = await this.run(graph, feed, options);
    return {
      output,
      hvp: Object.fromEntries(wrt.map((p) => [p.name, values.get(hvpOutputName(p.name))!])),
      gradient: gradient ? Object.fromEntries(wrt.map((p) => [p.name, values.get(cotangentName(p.name))!])) : {},
      stats,
    };
  }

  /** The backend for `graph` under these options (see `selectBackend`). */
  chooseBackend(graph: Graph, options: RunOptions): Promise<BackendChoice> {
    return selectBackend(options.backend ?? 'cpu', graph, options.dtype);
  }

  /**
   * Runs a graph after checking that it fits the memory budget. Under 'auto', a WebGPU failure
   * (compile, validation, lost device, a buffer over the binding limit) falls back to the CPU and says so.
   */
  async run(graph: Graph, feed: ReadonlyMap<string, Tensor>, options: RunOptions, choice?: BackendChoice): Promise<{ values: Map<string, Tensor>; stats: RunStats }> {
    choice ??= await this.chooseBackend(graph, options);
    const { backend } = choice;
    const problem = backend.unsupported(graph);
    if (problem !== null) {
      if (choice.requested === 'auto' && backend.name === 'webgpu') return this.run(graph, feed, options, fallback(problem));
      throw runtimeError('too-large', `${backend.description} cannot run this: ${problem}; use smaller sizes or chunks`);
    }
    const dtype = options.dtype ?? backend.dtypes[0];
    const peak = backend.peakBytes(graph, dtype);
    assertFits(peak, options.memoryBudget ?? DEFAULT_MEMORY_BUDGET);
    options.signal?.throwIfAborted();
    const start = performance.now();
    let values: Map<string, Tensor>;
    try {
      values = await backend.run(graph, feed, dtype, { profile: options.profile ?? false });
    } catch (err) {
      if (!(err instanceof Error) || err.name !== 'GpuError') throw err;
      if (choice.requested === 'auto') return this.run(graph, feed, options, fallback(err.message));
      throw runtimeError('backend', err.message);
    }
    const ms = performance.now() - start;
    const profile = backend.profile();
    return {
      values,
      stats: {
        backend: backend.name, device: backend.description, reason: choice.reason, dtype, ms, flops: graphFlops(graph), passes: 1, peakBytes: peak,
        ...(profile ? { dispatches: profile.dispatches, gpuMs: profile.gpuMs, kernels: profile.kernels } : {}),
      },
    };
  }

  /** The named scalar output (or the only output) for grad and hvp, with errors that explain the fix. */
  scalarOutput(name: string | undefined, what: string): PortInfo {
    let port: PortInfo | undefined;
    if (name === undefined) {
      if (this.outputs.length > 1) {
        throw runtimeError('unknown-name', `${what} needs one scalar output, and the program has ${this.outputs.length} (${this.outputs.map((p) => p.name).join(', ')}): choose one with --output NAME`);
      }
      port = this.outputs[0];
    } else {
      port = this.outputs.find((p) => p.name === name);
      if (port === undefined) throw runtimeError('unknown-name', `no output named '${name}'; outputs: ${this.outputs.map((p) => p.name).join(', ')}`);
    }
    if (port.shape.length > 0) {
      throw runtimeError('not-scalar',
        `${what} needs a scalar output, but '${port.name}' has shape ${formatShape(port.shape)}. Reverse mode starts from one scalar seed: `
        + `reduce it first (e.g. \`output loss = sum(${port.name})\`), or use vjp with explicit cotangent weights for '${port.name}'.`);
    }
    return port;
  }

  /** Input tensors by name: every input must be given, with its exact shape; unknown names are errors. */
  inputValues(values: Values): Map<string, Tensor> {
    for (const name of Object.keys(values)) {
      if (!this.inputs.some((p) => p.name === name)) throw runtimeError('unknown-name', `no input named '${name}'; inputs: ${this.inputs.map((p) => p.name).join(', ')}`);
    }
    return new Map(this.inputs.map((p) => {
      const v = values[p.name];
      if (v === undefined) throw runtimeError('invalid-value', `missing a value for input '${p.name}' ${formatShape(p.shape)}`);
      return [p.name, toTensor(v, p.shape, `input '${p.name}'`)];
    }));
  }

  /** The given seeds, checked: all single directions, or all batches [k, ...shape] of the same k. */
  private seeds(given: Values, ports: readonly PortInfo[], what: string): { batch: number[]; values: Map<string, Tensor> } {
    for (const name of Object.keys(given)) {
      if (!ports.some((p) => p.name === name)) throw runtimeError('unknown-name', `a ${what} for '${name}', which is not one of ${ports.map((p) => p.name).join(', ')}`);
    }
    const values = new Map<string, Tensor>();
    for (const p of ports) if (given[p.name] !== undefined) values.set(p.name, toTensor(given[p.name], p.shape, `the ${what} for '${p.name}'`, true));
    const batchOf = (name: string, t: Tensor) => (t.shape.length > ports.find((p) => p.name === name)!.shape.length ? t.shape[0] : -1);
    const batches = new Set([...values].map(([name, t]) => batchOf(name, t)));
    if (batches.size > 1) throw runtimeError('invalid-value', `the ${what}s must all be single directions or all batches of the same size k`);
    const k = batches.size === 1 ? [...batches][0] : -1;
    return { batch: k === -1 ? [] : [k], values };
  }

  private pick(values: Map<string, Tensor>, names: readonly string[]): Record<string, Tensor> {
    return Object.fromEntries(names.map((n) => [n, values.get(n)!]));
  }
}

/** Number of scalars in some ports. */
export function width(ports: readonly PortInfo[]): number {
  return ports.reduce((s, p) => s + numel(p.shape), 0);
}

/** Refuse a pass that would not fit, before allocating anything. */
export function assertFits(bytes: number, budget: number): void {
  if (bytes > budget) {
    const gib = (b: number) => `${(b / 1024 ** 3).toFixed(2)} GiB`;
    throw runtimeError('too-large', `this needs about ${gib(bytes)} of memory at once, more than the ${gib(budget)} budget: use smaller sizes, or raise the budget`);
  }
}
