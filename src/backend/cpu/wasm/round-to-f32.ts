// f64 host values rounded to f32 by WebAssembly SIMD, for uploads to a GPU. In V8, `Float32Array.set`
// from a Float64Array converts one value at a time: a 256 × 256 weight took 53 µs, and 75 µs with the
// pooled array around it, a twelfth of a 256-wide layer's whole Jacobian call on SwiftShader. Copied into
// a module's memory a chunk at a time and rounded four values at a time by narrowRows (narrow-kernel.ts),
// it takes 27–30 µs (2-core Intel Xeon, medians of 500); a 4096 × 4096 weight rounded into an upload's
// staging memory in parts (roundInto) 30 ms instead of 51.
//
// The module has a memory of its own, never shared: Dawn's writeBuffer in Node refuses a view of a
// SharedArrayBuffer (the CPU backend's kernels share theirs with helper threads), and the GPU runtime
// writes the rounded values straight from this memory.
import { encodeModule, I32 } from './encoder.ts';
import { narrowKernel } from './narrow-kernel.ts';

interface RoundingExports {
  readonly memory: WebAssembly.Memory;
  readonly narrowRows: (src: number, dst: number, rows: number, groups: number, tail: number, pad: number, srcRowBytes: number, dstRowBytes: number) => void;
}

/** f64 values copied in per call of narrowRows: 32 KiB, which stay in L1 between the copy and the rounding. */
const CHUNK = 4096;

/** The most values rounded in one call: the memory never shrinks, so it stays small (roundInto takes any size). */
export const MAX_ROUNDED_VALUES = 2 ** 18;

const PAGE_BYTES = 65536;

let instance: RoundingExports | null | undefined;

/** The compiled module, or null where WebAssembly or its SIMD proposal is unavailable (validating it is the test). */
function roundingKernel(): RoundingExports | null {
  if (instance !== undefined) return instance;
  instance = null;
  if (typeof WebAssembly === 'undefined') return instance;
  const bytes = encodeModule([{ params: new Array<typeof I32>(8).fill(I32), results: [], code: narrowKernel(), exportName: 'narrowRows' }], { initialPages: 1 });
  if (!WebAssembly.validate(bytes)) return instance;
  try {
    instance = new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports as unknown as RoundingExports;
  } catch {
    // For example a content security policy without 'wasm-unsafe-eval'.
  }
  return instance;
}

/**
 * `src` rounded to f32 (to nearest, ties to even, exactly as `Float32Array.set` rounds), as a view of
 * the module's memory that stays valid until the next call. Null when WebAssembly SIMD is unavailable or
 * `src` has more than MAX_ROUNDED_VALUES values; the caller then converts in JS.
 */
export function roundedToF32(src: Float64Array): Float32Array | null {
  const n = src.length;
  if (n > MAX_ROUNDED_VALUES) return null;
  const kernel = roundingKernel();
  if (kernel === null) return null;
  // The f32 results from byte 0, then the f64 chunk on an 8-byte boundary after them.
  const staging = Math.ceil((4 * n) / 8) * 8;
  const bytes = staging + 8 * CHUNK;
  const have = kernel.memory.buffer.byteLength;
  if (bytes > have) kernel.memory.grow(Math.ceil((bytes - have) / PAGE_BYTES));
  const chunk = new Float64Array(kernel.memory.buffer, staging, CHUNK);
  for (let first = 0; first < n; first += CHUNK) {
    const count = Math.min(CHUNK, n - first);
    chunk.set(src.subarray(first, first + count));
    kernel.narrowRows(staging, 4 * first, 1, count >> 2, count & 3, 0, 8 * count, 4 * count);
  }
  return new Float32Array(kernel.memory.buffer, 0, n);
}

/** Rounds `src` into `dst` (of the same length) as roundedToF32 does, in parts; false, with nothing written, where it cannot. */
export function roundInto(dst: Float32Array, src: Float64Array): boolean {
  if (dst.length !== src.length) throw new RangeError(`roundInto: ${src.length} values into ${dst.length}`);
  if (src.length > 0 && roundingKernel() === null) return false;
  for (let first = 0; first < src.length; first += MAX_ROUNDED_VALUES) {
    dst.set(roundedToF32(src.subarray(first, first + MAX_ROUNDED_VALUES))!, first);
  }
  return true;
}
