/**
 * One compute dispatch, fully described: the executor creates (or reuses, keyed by `code`) the
 * pipeline, binds the operands and the `uniforms` buffer at the bindings the kernel documents (GEMM:
 * uniforms last; reductions: uniforms at 1, so fused loads number from 2), and dispatches `workgroups`. Planners are pure functions of shapes and device limits.
 */
export interface KernelPlan {
  /** Human-readable name for debugging and GPU labels. */
  readonly label: string;
  /** Complete WGSL; equal variants give identical strings, so the pipeline cache can key on it. */
  readonly code: string;
  readonly entryPoint: string;
  readonly workgroups: readonly [number, number, number];
  /** Contents of the uniform buffer bound after the storage buffers. */
  readonly uniforms: Uint32Array<ArrayBuffer>;
}

/**
 * Threads per workgroup for a kernel of `invocations` threads on a software adapter: half of them,
 * rounded down to a power of two, kept between 8 and `largest`. SwiftShader runs every invocation of a
 * workgroup, idle ones included, and a workgroup on one core: a 64-wide W @ x (16 threads) took 45 µs
 * in one workgroup of 64, 35 in one of 16, 24 in two of 8 and 43 in four of 4. Large kernels are not
 * affected (256 × 256 elementwise: the same time in workgroups of 64 as of 256).
 */
export function softwareWorkgroupSize(invocations: number, largest: number): number {
  let size = 8;
  while (size * 2 <= Math.min(largest, invocations / 2)) size *= 2;
  return size;
}

/**
 * How a product kernel (matrix-vector or GEMM) writes each output: WGSL defining its store function
 * (matvec_store, matvec_store_pair or gemm_store; see the shaders) and any bindings it adds, and a few
 * words for the kernel's label. The plain store writes the product; an epilogue (emitStoreEpilogue in
 * emit.ts) also computes the elementwise steps after it, saving their dispatch and a trip through memory.
 */
export interface KernelStore {
  readonly code: string;
  readonly label: string;
}
