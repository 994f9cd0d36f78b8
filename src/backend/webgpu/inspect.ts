import type { Graph } from '../../ir/graph.ts';
import type { GpuInfo } from './device.ts';
import { planGraph } from './executor.ts';

/** WebGPU's default limits: what any adapter offers, used to show kernels without a device. */
export const DEFAULT_LIMITS: GpuInfo['limits'] = {
  maxStorageBufferBindingSize: 128 * 2 ** 20,
  maxBufferSize: 256 * 2 ** 20,
  maxComputeWorkgroupsPerDimension: 65535,
  maxStorageBuffersPerShaderStage: 8,
};

export interface KernelListing {
  readonly label: string;
  readonly code: string;
  readonly workgroups: readonly [number, number, number];
}

/**
 * The kernels and dispatch order that would run `graph`, planned for `limits` (no device needed), for a
 * hardware GPU unless `softwareAdapter` says the adapter runs on the CPU (see isSoftwareAdapter).
 */
export function listKernels(graph: Graph, limits: GpuInfo['limits'] = DEFAULT_LIMITS, softwareAdapter = false): { kernels: KernelListing[]; peakBytes: number; problem: string | null } {
  const plan = planGraph(graph, limits, softwareAdapter);
  return {
    kernels: plan.launches.map((l) => ({ label: l.plan.label, code: l.plan.code, workgroups: l.plan.workgroups })),
    peakBytes: plan.peakBytes,
    problem: plan.problem,
  };
}
