import { compressToEncodedURIComponent, decompressFromEncodedURIComponent } from 'lz-string';
import { DEFAULT_STATE, type AppState, type BackendChoice, type TaskMode, type ViewName } from './state.ts';

/** The URL hash for a state: only what differs from the defaults, compressed (long programs stay short). */
export function encodeState(state: AppState): string {
  const shared = { source: state.source, sizes: state.sizes, seed: state.seed, mode: state.mode, jacobianMode: state.jacobianMode, foldSeeds: state.foldSeeds, output: state.output, input: state.input, backend: state.backend, view: state.view };
  return `#s=${compressToEncodedURIComponent(JSON.stringify(shared))}`;
}

const VIEWS: readonly ViewName[] = ['results', 'graph', 'jacobian', 'wgsl', 'explain', 'bench', 'quiz'];
const MODES: readonly TaskMode[] = ['evaluate', 'jvp', 'vjp', 'grad', 'jacobian', 'hvp'];
const BACKENDS: readonly BackendChoice[] = ['auto', 'cpu', 'webgpu'];

const pick = <T extends string>(value: unknown, allowed: readonly T[], fallback: T): T => (allowed.includes(value as T) ? (value as T) : fallback);
const text = (value: unknown, fallback: string, max = 100_000) => (typeof value === 'string' && value.length <= max ? value : fallback);

/**
 * The state a URL hash describes, validated field by field: anything malformed falls back to the
 * default. Text from the URL is only ever used as data (editor contents, names), never as markup.
 */
export function decodeState(hash: string, base: AppState = DEFAULT_STATE): AppState {
  const match = /^#s=(.+)$/.exec(hash);
  if (match === null) return base;
  let raw: unknown;
  try {
    raw = JSON.parse(decompressFromEncodedURIComponent(match[1]) ?? 'null');
  } catch {
    return base;
  }
  if (typeof raw !== 'object' || raw === null) return base;
  const r = raw as Record<string, unknown>;
  const sizes: Record<string, number> = {};
  if (typeof r.sizes === 'object' && r.sizes !== null) {
    for (const [k, v] of Object.entries(r.sizes)) if (/^[A-Za-z_]\w*$/.test(k) && Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 4096) sizes[k] = v as number;
  }
  return {
    ...base,
    source: text(r.source, base.source),
    sizes: Object.keys(sizes).length > 0 ? sizes : base.sizes,
    seed: Number.isInteger(r.seed) ? (r.seed as number) : base.seed,
    mode: pick(r.mode, MODES, base.mode),
    jacobianMode: pick(r.jacobianMode, ['fwd', 'rev', 'auto'] as const, base.jacobianMode),
    foldSeeds: typeof r.foldSeeds === 'boolean' ? r.foldSeeds : base.foldSeeds,
    output: text(r.output, '', 100),
    input: text(r.input, '', 100),
    backend: pick(r.backend, BACKENDS, base.backend),
    view: pick(r.view, VIEWS, base.view),
  };
}
