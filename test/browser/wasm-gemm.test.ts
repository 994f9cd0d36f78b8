// The WebAssembly SIMD GEMM in Chromium: compiled synchronously on the page's main thread (under the
// 4 KiB limit) and in a module Web Worker, where the app runs the engine; f64 bits equal the TS gemm's.
import { describe, expect, it } from 'vitest';
import { checkWasmGemm, type WasmGemmCheck } from '../support/wasm-gemm-check.ts';

const SHAPES: [number, number, number][] = [[1, 1, 1], [5, 9, 3], [33, 17, 300]];

function expectAgreement(check: WasmGemmCheck, what: string): void {
  expect(check.simd, `${what}: SIMD`).toBe(true);
  expect(check.ran, `${what}: the wasm kernel ran`).toBe(true);
  expect(check.sameBits, `${what}: f64 bits`).toEqual([true, true, true, true]);
  // f32 sums of ≤ 300 terms of size ≤ 1: the two roundings differ by far less than 1e-4.
  for (const d of check.f32Diff) expect(d, `${what}: f32`).toBeLessThan(1e-4);
}

describe('WebAssembly SIMD GEMM in Chromium', () => {
  it('runs on the main thread', () => {
    for (const [M, N, K] of SHAPES) expectAgreement(checkWasmGemm(M, N, K), `page ${M}×${N}×${K}`);
  });

  it('shares large products with helper threads in a worker of the cross-origin isolated page, with the same bits', async () => {
    // The dev server sends COOP/COEP (vite.config.ts), as the playground's does; the page's main thread
    // may not block, so only a worker can use helpers.
    expect(crossOriginIsolated, 'the test page is cross-origin isolated').toBe(true);
    expect(checkWasmGemm(200, 300, 160).helpers, 'no helpers on the main thread').toBe(0);
    const worker = new Worker(new URL('../support/wasm-gemm-worker.ts', import.meta.url), { type: 'module' });
    const ask = <T>(message: unknown) => new Promise<T>((resolve, reject) => {
      worker.onmessage = (e: MessageEvent<T>) => resolve(e.data);
      worker.onerror = (e) => reject(new Error(e.message));
      worker.postMessage(message);
    });
    try {
      const ready = await ask<number>('warm-up');
      expect(ready, 'helpers ready').toBe(Math.min(4, navigator.hardwareConcurrency) - 1);
      const check = await ask<WasmGemmCheck>([200, 300, 160]);
      expectAgreement(check, 'worker 200×300×160');
      expect(check.helpers, 'helpers used by the last product').toBe(ready);
    } finally {
      worker.terminate();
    }
  });

  it('runs in a module Web Worker', async () => {
    const worker = new Worker(new URL('../support/wasm-gemm-worker.ts', import.meta.url), { type: 'module' });
    try {
      for (const shape of SHAPES) {
        const check = await new Promise<WasmGemmCheck>((resolve, reject) => {
          worker.onmessage = (e: MessageEvent<WasmGemmCheck>) => resolve(e.data);
          worker.onerror = (e) => reject(new Error(e.message));
          worker.postMessage(shape);
        });
        expectAgreement(check, `worker ${shape.join('×')}`);
      }
    } finally {
      worker.terminate();
    }
  });
});
