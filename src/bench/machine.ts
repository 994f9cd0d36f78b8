// The machine a benchmark ran on, for both command lines' reports (Node only).
import { cpus, loadavg } from 'node:os';
import type { MachineInfo } from './report.ts';

/** The 1-minute load average now: read at the start of a run, and passed to machineInfo at the end. */
export const loadNow = (): number => loadavg()[0];

export function machineInfo(loadStart: number): MachineInfo {
  const cpu = cpus();
  return {
    cpus: cpu.length,
    cpuModel: cpu[0]?.model.trim() ?? 'unknown',
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    loadavg: { start: loadStart, end: loadNow() },
  };
}
