// Helper threads for the WebAssembly GEMM: each instantiates the same kernel module on the same shared
// memory and runs its share of the jobs (gemm-jobs.ts) while the calling thread runs its own, then waits.
//
// Where: Node (worker_threads) and browser workers that may block (Atomics.wait) and share memory
// (crossOriginIsolated). Not a browser's main thread, which may not block: there, and wherever helpers
// cannot start, everything runs on the calling thread. The engine runs in a worker, so the playground
// gets threads when the page is served cross-origin isolated (vite.config.ts sets the headers).
import { JOB_PARAMS, runGemmJobs } from './gemm-jobs.ts';

/** Words of a helper's control block: the job generation to run (-1: exit), the last one done, readiness, its share. */
const SEQ = 0;
const DONE = 1;
const READY = 2;
const FIRST = 3;
const STRIDE = 4;
const PARAMS = 5;
const CONTROL_WORDS = PARAMS + JOB_PARAMS;

/** How long the caller waits for a helper's share before deciding it is gone. */
const HELPER_TIMEOUT_MS = 60_000;

/** The helper's program: this module's job loop plus a wait-run-report loop, as source text. */
function helperSource(): string {
  return `"use strict";
var __name = (f) => f; // in case the bundler wrapped the function for its name
const runGemmJobs = ${runGemmJobs.toString()};
function start({ module, memory, control }) {
  const gemmBlock = new WebAssembly.Instance(module, { env: { memory } }).exports.gemmBlock;
  Atomics.store(control, ${READY}, 1);
  let seen = 0;
  for (;;) {
    Atomics.wait(control, ${SEQ}, seen);
    const seq = Atomics.load(control, ${SEQ});
    if (seq < 0) return;
    seen = seq;
    runGemmJobs(gemmBlock, control.subarray(${PARAMS}), Atomics.load(control, ${FIRST}), Atomics.load(control, ${STRIDE}));
    Atomics.store(control, ${DONE}, seq);
    Atomics.notify(control, ${DONE});
  }
}
if (typeof self === 'undefined') require('node:worker_threads').parentPort.once('message', start);
else self.onmessage = (e) => start(e.data);
`;
}

interface Helper {
  readonly control: Int32Array<SharedArrayBuffer>;
  readonly stop: () => void;
}

type NodeProcess = { versions?: { node?: string }; getBuiltinModule?: (id: string) => unknown };
const nodeProcess = (globalThis as { process?: NodeProcess }).process;
const isNode = nodeProcess?.versions?.node !== undefined;

/** Whether this thread may block and share memory with helpers (see the header). */
export function threadsPossible(): boolean {
  if (typeof SharedArrayBuffer === 'undefined' || typeof Atomics === 'undefined' || typeof WebAssembly === 'undefined') return false;
  if (isNode) return typeof nodeProcess?.getBuiltinModule === 'function';
  const scope = globalThis as { window?: unknown; crossOriginIsolated?: boolean; Worker?: unknown };
  return scope.window === undefined && scope.crossOriginIsolated === true && typeof scope.Worker === 'function';
}

/** Cores this thread may use: Node's availableParallelism, the browser's hardwareConcurrency. */
function cores(): number {
  if (isNode) return (nodeProcess!.getBuiltinModule!('node:os') as { availableParallelism(): number }).availableParallelism();
  return (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 1;
}

/** At most this many threads in all (the caller and its helpers): GEMMs here are memory-bound beyond that. */
const MAX_THREADS = 4;

let limit = Infinity;

/** Caps the threads a GEMM may use (1 = the calling thread only); returns the previous cap. Tests and benchmarks use it. */
export function setGemmThreads(n: number): number {
  const previous = limit;
  limit = Math.max(1, Math.floor(n));
  return previous;
}

function spawn(module: WebAssembly.Module, memory: WebAssembly.Memory): Helper | null {
  const control = new Int32Array(new SharedArrayBuffer(4 * CONTROL_WORDS));
  const message = { module, memory, control };
  try {
    if (isNode) {
      const { Worker } = nodeProcess!.getBuiltinModule!('node:worker_threads') as typeof import('node:worker_threads');
      const worker = new Worker(helperSource(), { eval: true });
      worker.unref(); // helpers never keep a process alive
      worker.postMessage(message);
      return { control, stop: () => void worker.terminate() };
    }
    const url = URL.createObjectURL(new Blob([helperSource()], { type: 'text/javascript' }));
    const worker = new Worker(url, { name: 'gradient-lab-gemm' });
    URL.revokeObjectURL(url);
    worker.postMessage(message);
    return { control, stop: () => worker.terminate() };
  } catch {
    return null; // e.g. a content security policy that forbids blob: workers
  }
}

/** The helpers of one kernel (one module and memory): started on first use, then kept. */
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

  /** Helpers that have started and are waiting for work. */
  private ready(): Helper[] {
    if (this.helpers === null) {
      const wanted = Math.min(MAX_THREADS, cores()) - 1;
      this.helpers = [];
      for (let i = 0; i < wanted; i++) {
        const h = spawn(this.module, this.memory);
        if (h !== null) this.helpers.push(h);
      }
    }
    return this.helpers.filter((h) => Atomics.load(h.control, READY) === 1);
  }

  /**
   * Runs all `jobs` jobs of `params` (gemmJobParams) with `gemmBlock` on this thread and the ready helpers,
   * dealt round-robin, and returns when every one is done. With no helper ready (they start
   * asynchronously, so the first products of a session run alone) this thread runs them all.
   */
  run(gemmBlock: Parameters<typeof runGemmJobs>[0], params: readonly number[], jobs: number): void {
    const helpers = jobs > 1 && limit > 1 ? this.ready().slice(0, Math.min(limit, jobs) - 1) : [];
    const stride = helpers.length + 1;
    this.lastHelpers = helpers.length;
    const seq = ++this.seq;
    helpers.forEach((h, i) => {
      h.control.set(params, PARAMS);
      Atomics.store(h.control, FIRST, i + 1);
      Atomics.store(h.control, STRIDE, stride);
      Atomics.store(h.control, SEQ, seq);
      Atomics.notify(h.control, SEQ);
    });
    runGemmJobs(gemmBlock, params, 0, stride);
    for (const h of helpers) {
      const start = performance.now();
      while (Atomics.load(h.control, DONE) !== seq) {
        Atomics.wait(h.control, DONE, Atomics.load(h.control, DONE), 1000);
        if (performance.now() - start > HELPER_TIMEOUT_MS) throw new Error('a GEMM helper thread stopped responding');
      }
    }
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
