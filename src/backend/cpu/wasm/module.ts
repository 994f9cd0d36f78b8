// Compiling the generated GEMM modules, once per dtype, and deciding whether the CPU backend uses them.
// Everything is synchronous and lazy (first use), so importing this costs nothing and needs no top-level
// await; the modules are under 1 KiB, well within Chromium's 4 KiB limit for synchronous compilation on
// the main thread (a Web Worker has no limit).
import type { DType } from '../tensor.ts';
import { gemmKernelModule, KERNEL_SHAPES, type GemmKernelExports } from './gemm-kernel.ts';
import { GemmThreads, threadsPossible } from './threads.ts';

/**
 * How the CPU backend picks its GEMM: `auto` uses WebAssembly SIMD when the engine supports it and the
 * product is large enough to repay the copies; `wasm` uses it whenever supported (tests, to reach small
 * and edge sizes); `js` always uses the TypeScript gemm.
 */
export type GemmMode = 'auto' | 'wasm' | 'js';

/** The environment variable that can turn the WebAssembly GEMM off in Node (GRADIENT_LAB_WASM=0). */
const ENV_SWITCH = 'GRADIENT_LAB_WASM';

function initialMode(): GemmMode {
  const env = typeof process === 'undefined' ? undefined : process.env?.[ENV_SWITCH];
  return env !== undefined && ['0', 'false', 'off', 'js'].includes(env) ? 'js' : 'auto';
}

let mode: GemmMode = initialMode();

/** Sets how the CPU backend picks its GEMM (see GemmMode); returns the previous mode. */
export function setGemmMode(next: GemmMode): GemmMode {
  const previous = mode;
  mode = next;
  return previous;
}

export function gemmMode(): GemmMode {
  return mode;
}

/** A compiled kernel, or null where WebAssembly or its SIMD proposal is unavailable. */
const instances = new Map<DType, GemmKernelExports | null>();
/** The helper threads of each kernel whose memory is shared (see threads.ts). */
const threads = new Map<DType, GemmThreads>();

/** Whether this engine validates SIMD modules (every Node ≥ 16.4, Chromium ≥ 91, Firefox ≥ 89, Safari ≥ 16.4). */
export function simdSupported(): boolean {
  return kernelFor('f32') !== null;
}

/**
 * The GEMM kernel for `dtype`, compiled on first use. Validating the kernel itself is the feature test:
 * it is made of SIMD instructions, so an engine without SIMD rejects it and the caller falls back to JS.
 */
export function kernelFor(dtype: DType): GemmKernelExports | null {
  let kernel = instances.get(dtype);
  if (kernel === undefined) {
    kernel = (threadsPossible() ? compileShared(dtype) : null) ?? compile(gemmKernelModule(KERNEL_SHAPES[dtype]));
    instances.set(dtype, kernel);
  }
  return kernel;
}

/** The helper threads that can share `dtype`'s kernel, or null when its memory is not shared. */
export function threadsFor(dtype: DType): GemmThreads | null {
  kernelFor(dtype);
  return threads.get(dtype) ?? null;
}

/** Drops the compiled kernels, so the next use compiles (and feature-tests) again: for tests that stub WebAssembly. */
export function forgetKernels(): void {
  for (const t of threads.values()) t.dispose();
  threads.clear();
  instances.clear();
}

function compile(bytes: Uint8Array<ArrayBuffer>): GemmKernelExports | null {
  if (typeof WebAssembly === 'undefined' || !WebAssembly.validate(bytes)) return null;
  try {
    return new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports as unknown as GemmKernelExports;
  } catch {
    return null; // for example a content security policy without 'wasm-unsafe-eval'
  }
}

/** The kernel on a shared memory that helper threads instantiate too; null when the engine refuses one. */
function compileShared(dtype: DType): GemmKernelExports | null {
  const bytes = gemmKernelModule(KERNEL_SHAPES[dtype], MAX_KERNEL_BYTES / PAGE_BYTES);
  if (!WebAssembly.validate(bytes)) return null;
  try {
    const memory = new WebAssembly.Memory({ initial: 1, maximum: MAX_KERNEL_BYTES / PAGE_BYTES, shared: true });
    const module = new WebAssembly.Module(bytes);
    const exports = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as GemmKernelExports;
    const helpers = new GemmThreads(module, memory);
    // Started with the kernel, so they are usually ready by the first product large enough to share.
    helpers.start();
    threads.set(dtype, helpers);
    return exports;
  } catch {
    return null;
  }
}

/**
 * The most memory one kernel may hold. wasm32 addresses 4 GiB, but linear memory never shrinks, so a
 * product needing more than this runs in JS rather than pin that much for the rest of the session.
 */
export const MAX_KERNEL_BYTES = 1 << 30;

const PAGE_BYTES = 65536;

/** Grows `kernel`'s memory to at least `bytes`; false when that is over MAX_KERNEL_BYTES or the engine refuses. */
export function ensureMemory(kernel: GemmKernelExports, bytes: number): boolean {
  if (bytes > MAX_KERNEL_BYTES) return false;
  const have = kernel.memory.buffer.byteLength;
  if (bytes <= have) return true;
  try {
    kernel.memory.grow(Math.ceil((bytes - have) / PAGE_BYTES));
    return true;
  } catch {
    return false;
  }
}
