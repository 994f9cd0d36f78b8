// The Node set-up of the peer comparison: `navigator.gpu` pointing at our own Dawn instance, so that
// every WebGPU system runs on the same adapter, and the installed peers' versions read from disk.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * Makes `gpu` (our Dawn instance) the `navigator.gpu` that jax-js and TF.js look for; both read
 * `navigator` when they initialise, so call this before importing them. Node 20 has no navigator;
 * newer Node has one without `gpu`, which gets the property added.
 */
export function installNavigator(gpu: GPU): void {
  const g = globalThis as { navigator?: { gpu?: GPU } };
  if (g.navigator?.gpu === gpu) return;
  if (g.navigator === undefined) {
    Object.defineProperty(globalThis, 'navigator', { value: { gpu, userAgent: 'node' }, configurable: true, writable: true });
  } else {
    Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
  }
}

const require = createRequire(import.meta.url);

/** The installed version of a package, read from its package.json (its exports may hide the file). */
export function packageVersion(name: string): string {
  let dir = dirname(require.resolve(name));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === name) return pkg.version ?? 'unknown';
    } catch {
      // no package.json at this level: keep climbing
    }
    const up = dirname(dir);
    if (up === dir) return 'unknown';
    dir = up;
  }
}
