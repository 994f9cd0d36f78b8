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
 * the innermost loop always runs over contiguous memory. Both paths add each element's k terms in order,
 * starting from 0, so in f64 the bits do not depend on which operands are stored transposed.
 */
export function gemm(M: number, N: number, K: number, a: GemmOperand, b: GemmOperand, c: FloatArray, cOffset: number): void {
  c.fill(0, cOffset, cOffset + M * N);
  if (M === 0 || N === 0 || K === 0) return;
  // One column of C is dot products whichever way B is stored (a [K, 1] column is a [1, K] row): summing
  // each in a local rather than in C keeps f32 products from rounding after every term.
  if (b.trans || N === 1) gemmDot(M, N, K, a, b.trans || N !== 1 ? b : { ...b, trans: true }, c, cOffset);
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
      // The last rows (all of them for a row vector times a matrix): four rows of B per pass over the row
      // of C, which loads and stores C a quarter as often and adds in the same order.
      for (let i = M4; i < M; i++) {
        const r = c0 + i * N;
        let k = k0;
        for (; k + 4 <= k1; k += 4) {
          const pa = a.offset + i * aRow + k * aCol;
          const x0 = A[pa];
          const x1 = A[pa + aCol];
          const x2 = A[pa + 2 * aCol];
          const x3 = A[pa + 3 * aCol];
          const p0 = b.offset + k * N;
          const p1 = p0 + N;
          const p2 = p1 + N;
          const p3 = p2 + N;
          for (let j = j0; j < j1; j++) {
            let s = C[r + j];
            s += x0 * B[p0 + j];
            s += x1 * B[p1 + j];
            s += x2 * B[p2 + j];
            s += x3 * B[p3 + j];
            C[r + j] = s;
          }
        }
        for (; k < k1; k++) {
          const x = A[a.offset + i * aRow + k * aCol];
          const pb = b.offset + k * N;
          for (let j = j0; j < j1; j++) C[r + j] += x * B[pb + j];
        }
      }
    }
  }
}

/**
 * B stored [N, K]: C[i, j] = dot(A[i, :], B[j, :]). Four columns at a time, so each element of A loaded
 * feeds four multiply-adds and four independent sums hide the add latency. Each sum still runs over k in
 * order, like gemmAxpy's, so a product gives the same bits whichever way its operands are stored.
 */
function gemmDot(M: number, N: number, K: number, a: GemmOperand, b: GemmOperand, C: FloatArray, c0: number): void {
  const A = a.data;
  const B = b.data;
  const aRow = a.trans ? 1 : K;
  const aCol = a.trans ? M : 1;
  const N4 = N - (N % 4);
  // Two rows of C per pass over B: B is read half as often (a JVP's W x and W ẋ, stacked, read W once).
  const M2 = M - (M % 2);
  for (let i = 0; i < M2; i += 2) {
    const pa = a.offset + i * aRow;
    const pa1 = pa + aRow;
    const r = c0 + i * N;
    const r1 = r + N;
    for (let j = 0; j < N4; j += 4) {
      const p0 = b.offset + j * K;
      const p1 = p0 + K;
      const p2 = p1 + K;
      const p3 = p2 + K;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      let t0 = 0;
      let t1 = 0;
      let t2 = 0;
      let t3 = 0;
      for (let k = 0, p = pa, q = pa1; k < K; k++, p += aCol, q += aCol) {
        const x = A[p];
        const y = A[q];
        const b0 = B[p0 + k];
        const b1 = B[p1 + k];
        const b2 = B[p2 + k];
        const b3 = B[p3 + k];
        s0 += x * b0;
        s1 += x * b1;
        s2 += x * b2;
        s3 += x * b3;
        t0 += y * b0;
        t1 += y * b1;
        t2 += y * b2;
        t3 += y * b3;
      }
      C[r + j] = s0;
      C[r + j + 1] = s1;
      C[r + j + 2] = s2;
      C[r + j + 3] = s3;
      C[r1 + j] = t0;
      C[r1 + j + 1] = t1;
      C[r1 + j + 2] = t2;
      C[r1 + j + 3] = t3;
    }
    for (let j = N4; j < N; j++) {
      const pb = b.offset + j * K;
      let s = 0;
      let t = 0;
      for (let k = 0, p = pa, q = pa1; k < K; k++, p += aCol, q += aCol) {
        s += A[p] * B[pb + k];
        t += A[q] * B[pb + k];
      }
      C[r + j] = s;
      C[r1 + j] = t;
    }
  }
  for (let i = M2; i < M; i++) {
    const pa = a.offset + i * aRow;
    const r = c0 + i * N;
    for (let j = 0; j < N4; j += 4) {
      const p0 = b.offset + j * K;
      const p1 = p0 + K;
      const p2 = p1 + K;
      const p3 = p2 + K;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let k = 0, p = pa; k < K; k++, p += aCol) {
        const x = A[p];
        s0 += x * B[p0 + k];
        s1 += x * B[p1 + k];
        s2 += x * B[p2 + k];
        s3 += x * B[p3 + k];
      }
      C[r + j] = s0;
      C[r + j + 1] = s1;
      C[r + j + 2] = s2;
      C[r + j + 3] = s3;
    }
    for (let j = N4; j < N; j++) {
      const pb = b.offset + j * K;
      let s = 0;
      for (let k = 0, p = pa; k < K; k++, p += aCol) s += A[p] * B[pb + k];
      C[r + j] = s;
    }
  }
}
