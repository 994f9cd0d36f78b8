// What every compared system provides: for each task, the ways it can compute it. Also the Node
// set-up the peers need: `navigator.gpu` pointing at our own Dawn instance, so that every WebGPU
// system runs on the same adapter.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Answer, HostInputs, PeerTask } from './tasks.ts';

export type SystemName = 'gradient-lab' | 'jax-js' | 'tfjs';
export type DeviceName = 'cpu' | 'wasm' | 'webgpu';

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

/** A system that could not be loaded: every task says why. */
export function unavailableSystem(system: SystemName, device: DeviceName, reason: string): PeerSystem {
  return { system, device, description: `${system} on ${device}: ${reason}`, formulations: () => ({ unsupported: reason }) };
}

/**
 * Makes `gpu` (our Dawn instance) the `navigator.gpu` that jax-js and TF.js look for; both read
 * `navigator` when they initialise, so call this before importing them. Node 20 has no navigator;
 * newer Node has one without `gpu`, which gets the property added.
 */
export function installNavigator(gpu: GPU): void {
  const g = globalThis as { navigator?: { gpu?: GPU } };
  if (g.navigator?.gpu === gpu) return;
  if (g.navigator === undefined) {
    Object.defineProperty(globalThis, 'navigator', { value: { gpu, userAgent: 'node' }, configurable: true, writable: true });
  } else {
    Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
  }
}

const require = createRequire(import.meta.url);

/** The installed version of a package, read from its package.json (its exports may hide the file). */
export function packageVersion(name: string): string {
  let dir = dirname(require.resolve(name));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === name) return pkg.version ?? 'unknown';
    } catch {
      // no package.json at this level: keep climbing
    }
    const up = dirname(dir);
    if (up === dir) return 'unknown';
    dir = up;
  }
}
