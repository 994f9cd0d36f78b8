import { describe, expect, it } from 'vitest';
import { compileOrThrow, GradientLabError, randomValues } from '../../src/index.ts';
import { GraphBuilder } from '../../src/ir/builder.ts';
import type { Graph } from '../../src/ir/graph.ts';
import type { Tensor } from '../../src/backend/cpu/tensor.ts';
import { webgpuBackendWithLimits } from '../../src/backend/webgpu/backend.ts';
import { GpuError, type GpuRuntime } from '../../src/backend/webgpu/runtime.ts';
import { backendOn, getTestRuntime, separateRuntime } from '../support/gpu-runtime.ts';

const rt = await getTestRuntime();

/** How long a failure may take to surface; past it the test fails as a hang. */
const PATIENCE_MS = 5000;

/** `promise`'s rejection, or a failure if it resolves or has not settled within PATIENCE_MS. */
async function rejection(promise: Promise<unknown>, what: string): Promise<unknown> {
  const HUNG = Symbol('hung');
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hang = new Promise<typeof HUNG>((resolve) => {
    timer = setTimeout(() => resolve(HUNG), PATIENCE_MS);
  });
  let outcome: unknown;
  try {
    outcome = await Promise.race([promise, hang]);
  } catch (err) {
    return err;
  } finally {
    clearTimeout(timer);
  }
  throw new Error(outcome === HUNG ? `${what} neither resolved nor rejected within ${PATIENCE_MS} ms` : `${what} succeeded, but should have failed`);
}

function expectGpuError(err: unknown, kind: GpuError['kind']): asserts err is GpuError {
  expect(err).toBeInstanceOf(GpuError);
  expect((err as GpuError).kind, (err as Error).message).toBe(kind);
}

// Elementwise only: a fresh device compiles its kernel in milliseconds (on SwiftShader a reduction takes
// ~0.3 s, the GEMM seconds).
const SMALL = compileOrThrow('input x[n]\noutput y = sin(x) * x', { n: 4096 });
const smallInputs = (): Map<string, Tensor> => new Map(Object.entries(randomValues(SMALL.inputs, 3)));

/** sin applied 40 times over 2²⁰ elements: a single kernel that keeps SwiftShader busy for a while. */
function slowGraph(): Graph {
  const b = new GraphBuilder();
  let v = b.input('x', [1 << 20]);
  for (let i = 0; i < 40; i++) v = b.unary('sin', v);
  b.output('y', v);
  return b.finish();
}

/** A runtime on a device of its own that has been destroyed (and whose loss has been reported). */
async function lostRuntime(): Promise<GpuRuntime> {
  const lost = await separateRuntime();
  await lost.run(SMALL.graph, smallInputs());
  lost.gpu.device.destroy();
  await lost.gpu.device.lost;
  return lost;
}

describe.skipIf(rt === null)('GPU failures are errors, never hangs', () => {
  it("bad WGSL rejects with a GpuError of kind 'compile' that names the kernel", async () => {
    const err = await rejection(rt!.pipeline('fn main( {', 'main', 'deliberately broken kernel'), 'compiling bad WGSL');
    expectGpuError(err, 'compile');
    expect(err.message).toMatch(/deliberately broken kernel/);
    // The failure is not cached as a pipeline: asking again compiles (and fails) again.
    expectGpuError(await rejection(rt!.pipeline('fn main( {', 'main', 'deliberately broken kernel'), 'compiling it again'), 'compile');
    // A valid kernel with a missing entry point is a compile error too.
    const noEntry = await rejection(rt!.pipeline('@compute @workgroup_size(1) fn other() {}', 'main', 'kernel without main'), 'a missing entry point');
    expectGpuError(noEntry, 'compile');
    expect(noEntry.message).toMatch(/kernel without main/);
  });

  it("a destroyed device makes run() reject with kind 'device-lost'", async () => {
    const lost = await lostRuntime();
    expect(lost.gpu.lostReason).toMatch(/destroyed/);
    const err = await rejection(lost.run(SMALL.graph, smallInputs()), 'a run on a lost device');
    expectGpuError(err, 'device-lost');
    expect(err.message).toMatch(/lost/);
  });

  it('a device destroyed before its loss is reported, or while a run is in flight, still rejects', async () => {
    const early = await separateRuntime();
    early.gpu.device.destroy();
    // lostReason is still null here: the run starts, and must notice on its own.
    const err = await rejection(early.run(SMALL.graph, smallInputs()), 'a run right after destroy()');
    expect(err).toBeInstanceOf(GpuError);

    const during = await separateRuntime();
    const slow = slowGraph();
    const x = new Map([['x', { shape: [1 << 20], data: new Float32Array(1 << 20).fill(0.5) }]]);
    await during.run(slow, x); // compiles the kernel, and times the work
    expect(during.lastProfile!.wallMs, 'the work outlasts the 10 ms before destroy()').toBeGreaterThan(50);
    // With the pipeline cached, run() submits before any timer fires; the device goes 10 ms into the work.
    const pending = during.run(slow, x);
    setTimeout(() => during.gpu.device.destroy(), 10);
    const midRun = await rejection(pending, 'a run whose device is destroyed while it is in flight');
    expectGpuError(midRun, 'device-lost');
  });

  it("under 'auto', a WebGPU failure falls back to the CPU and says why", async () => {
    const inputs = new Map(Object.entries(randomValues(SMALL.inputs, 4)));
    const lost = backendOn(await lostRuntime());

    // The route Program.run takes once 'auto' has picked WebGPU (jacobian() passes its choice the same way).
    const afterLoss = await SMALL.run(SMALL.graph, inputs, {}, { backend: lost, reason: 'webgpu predicted faster', requested: 'auto' });
    expect(afterLoss.stats.backend).toBe('cpu');
    expect(afterLoss.stats.reason).toMatch(/^CPU fallback: WebGPU failed \(the GPU device was lost/);
    const reference = await SMALL.evaluate(Object.fromEntries(inputs));
    expect(Array.from(afterLoss.values.get('y')!.data)).toEqual(Array.from(reference.outputs.y.data));

    // A graph the planner cannot run (a buffer over the binding limit) falls back before any GPU work.
    const cramped = await webgpuBackendWithLimits({ maxStorageBufferBindingSize: 4096 });
    const tooBig = await SMALL.run(SMALL.graph, inputs, {}, { backend: cramped, reason: 'webgpu predicted faster', requested: 'auto' });
    expect(tooBig.stats.backend).toBe('cpu');
    expect(tooBig.stats.reason).toMatch(/^CPU fallback: WebGPU failed \(.*more than this adapter binds at once/);

    // Asked for WebGPU explicitly, the same failures are errors the user can act on, not silent fallbacks.
    await expect(SMALL.evaluate(Object.fromEntries(inputs), { backend: lost })).rejects.toThrow(GradientLabError);
    await expect(SMALL.evaluate(Object.fromEntries(inputs), { backend: lost })).rejects.toThrow(/device was lost/);
    await expect(SMALL.evaluate(Object.fromEntries(inputs), { backend: cramped })).rejects.toThrow(/cannot run this/);
  });
});
