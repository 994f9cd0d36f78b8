// The CPU backend's GEMM: WebAssembly SIMD where it pays, the TypeScript gemm (the reference) elsewhere.
import { gemm, type GemmOperand } from './gemm.ts';
import type { FloatArray } from './tensor.ts';
import { wasmGemm } from './wasm/gemm.ts';
import { gemmMode, simdSupported } from './wasm/module.ts';
import { threadsPossible, threadsWanted } from './wasm/threads.ts';

/** Above this many bytes, the matrix of a matrix-vector product is cheaper to stream once in JS than to copy. */
const MATVEC_WASM_BYTES = 4 * 2 ** 20;

/**
 * The same for an f64 product when C is one row or column: the wasm matvec kernels read the matrix
 * unpacked (matvec-kernel.ts). Measured (ms, medians of 41, busy 2 cores), JS against wasm: rows along k
 * (W x) 1024² f64 0.77 and 0.66, 1448² f32 2.4 and 1.0, 2048² f32 4.8 and 2.2, 2048² f64 (32 MiB) 4.1 and
 * 4.6; rows along C (xᵀ W) 1024² f64 1.50 and 1.36, 1448² f32 2.4 and 1.5, 2048² f32 4.6 and 2.9, 2048² f64
 * 5.8 and 7.3. An f32 product has no limit: at 4096² (64 MiB) wasm still won, whole f32 passes over f64
 * host weights measuring (ms, medians of 30-60) 23 against 29 for the layer's primal, 23 against 37 for
 * its JVP, and 29 against 47 for the HVP of sum(tanh(W x)²), whose second product finds W in place.
 */
const MATVEC_UNPACKED_F64_WASM_BYTES = 16 * 2 ** 20;

/**
 * Whether the WebAssembly kernel beats the TypeScript gemm on a product this shape, counting its copies in
 * and out. Measured on the benchmark machine (2 × AMD EPYC, Node 20, scratch timings of both at each shape,
 * B stored either way; the machine was shared, so ratios within ~20% of 1 are ties):
 * - Tiny products are the fixed cost (calls, copies, ~0.4 µs): 8³ ran in 0.5 µs in JS and 0.6 µs in wasm
 *   (f32; f64 already favoured wasm), 4×16×16 ran 1.9–3.6× faster in wasm, 12³ 1.4–3.6×. So M·N·K ≥ 1024.
 * - When C is a row or a column, or two (a matrix times one or two vectors), each element of the matrix
 *   is used once or twice, so copying it in costs about what the JS loop does. Up to 4 MiB of matrix wasm
 *   still won (1×1024×1024 f32: 1.04 ms JS, 0.70 ms wasm; 1×724×724 f64: 0.77 against 0.52), at 8 MiB
 *   JS won (1×1024×1024 f64: 1.58 against 2.20 ms; 1×1448×1448 f32: 2.1 against 3.6 ms), and beyond.
 *   Since C as one row or column (`unpacked`) needs no packing, wasm wins there to 16 MiB in f64 and at
 *   every size measured in f32 (see above).
 */
export function wasmPays(M: number, N: number, K: number, bytesPerElement: number, unpacked = false): boolean {
  if (M * N * K < 1024) return false;
  if (unpacked && bytesPerElement === 4) return true;
  const limit = unpacked ? MATVEC_UNPACKED_F64_WASM_BYTES : MATVEC_WASM_BYTES;
  return Math.min(M, N) > 2 || K * Math.max(M, N) * bytesPerElement <= limit;
}

/**
 * `x`'s `count` values from its offset, rounded to f32 when C is f32 and `x` is not (f32 values read into
 * an f64 product are exact as they are).
 */
function roundedLike(c: FloatArray, x: GemmOperand, count: number): GemmOperand {
  if (!(c instanceof Float32Array) || x.data instanceof Float32Array) return x;
  return { data: new Float32Array(x.data.subarray(x.offset, x.offset + count)), offset: 0, trans: x.trans };
}

/**
 * C[M,N] = op(A)[M,K] · op(B)[K,N] into `c` at `cOffset` (see gemm): by the WebAssembly SIMD kernel when the
 * mode (setGemmMode) and the shape say so and the kernel is available, else by the TypeScript gemm.
 * In f64 both give the same bits; in f32 they round differently (JS multiplies in f64). A and B may hold
 * either dtype: they are rounded to C's first, so an f64 operand of an f32 product gives the bits of its
 * f32 copy (inputsRoundedByGemm in interpreter.ts).
 */
export function bestGemm(M: number, N: number, K: number, a: GemmOperand, b: GemmOperand, c: FloatArray, cOffset: number): void {
  const mode = gemmMode();
  // Unpacked: one row or column of C, or two rows of a matrix stored along k (wasmGemm's matvec kernels).
  const unpacked = M === 1 || N === 1 || (M === 2 && !a.trans && b.trans);
  const tryWasm = mode === 'wasm' || (mode === 'auto' && wasmPays(M, N, K, c.BYTES_PER_ELEMENT, unpacked));
  if (tryWasm && wasmGemm(M, N, K, a, b, c, cOffset)) return;
  const narrowing = c instanceof Float32Array && (!(a.data instanceof Float32Array) || !(b.data instanceof Float32Array));
  if (narrowing && M === 1 && b.trans) return dotRows(b, N, K, a, 1, c, cOffset);
  if (narrowing && M === 2 && !a.trans && b.trans) return dotRows(b, N, K, a, 2, c, cOffset);
  if (narrowing && N === 1 && !a.trans) return dotRows(a, M, K, b, 1, c, cOffset);
  gemm(M, N, K, roundedLike(c, a, M * K), roundedLike(c, b, K * N), c, cOffset);
}

/**
 * y_t[i] = Σₖ R[i, k] · v_t[k] for R (`rows` × K, rows along k) and `count` vectors one after another,
 * into c from `cOffset` (y_0 then y_1), for an f32 product with f64 operands: each value is rounded to f32
 * as it is read (Math.fround), so the matrix is never copied (at 4096², an f32 copy of an f64 weight is a
 * 64 MiB array written and read again each pass). Each sum runs over k in order from zero in f64, as
 * gemm's dot-product path does with the rounded copies: the same bits.
 */
function dotRows(r: GemmOperand, rows: number, K: number, v: GemmOperand, count: 1 | 2, c: FloatArray, cOffset: number): void {
  const R = r.data;
  const V = v.data;
  const v0 = v.offset;
  const v1 = v0 + K;
  for (let i = 0; i < rows; i++) {
    const p = r.offset + i * K;
    let s = 0;
    let t = 0;
    if (count === 2) {
      for (let k = 0; k < K; k++) {
        const w = Math.fround(R[p + k]);
        s += w * Math.fround(V[v0 + k]);
        t += w * Math.fround(V[v1 + k]);
      }
      c[cOffset + rows + i] = t;
    } else {
      for (let k = 0; k < K; k++) s += Math.fround(R[p + k]) * Math.fround(V[v0 + k]);
    }
    c[cOffset + i] = s;
  }
}

/** How this engine multiplies matrices, for people: "WebAssembly SIMD GEMM on 2 threads" or "TypeScript GEMM". */
export function gemmDescription(): string {
  if (gemmMode() === 'js' || !simdSupported()) return 'TypeScript GEMM';
  const threads = threadsPossible() ? threadsWanted() : 1;
  return `WebAssembly SIMD GEMM on ${threads} thread${threads === 1 ? '' : 's'}`;
}
