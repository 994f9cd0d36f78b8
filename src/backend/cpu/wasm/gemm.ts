// GEMM on the WebAssembly SIMD kernel (gemm-kernel.ts), BLIS-style: op(A) and op(B) are packed into the
// kernel's memory as panels, the kernel sweeps cache-sized blocks of them, and C is copied back out.
import type { GemmOperand } from '../gemm.ts';
import { release, toDType, type DType, type FloatArray } from '../tensor.ts';
import { KERNEL_SHAPES, LANES, tileCols, type GemmKernelExports } from './gemm-kernel.ts';
import { AXPY_COLS, MATVEC_ROWS } from './matvec-kernel.ts';
import { CALL_WORDS, callTargets, gemmCalls, packCalls, placeTable, runCalls, tableWords, type PackWork } from './gemm-jobs.ts';
import { ensureMemory, kernelFor, threadsFor } from './module.ts';
import { copyPaddedRows, placeMatrix, residentStart, rowStride, scratchStart } from './residents.ts';
import { threadsWanted } from './threads.ts';

/**
 * Block sizes. A block of k is KC steps, so a B panel's block (KC × 8 f32 or × 4 f64 = 8 KiB) stays in L1
 * while the A panels of a row block pass over it; a row block is MC rows of A (MC × KC × 8 bytes = 256 KiB
 * in f64), which stays in L2 while the B panels pass.
 */
const KC = 256;
const MC = 128;

/**
 * Products of at least this many multiply-adds are shared with helper threads (threads.ts). Measured on
 * 2 cores (f32, medians of 400): 64×256×256 (2²²) 0.235 → 0.208 ms with a helper, 128×256×256 0.45 → 0.32,
 * 64×512×512 0.93 → 0.62; at 2²¹ and below waking the helper cost more than it saved (64×128×256:
 * 0.12 → 0.13-0.18).
 */
const THREADED_WORK = 2 ** 22;

/**
 * Columns per job of a shared product: at most 256 (a B chunk of 256 × KC stays in L2), and few enough that
 * there are about 4 jobs, so two to four threads share the work even when C has only a row block or two (a
 * batch of 64 tangents, a 256-wide layer); but at least 64, where the micro-kernel still runs at full speed.
 * Jobs of 32 columns (about 8 jobs) measured the same on 2 threads (64×256×256, 128×256×256, 256³ and
 * 64×1024×1024 f32, best of 4 runs each).
 */
function chunkTilesFor(rowBlocks: number, nTiles: number, cols: number): number {
  const perRowBlock = Math.ceil(4 / rowBlocks);
  return Math.max(Math.ceil(64 / cols), Math.min(Math.ceil(256 / cols), Math.ceil(nTiles / perRowBlock)));
}

/**
 * Packs `count` vectors of length K, vector p's element k at src[offset + p·stride + k·kStride], into
 * panels of `width` vectors: panel q holds, for each k in order, its `width` values contiguously (zeros
 * past `count`). The rows of op(A) and the columns of op(B) are both packed this way, whatever their
 * layout, so the micro-kernel reads only contiguous memory. The packing kernels (pack-kernel.ts) do the
 * same for full panels, faster; this packs the last, partial one.
 */
function packPanels(dst: FloatArray, dstStart: number, src: FloatArray, offset: number, count: number, K: number, stride: number, kStride: number, width: number): void {
  for (let p0 = 0; p0 < count; p0 += width) {
    const w = Math.min(width, count - p0);
    let d = dstStart + p0 * K;
    for (let k = 0; k < K; k++, d += width) {
      const s = offset + p0 * stride + k * kStride;
      for (let r = 0; r < w; r++) dst[d + r] = src[s + r * stride];
      for (let r = w; r < width; r++) dst[d + r] = 0;
    }
  }
}

const roundUp = (n: number, m: number) => Math.ceil(n / m) * m;

/**
 * The kernel of C's dtype. Operands of the other dtype are converted on their way into its memory: f32
 * widens to f64 exactly, and f64 is packed into f32 panels by packAFromF64 / packBFromF64, which round
 * as `new Float32Array(f64)` does; the matrix of a matrix–vector product is rounded by narrowRows as it
 * is placed (residents.ts), and its vector in JS (withDType).
 */
const kernelDType = (c: FloatArray): DType => (c instanceof Float64Array ? 'f64' : 'f32');

/** f64 values for the f32 kernel: packed from an f64 copy in its memory (see kernelDType). */
const narrowed = (dtype: DType, x: FloatArray) => dtype === 'f32' && x instanceof Float64Array;

const align8 = (byte: number) => Math.ceil(byte / 8) * 8;

/**
 * `use(x)`, with x's `count` values converted to f32 first when they are f64 for the f32 kernel (the vector
 * of a matrix–vector product, which its kernel reads unpacked), into a pooled array handed back
 * afterwards (tensor.ts).
 */
function withDType<T>(dtype: DType, x: GemmOperand, count: number, use: (x: GemmOperand) => T): T {
  if (!narrowed(dtype, x.data)) return use(x);
  const converted = toDType({ shape: [count], data: x.data.subarray(x.offset, x.offset + count) }, 'f32').data;
  try {
    return use({ data: converted, offset: 0, trans: x.trans });
  } finally {
    release(converted);
  }
}

/**
 * C[M,N] = op(A)[M,K] · op(B)[K,N] into `c` at `cOffset`, like the TypeScript gemm (in f64, the same bits).
 * Returns false, having written nothing, when the kernel is unavailable or the product does not fit its
 * memory; the caller then uses the TypeScript gemm.
 */
export function wasmGemm(M: number, N: number, K: number, a: GemmOperand, b: GemmOperand, c: FloatArray, cOffset: number): boolean {
  const dtype = kernelDType(c);
  const kernel = kernelFor(dtype);
  if (kernel === null) return false;
  if (M === 0 || N === 0 || K === 0) {
    c.fill(0, cOffset, cOffset + M * N);
    return true;
  }
  // One row of C, or two with A's rows stored one after the other, with B stored transposed (xᵀ Wᵀ: W x,
  // or W x and W ẋ stacked), or one column of C with A stored untransposed (W x): a matrix whose rows run
  // along k, times one or two vectors.
  if ((M === 1 || (M === 2 && !a.trans)) && b.trans) return withDType(dtype, a, M * K, (v) => wasmMatvec(kernel, dtype, N, K, b, v, M as 1 | 2, c, cOffset));
  if (N === 1 && !a.trans) return withDType(dtype, b, K, (v) => wasmMatvec(kernel, dtype, M, K, a, v, 1, c, cOffset));
  // One row of C with B stored as it is (xᵀ W), or one column with A stored transposed: a vector times a
  // matrix whose rows run along C.
  if (M === 1) return withDType(dtype, a, K, (v) => wasmAxpyMatvec(kernel, dtype, N, K, b, v, c, cOffset));
  if (N === 1) return withDType(dtype, b, K, (v) => wasmAxpyMatvec(kernel, dtype, M, K, a, v, c, cOffset));
  const shape = KERNEL_SHAPES[dtype];
  const NR = tileCols(shape);
  const MR = shape.rows;
  const Mp = roundUp(M, MR);
  const Np = roundUp(N, NR);
  const bytes = dtype === 'f32' ? 4 : 8;
  // A matrix an earlier product of the pass left in the memory (residents.ts) is packed from where it
  // lies. The GEMM itself leaves none: an f64 matrix read by this product alone (a JVP's weight, whose
  // products share one GEMM) is cheaper rounded while packed than rounded first.
  const free = scratchStart(kernel);
  // Stored as [M, K] or, transposed, [K, M]; B as [K, N] or [N, K].
  const residentA = a.trans ? residentStart(kernel, a, K, M) : residentStart(kernel, a, M, K);
  const residentB = b.trans ? residentStart(kernel, b, N, K) : residentStart(kernel, b, K, N);
  // Memory past the residents: packed A, packed B, C (padded to whole tiles), A and B as given unless
  // resident (for the packing kernels), then the tables of gemmBlock and packing calls (gemm-jobs.ts),
  // which helper threads read from here.
  const aStart = free;
  const bStart = aStart + Mp * K;
  const cStart = bStart + Np * K;
  // A or B in f64 for the f32 kernel, unless resident, is copied as it is (8 bytes a value) to `rawA64` or
  // `rawB64` instead, in the space after the tables, and packed from there (see kernelDType).
  const [narrowA, narrowB] = [residentA === null && narrowed(dtype, a.data), residentB === null && narrowed(dtype, b.data)];
  const [copyA, copyB] = [residentA === null && !narrowA, residentB === null && !narrowB];
  const rawA = cStart + Mp * Np;
  const rawB = rawA + (copyA ? M * K : 0);
  const tableByte = (rawB + (copyB ? K * N : 0)) * bytes;
  const shared = M * N * K >= THREADED_WORK;
  const mTiles = Mp / MR;
  const nTiles = Np / NR;
  const rowBlockTiles = Math.max(1, Math.floor(MC / MR));
  // Wake the helpers now: they are up by the time the operands are copied in.
  const helpers = shared ? threadsFor(dtype) : null;
  const threads = helpers?.sharing() === true ? helpers : null;
  threads?.prepare();
  const calls = gemmCalls({
    aStart, bStart, cStart, K, kc: KC, mTiles, nTiles, rowBlockTiles,
    chunkTiles: shared ? chunkTilesFor(Math.ceil(mTiles / rowBlockTiles), nTiles, NR) : nTiles,
    rows: MR, cols: NR, Np, bytes,
  });
  // A shared product's full panels are packed by every thread, a share each (a table after the GEMM's).
  const packParts = threads === null ? 1 : threadsWanted();
  const packTableByte = tableByte + tableWords(calls) * 4;
  const rawA64 = align8(packTableByte + (2 * packParts * CALL_WORDS + 1) * 4) / 8;
  const rawB64 = rawA64 + (narrowA ? M * K : 0);
  if (!ensureMemory(kernel, (rawB64 + (narrowB ? K * N : 0)) * 8)) return false;
  const mem = dtype === 'f32' ? new Float32Array(kernel.memory.buffer) : new Float64Array(kernel.memory.buffer);
  const mem64 = new Float64Array(kernel.memory.buffer);
  if (residentA === null) (narrowA ? mem64 : mem).set(a.data.subarray(a.offset, a.offset + M * K), narrowA ? rawA64 : rawA);
  if (residentB === null) (narrowB ? mem64 : mem).set(b.data.subarray(b.offset, b.offset + K * N), narrowB ? rawB64 : rawB);
  const ints = new Int32Array(kernel.memory.buffer);
  const table = tableByte / 4;
  placeTable(ints, table, calls);

  // Rows of op(A): A[i, k] is at i·K + k, or at k·M + i when A is stored transposed (a resident's rows lie
  // rowStride apart instead); likewise columns of op(B). Full panels are packed in wasm, a last partial
  // one (with its zeros) in JS.
  const aRow = residentA === null ? (a.trans ? M : K) : rowStride(dtype, a.trans ? M : K);
  const bRow = residentB === null ? (b.trans ? K : N) : rowStride(dtype, b.trans ? K : N);
  const [aStride, aKStride] = a.trans ? [1, aRow] : [aRow, 1];
  const [bStride, bKStride] = b.trans ? [bRow, 1] : [1, bRow];
  const fullA = Math.floor(M / MR);
  const fullB = Math.floor(N / NR);
  const [srcA, srcABytes] = residentA !== null ? [residentA, bytes] : narrowA ? [rawA64, 8] : [rawA, bytes];
  const [srcB, srcBBytes] = residentB !== null ? [residentB, bytes] : narrowB ? [rawB64, 8] : [rawB, bytes];
  const packing: PackWork[] = [];
  if (fullA > 0) {
    packing.push({
      fn: narrowA ? 'packAFromF64' : 'packA', src: srcA * srcABytes, dst: aStart * bytes, panels: fullA, K,
      strideBytes: aStride * srcABytes, kStrideBytes: aKStride * srcABytes, panelSrcBytes: MR * aStride * srcABytes, panelDstBytes: MR * K * bytes,
    });
  }
  if (fullB > 0) {
    packing.push({
      fn: narrowB ? 'packBFromF64' : 'packB', src: srcB * srcBBytes, dst: bStart * bytes, panels: fullB, K,
      strideBytes: bStride * srcBBytes, kStrideBytes: bKStride * srcBBytes, panelSrcBytes: NR * bStride * srcBBytes, panelDstBytes: NR * K * bytes,
    });
  }
  const targets = callTargets(kernel);
  const packs = packCalls(packing, packParts);
  placeTable(ints, packTableByte / 4, packs);
  if (threads !== null) threads.run(targets, packTableByte / 4, packs.jobs, packs.perJob);
  else runCalls(targets, ints, packTableByte / 4, packs.jobs, packs.perJob);
  // Storing an f64 into `mem` (f32) rounds it as the wasm packing does.
  packPanels(mem, aStart + fullA * MR * K, narrowA ? mem64 : mem, srcA + fullA * MR * aStride, M - fullA * MR, K, aStride, aKStride, MR);
  packPanels(mem, bStart + fullB * NR * K, narrowB ? mem64 : mem, srcB + fullB * NR * bStride, N - fullB * NR, K, bStride, bKStride, NR);

  if (threads !== null) threads.run(targets, table, calls.jobs, calls.perJob, true);
  else runCalls(targets, ints, table, calls.jobs, calls.perJob);

  for (let i = 0; i < M; i++) c.set(mem.subarray(cStart + i * Np, cStart + i * Np + N), cOffset + i * N);
  return true;
}

/**
 * y = R v for R (`rows` × K, row-major at `r`'s offset) and the K values of `v`, into `c` at `cOffset`, by
 * the matvec kernel (matvec-kernel.ts); with `count` = 2, `v` holds two vectors one after the other and
 * `c` gets their two results one after the other, R read once for both (matvec2). R's rows are padded with
 * zeros to whole blocks of k (residents.ts); the padding adds +0 · 0 = +0 to sums that started at +0 and
 * so can never be −0: the bits are unchanged. The last pass reads whole passes of rows: past R it reads
 * what follows R, which only the sums of rows that do not exist see.
 */
function wasmMatvec(kernel: GemmKernelExports, dtype: DType, rows: number, K: number, r: GemmOperand, v: GemmOperand, count: 1 | 2, c: FloatArray, cOffset: number): boolean {
  const lanes = LANES[dtype];
  const Kp = rowStride(dtype, K);
  const rowsP = roundUp(rows, MATVEC_ROWS[dtype]);
  const bytes = dtype === 'f32' ? 4 : 8;
  const matrix = matrixIn(kernel, dtype, r, rows, K, (rowsP - rows) * Kp + count * (Kp + rowsP));
  if (matrix === null) return false;
  const vStart = matrix.free + (rowsP - rows) * Kp;
  const yStart = vStart + count * Kp;
  const mem = dtype === 'f32' ? new Float32Array(kernel.memory.buffer) : new Float64Array(kernel.memory.buffer);
  mem.fill(0, matrix.free, vStart);
  copyPaddedRows(mem, v, count, K, Kp, vStart);
  const passes = rowsP / MATVEC_ROWS[dtype];
  const at = matrix.start * bytes;
  if (count === 1) kernel.matvec(at, vStart * bytes, yStart * bytes, passes, Kp / lanes, Kp * bytes);
  else kernel.matvec2(at, vStart * bytes, yStart * bytes, passes, Kp / lanes, Kp * bytes, Kp * bytes, rowsP * bytes);
  for (let t = 0; t < count; t++) c.set(mem.subarray(yStart + t * rowsP, yStart + t * rowsP + rows), cOffset + t * rows);
  return true;
}

/**
 * Where `src`'s matrix (`rows` × `width`, stored row-major) lies in the kernel's memory for this product:
 * a resident of the pass, or copied in now (residents.ts); `free` is the first element after it the
 * product may use, with room for `reserve` elements from there. Null when the memory cannot grow.
 */
function matrixIn(kernel: GemmKernelExports, dtype: DType, src: GemmOperand, rows: number, width: number, reserve: number): { start: number; free: number } | null {
  const free = scratchStart(kernel);
  const start = residentStart(kernel, src, rows, width);
  if (start !== null) return ensureMemory(kernel, (free + reserve) * (dtype === 'f32' ? 4 : 8)) ? { start, free } : null;
  const end = placeMatrix(kernel, dtype, src, rows, width, free, reserve);
  return end === null ? null : { start: free, free: end };
}

/**
 * y = vᵀ B for B (K × `cols`, row-major at `m`'s offset) and the K values of `v`, into `c` at `cOffset`, by
 * the axpyMatvec kernel (matvec-kernel.ts), in passes of AXPY_COLS columns. B's rows lie a whole number
 * of v128s apart (residents.ts): a last pass wider than that reads on into the next row, or past B, for
 * sums of columns that do not exist and are not read.
 */
function wasmAxpyMatvec(kernel: GemmKernelExports, dtype: DType, cols: number, K: number, m: GemmOperand, v: GemmOperand, c: FloatArray, cOffset: number): boolean {
  const colsP = roundUp(cols, AXPY_COLS[dtype]);
  const stride = rowStride(dtype, cols);
  const bytes = dtype === 'f32' ? 4 : 8;
  const matrix = matrixIn(kernel, dtype, m, K, cols, colsP - stride + K + colsP);
  if (matrix === null) return false;
  const vStart = matrix.free + colsP - stride;
  const yStart = vStart + K;
  const mem = dtype === 'f32' ? new Float32Array(kernel.memory.buffer) : new Float64Array(kernel.memory.buffer);
  mem.set(v.data.subarray(v.offset, v.offset + K), vStart);
  kernel.axpyMatvec(matrix.start * bytes, vStart * bytes, yStart * bytes, colsP / AXPY_COLS[dtype], K, stride * bytes);
  c.set(mem.subarray(yStart, yStart + cols), cOffset);
  return true;
}
