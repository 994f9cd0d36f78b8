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

/** The page's handle on the engine worker. */
export class EngineClient {
  private readonly worker: Worker;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: { result: TaskResult; warnings: readonly Diagnostic[] }) => void; reject: (e: JobError) => void; progress?: (p: Progress) => void }>();

  constructor() {
    this.worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'gradient-lab-engine' });
    this.worker.addEventListener('message', (e: MessageEvent<WorkerResponse>) => this.receive(e.data));
  }

  run(request: Omit<RunRequest, 'type' | 'id'>, onProgress?: (p: Progress) => void): Job {
    const id = this.nextId++;
    const result = new Promise<{ result: TaskResult; warnings: readonly Diagnostic[] }>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, progress: onProgress });
    });
    this.post({ type: 'run', id, ...request });
    return { result, cancel: () => this.post({ type: 'cancel', id }) };
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
