// The CPU backend's GEMM: WebAssembly SIMD where it pays, the TypeScript gemm (the reference) elsewhere.
import { gemm, type GemmOperand } from './gemm.ts';
import type { FloatArray } from './tensor.ts';
import { wasmGemm } from './wasm/gemm.ts';
import { gemmMode } from './wasm/module.ts';

/**
 * Whether the WebAssembly kernel beats the TypeScript gemm on a product this shape, counting its copies in
 * and out. Measured on the benchmark machine (2 × AMD EPYC, Node 20, scratch timings of both at each shape):
 * - It loses when C is a row or a column or nearly so (M ≤ 2 or N ≤ 2, say a matrix times a vector):
 *   such a product reads each element of the matrix once, so packing it costs as much as the JS loop,
 *   e.g. 1×256×256 f32 took 51 µs in JS and 167 µs in wasm. With 4 rows and columns it wins (4×256×256:
 *   292 µs JS, 156 µs wasm).
 * - For small products the fixed cost (a call, packing, ~0.2 µs) dominates: 8³ still ran faster in JS in
 *   f32 (0.5 against 0.7 µs), 12³ ran faster in wasm (1.7 against 1.3 µs; f64 crosses over near 8³), and
 *   4×16×16 tied; so M·N·K ≥ 2048 (8×16×16 ran 1.4–2.7× faster in wasm).
 */
export function wasmPays(M: number, N: number, K: number): boolean {
  return Math.min(M, N) >= 4 && M * N * K >= 2048;
}

/**
 * C[M,N] = op(A)[M,K] · op(B)[K,N] into `c` at `cOffset` (see gemm): by the WebAssembly SIMD kernel when the
 * mode (setGemmMode) and the shape say so and the kernel is available, else by the TypeScript gemm.
 * In f64 both give the same bits; in f32 they round differently (JS multiplies in f64).
 */
export function bestGemm(M: number, N: number, K: number, a: GemmOperand, b: GemmOperand, c: FloatArray, cOffset: number): void {
  const mode = gemmMode();
  const tryWasm = mode === 'wasm' || (mode === 'auto' && wasmPays(M, N, K));
  if (tryWasm && wasmGemm(M, N, K, a, b, c, cOffset)) return;
  gemm(M, N, K, a, b, c, cOffset);
}
