// The 'bench' task: sweeps the input width n and output width m of a program and times the full
// Jacobian by forward mode (n batched JVP seeds) and reverse mode (m batched VJP seeds), next to the
// FLOP model's estimate of both. It runs in the engine worker and reports each point as it finishes.
import { median } from '../../bench/measure.ts';
import { MLP } from '../../bench/programs.ts';
import { compile, jacobian, randomValues, type DType, type Program, type Tensor } from '../../index.ts';

/** The median of timed samples, shared with the Node benchmark. */
export { median };

export type BenchBackend = 'cpu' | 'webgpu';

/** Largest width a sweep may reach (as the size controls allow). */
export const MAX_BENCH_WIDTH = 4096;

/** What to sweep: a program, which of its sizes are n and m, and the grid. */
export interface BenchSpec {
  readonly label: string;
  readonly source: string;
  /** The size name swept as the input width n, and the one swept as m (null: nothing swept as m). */
  readonly nSize: string;
  readonly mSize: string | null;
  /** Every other size: a fixed number, or tied to the swept n or m. */
  readonly others: Readonly<Record<string, number | 'n' | 'm'>>;
  /** The input the Jacobian is taken with respect to; its rows are every output. */
  readonly wrt: string;
  readonly ns: readonly number[];
  /** Values of m; ignored (one column) when mSize is null. */
  readonly ms: readonly number[];
  readonly backends: readonly BenchBackend[];
  /** Timed runs per quantity after the warm-up; their median is reported. */
  readonly runs: number;
  readonly seed: number;
}

/** A preset workload family. */
export interface BenchFamily {
  readonly id: string;
  readonly label: string;
  readonly source: string;
  readonly nSize: string;
  readonly mSize: string;
  readonly others: Readonly<Record<string, number | 'n' | 'm'>>;
  readonly wrt: string;
  /** What the family shows, in one sentence. */
  readonly note: string;
}

export const BENCH_FAMILIES: readonly BenchFamily[] = [
  {
    id: 'layer',
    label: 'y = tanh(W x + b), W[m, n]',
    source: 'input x[n]\ninput W[m, n]\ninput b[m]\noutput y = tanh(W @ x + b)\n',
    nSize: 'n', mSize: 'm', others: {}, wrt: 'x',
    note: 'One layer: the Jacobian is m × n, so forward mode should win when n < m and reverse when m < n.',
  },
  {
    id: 'mlp',
    label: '2-layer MLP, hidden = n',
    source: MLP,
    nSize: 'n', mSize: 'm', others: { h: 'n' }, wrt: 'x',
    note: 'tanh(W₂ tanh(W₁ x + b₁) + b₂) with as many hidden units as inputs: the crossover moves off the diagonal.',
  },
  {
    id: 'loss',
    label: 'scalar loss sum(tanh(W x)^2), W[h, n]',
    source: 'input x[n]\ninput W[h, n]\noutput loss = sum(tanh(W @ x) ^ 2)\n',
    nSize: 'n', mSize: 'h', others: {}, wrt: 'x',
    note: 'One scalar output whatever the hidden width h: reverse mode needs one VJP pass, forward mode n.',
  },
];

/** One grid cell: the swept sizes (m is null when nothing is swept as m). */
export interface BenchCell {
  readonly n: number;
  readonly m: number | null;
}

/** The FLOP model of everything a point measures. */
export interface PointModel {
  /** Whole Jacobian by n batched JVPs, and by m batched VJPs. */
  readonly fwdFlops: number;
  readonly revFlops: number;
  /** One primal run, one JVP, one VJP (unbatched). */
  readonly primalFlops: number;
  readonly jvpFlops: number;
  readonly vjpFlops: number;
}

/** One measured point: a cell on one backend. Times are medians in ms; null when not measured. */
export interface BenchPoint extends BenchCell, PointModel {
  readonly backend: BenchBackend;
  readonly dtype: DType | null;
  /** The Jacobian's width (seeds in forward mode) and height (seeds in reverse mode). */
  readonly cols: number;
  readonly rows: number;
  readonly fwdMs: number | null;
  readonly revMs: number | null;
  readonly primalMs: number | null;
  readonly jvpMs: number | null;
  readonly vjpMs: number | null;
  /** Batched passes (chunks) each Jacobian took. */
  readonly fwdPasses: number | null;
  readonly revPasses: number | null;
  /** Timed runs behind each median (1 when the warm-up alone was slow). */
  readonly runs: number;
  /** Wall-clock time the whole point took, warm-ups included. */
  readonly elapsedMs: number;
  readonly error?: string;
}

/** A point still to run, with the FLOPs of everything it measures (for the remaining-time estimate). */
export interface PlannedPoint extends BenchCell {
  readonly backend: BenchBackend;
  readonly work: number;
}

/** What the task streams: the plan first, then one message per finished point. */
export type BenchProgress =
  | { readonly kind: 'bench-plan'; readonly plan: readonly PlannedPoint[] }
  | { readonly kind: 'bench-point'; readonly point: BenchPoint };

/** Powers of two from `lo` to `hi` inclusive (both rounded to powers of two, clamped to 1…4096). */
export function powersOfTwo(lo: number, hi: number): number[] {
  const clamp = (x: number) => Math.min(MAX_BENCH_WIDTH, Math.max(1, 2 ** Math.round(Math.log2(Math.max(1, x)))));
  const [a, b] = [clamp(lo), clamp(hi)].sort((x, y) => x - y);
  const out: number[] = [];
  for (let w = a; w <= b; w *= 2) out.push(w);
  return out;
}

/**
 * The grid, in a growing-square order (by the larger of n and m, then n, then m), so that cheap
 * points come first and a cancelled sweep still covers a complete smaller grid.
 */
export function benchGrid(ns: readonly number[], ms: readonly number[] | null): BenchCell[] {
  const cells: BenchCell[] = ms === null || ms.length === 0
    ? ns.map((n) => ({ n, m: null }))
    : ns.flatMap((n) => ms.map((m) => ({ n, m })));
  const side = (c: BenchCell) => Math.max(c.n, c.m ?? 0);
  return cells.sort((a, b) => side(a) - side(b) || a.n - b.n || (a.m ?? 0) - (b.m ?? 0));
}

/** The size binding of one cell: n and m swept, the others fixed or tied to them. */
export function sizesFor(spec: Pick<BenchSpec, 'nSize' | 'mSize' | 'others'>, cell: BenchCell): Record<string, number> {
  const sizes: Record<string, number> = {};
  for (const [name, v] of Object.entries(spec.others)) sizes[name] = v === 'n' ? cell.n : v === 'm' ? (cell.m ?? 1) : v;
  sizes[spec.nSize] = cell.n;
  if (spec.mSize !== null && cell.m !== null) sizes[spec.mSize] = cell.m;
  return sizes;
}

/** The FLOP model of a cell's program, from the derived graphs the measurements run. */
export function pointModel(program: Program, wrt: string): PointModel & { cols: number; rows: number } {
  const of = program.outputs.map((p) => p.name);
  const selection = { wrt: [wrt], of };
  const cols = program.selectPorts([wrt], program.inputs, 'input')[0].shape.reduce((a, b) => a * b, 1);
  const rows = program.outputWidth;
  return {
    cols, rows,
    fwdFlops: program.flops(program.derived('jvp', [cols], selection)),
    revFlops: program.flops(program.derived('vjp', [rows], selection)),
    primalFlops: program.flops(),
    jvpFlops: program.flops(program.derived('jvp', [], { wrt: [wrt] })),
    vjpFlops: program.flops(program.derived('vjp', [], selection)),
  };
}

const work = (m: PointModel) => m.fwdFlops + m.revFlops + m.primalFlops + m.jvpFlops + m.vjpFlops;

/** One sample should last at least this long: fast calls are repeated inside it (timers are coarse in browsers). */
const MIN_SAMPLE_MS = 8;
/** A warm-up slower than this leaves one timed run: big points would otherwise take minutes each. */
const SLOW_MS = 1000;

/**
 * Lets the worker's event loop run, so a cancel message can arrive: the CPU backend's promises resolve
 * as microtasks, and without this a whole sweep would run before the worker saw the message.
 */
const yieldToEvents = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/** Milliseconds per call of `reps` back-to-back calls. */
async function perCall(fn: () => Promise<unknown>, reps: number): Promise<number> {
  const start = performance.now();
  for (let r = 0; r < reps; r++) await fn();
  return (performance.now() - start) / reps;
}

/**
 * Median time of `fn` over `runs` samples after a warm-up. Fast calls are looped inside each sample,
 * the loop doubling until a sample lasts MIN_SAMPLE_MS (the cold run is no guide: it includes JIT and
 * pipeline compiles).
 */
async function timeIt(fn: () => Promise<unknown>, runs: number, signal: AbortSignal | undefined): Promise<{ ms: number; runs: number }> {
  await yieldToEvents();
  signal?.throwIfAborted();
  const coldMs = await perCall(fn, 1);
  if (coldMs > SLOW_MS) {
    await yieldToEvents();
    signal?.throwIfAborted();
    return { ms: await perCall(fn, 1), runs: 1 };
  }
  // The calibrating loop's last sample is warm and long enough: it counts as the first.
  let reps = 1;
  let sample = await perCall(fn, reps);
  while (reps < 4096 && sample * reps < MIN_SAMPLE_MS) {
    reps *= 2;
    sample = await perCall(fn, reps);
  }
  const times = [sample];
  for (let i = 1; i < runs; i++) {
    await yieldToEvents();
    signal?.throwIfAborted();
    times.push(await perCall(fn, reps));
  }
  return { ms: median(times), runs };
}

/** Standard-normal inputs scaled by 1/√fan-in for matrices, so tanh does not saturate at large widths. */
function benchInputs(program: Program, seed: number): Record<string, Tensor> {
  const values = randomValues(program.inputs, seed);
  for (const t of Object.values(values)) {
    if (t.shape.length < 2) continue;
    const scale = 1 / Math.sqrt(t.shape[t.shape.length - 1]);
    for (let i = 0; i < t.data.length; i++) t.data[i] *= scale;
  }
  return values;
}

const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** Times everything for one cell on one backend. Aborts propagate; other failures are noted in the point. */
async function measurePoint(spec: BenchSpec, cell: BenchCell, backend: BenchBackend, signal: AbortSignal | undefined): Promise<BenchPoint> {
  const started = performance.now();
  const empty: Omit<BenchPoint, 'elapsedMs'> = {
    ...cell, backend, dtype: null, cols: 0, rows: 0, fwdFlops: 0, revFlops: 0, primalFlops: 0, jvpFlops: 0, vjpFlops: 0,
    fwdMs: null, revMs: null, primalMs: null, jvpMs: null, vjpMs: null, fwdPasses: null, revPasses: null, runs: 0,
  };
  const compiled = compile(spec.source, sizesFor(spec, cell));
  if (!compiled.ok) return { ...empty, elapsedMs: 0, error: compiled.errors[0].message };
  const { program } = compiled;
  let model: ReturnType<typeof pointModel>;
  try {
    model = pointModel(program, spec.wrt);
  } catch (err) {
    return { ...empty, elapsedMs: 0, error: errorText(err) };
  }
  const inputs = benchInputs(program, spec.seed);
  const options = { backend, signal } as const;
  const tangent = randomValues(program.selectPorts([spec.wrt], program.inputs, 'input'), spec.seed + 1);
  const cotangent = randomValues(program.outputs, spec.seed + 2);
  const errors: string[] = [];
  let runs = Infinity;
  let dtype: DType | null = null;
  // Each quantity on its own: a backend may refuse one (say, the batched forward pass over its binding limit) and not the others.
  const timed = async (what: string, fn: () => Promise<unknown>): Promise<number | null> => {
    try {
      const t = await timeIt(fn, spec.runs, signal);
      runs = Math.min(runs, t.runs);
      return t.ms;
    } catch (err) {
      if (signal?.aborted) throw err;
      errors.push(`${what}: ${errorText(err)}`);
      return null;
    }
  };
  const passes: Record<'fwd' | 'rev', number | null> = { fwd: null, rev: null };
  const full = (mode: 'fwd' | 'rev') => async () => {
    const r = await jacobian(program, inputs, { ...options, mode, wrt: [spec.wrt] });
    passes[mode] = r.stats.passes;
    dtype = r.stats.dtype;
  };
  const primalMs = await timed('primal', async () => {
    dtype = (await program.evaluate(inputs, options)).stats.dtype;
  });
  const jvpMs = await timed('JVP', () => program.jvp(inputs, tangent, options));
  const vjpMs = await timed('VJP', () => program.vjp(inputs, cotangent, { ...options, wrt: [spec.wrt] }));
  const fwdMs = await timed('forward Jacobian', full('fwd'));
  const revMs = await timed('reverse Jacobian', full('rev'));
  return {
    ...empty, ...model, dtype, fwdMs, revMs, primalMs, jvpMs, vjpMs, fwdPasses: passes.fwd, revPasses: passes.rev,
    runs: Number.isFinite(runs) ? runs : 0,
    elapsedMs: performance.now() - started,
    ...(errors.length > 0 ? { error: errors.join('; ') } : {}),
  };
}

/** FLOPs of everything a cell measures; 0 when the cell cannot compile (its point reports why). */
function plannedWork(spec: BenchSpec, cell: BenchCell): number {
  const compiled = compile(spec.source, sizesFor(spec, cell));
  if (!compiled.ok) return 0;
  try {
    return work(pointModel(compiled.program, spec.wrt));
  } catch {
    return 0;
  }
}

/**
 * Runs the sweep: the plan (every point's FLOP work) first, then each cell on each backend,
 * reporting every finished point. The signal is checked between points and timed runs, and by
 * `jacobian` between chunks (which, in a worker, sees a cancel there only when the backend awaits
 * something real, as WebGPU does; on the CPU the next timed run stops it).
 */
export async function runBench(spec: BenchSpec, options: { signal?: AbortSignal; report?: (progress: BenchProgress, done: number, total: number) => void } = {}): Promise<BenchPoint[]> {
  const { signal, report } = options;
  const cells = benchGrid(spec.ns, spec.mSize === null ? null : spec.ms);
  const plan: PlannedPoint[] = [];
  for (const cell of cells) {
    const flops = plannedWork(spec, cell);
    for (const backend of spec.backends) plan.push({ ...cell, backend, work: flops });
  }
  report?.({ kind: 'bench-plan', plan }, 0, plan.length);
  // One unreported pass over the smallest cell per backend: the first points would otherwise pay for
  // the JIT's optimising tiers (and, on WebGPU, the adapter and device).
  for (const backend of spec.backends) if (cells.length > 0) await measurePoint({ ...spec, runs: 1 }, cells[0], backend, signal);
  const points: BenchPoint[] = [];
  for (const planned of plan) {
    await yieldToEvents();
    signal?.throwIfAborted();
    const point = await measurePoint(spec, { n: planned.n, m: planned.m }, planned.backend, signal);
    points.push(point);
    report?.({ kind: 'bench-point', point }, points.length, plan.length);
  }
  return points;
}
