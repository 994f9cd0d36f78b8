// Cross-row comparisons, filled in once every row is measured: GPU against CPU time for the same
// case, and whether 'auto' picked the backend that measured faster.
import { ratio } from './measure.ts';
import type { AdCostRow, BackendName, GemmRow, JacobianRow, Row } from './report.ts';

/** The faster of two measured times by backend, or null unless both exist. */
function faster(cpuMs: number | null | undefined, gpuMs: number | null | undefined): BackendName | null {
  if (cpuMs == null || gpuMs == null) return null;
  return gpuMs < cpuMs ? 'webgpu' : 'cpu';
}

function compareGemm(row: GemmRow, cpu: GemmRow | undefined): GemmRow {
  const winner = faster(cpu?.ms, row.backend === 'webgpu' ? row.ms : undefined);
  return {
    ...row,
    gpuOverCpu: row.backend === 'webgpu' ? ratio(row.ms, cpu?.ms) : null,
    autoRight: row.auto === null || winner === null ? null : row.auto.backend === winner,
  };
}

function compareAd(row: AdCostRow, cpu: AdCostRow | undefined): AdCostRow {
  if (row.backend !== 'webgpu' || cpu === undefined) return row;
  return { ...row, gpuOverCpu: { jvp: ratio(row.jvpMs, cpu.jvpMs), vjp: ratio(row.vjpMs, cpu.vjpMs) } };
}

function compareJacobian(row: JacobianRow, cpu: JacobianRow | undefined): JacobianRow {
  if (row.backend !== 'webgpu' || cpu === undefined) return row;
  const mode = row.auto?.mode;
  const winner = mode === undefined ? null : faster(cpu[`${mode}Ms`], row[`${mode}Ms`]);
  return {
    ...row,
    gpuOverCpu: { fwd: ratio(row.fwdMs, cpu.fwdMs), rev: ratio(row.revMs, cpu.revMs) },
    autoRight: row.auto === null || winner === null ? null : row.auto.backend === winner,
  };
}

/** The rows with gpuOverCpu and autoRight filled in on each WebGPU row that has a CPU twin. */
export function compareBackends(rows: readonly Row[]): Row[] {
  const cpuRows = new Map(rows.filter((r) => r.backend === 'cpu').map((r) => [r.id, r]));
  return rows.map((row) => {
    const cpu = cpuRows.get(row.id);
    switch (row.kind) {
      case 'gemm': return compareGemm(row, cpu as GemmRow | undefined);
      case 'ad-cost': return compareAd(row, cpu as AdCostRow | undefined);
      case 'jacobian': return compareJacobian(row, cpu as JacobianRow | undefined);
      default: return row satisfies never;
    }
  });
}
