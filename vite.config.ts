import { defineConfig } from 'vite';

/** Playground app: `index.html` at the repository root, built into `dist/`. */
export default defineConfig({
  build: {
    outDir: 'dist',
    target: 'es2022',
  },
  // Pre-bundled up front. Discovered one by one, chartjs-chart-matrix could register its controller on
  // a second copy of chart.js before the dev server reloads; and Monaco, imported lazily, would be found
  // mid-session, re-optimised, and fail its dynamic import ("Failed to fetch dynamically imported module").
  optimizeDeps: {
    include: [
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
