import { hvpGraph, gradGraph, hvpOutputName } from '../ad/hvp.ts';
import { jvp as jvpTransform } from '../ad/jvp.ts';
import { vjp as vjpTransform } from '../ad/vjp.ts';
import type { DType, Tensor } from '../backend/cpu/tensor.ts';
import { cotangentName, tangentName, type Graph } from '../ir/graph.ts';
import { formatShape, numel, type Shape } from '../ir/shape.ts';
import { formatDiagnostic, type Diagnostic } from '../lang/diagnostics.ts';
import { lower, type PortInfo, type Sizes } from '../lang/lower.ts';
import { parse } from '../lang/parser.ts';
import { cpuBackend, type Backend } from './backend.ts';
import { graphFlops } from './cost.ts';
import { GradientLabError, runtimeError } from './errors.ts';
import { toTensor, type Values } from './values.ts';

/** Options shared by every computation on a compiled program. */
export interface RunOptions {
  readonly backend?: 'cpu';
  readonly dtype?: DType;
  /** Most bytes one pass may hold; batches are chunked to fit and single passes beyond it are refused. */
  readonly memoryBudget?: number;
  /** Seeds per pass for batched work (Jacobians, Hessians); default: as many as fit the budget. */
  readonly chunkSize?: number;
  readonly signal?: AbortSignal;
  /** Called after each pass of a chunked computation. */
  readonly onProgress?: (done: number, total: number) => void;
}

/** How a result was computed. */
export interface RunStats {
  readonly backend: string;
  readonly dtype: DType;
  readonly ms: number;
  /** Estimated floating-point operations of all passes, from the primitive cost table. */
  readonly flops: number;
  /** Graph executions (chunks). */
  readonly passes: number;
  readonly peakBytes: number;
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
  get inputWidth(): number { return this.inputs.reduce((s, p) => s + numel(p.shape), 0); }
  get outputWidth(): number { return this.outputs.reduce((s, p) => s + numel(p.shape), 0); }

  /**
   * A derived graph, built once per (kind, batch, output): 'jvp' and 'vjp' batched over `batch`,
   * 'grad' of one scalar output, 'hvp' (forward-over-reverse) of one scalar output.
   */
  derived(kind: DerivedKind, batch: Shape = [], output?: string): Graph {
    const key = `${kind}|${batch.join(',')}|${output ?? ''}`;
    let g = this.derivedCache.get(key);
    if (g === undefined) {
      switch (kind) {
        case 'jvp': g = jvpTransform(this.graph, batch); break;
        case 'vjp': g = vjpTransform(this.graph, batch); break;
        case 'grad': g = gradGraph(this.graph, this.scalarOutput(output, 'grad').name); break;
        case 'hvp': g = hvpGraph(this.graph, this.scalarOutput(output, 'hvp').name, batch); break;
      }
      this.derivedCache.set(key, g);
    }
    return g;
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
   * Forward mode: output tangents J·v for input tangents v (missing inputs: zero tangent). A tangent of
   * shape [k, ...input] is a batch of k directions, pushed through in one pass.
   */
  async jvp(inputs: Values, tangents: Values, options: RunOptions = {}): Promise<{ outputs: Record<string, Tensor>; tangents: Record<string, Tensor>; stats: RunStats }> {
    const seeds = this.seeds(tangents, this.inputs, 'tangent');
    const graph = this.derived('jvp', seeds.batch);
    const feed = this.inputValues(inputs);
    for (const p of this.inputs) feed.set(tangentName(p.name), seeds.values.get(p.name)!);
    const { values, stats } = await this.run(graph, feed, options);
    return {
      outputs: this.pick(values, this.outputs.map((p) => p.name)),
      tangents: Object.fromEntries(this.outputs.map((p) => [p.name, values.get(tangentName(p.name))!])),
      stats,
    };
  }

  /**
   * Reverse mode: input cotangents Jᵀ·u for output cotangents u (missing outputs: zero). A cotangent
   * of shape [k, ...output] is a batch of k seeds, pulled back in one pass.
   */
  async vjp(inputs: Values, cotangents: Values, options: RunOptions = {}): Promise<{ outputs: Record<string, Tensor>; cotangents: Record<string, Tensor>; stats: RunStats }> {
    const seeds = this.seeds(cotangents, this.outputs, 'cotangent');
    const graph = this.derived('vjp', seeds.batch);
    const feed = this.inputValues(inputs);
    for (const p of this.outputs) feed.set(cotangentName(p.name), seeds.values.get(p.name)!);
    const { values, stats } = await this.run(graph, feed, options);
    return {
      outputs: this.pick(values, this.outputs.map((p) => p.name)),
      cotangents: Object.fromEntries(this.inputs.map((p) => [p.name, values.get(cotangentName(p.name))!])),
      stats,
    };
  }

  /** Gradient of one scalar output with respect to every input (reverse mode, seed 1). */
  async grad(inputs: Values, options: RunOptions & { output?: string } = {}): Promise<{ output: string; value: number; gradient: Record<string, Tensor>; stats: RunStats }> {
    const output = this.scalarOutput(options.output, 'grad').name;
    const { values, stats } = await this.run(this.derived('grad', [], output), this.inputValues(inputs), options);
    return {
      output,
      value: values.get(output)!.data[0],
      gradient: Object.fromEntries(this.inputs.map((p) => [p.name, values.get(cotangentName(p.name))!])),
      stats,
    };
  }

  /**
   * Hessian-vector product H·v of one scalar output by forward-over-reverse: two AD passes, no Hessian.
   * `vector` has one direction per input (missing: zero), or a batch [k, ...input] of directions.
   */
  async hvp(inputs: Values, vector: Values, options: RunOptions & { output?: string } = {}): Promise<{ output: string; hvp: Record<string, Tensor>; gradient: Record<string, Tensor>; stats: RunStats }> {
    const output = this.scalarOutput(options.output, 'hvp').name;
    const seeds = this.seeds(vector, this.inputs, 'HVP direction');
    const graph = this.derived('hvp', seeds.batch, output);
    const feed = this.inputValues(inputs);
    for (const p of this.inputs) feed.set(tangentName(p.name), seeds.values.get(p.name)!);
    const { values, stats } = await this.run(graph, feed, options);
    return {
      output,
      hvp: Object.fromEntries(this.inputs.map((p) => [p.name, values.get(hvpOutputName(p.name))!])),
      gradient: Object.fromEntries(this.inputs.map((p) => [p.name, values.get(cotangentName(p.name))!])),
      stats,
    };
  }

  /** Run a graph on the chosen backend after checking that it fits the memory budget. */
  async run(graph: Graph, feed: ReadonlyMap<string, Tensor>, options: RunOptions): Promise<{ values: Map<string, Tensor>; stats: RunStats }> {
    const backend = this.backend(options);
    const dtype = options.dtype ?? 'f64';
    const peak = backend.peakBytes(graph, dtype);
    assertFits(peak, options.memoryBudget ?? DEFAULT_MEMORY_BUDGET);
    options.signal?.throwIfAborted();
    const start = performance.now();
    const values = await backend.run(graph, feed, dtype);
    const ms = performance.now() - start;
    return { values, stats: { backend: backend.description, dtype, ms, flops: graphFlops(graph), passes: 1, peakBytes: peak } };
  }

  backend(options: RunOptions): Backend {
    const name = options.backend ?? 'cpu';
    if (name !== 'cpu') throw runtimeError('backend', `unknown backend '${String(name)}': use 'cpu'`);
    return cpuBackend;
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

  /** Seeds for a batched pass: all given ones unbatched, or all [k, ...shape]; missing ones are zero. */
  private seeds(given: Values, ports: readonly PortInfo[], what: string): { batch: number[]; values: Map<string, Tensor> } {
    for (const name of Object.keys(given)) {
      if (!ports.some((p) => p.name === name)) throw runtimeError('unknown-name', `a ${what} for '${name}', which is not one of ${ports.map((p) => p.name).join(', ')}`);
    }
    const tensors = new Map<string, Tensor>();
    for (const p of ports) if (given[p.name] !== undefined) tensors.set(p.name, toTensor(given[p.name], p.shape, `the ${what} for '${p.name}'`, true));
    const batches = new Set([...tensors].map(([name, t]) => (t.shape.length > ports.find((p) => p.name === name)!.shape.length ? t.shape[0] : -1)));
    if (batches.size > 1) throw runtimeError('invalid-value', `the ${what}s must all be single directions or all batches of the same size k`);
    const k = batches.size === 1 ? [...batches][0] : -1;
    const batch = k === -1 ? [] : [k];
    for (const p of ports) if (!tensors.has(p.name)) tensors.set(p.name, { shape: [...batch, ...p.shape], data: new Float64Array(numel(batch) * numel(p.shape)) });
    return { batch, values: tensors };
  }

  private pick(values: Map<string, Tensor>, names: readonly string[]): Record<string, Tensor> {
    return Object.fromEntries(names.map((n) => [n, values.get(n)!]));
  }
}

/** Refuse a pass that would not fit, before allocating anything. */
export function assertFits(bytes: number, budget: number): void {
  if (bytes > budget) {
    const gib = (b: number) => `${(b / 1024 ** 3).toFixed(2)} GiB`;
    throw runtimeError('too-large', `this needs about ${gib(bytes)} of memory at once, more than the ${gib(budget)} budget: use smaller sizes, or raise the budget`);
  }
}
