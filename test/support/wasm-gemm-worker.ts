// A module Web Worker that runs checkWasmGemm on the [M, N, K] it is sent and posts the result back;
// 'warm-up' starts the GEMM's helper threads and answers with how many are ready.
import { threadsFor } from '../../src/backend/cpu/wasm/module.ts';
import { checkWasmGemm } from './wasm-gemm-check.ts';

self.onmessage = async (e: MessageEvent<[number, number, number] | 'warm-up'>) => {
  if (e.data === 'warm-up') {
    self.postMessage((await threadsFor('f64')?.warmUp()) ?? 0);
    return;
  }
  const [M, N, K] = e.data;
  self.postMessage(checkWasmGemm(M, N, K));
};
