import { defineConfig } from 'vite';

/** Playground app: `index.html` at the repository root, built into `dist/`. */
export default defineConfig({
  build: {
    outDir: 'dist',
    target: 'es2022',
  },
});
