// What every compared system provides: for each task, the ways it can compute it. Nothing here
// depends on Node or the browser: the set-up each one needs lives in node.ts and in the app's engine.
import type { Answer, HostInputs, PeerTask } from './tasks.ts';

export type SystemName = 'gradient-lab' | 'jax-js' | 'tfjs';
export type DeviceName = 'cpu' | 'wasm' | 'webgpu';

/** The two sides of the comparison: ours on the CPU against the peers on WebAssembly, and everyone on WebGPU. */
export const SIDES = ['cpu', 'webgpu'] as const;
export type Side = (typeof SIDES)[number];

/**
 * The devices each peer runs on, per side. TF.js has two on the CPU side: its WebAssembly backend and its
 * plain-JavaScript one (issue 5 names both); jax-js's CPU-side device is its WebAssembly one.
 */
export const PEER_DEVICES = {
  'jax-js': { cpu: ['wasm'], webgpu: ['webgpu'] },
  tfjs: { cpu: ['wasm', 'cpu'], webgpu: ['webgpu'] },
} as const satisfies Record<Exclude<SystemName, 'gradient-lab'>, Record<Side, readonly DeviceName[]>>;

/** A peer's devices on the given sides, in PEER_DEVICES's order. */
export function peerDevices<P extends keyof typeof PEER_DEVICES>(peer: P, sides: readonly Side[]): (typeof PEER_DEVICES)[P][Side][number][] {
  const devices: readonly DeviceName[] = SIDES.filter((s) => sides.includes(s)).flatMap((s) => PEER_DEVICES[peer][s]);
  return devices as (typeof PEER_DEVICES)[P][Side][number][]; // the elements of PEER_DEVICES[peer], which TS cannot follow through flatMap
}

/** The side a device belongs to. */
export function sideOf(device: DeviceName): Side {
  return device === 'webgpu' ? 'webgpu' : 'cpu';
}

/** One way of computing a task: host inputs in, host answer out (upload, compute, readback). */
export interface Formulation {
  /** How it is written, e.g. 'jit(vmap(jvp))' or 'tf.grad, cotangents as matrix rows'. */
  readonly name: string;
  /** True when the derivative is written out by hand instead of derived by the system's AD. */
  readonly manual: boolean;
  run(): Promise<Answer>;
  /** Frees compiled functions and constants once the task is done. */
  dispose?(): void;
}

/** Why a system has no formulation for a task (no forward mode, failed to load, ...). */
export interface Unsupported {
  readonly unsupported: string;
}

export interface PeerSystem {
  readonly system: SystemName;
  readonly device: DeviceName;
  /** For people: "jax-js 0.1.25 on webgpu (SwiftShader ...)". */
  readonly description: string;
  formulations(task: PeerTask, inputs: HostInputs): Formulation[] | Unsupported;
}

/** What a peer's loader is told by its environment. */
export interface PeerLoadOptions {
  /** The installed package's version, for descriptions and notes. */
  readonly version: string;
  /** TF.js only: where its .wasm binaries are served (file name → URL); unset in Node, which reads them from disk. */
  readonly wasmPaths?: Readonly<Record<string, string>>;
}

/** A system that could not be loaded: every task says why. */
export function unavailableSystem(system: SystemName, device: DeviceName, reason: string): PeerSystem {
  return { system, device, description: `${system} on ${device}: ${reason}`, formulations: () => ({ unsupported: reason }) };
}
