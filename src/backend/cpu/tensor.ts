import { numel, type Shape } from '../../ir/shape.ts';

/** Floating-point precision a backend computes in. */
export type DType = 'f64' | 'f32';

export type FloatArray = Float64Array | Float32Array;

/** A dense row-major array with its shape. */
export interface Tensor {
  readonly shape: Shape;
  readonly data: FloatArray;
}

/**
 * A matrix the CPU interpreter passes to the matmul kernel without copying it: `shape` is the logical one,
 * and `data` holds the row-major transpose of its last two dims (a `transpose` read in place, see
 * interpreter.ts). The matmul kernel, which hands gemm a `trans` flag instead, is the only one given these.
 */
export interface StoredTransposed extends Tensor {
  readonly transposed: true;
}

/** Whether `t`'s data is the transpose of its last two dims (see StoredTransposed). */
export function isStoredTransposed(t: Tensor): t is StoredTransposed {
  return (t as Partial<StoredTransposed>).transposed === true;
}

// Arrays the interpreter has finished with, kept for reuse by allocate. A fresh typed array's pages are
// faulted in and zeroed by the kernel on first write: converting a 1024 × 1024 f64 matrix into a new
// Float32Array took 2.6 ms, into one already touched 0.73 ms (medians of 400, Node 20), and an f32 pass
// over f64 weights makes that copy of every matrix on every pass. Only arrays allocate made are taken
// back (release), each once; arrays the interpreter returns are never released, so callers keep theirs.

/** Smaller arrays are cheap to make (a few pages at most): not pooled. */
const MIN_POOLED_ELEMENTS = 4096;
/**
 * At most this many bytes wait in the pool; past it, released arrays are left to the collector. Room for a
 * few 4096 × 4096 f32 matrices (64 MiB each): with a 64 MiB cap, an f32 pass over a 4096-wide f64 weight
 * converted it into a new array each time, whose first write faulted in 64 MiB of pages (the CPU HVP of
 * sum(tanh(W x)²) at 4096: 85-90 ms per call, 46 ms with the copy reused).
 */
const POOL_BYTES = 256 * 2 ** 20;
let poolLimit = POOL_BYTES;
/** After this long with no array taken from the pool, it is trimmed back to IDLE_POOL_BYTES. */
const IDLE_MS = 2000;
const IDLE_POOL_BYTES = 64 * 2 ** 20;

const pool = new Map<string, FloatArray[]>();
let pooledBytes = 0;
/** Every pooled array, oldest release first: the first to go when a newer one needs the room. */
const byAge = new Set<FloatArray>();
/** Arrays allocate made that have not been released since. */
const live = new WeakSet<FloatArray>();
/** How many times each pooled array has been handed out: a reused array is a new value (generationOf). */
const handouts = new WeakMap<FloatArray, number>();
let nextHandout = 1;

/** Tells apart the values an array has held: changes whenever allocate hands the array out again. */
export function generationOf(data: FloatArray): number {
  return handouts.get(data) ?? 0;
}

const poolKey = (dtype: DType, n: number) => `${dtype} ${n}`;

/** An array of n elements: from the pool when one fits (zeroed when `zero`), else new (always zero). */
function fresh(n: number, dtype: DType, zero: boolean): FloatArray {
  if (n < MIN_POOLED_ELEMENTS) return dtype === 'f64' ? new Float64Array(n) : new Float32Array(n);
  const reused = pool.get(poolKey(dtype, n))?.pop();
  if (reused !== undefined) {
    pooledBytes -= reused.byteLength;
    byAge.delete(reused);
  }
  lastTaken = Date.now();
  const data = reused ?? (dtype === 'f64' ? new Float64Array(n) : new Float32Array(n));
  if (reused !== undefined && zero) data.fill(0);
  live.add(data);
  handouts.set(data, nextHandout++);
  return data;
}

/** A zero-filled tensor of `shape`. */
export function allocate(shape: Shape, dtype: DType): Tensor {
  return { shape, data: fresh(numel(shape), dtype, true) };
}

/** A tensor of `shape` whose contents are undefined (a reused array keeps its old values): for kernels that write every element. */
export function allocateForOverwrite(shape: Shape, dtype: DType): Tensor {
  return { shape, data: fresh(numel(shape), dtype, false) };
}

/**
 * Hands back an array made by allocate (or toDType) for reuse. The caller must hold the last reference to
 * it: the CPU interpreter calls this when no later node reads the buffer and it is not an output.
 * Arrays allocate did not make, or already released, are ignored.
 */
export function release(data: FloatArray): void {
  if (!live.delete(data) || data.byteLength > poolLimit) return;
  // The arrays released longest ago make room: what a pass just finished with is what the next pass
  // (the same program again, most often) asks for. Kept instead, an f64 reference pass's 128 MiB arrays
  // left no room for the f32 copies of the passes timed after it, which then faulted in fresh pages on
  // every call (a 4096-wide MLP JVP took 116 ms instead of 45).
  for (const old of byAge) {
    if (pooledBytes + data.byteLength <= poolLimit) break;
    drop(old);
  }
  const key = poolKey(dtypeOf(data), data.length);
  const list = pool.get(key);
  if (list === undefined) pool.set(key, [data]);
  else list.push(data);
  byAge.add(data);
  pooledBytes += data.byteLength;
  if (pooledBytes > IDLE_POOL_BYTES) trimWhenIdle();
}

let lastTaken = 0;
let trimTimer: ReturnType<typeof setTimeout> | undefined;

/**
 * Gives the memory of a large pool back once the work that filled it has stopped (a playground that ran
 * one 4096-wide pass, then smaller ones): after IDLE_MS with no array taken, the largest arrays go first
 * until at most IDLE_POOL_BYTES are left.
 */
function trimWhenIdle(): void {
  if (trimTimer !== undefined) return;
  trimTimer = setTimeout(() => {
    trimTimer = undefined;
    if (pooledBytes <= IDLE_POOL_BYTES) return;
    if (Date.now() - lastTaken < IDLE_MS) return trimWhenIdle();
    trimPool(IDLE_POOL_BYTES);
  }, IDLE_MS);
  // A pending trim never keeps Node running.
  (trimTimer as { unref?: () => void }).unref?.();
}

/** Drops pooled arrays, largest first, until at most `bytes` are pooled. */
export function trimPool(bytes: number): void {
  const largestFirst = [...byAge].sort((a, b) => b.byteLength - a.byteLength);
  for (const data of largestFirst) {
    if (pooledBytes <= bytes) return;
    drop(data);
  }
}

/** Takes one array out of the pool for good. */
function drop(data: FloatArray): void {
  const list = pool.get(poolKey(dtypeOf(data), data.length))!;
  list.splice(list.indexOf(data), 1);
  byAge.delete(data);
  pooledBytes -= data.byteLength;
}

/** Sets the most bytes the pool keeps (tests; the default is POOL_BYTES) and returns the previous limit. */
export function setPoolLimit(bytes: number): number {
  const previous = poolLimit;
  poolLimit = bytes;
  trimPool(bytes);
  return previous;
}

/** Bytes waiting in the pool (tests). */
export function pooledByteCount(): number {
  return pooledBytes;
}

/** Marks an array as never to be released: it belongs to a caller now. */
export function keep(data: FloatArray): void {
  live.delete(data);
}

/** Empties the pool (tests). */
export function clearPool(): void {
  pool.clear();
  byAge.clear();
  pooledBytes = 0;
  clearTimeout(trimTimer);
  trimTimer = undefined;
}

export function dtypeOf(data: FloatArray): DType {
  return data instanceof Float64Array ? 'f64' : 'f32';
}

/** A copy of `t` converted to `dtype` (or `t` itself when it already has it), in an array allocate owns. */
export function toDType(t: Tensor, dtype: DType): Tensor {
  if (dtypeOf(t.data) === dtype) return t;
  const data = fresh(t.data.length, dtype, false);
  data.set(t.data);
  return { shape: t.shape, data };
}

export const BYTES_PER_ELEMENT: Record<DType, number> = { f64: 8, f32: 4 };
