// One check of the WebAssembly GEMM against the TypeScript gemm, shared by the page and a Web Worker in
// test/browser/wasm-gemm.test.ts (the app runs the engine in a worker).
import { rng } from '../../src/api/random.ts';
import { gemm } from '../../src/backend/cpu/gemm.ts';
import { wasmGemm } from '../../src/backend/cpu/wasm/gemm.ts';
import { simdSupported, threadsFor } from '../../src/backend/cpu/wasm/module.ts';

export interface WasmGemmCheck {
  readonly simd: boolean;
  /** Whether the wasm kernel ran (it declines when SIMD is missing). */
  readonly ran: boolean;
  /** f64: whether wasm and JS gave the same bits, in each of the four layouts. */
  readonly sameBits: boolean[];
  /** f32: the largest |wasm − JS| over the entries, in each layout. */
  readonly f32Diff: number[];
  /** Whether this context may share memory (crossOriginIsolated), and how many helper threads the last f64 product used. */
  readonly isolated: boolean;
  readonly helpers: number;
}

/** C = op(A)·op(B) at [M, N, K] in every layout, by the wasm kernel and by the TypeScript gemm. */
export function checkWasmGemm(M: number, N: number, K: number): WasmGemmCheck {
  const next = rng(M * N + K);
  const values = (n: number) => Array.from({ length: n }, () => 2 * next() - 1);
  const a = values(M * K);
  const b = values(K * N);
  let ran = true;
  const sameBits: boolean[] = [];
  const f32Diff: number[] = [];
  for (const [transA, transB] of [[false, false], [true, false], [false, true], [true, true]]) {
    for (const T of [Float64Array, Float32Array]) {
      const A = { data: T.from(a), offset: 0, trans: transA };
      const B = { data: T.from(b), offset: 0, trans: transB };
      const js = new T(M * N);
      const wasm = new T(M * N);
      gemm(M, N, K, A, B, js, 0);
      ran &&= wasmGemm(M, N, K, A, B, wasm, 0);
      let same = true;
      let diff = 0;
      for (let i = 0; i < js.length; i++) {
        same &&= Object.is(js[i], wasm[i]);
        diff = Math.max(diff, Math.abs(js[i] - wasm[i]));
      }
      if (T === Float64Array) sameBits.push(same);
      else f32Diff.push(diff);
    }
  }
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
  return { simd: simdSupported(), ran, sameBits, f32Diff, isolated, helpers: threadsFor('f64')?.lastHelpers ?? 0 };
}
