import type { FloatArray } from './tensor.ts';

/** One operand of a GEMM: a row-major matrix inside `data`, read transposed when `trans` is set. */
export interface GemmOperand {
  readonly data: FloatArray;
  readonly offset: number;
  /** When true the operand is stored as its transpose ([cols, rows] row-major). */
  readonly trans: boolean;
}

// Block sizes: a KB×JB panel of B (128×256 doubles = 256 KiB) stays in L2 while 4 rows of C stream over it.
const KB = 128;
const JB = 256;

/**
 * C[M,N] = op(A)[M,K] · op(B)[K,N], written (not accumulated) into `c` at `cOffset`.
 * Blocked and register-tiled over four rows of C so each loaded element of B feeds four multiply-adds;
 * the innermost loop always runs over contiguous memory.
 */
export function gemm(M: number, N: number, K: number, a: GemmOperand, b: GemmOperand, c: FloatArray, cOffset: number): void {
  c.fill(0, cOffset, cOffset + M * N);
  if (M === 0 || N === 0 || K === 0) return;
  if (b.trans) gemmDot(M, N, K, a, b, c, cOffset);
  else gemmAxpy(M, N, K, a, b, c, cOffset);
}

/** B stored [K, N]: C[i, :] += A[i, k] · B[k, :] (rows of B are contiguous). */
function gemmAxpy(M: number, N: number, K: number, a: GemmOperand, b: GemmOperand, C: FloatArray, c0: number): void {
  const A = a.data;
  const B = b.data;
  const aRow = a.trans ? 1 : K; // stride between rows of op(A)
  const aCol = a.trans ? M : 1; // stride between columns of op(A)
  const M4 = M - (M % 4);
  for (let j0 = 0; j0 < N; j0 += JB) {
    const j1 = Math.min(N, j0 + JB);
    for (let k0 = 0; k0 < K; k0 += KB) {
      const k1 = Math.min(K, k0 + KB);
      for (let i = 0; i < M4; i += 4) {
        const r0 = c0 + i * N;
        const r1 = r0 + N;
        const r2 = r1 + N;
        const r3 = r2 + N;
        for (let k = k0; k < k1; k++) {
          const pa = a.offset + i * aRow + k * aCol;
          const x0 = A[pa];
          const x1 = A[pa + aRow];
          const x2 = A[pa + 2 * aRow];
          const x3 = A[pa + 3 * aRow];
          const pb = b.offset + k * N;
          for (let j = j0; j < j1; j++) {
            const y = B[pb + j];
            C[r0 + j] += x0 * y;
            C[r1 + j] += x1 * y;
            C[r2 + j] += x2 * y;
            C[r3 + j] += x3 * y;
          }
        }
      }
      for (let i = M4; i < M; i++) {
        const r = c0 + i * N;
        for (let k = k0; k < k1; k++) {
          const x = A[a.offset + i * aRow + k * aCol];
          const pb = b.offset + k * N;
          for (let j = j0; j < j1; j++) C[r + j] += x * B[pb + j];
        }
      }
    }
  }
}

/** B stored [N, K]: C[i, j] = dot(A[i, :], B[j, :]); four partial sums hide the add latency. */
function gemmDot(M: number, N: number, K: number, a: GemmOperand, b: GemmOperand, C: FloatArray, c0: number): void {
  const A = a.data;
  const B = b.data;
  const aRow = a.trans ? 1 : K;
  const aCol = a.trans ? M : 1;
  const K4 = K - (K % 4);
  for (let i = 0; i < M; i++) {
    const pa = a.offset + i * aRow;
    for (let j = 0; j < N; j++) {
      const pb = b.offset + j * K;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      let k = 0;
      if (aCol === 1) {
        for (; k < K4; k += 4) {
          s0 += A[pa + k] * B[pb + k];
          s1 += A[pa + k + 1] * B[pb + k + 1];
          s2 += A[pa + k + 2] * B[pb + k + 2];
          s3 += A[pa + k + 3] * B[pb + k + 3];
        }
      }
      for (; k < K; k++) s0 += A[pa + k * aCol] * B[pb + k];
      C[c0 + i * N + j] = s0 + s1 + s2 + s3;
    }
  }
}
