// GEMM on the WebAssembly SIMD kernel (gemm-kernel.ts), BLIS-style: op(A) and op(B) are packed into the
// kernel's memory as panels, the kernel sweeps cache-sized blocks of them, and C is copied back out.
import type { GemmOperand } from '../gemm.ts';
import { generationOf, release, toDType, type DType, type FloatArray } from '../tensor.ts';
import { KERNEL_SHAPES, LANES, tileCols, type GemmKernelExports } from './gemm-kernel.ts';
import { AXPY_COLS, MATVEC_ROWS } from './matvec-kernel.ts';
import { CALL_WORDS, callTargets, gemmCalls, packCalls, placeTable, runCalls, tableWords, type PackWork } from './gemm-jobs.ts';
import { ensureMemory, kernelFor, threadsFor } from './module.ts';
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
 * as `new Float32Array(f64)` does (operands of a matvec are converted in JS first).
 */
const kernelDType = (c: FloatArray): DType => (c instanceof Float64Array ? 'f64' : 'f32');

/** f64 values for the f32 kernel: packed from an f64 copy in its memory (see kernelDType). */
const narrowed = (dtype: DType, x: FloatArray) => dtype === 'f32' && x instanceof Float64Array;

const align8 = (byte: number) => Math.ceil(byte / 8) * 8;

/**
 * `use(x)`, with x's `count` values converted to f32 first when they are f64 for the f32 kernel (the matvec
 * kernel reads its operands unpacked), into a pooled array handed back afterwards (tensor.ts).
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
  if ((M === 1 || (M === 2 && !a.trans)) && b.trans) return withDType(dtype, b, K * N, (r) => withDType(dtype, a, M * K, (v) => wasmMatvec(kernel, dtype, N, K, r, v, M as 1 | 2, c, cOffset)));
  if (N === 1 && !a.trans) return withDType(dtype, a, M * K, (r) => withDType(dtype, b, K, (v) => wasmMatvec(kernel, dtype, M, K, r, v, 1, c, cOffset)));
  // One row of C with B stored as it is (xᵀ W), or one column with A stored transposed: a vector times a
  // matrix whose rows run along C.
  if (M === 1) return withDType(dtype, b, K * N, (m) => withDType(dtype, a, K, (v) => wasmAxpyMatvec(kernel, dtype, N, K, m, v, c, cOffset)));
  if (N === 1) return withDType(dtype, a, M * K, (m) => withDType(dtype, b, K, (v) => wasmAxpyMatvec(kernel, dtype, M, K, m, v, c, cOffset)));
  resident = null; // the packed path writes over the start of the memory
  const shape = KERNEL_SHAPES[dtype];
  const NR = tileCols(shape);
  const MR = shape.rows;
  const Mp = roundUp(M, MR);
  const Np = roundUp(N, NR);
  const bytes = dtype === 'f32' ? 4 : 8;
  // Memory: packed A, packed B, C (padded to whole tiles), A and B as given (for the packing kernels), then
  // the tables of gemmBlock and packing calls (gemm-jobs.ts), which helper threads read from here.
  const aStart = 0;
  const bStart = aStart + Mp * K;
  const cStart = bStart + Np * K;
  // A or B in f64 for the f32 kernel is copied as it is (8 bytes a value) to `rawA64` or `rawB64`
  // instead, in the space after the tables, and packed from there (see kernelDType).
  const [narrowA, narrowB] = [narrowed(dtype, a.data), narrowed(dtype, b.data)];
  const rawA = cStart + Mp * Np;
  const rawB = rawA + (narrowA ? 0 : M * K);
  const tableByte = (rawB + (narrowB ? 0 : K * N)) * bytes;
  const shared = M * N * K >= THREADED_WORK;
  const mTiles = Mp / MR;
  const nTiles = Np / NR;
  const rowBlockTiles = Math.max(1, Math.floor(MC / MR));
  // Wake the helpers now: they are up by the time the operands are copied in.
  const threads = shared ? threadsFor(dtype) : null;
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
  (narrowA ? mem64 : mem).set(a.data.subarray(a.offset, a.offset + M * K), narrowA ? rawA64 : rawA);
  (narrowB ? mem64 : mem).set(b.data.subarray(b.offset, b.offset + K * N), narrowB ? rawB64 : rawB);
  const ints = new Int32Array(kernel.memory.buffer);
  const table = tableByte / 4;
  placeTable(ints, table, calls);

  // Rows of op(A): A[i, k] is at i·K + k, or at k·M + i when A is stored transposed; likewise columns of op(B).
  // Full panels are packed in wasm, a last partial one (with its zeros) in JS.
  const [aStride, aKStride] = a.trans ? [1, M] : [K, 1];
  const [bStride, bKStride] = b.trans ? [K, 1] : [1, N];
  const fullA = Math.floor(M / MR);
  const fullB = Math.floor(N / NR);
  const [srcA, srcABytes] = narrowA ? [rawA64, 8] : [rawA, bytes];
  const [srcB, srcBBytes] = narrowB ? [rawB64, 8] : [rawB, bytes];
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

  if (threads !== null) threads.run(targets, table, calls.jobs, calls.perJob);
  else runCalls(targets, ints, table, calls.jobs, calls.perJob);

  for (let i = 0; i < M; i++) c.set(mem.subarray(cStart + i * Np, cStart + i * Np + N), cOffset + i * N);
  return true;
}

/**
 * y = R v for R (`rows` × K, row-major at `r`'s offset) and the K values of `v`, into `c` at `cOffset`, by
 * the matvec kernel (matvec-kernel.ts); with `count` = 2, `v` holds two vectors one after the other and
 * `c` gets their two results one after the other, R read once for both (matvec2). R is copied in with
 * its rows padded with zeros to whole blocks of k, and zero rows to whole passes; the padding adds
 * +0 · 0 = +0 to sums that started at +0 and so can never be −0: the bits are unchanged.
 */
function wasmMatvec(kernel: GemmKernelExports, dtype: DType, rows: number, K: number, r: GemmOperand, v: GemmOperand, count: 1 | 2, c: FloatArray, cOffset: number): boolean {
  const lanes = LANES[dtype];
  const Kp = roundUp(K, lanes);
  const rowsP = roundUp(rows, MATVEC_ROWS[dtype]);
  const bytes = dtype === 'f32' ? 4 : 8;
  const vStart = rowsP * Kp;
  const yStart = vStart + count * Kp;
  if (!ensureMemory(kernel, (yStart + count * rowsP) * bytes)) return false;
  const mem = dtype === 'f32' ? new Float32Array(kernel.memory.buffer) : new Float64Array(kernel.memory.buffer);
  placeMatrix(kernel, mem, r, rows, K, Kp);
  mem.fill(0, rows * Kp, vStart);
  copyPaddedRows(mem, v, count, K, Kp, vStart);
  const passes = rowsP / MATVEC_ROWS[dtype];
  if (count === 1) kernel.matvec(0, vStart * bytes, yStart * bytes, passes, Kp / lanes, Kp * bytes);
  else kernel.matvec2(0, vStart * bytes, yStart * bytes, passes, Kp / lanes, Kp * bytes, Kp * bytes, rowsP * bytes);
  for (let t = 0; t < count; t++) c.set(mem.subarray(yStart + t * rowsP, yStart + t * rowsP + rows), cOffset + t * rows);
  return true;
}

/**
 * The matrix copied last to the start of a kernel's memory by the unpacked kernels, while a pass lets
 * it be reused (reuseMatricesDuring): an HVP applies W to [x, ẋ] and Wᵀ to g, and at 1024 the second
 * copy of W cost about a fifth of the pass. Keyed by the array, its generation (a pooled array handed out
 * again holds a new value), where the matrix starts, its size and its padded row length.
 */
let resident: { kernel: GemmKernelExports; data: FloatArray; generation: number; offset: number; rows: number; width: number; stride: number } | null = null;
let reuseAllowed = false;

/**
 * Runs `body` (one pass of the interpreter, during which no array it reads changes) letting the
 * matrix-vector kernels skip copying a matrix that is already in place; nothing is reused across calls.
 */
export function reuseMatricesDuring<T>(body: () => T): T {
  reuseAllowed = true;
  resident = null;
  try {
    return body();
  } finally {
    reuseAllowed = false;
    resident = null;
  }
}

/** `rows` rows of `width` values of matrix `src` at the start of `mem`, padded to `stride`, unless they are there already. */
function placeMatrix(kernel: GemmKernelExports, mem: FloatArray, src: GemmOperand, rows: number, width: number, stride: number): void {
  const r = resident;
  const generation = generationOf(src.data);
  if (reuseAllowed && r !== null && r.kernel === kernel && r.data === src.data && r.generation === generation && r.offset === src.offset && r.rows === rows && r.width === width && r.stride === stride) return;
  copyPaddedRows(mem, src, rows, width, stride);
  resident = reuseAllowed ? { kernel, data: src.data, generation, offset: src.offset, rows, width, stride } : null;
}

/** `rows` rows of `width` values from `src` into `mem` from `start`, each padded with zeros to `stride`. */
function copyPaddedRows(mem: FloatArray, src: GemmOperand, rows: number, width: number, stride: number, start = 0): void {
  if (stride === width) {
    mem.set(src.data.subarray(src.offset, src.offset + rows * width), start);
    return;
  }
  for (let i = 0; i < rows; i++) {
    mem.set(src.data.subarray(src.offset + i * width, src.offset + (i + 1) * width), start + i * stride);
    mem.fill(0, start + i * stride + width, start + (i + 1) * stride);
  }
}

/**
 * y = vᵀ B for B (K × `cols`, row-major at `m`'s offset) and the K values of `v`, into `c` at `cOffset`, by
 * the axpyMatvec kernel (matvec-kernel.ts). B is copied in with its rows padded to whole passes of
 * AXPY_COLS columns; the padding's sums are not read.
 */
function wasmAxpyMatvec(kernel: GemmKernelExports, dtype: DType, cols: number, K: number, m: GemmOperand, v: GemmOperand, c: FloatArray, cOffset: number): boolean {
  const colsP = roundUp(cols, AXPY_COLS[dtype]);
  const bytes = dtype === 'f32' ? 4 : 8;
  const vStart = K * colsP;
  const yStart = vStart + K;
  if (!ensureMemory(kernel, (yStart + colsP) * bytes)) return false;
  const mem = dtype === 'f32' ? new Float32Array(kernel.memory.buffer) : new Float64Array(kernel.memory.buffer);
  placeMatrix(kernel, mem, m, K, cols, colsP);
  mem.set(v.data.subarray(v.offset, v.offset + K), vStart);
  kernel.axpyMatvec(0, vStart * bytes, yStart * bytes, colsP / AXPY_COLS[dtype], K, colsP * bytes);
  c.set(mem.subarray(yStart, yStart + cols), cOffset);
  return true;
}
