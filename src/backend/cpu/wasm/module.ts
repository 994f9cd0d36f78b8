// Compiling the generated GEMM modules, once per dtype, and deciding whether the CPU backend uses them.
// Everything is synchronous and lazy (first use), so importing this costs nothing and needs no top-level
// await; the modules are under 1 KiB, well within Chromium's 4 KiB limit for synchronous compilation on
// the main thread (a Web Worker has no limit).
import type { DType } from '../tensor.ts';
import { gemmKernelModule, KERNEL_SHAPES, type GemmKernelExports } from './gemm-kernel.ts';

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
    kernel = compile(gemmKernelModule(KERNEL_SHAPES[dtype]));
    instances.set(dtype, kernel);
  }
  return kernel;
}

/** Drops the compiled kernels, so the next use compiles (and feature-tests) again: for tests that stub WebAssembly. */
export function forgetKernels(): void {
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
