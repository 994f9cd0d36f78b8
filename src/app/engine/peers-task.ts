// The 'peers' task: the peer comparison of `npm run bench -- --peers`, run in the engine worker on the
// page's own WebGPU adapter and the peers' WebAssembly backends. Tasks, systems, answer checks and
// rows are the Node benchmark's (src/bench/peers); only loading differs: jax-js and TF.js are imported
// here, when a comparison runs, and TF.js is told where the bundler put its .wasm binaries.
import tfjsWasm from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import tfjsWasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import tfjsWasmThreadedSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { errorMessage, type MeasurePolicy } from '../../bench/measure.ts';
import { measureTask, RELATIVE_TOLERANCE } from '../../bench/peers/compare.ts';
import { loadJax } from '../../bench/peers/jax.ts';
import { oursOn } from '../../bench/peers/ours.ts';
import type { PeerRow } from '../../bench/peers/report.ts';
import { PEER_DEVICES, peerDevices, unavailableSystem, type DeviceName, type PeerSystem, type Side, type SystemName } from '../../bench/peers/system.ts';
import { answerLength, peerTasks, type PeerTask, type TaskName } from '../../bench/peers/tasks.ts';
import { loadTfjs } from '../../bench/peers/tfjs.ts';
import { isSoftwareAdapter, loadWebgpu, webgpuInfo } from '../../index.ts';
import type { PlannedPoint } from './bench-task.ts';

export type PeerName = Exclude<SystemName, 'gradient-lab'>;

/** What to compare. Every width w is square (n = m = w); jvp and vjp run k = 1, 64 and w directions. */
export interface PeersSpec {
  readonly widths: readonly number[];
  readonly tasks: readonly TaskName[];
  readonly sides: readonly Side[];
  readonly peers: readonly PeerName[];
  /** Timed samples after the checked warm-up, at least. */
  readonly repeats: number;
  /**
   * Rounds of timing (CompareOptions.rounds): every system is timed in turn this many times and each row
   * keeps its fastest round. On a page the systems share two cores with the browser itself, so a single
   * round leaves a ratio to whoever ran in a quiet moment.
   */
  readonly rounds: number;
}

/** One system on one task, still to run; `backend` is its side, `work` a rough FLOP count (for the remaining-time estimate). */
export interface PeersUnit extends PlannedPoint {
  readonly system: SystemName;
  readonly device: DeviceName;
  readonly task: TaskName;
}

/** Who ran and on what, once the systems are loaded. */
export interface PeersSetup {
  readonly adapter: string;
  /** Whether that adapter runs WGSL on the CPU (isSoftwareAdapter): its WebGPU times are then CPU times. */
  readonly softwareAdapter: boolean;
  readonly systems: readonly { readonly system: SystemName; readonly device: DeviceName; readonly description: string }[];
  readonly versions: Readonly<Record<string, string>>;
  /** An answer is wrong when maxAbsDiff > tolerance × scale. */
  readonly tolerance: number;
}

/** What the task streams: the plan, the loaded systems, then each system's rows for each task. */
export type PeersProgress =
  | { readonly kind: 'peers-plan'; readonly plan: readonly PeersUnit[] }
  | { readonly kind: 'peers-setup'; readonly setup: PeersSetup }
  | { readonly kind: 'peers-rows'; readonly rows: readonly PeerRow[] };

/** The finished comparison. */
export interface PeersResult extends PeersSetup {
  readonly rows: readonly PeerRow[];
}

/** Versions of the peers as installed when the app was built (see vite.config.ts). */
declare const __PEER_VERSIONS__: Readonly<Record<string, string>>;

/** Each sample loops its calls for at least 5 ms (a worker's clock ticks in 0.1 ms); each formulation stops after about a second. */
const policyFor = (repeats: number): MeasurePolicy => ({ repeats, minMs: 0, budgetMs: 1000, coldOnlyMs: 10_000, minSampleMs: 5 });

/** The systems of a spec, in the order they run on each task: per side, ours first. */
export function plannedSystems(spec: Pick<PeersSpec, 'sides' | 'peers'>): { system: SystemName; device: DeviceName; side: Side }[] {
  return spec.sides.flatMap((side) => [
    { system: 'gradient-lab' as const, device: side, side },
    ...spec.peers.flatMap((system) => PEER_DEVICES[system][side].map((device) => ({ system, device, side }))),
  ]);
}

/** A rough FLOP count: answer entries times the width, twice for the two-layer MLP. */
const taskWork = (t: PeerTask) => answerLength(t) * t.n * (t.fn === 'mlp' ? 2 : 1);

/** Every task × system, in the order they run. */
export function peersPlan(spec: PeersSpec): PeersUnit[] {
  const systems = plannedSystems(spec);
  return peerTasks(spec.widths, spec.tasks, false).flatMap((t) => systems.map((s) => ({
    n: t.n, m: t.m, backend: s.side, work: taskWork(t), system: s.system, device: s.device, task: t.task,
  })));
}

/** Loads ours and the peers; anything that cannot load becomes a system whose rows say why. */
async function loadSystems(spec: PeersSpec): Promise<{ systems: PeerSystem[]; adapter: string; softwareAdapter: boolean }> {
  const loaded: PeerSystem[] = [];
  let adapter = 'not requested';
  let softwareAdapter = false;
  let noGpu: string | null = null;
  if (spec.sides.includes('cpu')) loaded.push(oursOn('cpu'));
  if (spec.sides.includes('webgpu')) {
    try {
      const webgpu = await loadWebgpu();
      adapter = webgpu.description;
      const info = await webgpuInfo();
      softwareAdapter = !('error' in info) && isSoftwareAdapter(info);
      loaded.push(oursOn('webgpu', webgpu));
    } catch (err) {
      noGpu = errorMessage(err);
      adapter = `unavailable: ${noGpu}`;
    }
  }
  const sides = spec.sides.filter((s) => s === 'cpu' || noGpu === null);
  const [jaxDevices, tfjsDevices] = [peerDevices('jax-js', sides), peerDevices('tfjs', sides)];
  if (jaxDevices.length > 0 && spec.peers.includes('jax-js')) loaded.push(...await loadJax(jaxDevices, { version: __PEER_VERSIONS__['@jax-js/jax'] }));
  if (tfjsDevices.length > 0 && spec.peers.includes('tfjs')) {
    const wasmPaths = { 'tfjs-backend-wasm.wasm': tfjsWasm, 'tfjs-backend-wasm-simd.wasm': tfjsWasmSimd, 'tfjs-backend-wasm-threaded-simd.wasm': tfjsWasmThreadedSimd };
    loaded.push(...await loadTfjs(tfjsDevices, { version: __PEER_VERSIONS__['@tensorflow/tfjs'], wasmPaths }));
  }
  // In the plan's order; a WebGPU system without an adapter still gets rows, which say why they are empty.
  const systems = plannedSystems(spec).map(({ system, device }) => loaded.find((s) => s.system === system && s.device === device)
    ?? unavailableSystem(system, device, noGpu === null ? 'not loaded' : `WebGPU unavailable: ${noGpu}`));
  return { systems, adapter, softwareAdapter };
}

/** Lets the worker's event loop run, so a cancel message can arrive between formulations. */
const yieldToEvents = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/** Runs the comparison, streaming the plan, the set-up and every system's rows as they finish. */
export async function runPeers(spec: PeersSpec, options: { signal?: AbortSignal; report?: (progress: PeersProgress, done: number, total: number) => void } = {}): Promise<PeersResult> {
  const { signal, report } = options;
  const plan = peersPlan(spec);
  report?.({ kind: 'peers-plan', plan }, 0, plan.length);
  const { systems, adapter, softwareAdapter } = await loadSystems(spec);
  const setup: PeersSetup = {
    adapter,
    softwareAdapter,
    systems: systems.map((s) => ({ system: s.system, device: s.device, description: s.description })),
    versions: __PEER_VERSIONS__,
    tolerance: RELATIVE_TOLERANCE,
  };
  report?.({ kind: 'peers-setup', setup }, 0, plan.length);
  const rows: PeerRow[] = [];
  let done = 0;
  for (const t of peerTasks(spec.widths, spec.tasks, false)) {
    await yieldToEvents();
    signal?.throwIfAborted();
    await measureTask(t, systems, {
      policy: policyFor(spec.repeats),
      rounds: spec.rounds,
      signal,
      pause: yieldToEvents,
      onRows: (_, mine) => {
        rows.push(...mine);
        report?.({ kind: 'peers-rows', rows: mine }, ++done, plan.length);
      },
    });
  }
  return { ...setup, rows };
}
