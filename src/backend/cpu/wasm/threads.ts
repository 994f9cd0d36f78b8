// Helper threads for the WebAssembly GEMM: each instantiates the same kernel module on the same shared
// memory and runs its share of the jobs (gemm-jobs.ts) while the calling thread runs its own, then waits.
//
// Where: Node (worker_threads) and browser workers that may block (Atomics.wait) and share memory
// (crossOriginIsolated). Not a browser's main thread, which may not block: there, and wherever helpers
// cannot start, everything runs on the calling thread. The engine runs in a worker, so the playground
// gets threads when the page is served cross-origin isolated (vite.config.ts sets the headers).
import { CALL_WORDS, CALLABLE, FUNCTION_WORD, runCalls, type callTargets } from './gemm-jobs.ts';
import { SharingPolicy, sharingHurt } from './sharing-policy.ts';

/**
 * Words of a helper's control block: the generation to run (-1: exit), the last one done, readiness (1
 * ready, FAILED once it has died), then
 * where the call table (gemm-jobs.ts) that the caller wrote into the kernel's memory is, and its size.
 * Generations of runs are even and heads-ups (GemmThreads.prepare) odd, so a helper tells them apart by
 * the generation alone: it reads the table's place only for a run, whose values the caller does not
 * change until the helper reports it done. (Marking a heads-up by zero jobs let a helper slow to wake
 * read the jobs of the run after it with the job size of the run before.)
 */
const SEQ = 0;
const DONE = 1;
const READY = 2;
const TABLE = 3;
const JOBS = 4;
const PER_JOB = 5;
const CONTROL_WORDS = 6;
/** READY of a helper that has died (a trap in a job, or its worker's error or exit): it is replaced. */
const FAILED = -1;

/**
 * How long a helper spins for its next jobs before it sleeps: after a heads-up (GemmThreads.prepare), and
 * after finishing a share, since a pass runs its products back to back and so does a caller's loop of
 * passes. Waking a sleeping helper costs tens of µs on a VM, about a small product's share: with the spin
 * after each share, a 256-wide layer JVP with 64 tangents (one 64×256×256 product) went from 0.36-0.38 to
 * 0.25-0.27 ms per call (2 cores, medians of 5000). The cost is at most SPIN_MS of one core after the
 * last product, as with OpenMP's spin-then-sleep waits.
 */
const SPIN_MS = 2;

/** How long the caller waits for a helper's share before deciding it is gone. */
const HELPER_TIMEOUT_MS = 60_000;

/**
 * The helper's program, as source text (a helper starts from text: a blob: URL or Node's eval worker). Its
 * inner loop is runCalls's, in plain JavaScript: bundlers rewrite compiled functions, so a helper cannot
 * be given one by its source.
 */
const HELPER_SOURCE = `"use strict";
function start({ module, memory, control }) {
  try {
    serve(module, memory, control);
  } catch (err) {
    // Say so before the worker ends, so that a caller waiting for this helper's share stops at once.
    Atomics.store(control, ${READY}, ${FAILED});
    Atomics.notify(control, ${DONE});
    throw err;
  }
}
function serve(module, memory, control) {
  const exports = new WebAssembly.Instance(module, { env: { memory } }).exports;
  const targets = ${JSON.stringify(CALLABLE)}.map((name) => exports[name]);
  Atomics.store(control, ${READY}, 1);
  let seen = 0;
  for (;;) {
    Atomics.wait(control, ${SEQ}, seen);
    const seq = Atomics.load(control, ${SEQ});
    if (seq < 0) return;
    seen = seq;
    if (seq % 2 === 1) {
      // A heads-up (prepare): the jobs follow once the caller has packed the operands.
      spinWhile(control, seq);
      continue;
    }
    const ints = new Int32Array(memory.buffer); // the memory may have grown since the last product
    const table = control[${TABLE}], jobs = control[${JOBS}], perJob = control[${PER_JOB}];
    const counter = table + jobs * perJob * ${CALL_WORDS};
    for (let job = Atomics.add(ints, counter, 1); job < jobs; job = Atomics.add(ints, counter, 1)) {
      for (let r = 0; r < perJob; r++) {
        const o = table + (job * perJob + r) * ${CALL_WORDS};
        targets[ints[o + ${FUNCTION_WORD}]](ints[o], ints[o + 1], ints[o + 2], ints[o + 3], ints[o + 4], ints[o + 5], ints[o + 6], ints[o + 7], ints[o + 8], ints[o + 9]);
      }
    }
    Atomics.store(control, ${DONE}, seq);
    Atomics.notify(control, ${DONE});
    spinWhile(control, seq); // the pass's next product usually follows within microseconds
  }
}
// Spins (for at most SPIN_MS) while the generation to run is still \`seq\`, rather than sleep.
function spinWhile(control, seq) {
  const until = Date.now() + ${SPIN_MS};
  while (Atomics.load(control, ${SEQ}) === seq && Date.now() < until);
}
if (typeof self === 'undefined') require('node:worker_threads').parentPort.once('message', start);
else self.onmessage = (e) => start(e.data);
`;

interface Helper {
  readonly control: Int32Array<SharedArrayBuffer>;
  readonly stop: () => void;
}

const failed = (h: Helper) => Atomics.load(h.control, READY) === FAILED;

type NodeProcess = { versions?: { node?: string }; env?: Record<string, string | undefined>; getBuiltinModule?: (id: string) => unknown };
const nodeProcess = (globalThis as { process?: NodeProcess }).process;
const isNode = nodeProcess?.versions?.node !== undefined;

/** Whether this thread may block and share memory with helpers (see the header). */
export function threadsPossible(): boolean {
  if (typeof SharedArrayBuffer === 'undefined' || typeof Atomics === 'undefined' || typeof WebAssembly === 'undefined') return false;
  if (isNode) return typeof nodeProcess?.getBuiltinModule === 'function';
  const scope = globalThis as { window?: unknown; crossOriginIsolated?: boolean; Worker?: unknown };
  return scope.window === undefined && scope.crossOriginIsolated === true && typeof scope.Worker === 'function';
}

let coreCount: number | undefined;

/** Cores this thread may use: Node's availableParallelism, the browser's hardwareConcurrency (asked once). */
function cores(): number {
  coreCount ??= isNode
    ? (nodeProcess!.getBuiltinModule!('node:os') as { availableParallelism(): number }).availableParallelism()
    : ((globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 1);
  return coreCount;
}

/** At most this many threads in all (the caller and its helpers); only 2 have been measured (this machine's cores). */
const MAX_THREADS = 4;

/** GRADIENT_LAB_THREADS=N in Node caps the threads (1: no helpers), e.g. to compare with single-threaded peers. */
function initialLimit(): number {
  const text = nodeProcess?.env?.GRADIENT_LAB_THREADS;
  const n = Number(text);
  return text !== undefined && Number.isInteger(n) && n >= 1 ? n : Infinity;
}

let limit = initialLimit();

/**
 * Whether sharing has been paying lately (sharing-policy.ts): one verdict for every kernel's helpers, since
 * they compete for the same cores.
 */
const policy = new SharingPolicy();

/** Threads a large product is shared among (the caller and its helpers), once the helpers are up. */
export function threadsWanted(): number {
  return Math.max(1, Math.min(MAX_THREADS, cores(), limit));
}

/**
 * Caps the threads a GEMM may use (1 = the calling thread only); returns the previous cap. Tests and
 * benchmarks use it. The sharing policy starts over, so the next large product is shared.
 */
export function setGemmThreads(n: number): number {
  const previous = limit;
  limit = Math.max(1, Math.floor(n));
  policy.reset();
  return previous;
}

function spawn(module: WebAssembly.Module, memory: WebAssembly.Memory): Helper | null {
  const control = new Int32Array(new SharedArrayBuffer(4 * CONTROL_WORDS));
  const message = { module, memory, control };
  try {
    if (isNode) {
      const { Worker } = nodeProcess!.getBuiltinModule!('node:worker_threads') as typeof import('node:worker_threads');
      const worker = new Worker(HELPER_SOURCE, { eval: true });
      worker.unref(); // helpers never keep a process alive
      // Listened to, a helper's error cannot end the process (an unheard 'error' event throws in Node).
      worker.on('error', () => markFailed(control));
      worker.on('exit', () => markFailed(control));
      worker.postMessage(message);
      return { control, stop: () => void worker.terminate() };
    }
    const url = URL.createObjectURL(new Blob([HELPER_SOURCE], { type: 'text/javascript' }));
    const worker = new Worker(url, { name: 'gradient-lab-gemm' });
    worker.onerror = (event) => {
      event.preventDefault();
      markFailed(control);
    };
    worker.postMessage(message);
    return {
      control,
      stop: () => {
        worker.terminate();
        URL.revokeObjectURL(url); // not before: the worker may still be fetching its script
      },
    };
  } catch {
    return null; // e.g. a content security policy that forbids blob: workers
  }
}

function markFailed(control: Int32Array<SharedArrayBuffer>): void {
  Atomics.store(control, READY, FAILED);
  Atomics.notify(control, DONE);
}

/** The helpers of one kernel (one module and memory): started on first use, then kept (a failed one replaced). */
export class GemmThreads {
  private helpers: Helper[] | null = null;
  private seq = 0;
  /** How many helpers shared the last run (tests check that threads really ran). */
  lastHelpers = 0;

  constructor(private readonly module: WebAssembly.Module, private readonly memory: WebAssembly.Memory) {}

  /** Starts the helpers (asynchronously: they report ready when their kernel is instantiated). */
  start(): void {
    this.ready();
  }

  /** Helpers that have started and are waiting for work; a helper that died is replaced by a new one. */
  private ready(): Helper[] {
    if (this.helpers === null) {
      const wanted = Math.min(MAX_THREADS, cores()) - 1; // not capped by `limit`, which can be raised later
      this.helpers = [];
      for (let i = 0; i < wanted; i++) {
        const h = spawn(this.module, this.memory);
        if (h !== null) this.helpers.push(h);
      }
    } else if (this.helpers.some(failed)) {
      this.helpers = this.helpers.flatMap((h) => {
        if (!failed(h)) return [h];
        h.stop();
        return [spawn(this.module, this.memory)].filter((n): n is Helper => n !== null);
      });
    }
    return this.helpers.filter((h) => Atomics.load(h.control, READY) === 1);
  }

  /**
   * Wakes the helpers that the next `run` will use, so that they are running (spinning, for at most
   * SPIN_MS) by the time the caller has packed the operands and posts the jobs.
   */
  prepare(): void {
    if (limit <= 1) return;
    const seq = (this.seq += this.seq % 2 === 0 ? 1 : 2); // odd: a heads-up (see SEQ)
    for (const h of this.ready().slice(0, limit - 1)) {
      Atomics.store(h.control, SEQ, seq);
      Atomics.notify(h.control, SEQ);
    }
  }

  /** Whether products should be shared now: false for a while after sharing made them slower (sharing-policy.ts). */
  sharing(): boolean {
    return limit > 1 && policy.allows(performance.now());
  }

  /**
   * Runs the `jobs` jobs of the call table at int32 word `table` of the kernel's memory (gemm-jobs.ts) on
   * this thread and the ready helpers, each claiming its next job as it finishes one (runCalls), and
   * returns when every one is done. With no helper ready (they start asynchronously) this thread runs
   * them all. With `judge`, whether sharing made the run slower is recorded (see sharing()); packing runs
   * are too short to tell.
   */
  run(targets: ReturnType<typeof callTargets>, table: number, jobs: number, perJob: number, judge = false): void {
    const helpers = jobs > 1 && limit > 1 ? this.ready().slice(0, Math.min(limit, jobs) - 1) : [];
    this.lastHelpers = helpers.length;
    const seq = (this.seq += this.seq % 2 === 0 ? 2 : 1); // even: a run (see SEQ)
    helpers.forEach((h) => {
      h.control.set([table, jobs, perJob], TABLE);
      Atomics.store(h.control, SEQ, seq);
      Atomics.notify(h.control, SEQ);
    });
    const started = performance.now();
    let mine = 0;
    try {
      mine = runCalls(targets, new Int32Array(this.memory.buffer), table, jobs, perJob);
    } catch (err) {
      // Helpers may still be running jobs of this table: the next product must not overwrite it under them.
      this.waitFor(helpers, seq, false);
      throw err;
    }
    const mineMs = performance.now() - started;
    this.waitFor(helpers, seq, true);
    if (judge && helpers.length > 0) {
      const now = performance.now();
      policy.record(sharingHurt(jobs, mine, mineMs, now - started), now);
    }
  }

  /**
   * Waits until each helper has finished run `seq` or died; with `report`, throws if one died (its jobs
   * are then not done), after the others have finished.
   */
  private waitFor(helpers: readonly Helper[], seq: number, report: boolean): void {
    let died = false;
    for (const h of helpers) {
      const start = performance.now();
      // Wait on the value the loop saw: loading it again for the wait could read this run's own `seq`,
      // stored (and notified) since, and then sleep out the whole timeout (seen: 1 s stalls).
      for (let done = Atomics.load(h.control, DONE); done !== seq; done = Atomics.load(h.control, DONE)) {
        if (failed(h)) {
          died = true;
          break;
        }
        Atomics.wait(h.control, DONE, done, 1000);
        if (performance.now() - start > HELPER_TIMEOUT_MS) throw new Error('a GEMM helper thread stopped responding');
      }
    }
    if (died && report) throw new Error('a GEMM helper thread failed while running its share of a product, which is therefore incomplete (it is replaced for the next one)');
  }

  /** Stops the helpers (tests; a process exits without it, since helpers are unref'd). */
  dispose(): void {
    for (const h of this.helpers ?? []) {
      Atomics.store(h.control, SEQ, -1);
      Atomics.notify(h.control, SEQ);
      h.stop();
    }
    this.helpers = null;
  }

  /** Helpers started and ready (tests and benchmarks report it). */
  get readyHelpers(): number {
    return this.helpers === null ? 0 : this.helpers.filter((h) => Atomics.load(h.control, READY) === 1).length;
  }

  /** Starts the helpers now rather than on the first product, and resolves once they are ready (or after `ms`). */
  async warmUp(ms = 5000): Promise<number> {
    this.ready();
    const start = performance.now();
    while (this.readyHelpers < (this.helpers?.length ?? 0) && performance.now() - start < ms) await new Promise((r) => setTimeout(r, 5));
    return this.readyHelpers;
  }
}
