/**
 * The hand-written WGSL in `shaders/*.wgsl`, as strings, under both of our runtimes:
 * - Vite (the app build, vitest in Node and in the browser): `import.meta.glob` inlines every
 *   shader file at build time, so the browser never touches a file system.
 * - Plain Node (the CLI runs under tsx, which understands neither `?raw` nor `import.meta.glob`):
 *   the file is read from disk relative to this module. `node:fs` is reached through
 *   `process.getBuiltinModule` rather than an import, so browser bundles do not pull it in.
 * `import.meta.env` exists exactly when Vite transformed this module, which picks the path.
 */

const SHADER_DIR = '../../../shaders/';

const bundled: Readonly<Record<string, string>> | undefined =
  import.meta.env === undefined
    ? undefined
    : import.meta.glob<string>('../../../shaders/*.wgsl', { query: '?raw', import: 'default', eager: true });

const cache = new Map<string, string>();

/** The source of `shaders/<name>.wgsl` (name without extension), e.g. `loadShader('matmul')`. */
export function loadShader(name: string): string {
  let source = cache.get(name);
  if (source === undefined) {
    source = readShader(name);
    cache.set(name, source);
  }
  return source;
}

function readShader(name: string): string {
  if (!/^[\w-]+$/.test(name)) throw new Error(`Invalid shader name '${name}'`);
  const path = `${SHADER_DIR}${name}.wgsl`;
  if (bundled !== undefined) {
    const source = bundled[path];
    if (source === undefined) {
      const known = Object.keys(bundled).map((p) => p.slice(SHADER_DIR.length, -'.wgsl'.length));
      throw new Error(`No shader 'shaders/${name}.wgsl' (known: ${known.join(', ')})`);
    }
    return source;
  }
  const fs = process.getBuiltinModule('node:fs');
  return fs.readFileSync(new URL(path, import.meta.url), 'utf8');
}
