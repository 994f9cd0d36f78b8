// Matrices kept in a kernel's memory for the rest of an interpreter pass.
//
// A pass reads its weights more than once: a VJP applies W to x and then to the cotangents, an HVP W to
// [x, ẋ] and Wᵀ to g, a JVP W to x and to the tangents. Each product used to copy its operands into the
// kernel's memory, and an f32 pass over f64 host weights converted each weight to an f32 array in JS
// first. Here a matrix is copied in once per pass (an f64 one rounded to f32 on the way, by narrowRows)
// and every later product of the pass reads it where it lies. Nothing is kept across passes: the caller
// may change its arrays between them.
import type { GemmOperand } from '../gemm.ts';
import { generationOf, type DType, type FloatArray } from '../tensor.ts';
import { LANES, type GemmKernelExports } from './gemm-kernel.ts';
import { ensureMemory } from './module.ts';

/** `rows` rows of `width` values of `data` from `offset`, at element `start` of the memory, rows `stride` apart. */
interface Resident {
  readonly data: FloatArray;
  /** The array's generation when copied in (a pooled array handed out again holds a new value). */
  readonly generation: number;
  readonly offset: number;
  readonly rows: number;
  readonly width: number;
  readonly start: number;
}

/** One kernel's residents in this pass, and the first element past them. */
interface KernelResidents {
  readonly list: Resident[];
  end: number;
}

/**
 * At most this many bytes of a kernel's memory hold residents; a matrix that would go past it is copied
 * in for its product alone. Linear memory never shrinks, so this bounds what a pass may pin, on top of
 * the products' own space: two 4096 × 4096 f32 weights fit.
 */
const RESIDENT_BYTES = 160 * 2 ** 20;

/**
 * f64 values copied in at a time to be rounded to f32: 1 MiB. Measured on a 4096 × 4096 weight (whole f32
 * primal passes of the layer, medians): chunks of 32 Ki values 22.1 ms, 128 Ki 15.8, 256 Ki 16.0, 1 Mi
 * 16.4, 4 Mi 22.4; at 1024 × 1024, 32 Ki 0.88 ms and 128 Ki 0.71.
 */
const NARROW_CHUNK = 131072;

const residents = new Map<GemmKernelExports, KernelResidents>();
let passOpen = false;

/**
 * Runs `body` (one pass of the interpreter, during which no array it reads changes), keeping the matrices
 * its products copy into a kernel's memory there for its later products.
 */
export function reuseMatricesDuring<T>(body: () => T): T {
  passOpen = true;
  residents.clear();
  try {
    return body();
  } finally {
    passOpen = false;
    residents.clear();
  }
}

/** Values between the starts of two rows of a matrix `width` wide in a `dtype` kernel's memory: whole v128s. */
export const rowStride = (dtype: DType, width: number) => Math.ceil(width / LANES[dtype]) * LANES[dtype];

/** The first element a product may use: past the pass's residents. */
export function scratchStart(kernel: GemmKernelExports): number {
  return residents.get(kernel)?.end ?? 0;
}

/** Where `src`'s matrix (`rows` × `width`, rows rowStride apart) starts in `kernel`'s memory this pass, or null if it is not there. */
export function residentStart(kernel: GemmKernelExports, src: GemmOperand, rows: number, width: number): number | null {
  const generation = generationOf(src.data);
  const found = residents.get(kernel)?.list.find((r) => r.data === src.data && r.generation === generation && r.offset === src.offset && r.rows === rows && r.width === width);
  return found?.start ?? null;
}

/**
 * Copies `src`'s matrix (`rows` rows of `width` values, row-major from its offset) into `kernel`'s memory
 * (of `dtype`) at element `from`, rows rowStride apart with zeros between, rounding f64 values to f32 for
 * the f32 kernel. Within a pass, when `from` is the first free element and the budget allows, it stays
 * for the pass's later products (residentStart). Returns the element past it, or null when the memory
 * cannot grow to `reserve` more elements past that.
 */
export function placeMatrix(kernel: GemmKernelExports, dtype: DType, src: GemmOperand, rows: number, width: number, from: number, reserve: number): number | null {
  const stride = rowStride(dtype, width);
  const bytes = dtype === 'f32' ? 4 : 8;
  const end = from + rows * stride;
  const narrowing = dtype === 'f32' && src.data instanceof Float64Array;
  // The f64 rows wait in the space after the matrix to be rounded (see narrowThrough).
  const staging = narrowing ? Math.max(NARROW_CHUNK, width) * 2 + 2 : 0; // f32 elements, from an 8-byte boundary
  if (!ensureMemory(kernel, (end + Math.max(reserve, staging)) * bytes)) return null;
  if (narrowing) narrowThrough(kernel, src, rows, width, stride, from, end);
  else copyPaddedRows(dtype === 'f32' ? new Float32Array(kernel.memory.buffer) : new Float64Array(kernel.memory.buffer), src, rows, width, stride, from);
  const own = residents.get(kernel) ?? { list: [], end: 0 };
  if (passOpen && from === own.end && end * bytes <= RESIDENT_BYTES) {
    own.list.push({ data: src.data, generation: generationOf(src.data), offset: src.offset, rows, width, start: from });
    own.end = end;
    residents.set(kernel, own);
  }
  return end;
}

/** f64 rows copied in a chunk at a time at f32 element `staging` (8-byte aligned) and rounded into place by narrowRows. */
function narrowThrough(kernel: GemmKernelExports, src: GemmOperand, rows: number, width: number, stride: number, start: number, staging: number): void {
  const stagingF64 = Math.ceil(staging / 2);
  const mem64 = new Float64Array(kernel.memory.buffer);
  const perChunk = Math.max(1, Math.floor(NARROW_CHUNK / width));
  for (let r = 0; r < rows; r += perChunk) {
    const count = Math.min(perChunk, rows - r);
    const first = src.offset + r * width;
    mem64.set(src.data.subarray(first, first + count * width), stagingF64);
    kernel.narrowRows!(stagingF64 * 8, (start + r * stride) * 4, count, width >> 2, width & 3, stride - width, width * 8, stride * 4);
  }
}

/** `rows` rows of `width` values from `src` into `mem` from `start`, each padded with zeros to `stride`. */
export function copyPaddedRows(mem: FloatArray, src: GemmOperand, rows: number, width: number, stride: number, start = 0): void {
  if (stride === width) {
    mem.set(src.data.subarray(src.offset, src.offset + rows * width), start);
    return;
  }
  for (let i = 0; i < rows; i++) {
    mem.set(src.data.subarray(src.offset + i * width, src.offset + (i + 1) * width), start + i * stride);
    mem.fill(0, start + i * stride + width, start + (i + 1) * stride);
  }
}
