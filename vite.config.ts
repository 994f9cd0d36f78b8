import { readFileSync } from 'node:fs';
import { defineConfig } from 'vite';

/** The peers the benchmark tab compares with: their installed versions are shown beside their numbers. */
const PEER_PACKAGES = ['@jax-js/jax', '@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-backend-webgpu'];

function installedVersion(name: string): string {
  try {
    return (JSON.parse(readFileSync(new URL(`./node_modules/${name}/package.json`, import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return 'not installed';
  }
}

/**
 * Cross-origin isolation (COOP + COEP) lets the engine worker share WebAssembly memory with the GEMM's
 * helper threads (src/backend/cpu/wasm/threads.ts). The app loads nothing from other origins, so nothing
 * else changes; served by a host without these headers, the GEMM runs on one thread.
 */
const ISOLATION = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

/** Playground app: `index.html` at the repository root, built into `dist/`. */
export default defineConfig({
  server: { headers: ISOLATION },
  preview: { headers: ISOLATION },
  build: {
    outDir: 'dist',
    target: 'es2022',
  },
  // Module workers (the engine is created with type 'module'), so the worker's dynamic imports stay
  // separate chunks: the peers are fetched only when a comparison runs.
  worker: { format: 'es' },
  define: {
    __PEER_VERSIONS__: JSON.stringify(Object.fromEntries(PEER_PACKAGES.map((name) => [name, installedVersion(name)]))),
  },
  // Pre-bundled up front. Discovered one by one, chartjs-chart-matrix could register its controller on
  // a second copy of chart.js before the dev server reloads; and Monaco, imported lazily, would be found
  // mid-session, re-optimised, and fail its dynamic import ("Failed to fetch dynamically imported module").
  // The peers, imported lazily by the engine worker, likewise.
  optimizeDeps: {
    include: [
      ...PEER_PACKAGES,
      'chart.js',
      'chartjs-chart-matrix',
      'monaco-editor/editor/editor.api',
      'monaco-editor/editor/browser/coreCommands',
      'monaco-editor/editor/contrib/bracketMatching/browser/bracketMatching',
      'monaco-editor/editor/contrib/comment/browser/comment',
      'monaco-editor/editor/contrib/find/browser/findController',
      'monaco-editor/editor/contrib/gotoError/browser/gotoError',
      'monaco-editor/editor/contrib/hover/browser/hoverContribution',
      'monaco-editor/editor/contrib/snippet/browser/snippetController2',
      'monaco-editor/editor/contrib/suggest/browser/suggestController',
      'monaco-editor/editor/contrib/wordOperations/browser/wordOperations',
    ],
  },
});
