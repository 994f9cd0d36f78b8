import { check, compile, GradientLabError, jacobian, randomValues, traceForward, traceReverse, type Diagnostic, type Program, type RunOptions } from '../../index.ts';
import { runBench } from './bench-task.ts';
import type { ProgressData, RunRequest, TaskResult } from './protocol.ts';

/** Seeded random values for some of a program's ports. */
function seeded(program: Program, which: 'inputs' | 'outputs', name: string, seed: number) {
  const ports = program[which].filter((p) => name === '' || p.name === name);
  return randomValues(ports, seed);
}

/**
 * Compiles the request's program and runs its task: the one place the app calls the engine, used by
 * the worker (and directly by tests). Language errors come back as diagnostics, never as throws.
 */
export async function runTask(request: RunRequest, options: Pick<RunOptions, 'signal'> & { onProgress?: (done: number, total: number, data?: ProgressData) => void }): Promise<{ result: TaskResult; warnings: Diagnostic[] }> {
  if (request.task.kind === 'bench') {
    const points = await runBench(request.task.spec, { signal: options.signal, report: (data, done, total) => options.onProgress?.(done, total, data) });
    return { result: { kind: 'bench', points }, warnings: [] };
  }
  if (request.task.kind === 'peers') {
    // Imported on demand: the peers (and their loaders) stay out of the worker's first chunk.
    const { runPeers } = await import('./peers-task.ts');
    const result = await runPeers(request.task.spec, { signal: options.signal, report: (data, done, total) => options.onProgress?.(done, total, data) });
    return { result: { kind: 'peers', result }, warnings: [] };
  }
  const compiled = compile(request.source, request.sizes);
  if (!compiled.ok) throw new GradientLabError(compiled.errors[0].message, compiled.errors[0].kind, compiled.errors);
  const { program } = compiled;
  const inputs = randomValues(program.inputs, request.seed);
  // The results view shows the GPU time of the run.
  const run: RunOptions = { ...options, backend: request.backend, profile: true };
  const { task } = request;
  const seed = request.seed + 1;
  let result: TaskResult;
  switch (task.kind) {
    case 'evaluate':
      result = { kind: 'evaluate', ...(await program.evaluate(inputs, run)) };
      break;
    case 'jvp': {
      const direction = seeded(program, 'inputs', task.input, seed);
      result = { kind: 'jvp', direction, ...(await program.jvp(inputs, direction, run)) };
      break;
    }
    case 'vjp': {
      const cotangent = seeded(program, 'outputs', task.output, seed);
      result = { kind: 'vjp', seed: cotangent, ...(await program.vjp(inputs, cotangent, run)) };
      break;
    }
    case 'grad':
      result = { kind: 'grad', ...(await program.grad(inputs, { ...run, output: task.output || undefined })) };
      break;
    case 'jacobian':
      result = { kind: 'jacobian', result: await jacobian(program, inputs, { ...run, mode: task.mode, foldSeeds: task.foldSeeds ?? false }) };
      break;
    case 'hvp': {
      const direction = seeded(program, 'inputs', '', seed);
      const r = await program.hvp(inputs, direction, { ...run, output: task.output || undefined });
      result = { kind: 'hvp', output: r.output, direction, hvp: r.hvp, stats: r.stats };
      break;
    }
    case 'check': {
      const start = performance.now();
      const report = await check(program, inputs, { seed: request.seed, signal: options.signal });
      result = { kind: 'check', report, ms: performance.now() - start };
      break;
    }
    case 'trace': {
      // Always the CPU in f64: the trace is for reading numbers, and it returns every node's value.
      const exact: RunOptions = { signal: options.signal, backend: 'cpu' };
      const trace = task.mode === 'fwd'
        ? await traceForward(program, inputs, { input: task.port, index: task.index }, exact)
        : await traceReverse(program, inputs, { output: task.port, index: task.index }, exact);
      result = { kind: 'trace', trace };
      break;
    }
  }
  return { result, warnings: compiled.warnings };
}
