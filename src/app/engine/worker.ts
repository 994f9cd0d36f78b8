/// <reference lib="webworker" />
import { GradientLabError, type Diagnostic } from '../../index.ts';
import type { ProgressData, WorkerRequest, WorkerResponse } from './protocol.ts';
import { runTask } from './run-task.ts';

// The engine runs here, off the page's thread, so long computations never freeze the UI.
const running = new Map<number, AbortController>();

function post(message: WorkerResponse): void {
  (self as unknown as DedicatedWorkerGlobalScope).postMessage(message);
}

function diagnosticsOf(err: unknown): Diagnostic[] {
  if (err instanceof GradientLabError) return [...err.diagnostics];
  const message = err instanceof Error ? err.message : String(err);
  return [{ severity: 'error', kind: 'too-large', message: `internal error: ${message}`, line: 0, column: 0, length: 0, offset: 0 }];
}

self.addEventListener('message', (event: MessageEvent<WorkerRequest>) => {
  const request = event.data;
  if (request.type === 'cancel') {
    running.get(request.id)?.abort();
    return;
  }
  const controller = new AbortController();
  running.set(request.id, controller);
  const onProgress = (done: number, total: number, data?: ProgressData) => post({ type: 'progress', id: request.id, done, total, ...(data ? { data } : {}) });
  runTask(request, { signal: controller.signal, onProgress })
    .then(({ result, warnings }) => post({ type: 'result', id: request.id, result, warnings }))
    .catch((err: unknown) => post({ type: 'error', id: request.id, diagnostics: diagnosticsOf(err), cancelled: controller.signal.aborted }))
    .finally(() => running.delete(request.id));
});
