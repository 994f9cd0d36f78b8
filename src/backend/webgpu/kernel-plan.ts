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
