// A module Web Worker that runs checkWasmGemm on the [M, N, K] it is sent and posts the result back.
import { checkWasmGemm } from './wasm-gemm-check.ts';

self.onmessage = (e: MessageEvent<[number, number, number]>) => {
  const [M, N, K] = e.data;
  self.postMessage(checkWasmGemm(M, N, K));
};
