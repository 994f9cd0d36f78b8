// Cancelling a job whose CPU pass is one long synchronous computation: the worker cannot see the cancel
// message until the pass ends, so the client must stop it by replacing the worker, then carry on.
import { describe, expect, it } from 'vitest';
import { EngineClient, JobError } from '../../src/app/engine/client.ts';

// One 2400³ GEMM in f64 on the CPU: tens of GFLOP, seconds of uninterruptible work at any speed we reach.
const LONG = { source: 'input A[n, n]\ninput B[n, n]\noutput C = A @ B\n', sizes: { n: 2400 }, seed: 1, backend: 'cpu' as const, task: { kind: 'evaluate' as const } };
const SMALL = { source: 'input x[n]\noutput y = sum(x * x)\n', sizes: { n: 3 }, seed: 2, backend: 'cpu' as const, task: { kind: 'evaluate' as const } };

describe('cancelling a long CPU pass in the engine worker', () => {
  it('rejects the job as cancelled, restarts the worker, and runs the jobs queued behind it', async () => {
    const client = new EngineClient({ cancelGraceMs: 200 });
    let started = false;
    const long = client.run(LONG, () => (started = true));
    const queued = client.run(SMALL);
    // Let the worker start the GEMM (it compiles and draws 11.5 M random inputs first).
    await new Promise((r) => setTimeout(r, 1500));
    long.cancel();
    const outcome = await long.result.then(() => 'finished', (e: unknown) => e);
    expect(outcome).toBeInstanceOf(JobError);
    expect((outcome as JobError).cancelled).toBe(true);
    expect(client.restarts).toBe(1);
    expect(started).toBe(false); // evaluate reports no progress: the pass really was one block of work

    const { result } = await queued.result;
    expect(result.kind).toBe('evaluate');
    if (result.kind !== 'evaluate') return;
    const x = result.outputs.y.data;
    expect(x.length).toBe(1);
    expect(Number.isFinite(x[0])).toBe(true);

    // The fresh worker takes new jobs too.
    const again = await client.run(SMALL).result;
    expect(again.result.kind).toBe('evaluate');
  });
});
