import type { JacobianMode } from '../index.ts';

/** What the user is looking at. */
export type ViewName = 'results' | 'graph' | 'jacobian' | 'wgsl' | 'explain' | 'bench' | 'quiz';

/** The derivative to compute in the Results view. */
export type TaskMode = 'evaluate' | 'jvp' | 'vjp' | 'grad' | 'jacobian' | 'hvp';

export type BackendChoice = 'auto' | 'cpu' | 'webgpu';

/** Everything the URL and the controls describe; the rest of the app derives from it. */
export interface AppState {
  readonly source: string;
  readonly sizes: Readonly<Record<string, number>>;
  readonly seed: number;
  readonly mode: TaskMode;
  readonly jacobianMode: JacobianMode | 'auto';
  /** Full Jacobians with their identity seeds kept symbolic (JacobianOptions.foldSeeds). */
  readonly foldSeeds: boolean;
  /** The output that grad/hvp/vjp seed, or the input whose direction a JVP pushes ('' = first). */
  readonly output: string;
  readonly input: string;
  readonly backend: BackendChoice;
  readonly view: ViewName;
  readonly theme: 'light' | 'dark';
  readonly largeFont: boolean;
}

type Listener = (state: AppState, previous: AppState) => void;

/** A tiny observable store: views subscribe and re-render what changed. */
export class Store {
  private listeners = new Set<Listener>();

  constructor(private current: AppState) {}

  get state(): AppState {
    return this.current;
  }

  update(patch: Partial<AppState>): void {
    const previous = this.current;
    const next = { ...previous, ...patch };
    if ((Object.keys(patch) as (keyof AppState)[]).every((k) => previous[k] === next[k])) return;
    this.current = next;
    for (const l of this.listeners) l(next, previous);
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

export const DEFAULT_SOURCE = `# A two-layer network with a scalar loss.
input x[n]
input W1[h, n]
input b1[h]
input W2[m, h]
input b2[m]

hidden = tanh(W1 @ x + b1)
output y = tanh(W2 @ hidden + b2)
output loss = 0.5 * sum(y * y)
`;

export const DEFAULT_STATE: AppState = {
  source: DEFAULT_SOURCE,
  sizes: { n: 4, h: 5, m: 3 },
  seed: 0,
  mode: 'jacobian',
  jacobianMode: 'auto',
  foldSeeds: false,
  output: '',
  input: '',
  backend: 'auto',
  view: 'results',
  theme: 'light',
  largeFont: false,
};
