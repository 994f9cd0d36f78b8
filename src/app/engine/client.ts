import type { Diagnostic } from '../../index.ts';
import type { ProgressData, RunRequest, TaskResult, WorkerRequest, WorkerResponse } from './protocol.ts';

export interface Progress {
  readonly done: number;
  readonly total: number;
  /** What the task streams with this step, if anything (e.g. a finished bench point). */
  readonly data?: ProgressData;
}

/** A running request: its result, progress reports, and a way to stop it. */
export interface Job {
  readonly result: Promise<{ result: TaskResult; warnings: readonly Diagnostic[] }>;
  cancel(): void;
}

/** Thrown (as a rejection) when a job fails; carries the engine's diagnostics. */
export class JobError extends Error {
  constructor(readonly diagnostics: readonly Diagnostic[], readonly cancelled: boolean) {
    super(cancelled ? 'cancelled' : diagnostics.map((d) => d.message).join('\n'));
  }
}

/** The part of a Worker the client uses (tests pass a fake). */
export type EngineWorker = Pick<Worker, 'postMessage' | 'terminate' | 'addEventListener'>;

export interface EngineClientOptions {
  readonly createWorker?: () => EngineWorker;
  /**
   * How long a cancelled job may take to stop by itself. The worker checks for cancellation between
   * passes and chunks, but one CPU pass is synchronous JavaScript that cannot see the cancel message;
   * after this grace period the client terminates the worker, which stops it at once, and starts a fresh
   * one for the jobs still waiting.
   */
  readonly cancelGraceMs?: number;
}

interface Pending {
  readonly request: RunRequest;
  readonly resolve: (v: { result: TaskResult; warnings: readonly Diagnostic[] }) => void;
  readonly reject: (e: JobError) => void;
  readonly progress?: (p: Progress) => void;
}

const defaultWorker = (): EngineWorker => new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'gradient-lab-engine' });

/** The page's handle on the engine worker. */
export class EngineClient {
  private readonly createWorker: () => EngineWorker;
  private readonly cancelGraceMs: number;
  private worker: EngineWorker;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  /** How many times a stuck worker was replaced (shown nowhere; tests read it). */
  restarts = 0;

  constructor(options: EngineClientOptions = {}) {
    this.createWorker = options.createWorker ?? defaultWorker;
    this.cancelGraceMs = options.cancelGraceMs ?? 400;
    this.worker = this.spawn();
  }

  run(request: Omit<RunRequest, 'type' | 'id'>, onProgress?: (p: Progress) => void): Job {
    const id = this.nextId++;
    const full: RunRequest = { type: 'run', id, ...request };
    const result = new Promise<{ result: TaskResult; warnings: readonly Diagnostic[] }>((resolve, reject) => {
      this.pending.set(id, { request: full, resolve, reject, progress: onProgress });
    });
    this.post(full);
    return { result, cancel: () => this.cancel(id) };
  }

  private cancel(id: number): void {
    if (!this.pending.has(id)) return;
    this.post({ type: 'cancel', id });
    setTimeout(() => {
      const entry = this.pending.get(id);
      if (entry === undefined) return;
      this.pending.delete(id);
      entry.reject(new JobError([], true));
      this.restart();
    }, this.cancelGraceMs);
  }

  /** Replaces a worker stuck in a cancelled computation; the other jobs start again on the new one. */
  private restart(): void {
    this.worker.terminate();
    this.restarts++;
    this.worker = this.spawn();
    for (const entry of this.pending.values()) this.post(entry.request);
  }

  private spawn(): EngineWorker {
    const worker = this.createWorker();
    worker.addEventListener('message', (e: Event) => {
      if (worker === this.worker) this.receive((e as MessageEvent<WorkerResponse>).data);
    });
    return worker;
  }

  private post(message: WorkerRequest): void {
    this.worker.postMessage(message);
  }

  private receive(message: WorkerResponse): void {
    const entry = this.pending.get(message.id);
    if (entry === undefined) return;
    if (message.type === 'progress') {
      entry.progress?.({ done: message.done, total: message.total, data: message.data });
      return;
    }
    this.pending.delete(message.id);
    if (message.type === 'result') entry.resolve({ result: message.result, warnings: message.warnings });
    else entry.reject(new JobError(message.diagnostics, message.cancelled));
  }
}
