import type { Graph } from '../../ir/graph.ts';
import { numel } from '../../ir/shape.ts';
import { release, toDType, type Tensor } from '../cpu/tensor.ts';
import { roundedToF32 } from '../cpu/wasm/round-to-f32.ts';
import { adapterName, isSoftwareAdapter, type Gpu, type GpuInfo } from './device.ts';
import { planGraph, type ExecPlan, type Profile } from './executor.ts';
import { NudgeHistory, nudgePause, nudgeUntilAnswered, type Pause } from './nudged-read-back.ts';
import { blockingWait, sleep, throttleUntilSettled, WaitHistory, type Block } from './quiet-wait.ts';
import { BELT_MIN_BYTES, UploadBelt } from './upload-belt.ts';

/** A failure on the GPU side, with the kind of failure for callers that fall back. */
export class GpuError extends Error {
  constructor(readonly kind: 'compile' | 'validation' | 'out-of-memory' | 'device-lost' | 'unsupported', message: string) {
    super(message);
    this.name = 'GpuError';
  }
}

/** WGSL without its line comments (WGSL has no string literals, so `//` always starts one). */
const withoutComments = (code: string) => code.replace(/[ \t]*\/\/[^\n]*/g, '');

const STORAGE = () => GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
/** Pooled buffers kept between runs, at most this many bytes (the rest are destroyed). */
const POOL_LIMIT = 512 * 2 ** 20;
/**
 * Read-back buffers kept per size, the largest kept (bigger ones are made for one run), and the most
 * bytes kept in all (a playground session runs many programs, each with its own sizes). The largest is
 * room for a 4096 × 4096 f32 result with its other outputs, twice over in all: making a 64 MiB mappable
 * buffer cost 27 ms a run on SwiftShader, a tenth of a 4096-wide layer Jacobian.
 */
const READBACKS_PER_SIZE = 4;
const READBACK_POOL_MAX = 80 * 2 ** 20;
const READBACK_POOL_TOTAL = 160 * 2 ** 20;
/** WebGPU's largest minUniformBufferOffsetAlignment: each launch's uniforms start on such a boundary. */
const UNIFORM_ALIGN = 256;

/**
 * What a plan keeps between runs so that a repeated run only encodes: one uniform buffer holding every
 * launch's uniforms (written once), and the bind groups of the last run with the slot buffers they bind.
 * A run that gets the same buffers from the pool (the usual case: it asks for them first) reuses the
 * groups. Measured on SwiftShader: a 2-dispatch run 0.36 -> 0.31 ms, a 13-dispatch HVP 1.41 -> 1.25 ms.
 */
interface Bindings {
  readonly uniforms: GPUBuffer | null;
  /** Byte offset of each launch's uniforms in `uniforms`. */
  readonly offsets: readonly number[];
  slots: GPUBuffer[];
  groups: GPUBindGroup[];
  /**
   * Timestamp queries (two per launch) and the buffer they resolve into, made by the first profiled run
   * and reused by the next: runs of one plan resolve and copy their times in queue order, so they never
   * read each other's. Null without timestamp queries on the adapter.
   */
  timing?: { readonly queries: GPUQuerySet; readonly resolved: GPUBuffer } | null;
  /** The plan's recent submit-to-read-back times, from which Node's next run sleeps (quiet-wait.ts). */
  readonly waits: WaitHistory;
  /** The plan's recent submit-to-answer times, from which a browser's next run starts nudging (nudged-read-back.ts). */
  readonly nudges: NudgeHistory;
}

/** Where a run's outputs, then its kernel times, sit in its one read-back buffer. */
interface ReadbackLayout {
  readonly offsets: readonly number[];
  readonly timesAt: number;
  readonly bytes: number;
}

/**
 * Runs graphs on one WebGPU device. Owns the caches: pipelines keyed by WGSL source, execution plans
 * keyed by graph, and a pool of storage buffers reused across runs.
 */
export class GpuRuntime {
  private readonly pipelines = new Map<string, Promise<GPUComputePipeline>>();
  private readonly plans = new WeakMap<Graph, ExecPlan>();
  private readonly bindings = new WeakMap<ExecPlan, Bindings>();
  private readonly pool = new Map<number, GPUBuffer[]>();
  private readonly readyPipelines = new WeakMap<ExecPlan, GPUComputePipeline[]>();
  /** Rejects when the device is lost, so that no read-back waits forever on a device that is gone. */
  private readonly lost: Promise<never>;
  /** Mappable read-back buffers by size: a run copies all its outputs into one and maps it once. */
  private readonly readbacks = new Map<number, GPUBuffer[]>();
  /** The waits between a browser's nudges (nudged-read-back.ts); null in Node. */
  private readonly pause: Pause | null;
  /** Node's slices of waiting for a long run's read-back (quiet-wait.ts); null in a browser. */
  private readonly block: Block | null;
  /** The buffer a browser's nudges map: never written, so each map request is answered on arrival. */
  private nudgeTarget: GPUBuffer | null = null;
  /** Mapped staging buffers for large inputs. */
  private readonly belt: UploadBelt;
  /** Pipelines compiled so far (a second compile of the same program adds none). */
  compiledPipelines = 0;
  lastProfile: Profile | null = null;

  /** The device's limits, optionally lowered (tests use this to force chunking on a roomy device). */
  readonly limits: GpuInfo['limits'];

  /** Whether planners pick the strategies for a CPU-run adapter (see isSoftwareAdapter). */
  readonly softwareAdapter: boolean;

  /** Whether planners may use kernels that share loads within quads of a subgroup (GpuInfo.quadSubgroups). */
  readonly quadSubgroups: boolean;

  /**
   * `strategy` overrides what the adapter says about itself (tests run both plans on one device);
   * quadSubgroups can only be turned off, since its kernels need the device's `subgroups` feature.
   */
  constructor(readonly gpu: Gpu, lower: Partial<GpuInfo['limits']> = {}, strategy: { softwareAdapter?: boolean; quadSubgroups?: boolean } = {}) {
    this.softwareAdapter = strategy.softwareAdapter ?? isSoftwareAdapter(gpu.info);
    this.quadSubgroups = gpu.info.quadSubgroups && (strategy.quadSubgroups ?? true);
    this.belt = new UploadBelt(gpu.device);
    this.pause = gpu.browser ? nudgePause() : null;
    this.block = gpu.browser ? null : blockingWait();
    this.lost = gpu.device.lost.then((info) => {
      throw new GpuError('device-lost', `the GPU device was lost during the run (${info.reason}: ${info.message || 'no details'})`);
    });
    this.lost.catch(() => undefined); // only a run in flight cares
    this.limits = { ...gpu.info.limits };
    for (const [key, value] of Object.entries(lower) as [keyof GpuInfo['limits'], number][]) this.limits[key] = Math.min(this.limits[key], value);
  }

  get name(): string {
    return adapterName(this.gpu.info);
  }

  plan(graph: Graph): ExecPlan {
    let p = this.plans.get(graph);
    if (p === undefined) {
      p = planGraph(graph, this.limits, this.softwareAdapter, this.quadSubgroups);
      this.plans.set(graph, p);
    }
    return p;
  }

  /**
   * Compile (once per distinct source, comments aside) a compute pipeline; WGSL errors become
   * GpuError('compile'). Generated kernels describe their bindings' shapes in comments; kernels that
   * differ only there (a reduction's fused load over another size, whose shape is in its uniforms) share
   * one pipeline, which matters where a compile costs 0.1-0.4 s (SwiftShader, measured).
   */
  pipeline(code: string, entryPoint: string, label: string): Promise<GPUComputePipeline> {
    const key = `${entryPoint}\n${withoutComments(code)}`;
    let p = this.pipelines.get(key);
    if (p === undefined) {
      p = this.compile(code, entryPoint, label);
      this.pipelines.set(key, p);
      p.catch(() => this.pipelines.delete(key));
    }
    return p;
  }

  private async compile(code: string, entryPoint: string, label: string): Promise<GPUComputePipeline> {
    const { device } = this.gpu;
    // Errors come from error scopes. (getCompilationInfo and createComputePipelineAsync both crash Dawn's
    // Node bindings intermittently, measured here; the synchronous calls report the same messages.)
    device.pushErrorScope('validation');
    const module = device.createShaderModule({ code, label });
    const pipeline = device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint }, label });
    const error = await device.popErrorScope();
    if (error !== null) throw new GpuError('compile', `WGSL error in kernel '${label}': ${error.message}`);
    this.compiledPipelines++;
    return pipeline;
  }

  /** A pooled buffer of at least `bytes`: `preferred` when it is free, so a repeated run keeps its bind groups. */
  private acquire(bytes: number, preferred?: GPUBuffer): GPUBuffer {
    const size = Math.max(16, Math.ceil(bytes / 256) * 256);
    const list = this.pool.get(size);
    const at = preferred === undefined || list === undefined ? -1 : list.indexOf(preferred);
    const hit = at >= 0 ? list!.splice(at, 1)[0] : list?.pop();
    return hit ?? this.gpu.device.createBuffer({ size, usage: STORAGE() });
  }

  /** The plan's uniform buffer, written once, with each launch's offset in it. */
  private bindingsOf(plan: ExecPlan): Bindings {
    let b = this.bindings.get(plan);
    if (b === undefined) {
      const offsets: number[] = [];
      let end = 0;
      for (const l of plan.launches) {
        offsets.push(end);
        if (l.bindings.includes('uniforms')) end += Math.ceil(Math.max(16, l.plan.uniforms.byteLength) / UNIFORM_ALIGN) * UNIFORM_ALIGN;
      }
      const uniforms = end === 0 ? null : this.gpu.device.createBuffer({ size: end, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST, label: 'uniforms' });
      plan.launches.forEach((l, i) => {
        const words = l.plan.uniforms;
        if (uniforms !== null && l.bindings.includes('uniforms')) this.gpu.device.queue.writeBuffer(uniforms, offsets[i], words.buffer as ArrayBuffer, words.byteOffset, words.byteLength);
      });
      b = { uniforms, offsets, slots: [], groups: [], waits: new WaitHistory(), nudges: new NudgeHistory() };
      this.bindings.set(plan, b);
    }
    return b;
  }

  /** Makes a browser's GPU process look at finished work: a map request on a buffer no run writes. */
  private nudge(): void {
    const target = (this.nudgeTarget ??= this.gpu.device.createBuffer({ size: 16, usage: GPUBufferUsage.MAP_READ, label: 'nudge' }));
    if (target.mapState !== 'unmapped') return; // the last nudge's answer is still on its way
    target.mapAsync(GPUMapMode.READ).then(
      () => target.unmap(),
      () => undefined, // the device was lost: the run's own read-back reports it
    );
  }

  private takeReadback(bytes: number): GPUBuffer {
    const size = Math.max(16, Math.ceil(bytes / 256) * 256);
    return this.readbacks.get(size)?.pop() ?? this.gpu.device.createBuffer({ size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST, label: 'read-back' });
  }

  /** Keeps a few read-back buffers of each size (enough for runs in flight at once); the rest are destroyed. */
  private giveBackReadback(buffer: GPUBuffer): void {
    const list = this.readbacks.get(buffer.size) ?? [];
    const kept = [...this.readbacks.values()].reduce((sum, l) => sum + l.reduce((t, b) => t + b.size, 0), 0);
    if (!keepsReadback(buffer.size, list.length, kept)) {
      buffer.destroy();
      return;
    }
    list.push(buffer);
    this.readbacks.set(buffer.size, list);
  }

  private release(buffer: GPUBuffer): void {
    const pooled = [...this.pool.values()].reduce((s, list) => s + list.reduce((t, b) => t + b.size, 0), 0);
    if (pooled + buffer.size > POOL_LIMIT) {
      buffer.destroy();
      return;
    }
    const list = this.pool.get(buffer.size) ?? [];
    list.push(buffer);
    this.pool.set(buffer.size, list);
  }

  private assertAlive(): void {
    if (this.gpu.lostReason !== null) throw new GpuError('device-lost', `the GPU device was lost (${this.gpu.lostReason}); results from it are unavailable`);
  }

  /** The plan's timestamp queries, made on first use; null when the adapter has none. */
  private timingOf(plan: ExecPlan, b: Bindings): NonNullable<Bindings['timing']> | null {
    if (b.timing === undefined) {
      const count = 2 * plan.launches.length;
      b.timing = this.gpu.info.timestamps && count > 0
        ? {
            queries: this.gpu.device.createQuerySet({ type: 'timestamp', count }),
            resolved: this.gpu.device.createBuffer({ size: 8 * count, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC, label: 'timestamps' }),
          }
        : null;
    }
    return b.timing;
  }

  /**
   * Runs `graph` (f32) on the device and reads back its outputs. With `profile`, every kernel is timed
   * by timestamp queries in a compute pass of its own (lastProfile); without, all run in one pass.
   */
  async run(graph: Graph, inputs: ReadonlyMap<string, Tensor>, { profile = false }: { readonly profile?: boolean } = {}): Promise<Map<string, Tensor>> {
    this.assertAlive();
    const plan = this.plan(graph);
    if (plan.problem !== null) throw new GpuError('unsupported', plan.problem);
    const { device } = this.gpu;
    // A plan's pipelines are looked up once: their cache key strips comments from every kernel's source.
    let pipelines = this.readyPipelines.get(plan);
    if (pipelines === undefined) {
      pipelines = await Promise.all(plan.launches.map((l) => this.pipeline(l.plan.code, l.plan.entryPoint, l.plan.label)));
      this.readyPipelines.set(plan, pipelines);
      this.assertAlive();
    }

    device.pushErrorScope('out-of-memory');
    device.pushErrorScope('validation');
    const cached = this.bindingsOf(plan);
    const slots = plan.slotBytes.map((b, i) => this.acquire(b, cached.slots[i]));
    // Slots and groups are replaced together while encoding (no await in between), so runs of one plan
    // that overlap never pair one run's groups with another's buffers.
    const sameSlots = cached.groups.length === plan.launches.length && slots.every((b, i) => b === cached.slots[i]);
    if (!sameSlots) {
      cached.slots = slots;
      cached.groups = [];
    }
    const bufferOf = (v: number) => slots[plan.slotOf.get(v)!];
    // Large inputs are converted straight into mapped staging buffers (upload-belt.ts), copied below.
    const staged: { staging: GPUBuffer; target: GPUBuffer }[] = [];
    for (const p of graph.inputs) {
      const t = inputs.get(p.name);
      if (t === undefined) throw new Error(`missing value for graph input '${p.name}'`);
      const staging = 4 * t.data.length >= BELT_MIN_BYTES ? this.belt.stage(t.data) : null;
      if (staging !== null) {
        staged.push({ staging, target: bufferOf(p.id) });
        continue;
      }
      // f64 values are rounded by WebAssembly SIMD into memory of its own (round-to-f32.ts), else through a
      // pooled f32 array (writeBuffer copies at once): a fresh 256 KiB array per input per run kept the
      // collector busy (a 256-wide layer Jacobian spent 15% of its time in GC).
      const rounded = t.data instanceof Float32Array ? t.data : roundedToF32(t.data);
      const data = rounded ?? toDType(t, 'f32').data;
      device.queue.writeBuffer(bufferOf(p.id), 0, data.buffer as ArrayBuffer, data.byteOffset, data.byteLength);
      if (rounded === null) release(data);
    }

    const timing = profile ? this.timingOf(plan, cached) : null;
    const querySet = timing?.queries ?? null;
    const encoder = device.createCommandEncoder({ label: 'gradient-lab run' });
    for (const { staging, target } of staged) encoder.copyBufferToBuffer(staging, 0, target, 0, staging.size);
    // Dispatches in one pass are still ordered: WebGPU synchronises storage writes between them.
    const shared = querySet === null ? encoder.beginComputePass({ label: 'gradient-lab kernels' }) : null;
    plan.launches.forEach((launch, i) => {
      const pipeline = pipelines![i];
      if (!sameSlots) {
        const entries: GPUBindGroupEntry[] = launch.bindings.map((b, binding) => {
          if (b === 'uniforms') return { binding, resource: { buffer: cached.uniforms!, offset: cached.offsets[i], size: Math.max(16, launch.plan.uniforms.byteLength) } };
          // Whole vec4s (pooled buffers are 256-byte multiples): kernels may bind a value as array<vec4<f32>>.
          return { binding, resource: { buffer: bufferOf(b), offset: 0, size: Math.ceil(Math.max(4, plan.bytes.get(b)!) / 16) * 16 } };
        });
        cached.groups[i] = device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries, label: launch.plan.label });
      }
      const bindGroup = cached.groups[i];
      const pass = shared ?? encoder.beginComputePass({
        label: launch.plan.label,
        timestampWrites: { querySet: querySet!, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 },
      });
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bindGroup);
      const [x, y, z] = launch.plan.workgroups;
      if (x > 0 && y > 0 && z > 0) pass.dispatchWorkgroups(x, y, z);
      if (shared === null) pass.end();
    });
    shared?.end();

    const outputs = graph.outputs.map((p) => ({ port: p, owner: plan.schedule.owner.get(p.id)!, bytes: 4 * numel(graph.nodes[p.id].shape) }));
    const layout = readbackLayout(outputs.map((o) => o.bytes), timing === null ? 0 : 16 * plan.launches.length);
    const readback = this.takeReadback(layout.bytes);
    outputs.forEach((o, i) => o.bytes > 0 && encoder.copyBufferToBuffer(bufferOf(o.owner), 0, readback, layout.offsets[i], o.bytes));
    if (timing !== null) {
      const { queries, resolved } = timing;
      encoder.resolveQuerySet(queries, 0, 2 * plan.launches.length, resolved, 0);
      encoder.copyBufferToBuffer(resolved, 0, readback, layout.timesAt, 16 * plan.launches.length);
    }
    const start = performance.now();
    device.queue.submit([encoder.finish()]);
    // Staging buffers are mapped again once the run has been read back: a map request pending during the
    // work would keep Dawn's Node bindings polling through the sleep below (quiet-wait.ts).
    const recycleStaging = () => staged.forEach(({ staging }) => this.belt.recycle(staging));
    // In Node the error scopes (popped in reverse order) and the read-back are asked for together: each
    // answer is a round trip to the device, and waiting for them one after another cost ~40 µs a run. A
    // longer run in Node sleeps first, and then waits in slices, so that Dawn's polling does not spin
    // while the work runs (quiet-wait.ts). A browser answers a map request sent before the work is
    // done only when something makes it look again, so there the request is sent at submit and nudged
    // (nudged-read-back.ts).
    const scopes = Promise.all([device.popErrorScope(), device.popErrorScope()]);
    const quiet = this.gpu.browser ? 0 : cached.waits.nextSleepMs();
    const throttled = this.block !== null && cached.waits.throttles();
    const mapNow = () => {
      const m = readback.mapAsync(GPUMapMode.READ);
      m.catch(() => undefined); // awaited below, unless the run was rejected
      if (throttled) void throttleUntilSettled(m, this.block!);
      return m;
    };
    let mapping = quiet > 0 ? null : mapNow();
    const firstNudgeMs = cached.nudges.firstNudgeMs();
    const nudged = this.pause !== null && mapping !== null ? nudgeUntilAnswered(mapping, start, firstNudgeMs, () => this.nudge(), this.pause) : null;
    const [validation, oom] = await scopes;
    // The scopes' answers come back a round trip after submit, by when a small run is done: a free moment
    // to nudge, unless the plan's history says its work is still running (a nudge then slows it).
    if (this.pause !== null && performance.now() - start >= firstNudgeMs) this.nudge();
    const failure = validation ?? oom;
    if (failure !== null) {
      recycleStaging();
      readback.destroy();
      slots.forEach((b) => b.destroy());
      throw new GpuError(oom !== null && validation === null ? 'out-of-memory' : 'validation', `WebGPU rejected the run: ${failure.message}`);
    }
    if (quiet > 0) await sleep(quiet);
    const awake = performance.now();
    mapping ??= mapNow();

    // Read back, but never wait forever on a device that is gone.
    try {
      await Promise.race([mapping, this.lost]);
    } catch (err) {
      recycleStaging();
      readback.destroy();
      throw err instanceof GpuError ? err : new GpuError('device-lost', `reading results back failed: ${(err as Error).message}`);
    }
    const end = performance.now();
    const wallMs = end - start;
    cached.waits.record(wallMs, quiet, end - awake);
    if (nudged !== null) {
      await nudged;
      cached.nudges.record(wallMs);
    }
    recycleStaging();
    const mapped = readback.getMappedRange();
    const values = new Map<string, Tensor>();
    outputs.forEach((o, i) => {
      // Copied into a new array: slicing the mapped range took 47 µs for 256 KiB, this 34 (Dawn, Node).
      const data = new Float32Array(o.bytes / 4);
      data.set(new Float32Array(mapped, layout.offsets[i], o.bytes / 4));
      values.set(o.port.name, { shape: graph.nodes[o.port.id].shape, data });
    });
    let kernelMs: (number | null)[] = plan.launches.map(() => null);
    let gpuMs: number | null = null;
    if (timing !== null) {
      const ticks = new BigInt64Array(mapped.slice(layout.timesAt, layout.timesAt + 16 * plan.launches.length));
      kernelMs = plan.launches.map((_, i) => Number(ticks[2 * i + 1] - ticks[2 * i]) / 1e6);
      gpuMs = Number(ticks[2 * plan.launches.length - 1] - ticks[0]) / 1e6;
    }
    readback.unmap();
    this.giveBackReadback(readback);
    slots.forEach((b) => this.release(b));
    this.lastProfile = {
      adapter: this.name,
      dispatches: plan.launches.length,
      kernels: plan.launches.map((l, i) => ({ label: l.plan.label, ms: kernelMs[i] })),
      gpuMs,
      wallMs,
      peakBytes: plan.peakBytes,
    };
    return values;
  }

  /** Frees pooled buffers (the device itself is shared and stays). */
  dispose(): void {
    for (const list of [...this.pool.values(), ...this.readbacks.values()]) for (const b of list) b.destroy();
    this.nudgeTarget?.destroy();
    this.nudgeTarget = null;
    this.pool.clear();
    this.readbacks.clear();
    this.belt.dispose();
  }
}

/** Whether a finished run's read-back buffer of `bytes` is kept, with `sameSize` of its size and `keptBytes` in all kept already. */
export function keepsReadback(bytes: number, sameSize: number, keptBytes: number): boolean {
  return sameSize < READBACKS_PER_SIZE && bytes <= READBACK_POOL_MAX && keptBytes + bytes <= READBACK_POOL_TOTAL;
}

/** Each output at a 256-byte boundary (copies need 4; this keeps views aligned), then the kernel times. */
function readbackLayout(outputBytes: readonly number[], timeBytes: number): ReadbackLayout {
  const align = (x: number) => Math.ceil(x / 256) * 256;
  const offsets: number[] = [];
  let end = 0;
  for (const b of outputBytes) {
    offsets.push(end);
    end = align(end + b);
  }
  return { offsets, timesAt: end, bytes: end + timeBytes };
}
