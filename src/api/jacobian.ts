import { BYTES_PER_ELEMENT, type Tensor } from '../backend/cpu/tensor.ts';
import { columnsName, foldIdentitySeed } from '../ad/identity-seeds.ts';
import { cotangentName, findInput, tangentName, type Graph } from '../ir/graph.ts';
import { numel } from '../ir/shape.ts';
import type { PortInfo } from '../lang/lower.ts';
import { graphFlops } from './cost.ts';
import { runtimeError } from './errors.ts';
import { assertFits, DEFAULT_MEMORY_BUDGET, width, type Program, type RunOptions, type RunStats } from './program.ts';
import type { Values } from './values.ts';

export type JacobianMode = 'fwd' | 'rev';

export interface JacobianOptions extends RunOptions {
  readonly mode?: JacobianMode | 'auto';
  /** Inputs to differentiate with respect to (the Jacobian's columns); default: all. */
  readonly wrt?: readonly string[];
  /** Outputs to differentiate (the Jacobian's rows); default: all. */
  readonly of?: readonly string[];
  /**
   * Keep the identity seeds symbolic (one pass per port; see foldIdentitySeed): the first matrix
   * product they meet becomes a scaled copy, so a layer's Jacobian needs no product at all. Off by
   * default because it changes what each mode costs, which is what the mode comparison shows.
   */
  readonly foldSeeds?: boolean;
}

export interface JacobianResult {
  readonly outputs: Record<string, Tensor>;
  /**
   * jacobian[output][input] has shape [numel(output), numel(input)], both flattened row-major, in the
   * precision it was computed in (Float64Array for f64, Float32Array for f32).
   */
  readonly jacobian: Record<string, Record<string, Tensor>>;
  readonly mode: JacobianMode;
  readonly requested: JacobianMode | 'auto';
  /** FLOP-model estimates of the whole Jacobian by each mode, and why `auto` chose what it chose. */
  readonly estimates: { readonly fwd: number; readonly rev: number; readonly reason: string };
  /** Seeds pushed (n for fwd, m for rev) and the chunk size used. */
  readonly seeds: number;
  readonly chunkSize: number;
  /** Whether the identity seeds were folded (see JacobianOptions.foldSeeds). */
  readonly foldSeeds: boolean;
  readonly stats: RunStats;
}

/** A run of consecutive seeds of one chunk that belong to one port: seeds j0 .. j0 + count - 1 are its elements index0 ... */
interface SeedRange {
  readonly port: PortInfo;
  readonly index0: number;
  readonly j0: number;
  readonly count: number;
}

/** Seeds first .. first + k - 1 (numbered across `ports` in order), split where they cross from one port to the next. */
function seedRanges(ports: readonly PortInfo[], first: number, k: number): SeedRange[] {
  const ranges: SeedRange[] = [];
  let start = 0;
  for (const port of ports) {
    const size = numel(port.shape);
    const lo = Math.max(first, start);
    const hi = Math.min(first + k, start + size);
    if (lo < hi) ranges.push({ port, index0: lo - start, j0: lo - first, count: hi - lo });
    start += size;
  }
  return ranges;
}

/**
 * Forward mode: seed j0 + t's result (row j0 + t of `result`, `size` long) is column index0 + t of `block`.
 * Written in tiles of 32 seeds, so the strided side of this transpose stays in cache.
 */
function scatterColumns(result: ArrayLike<number>, size: number, r: SeedRange, block: Tensor): void {
  const width = block.shape[1];
  const out = block.data;
  for (let t0 = 0; t0 < r.count; t0 += 32) {
    const t1 = Math.min(r.count, t0 + 32);
    for (let i = 0; i < size; i++) {
      const row = i * width + r.index0;
      for (let t = t0; t < t1; t++) out[row + t] = result[(r.j0 + t) * size + i];
    }
  }
}

/** Forward mode from a folded pass's columns output ([size, k]: row i holds output element i for each seed). */
function copyColumns(columns: Float64Array | Float32Array, size: number, k: number, r: SeedRange, block: Tensor): void {
  const width = block.shape[1];
  for (let i = 0; i < size; i++) block.data.set(columns.subarray(i * k + r.j0, i * k + r.j0 + r.count), i * width + r.index0);
}

/** Reverse mode: seeds j0 .. j0 + count - 1 give rows index0 .. of `block`, already laid out as its rows. */
function copyRows(result: Float64Array | Float32Array, size: number, r: SeedRange, block: Tensor): void {
  block.data.set(result.subarray(r.j0 * size, (r.j0 + r.count) * size), r.index0 * size);
}

/**
 * The full Jacobian, built from batched JVPs (forward: n identity seeds, one per input element, each
 * giving a column) or batched VJPs (reverse: m seeds, each giving a row). 'auto' compares the FLOP
 * model of both derived graphs. Seeds are processed in chunks that fit the memory budget, or with
 * `foldSeeds` one folded pass per port; the answer does not depend on either.
 */
export async function jacobian(program: Program, inputs: Values, options: JacobianOptions = {}): Promise<JacobianResult> {
  const inPorts = program.selectPorts(options.wrt ?? program.inputs.map((p) => p.name), program.inputs, 'input');
  const outPorts = program.selectPorts(options.of ?? program.outputs.map((p) => p.name), program.outputs, 'output');
  const selection = { wrt: inPorts.map((p) => p.name), of: outPorts.map((p) => p.name) };
  const n = width(inPorts);
  const m = width(outPorts);
  const planFor = (mode: JacobianMode) => new PassPlanner(program, mode, mode === 'fwd' ? inPorts : outPorts, selection, options.foldSeeds ?? false);
  const planners = { fwd: planFor('fwd'), rev: planFor('rev') };
  const fwd = planners.fwd.flops();
  const rev = planners.rev.flops();
  const requested = options.mode ?? 'auto';
  const mode: JacobianMode = requested === 'auto' ? (fwd <= rev ? 'fwd' : 'rev') : requested;
  const reason = requested !== 'auto'
    ? `${mode} was requested`
    : `${mode === 'fwd' ? 'forward' : 'reverse'} mode is estimated cheaper: ${n} JVP seeds cost ≈${fwd.toExponential(2)} FLOPs, ${m} VJP seeds ≈${rev.toExponential(2)}`;

  const budget = options.memoryBudget ?? DEFAULT_MEMORY_BUDGET;
  // Refused before a backend is chosen when even f32 blocks (the smallest) would not fit.
  assertFits(m * n * (options.dtype === 'f64' ? 8 : 4), budget);
  const planner = planners[mode];
  const readPorts = mode === 'fwd' ? outPorts : inPorts;
  // One backend for every pass, chosen for the largest; passes are sized for it.
  const choice = await program.chooseBackend(planner.largestGraph(), options);
  const { backend } = choice;
  const dtype = options.dtype ?? backend.dtypes[0];
  const resultBytes = m * n * BYTES_PER_ELEMENT[dtype];
  assertFits(resultBytes, budget);
  const peakFor = (graph: Graph) => (backend.unsupported(graph) === null ? backend.peakBytes(graph, dtype) : Infinity);
  const { passes, chunkSize } = planner.passes(peakFor, budget - resultBytes, options.chunkSize);

  // Seeds and blocks in the backend's own precision, so no pass converts them (and an f32 Jacobian
  // takes half the memory: 64 MiB instead of 128 at 4096 × 4096).
  const seedArray = (length: number) => (dtype === 'f32' ? new Float32Array(length) : new Float64Array(length));
  // A block is made when a pass first writes part of it, unless one pass gives all of it in its own
  // layout (a folded pass, or every seed of a single port at once): that output becomes the block, with
  // no copy (a 1024-wide layer's folded Jacobian is 4 MiB).
  const blocks: Record<string, Record<string, Tensor>> = Object.fromEntries(outPorts.map((out) => [out.name, {}]));
  const adopted = new Set<Float64Array | Float32Array>();
  const blockFor = (out: PortInfo, inp: PortInfo): Tensor =>
    (blocks[out.name][inp.name] ??= { shape: [numel(out.shape), numel(inp.shape)], data: seedArray(numel(out.shape) * numel(inp.shape)) });
  const adopt = (out: PortInfo, inp: PortInfo, data: Float64Array | Float32Array, ranges: readonly SeedRange[], k: number): boolean => {
    const whole = ranges.length === 1 && ranges[0].j0 === 0 && ranges[0].count === k && ranges[0].count === numel(ranges[0].port.shape);
    if (!whole || blocks[out.name][inp.name] !== undefined || data.length !== numel(out.shape) * numel(inp.shape) || !(data instanceof (dtype === 'f32' ? Float32Array : Float64Array))) return false;
    // Never an array the caller gets elsewhere too (a graph may return one node under two names).
    if (adopted.has(data) || Object.values(outputs ?? {}).some((t) => t.data === data)) return false;
    adopted.add(data);
    blocks[out.name][inp.name] = { shape: [numel(out.shape), numel(inp.shape)], data };
    return true;
  };
  const feedName = mode === 'fwd' ? tangentName : cotangentName;
  const start = performance.now();
  let outputs: Record<string, Tensor> | undefined;
  let flops = 0;
  let peak = 0;
  let dispatches = 0;
  let gpuMs = 0;
  let done = 0;
  let last: RunStats | undefined;
  const given = program.inputValues(inputs);
  for (const pass of passes) {
    options.signal?.throwIfAborted();
    const feed = new Map(given);
    const ranges = seedRanges(pass.ports, pass.first, pass.k);
    for (const p of pass.ports) {
      // A folded pass may not read its seed at all (the identity became a copy of a matrix).
      if (findInput(pass.graph, feedName(p.name)) === undefined) continue;
      const size = numel(p.shape);
      const seed = seedArray(pass.k * size);
      for (const r of ranges) if (r.port === p) for (let t = 0; t < r.count; t++) seed[(r.j0 + t) * size + r.index0 + t] = 1;
      feed.set(feedName(p.name), { shape: [pass.k, ...p.shape], data: seed });
    }
    const { values, stats } = await program.run(pass.graph, feed, options, choice);
    last = stats;
    flops += stats.flops;
    dispatches += stats.dispatches ?? 0;
    if (stats.gpuMs != null) gpuMs += stats.gpuMs;
    peak = Math.max(peak, stats.peakBytes);
    outputs ??= Object.fromEntries(program.outputs.map((p) => [p.name, values.get(p.name)!]));
    // Forward: a seed on input element `index` gives that column of every output's block.
    // Reverse: a seed on output element `index` gives that row of every input's block.
    for (const p of readPorts) {
      const size = numel(p.shape);
      const columns = values.get(columnsName(feedName(p.name)));
      if (columns !== undefined) {
        if (adopt(p, ranges[0].port, columns.data, ranges, pass.k)) continue;
        for (const r of ranges) copyColumns(columns.data, size, pass.k, r, blockFor(p, r.port));
        continue;
      }
      const result = values.get(feedName(p.name))!.data;
      if (mode === 'rev' && adopt(ranges[0].port, p, result, ranges, pass.k)) continue;
      for (const r of ranges) {
        if (mode === 'fwd') scatterColumns(result, size, r, blockFor(p, r.port));
        else copyRows(result, size, r, blockFor(r.port, p));
      }
    }
    done += pass.k;
    options.onProgress?.(done, planner.total);
  }
  outputs ??= (await program.evaluate(inputs, options)).outputs;
  // In the ports' order, whichever pass made each block first; none is left out.
  const jacobianBlocks = Object.fromEntries(outPorts.map((out) => [out.name, Object.fromEntries(inPorts.map((inp) => [inp.name, blockFor(out, inp)]))]));
  const stats: RunStats = {
    backend: last?.backend ?? backend.name, device: last?.device ?? backend.description, reason: last?.reason ?? choice.reason,
    dtype, ms: performance.now() - start, flops, passes: passes.length, peakBytes: peak,
    ...(dispatches > 0 ? { dispatches, gpuMs: last?.gpuMs == null ? null : gpuMs, kernels: last?.kernels } : {}),
  };
  return { outputs, jacobian: jacobianBlocks, mode, requested, estimates: { fwd, rev, reason }, seeds: planner.total, chunkSize, foldSeeds: options.foldSeeds ?? false, stats };
}

/**
 * Folded graphs by the dense graph they came from (which the program caches), so that repeated
 * Jacobians reuse one graph object, and with it the backends' compiled plans.
 */
const foldedGraphs = new WeakMap<Graph, Graph>();

/** One graph execution: seeds first .. first + k − 1, numbered across `ports` in order. */
interface Pass {
  readonly graph: Graph;
  readonly ports: readonly PortInfo[];
  readonly first: number;
  readonly k: number;
}

/**
 * Splits a Jacobian's seeds into passes. Dense seeds: chunks of seeds that may span ports, each pass
 * one batched JVP or VJP over all of them. Folded seeds: one pass per port whose whole identity fits,
 * with the identity kept symbolic (foldIdentitySeed); a port too large for that is chunked on its own.
 */
class PassPlanner {
  readonly total: number;
  private readonly kind: 'jvp' | 'vjp';

  constructor(
    private readonly program: Program,
    mode: JacobianMode,
    private readonly seedPorts: readonly PortInfo[],
    private readonly selection: { readonly wrt: readonly string[]; readonly of: readonly string[] },
    private readonly fold: boolean,
  ) {
    this.kind = mode === 'fwd' ? 'jvp' : 'vjp';
    this.total = width(seedPorts);
  }

  /** The batched derived graph for k seeds of `ports` (all seed ports by default). */
  graph(k: number, ports: readonly PortInfo[] = this.seedPorts): Graph {
    const names = ports.map((p) => p.name);
    return this.program.derived(this.kind, [k], this.kind === 'jvp' ? { ...this.selection, wrt: names } : { ...this.selection, of: names });
  }

  /** The pass over all of a port's seeds with its identity folded (built once per dense graph). */
  folded(port: PortInfo): Graph {
    const dense = this.graph(numel(port.shape), [port]);
    let graph = foldedGraphs.get(dense);
    if (graph === undefined) {
      // Forward mode's tangents come out as the block's columns where they can (no transpose on either side).
      graph = foldIdentitySeed(dense, (this.kind === 'jvp' ? tangentName : cotangentName)(port.name), { columns: this.kind === 'jvp' });
      foldedGraphs.set(dense, graph);
    }
    return graph;
  }

  /** FLOP-model estimate of the whole Jacobian (every seed, one pass per port when folded). */
  flops(): number {
    if (!this.fold) return graphFlops(this.graph(this.total));
    return this.seedPorts.reduce((sum, p) => sum + graphFlops(this.folded(p)), 0);
  }

  /** The graph the backend is chosen for: all seeds in one pass, or the largest port's folded pass. */
  largestGraph(): Graph {
    if (!this.fold || this.seedPorts.length === 0) return this.graph(Math.max(this.total, 1));
    const largest = this.seedPorts.reduce((a, p) => (numel(p.shape) > numel(a.shape) ? p : a));
    return this.folded(largest);
  }

  /** The passes, and the chunk size they amount to (the requested one, else the largest pass). */
  passes(peakFor: (graph: Graph) => number, budget: number, chunkSize: number | undefined): { passes: Pass[]; chunkSize: number } {
    if (chunkSize !== undefined && (!Number.isInteger(chunkSize) || chunkSize < 1)) {
      throw runtimeError('invalid-value', `chunk size must be a positive whole number, got ${chunkSize}`);
    }
    if (!this.fold) {
      const chunk = chunkSize ?? chooseChunk(this.total, (k) => peakFor(this.graph(k)), budget);
      return { passes: this.chunked(this.seedPorts, chunk), chunkSize: chunk };
    }
    const passes = this.seedPorts.flatMap((port) => {
      const k = numel(port.shape);
      const graph = this.folded(port);
      if ((chunkSize === undefined || chunkSize >= k) && peakFor(graph) <= budget) return [{ graph, ports: [port], first: 0, k }];
      return this.chunked([port], chunkSize ?? chooseChunk(k, (c) => peakFor(this.graph(c, [port])), budget));
    });
    return { passes, chunkSize: chunkSize ?? Math.max(1, ...passes.map((p) => p.k)) };
  }

  private chunked(ports: readonly PortInfo[], chunk: number): Pass[] {
    const total = width(ports);
    const passes: Pass[] = [];
    for (let first = 0; first < total; first += chunk) {
      const k = Math.min(chunk, total - first);
      passes.push({ graph: this.graph(k, ports), ports, first, k });
    }
    return passes;
  }
}

/**
 * The largest chunk of seeds whose pass fits in `budget` bytes. Peak memory grows about linearly with
 * the batch, so two probes give the slope; the guess is then confirmed (halving until it fits).
 */
export function chooseChunk(total: number, peakFor: (k: number) => number, budget: number): number {
  if (total <= 1) return 1;
  const p1 = peakFor(1);
  if (p1 > budget) assertFits(p1, budget);
  const perSeed = Math.max(peakFor(2) - p1, 1);
  let k = Math.max(1, Math.min(total, Math.floor((budget - p1) / perSeed) + 1));
  while (k > 1 && peakFor(k) > budget) k = Math.floor(k / 2);
  return k;
}
