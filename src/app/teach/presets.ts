// The teaching presets: small programs, each chosen so that one idea about forward and reverse mode
// shows up in the numbers. Every claim below is checked against the engine's FLOP model in
// test/app/presets.test.ts, so the text cannot drift away from what the app computes.
import type { AppState, TaskMode, ViewName } from '../state.ts';

/**
 * What a preset demonstrates, in a form a test can check:
 * - `winner`: `jacobian(…, { mode: 'auto' })` picks this mode by its FLOP estimates;
 * - `one-pass`: a JVP and a VJP each cost at most `ratio` primal passes, while the Jacobian of
 *   the selected inputs needs one such pass per input element;
 * - `hvp-cost`: one Hessian-vector product costs at most `ratio` primal passes;
 * - `rows-columns`: forward mode fills the Jacobian's `columns` one JVP each, reverse mode its
 *   `rows` one VJP each, and both give the same matrix;
 * - `needs-seed`: `output` is not a scalar, so a gradient fails until it is wrapped in `sum()`.
 */
export type Claim =
  | { readonly kind: 'winner'; readonly mode: 'fwd' | 'rev' }
  | { readonly kind: 'one-pass'; readonly ratio: number }
  | { readonly kind: 'hvp-cost'; readonly ratio: number }
  | { readonly kind: 'rows-columns'; readonly rows: number; readonly columns: number }
  | { readonly kind: 'needs-seed'; readonly output: string };

/** One ready-made program with the setup that shows its point. */
export interface Preset {
  readonly id: string;
  readonly title: string;
  /** Two lines: what to look at, and why it comes out that way. */
  readonly explanation: readonly [string, string];
  readonly source: string;
  readonly sizes: Readonly<Record<string, number>>;
  /** The suggested computation, output/input selection and view. */
  readonly setup: Pick<AppState, 'mode' | 'jacobianMode' | 'output' | 'input'> & { readonly view: ViewName };
  readonly claims: readonly Claim[];
  /** A one-click edit the explanation offers (reverse mode's missing seed). */
  readonly fix?: { readonly kind: 'wrap-sum'; readonly output: string; readonly explanation: string };
}

const setup = (mode: TaskMode, extra: Partial<Preset['setup']> = {}): Preset['setup'] => ({
  mode, jacobianMode: 'auto', output: '', input: '', view: 'results', ...extra,
});

/** Every preset, in the order the picker lists them. */
export const PRESETS: readonly Preset[] = [
  {
    id: 'training',
    title: 'Training: one loss, many parameters',
    explanation: [
      'One scalar loss depends on 4096 weights and the whole data batch: the Jacobian is a single row.',
      'Reverse mode gets that row with one VJP (seed 1 on the loss); forward mode would need one JVP per input element.',
    ],
    source: `# Least squares: one scalar loss over a 4096-long weight vector.
input w[n]          # the parameters
input X[b, n]       # a batch of b examples
input t[b]          # their targets
r = X @ w - t
output loss = mean(r * r)
`,
    sizes: { n: 4096, b: 8 },
    setup: setup('jacobian'),
    claims: [{ kind: 'winner', mode: 'rev' }],
  },
  {
    id: 'many-outputs',
    title: 'Few inputs, many outputs',
    explanation: [
      'A 32×32 image built from 64 numbers: the Jacobian has 1024 rows but only 64 columns.',
      'Forward mode needs one JVP per input (64); reverse mode would need one VJP per pixel (1024).',
    ],
    source: `# A rank-one "image": m + n inputs, m·n outputs.
input u[m, 1]              # one number per row
input v[1, n]              # one number per column
output image = tanh(u * v) # [m, n]: each pixel depends on two inputs
`,
    sizes: { m: 32, n: 32 },
    setup: setup('jacobian'),
    claims: [{ kind: 'winner', mode: 'fwd' }],
  },
  {
    id: 'wide-layer',
    title: 'A 4096-wide layer: JVP and VJP, no Jacobian',
    explanation: [
      'This layer has 4096 outputs and 69 632 input elements: its Jacobian would hold 285 million numbers (2.3 GB).',
      'A JVP (J·v) or a VJP (uᵀJ) costs under 3 runs of the layer and never forms J; the Jacobian would need 4096 VJPs.',
    ],
    source: `# A 4096-wide residual layer with a rank-r bottleneck.
input x[n]
input A[r, n]
input B[n, r]
output y = tanh(B @ (A @ x) + x)
`,
    sizes: { n: 4096, r: 8 },
    setup: setup('jvp'),
    claims: [{ kind: 'one-pass', ratio: 3 }],
  },
  {
    id: 'per-example',
    title: 'Per-example losses need a seed',
    explanation: [
      "'losses' is a vector (one loss per example), so 'Gradient' has no single number to start reverse mode from.",
      'Reverse mode needs a seed: sum the losses into one scalar (or give cotangent weights with VJP).',
    ],
    source: `# One loss per example: a vector output.
input w[n]
input X[b, n]
input t[b]
output losses = square(X @ w - t)   # shape [b]
`,
    sizes: { n: 16, b: 8 },
    setup: setup('grad'),
    claims: [{ kind: 'needs-seed', output: 'losses' }, { kind: 'winner', mode: 'rev' }],
    fix: {
      kind: 'wrap-sum',
      output: 'losses',
      explanation: "Fix: `output losses = sum(square(X @ w - t))` seeds reverse mode with 1 on the total, and each example's gradient adds up.",
    },
  },
  {
    id: 'hvp',
    title: 'Hessian-vector product (forward-over-reverse)',
    explanation: [
      'H·v of the logistic loss: a JVP pushed through the gradient graph, two AD passes and no Hessian.',
      'One H·v costs about three gradients (under 10 evaluations); the full Hessian of the 1024 weights would need 1024 of them.',
    ],
    source: `# Logistic regression: curvature along one direction.
input w[n]
input X[b, n]
input t[b]
z = X @ w
output loss = mean(softplus(z) - t * z)
`,
    sizes: { n: 1024, b: 32 },
    setup: setup('hvp'),
    claims: [{ kind: 'hvp-cost', ratio: 10 }, { kind: 'winner', mode: 'rev' }],
  },
  {
    id: 'rows-columns',
    title: 'Jacobian rows vs columns',
    explanation: [
      'Forward mode fills this 4×3 Jacobian column by column: 3 JVPs, one per input element (the Jacobian tab lights each column).',
      "Switch to reverse (highlight a row there, or Mode 'reverse' in Results): 4 VJPs fill it row by row and give the same matrix.",
    ],
    source: `# Three inputs, four outputs.
input x[n]
output p = softmax(x)     # 3 outputs
output s = sum(x * x)     # 1 more
`,
    sizes: { n: 3 },
    setup: setup('jacobian', { jacobianMode: 'fwd', view: 'jacobian' }),
    claims: [{ kind: 'rows-columns', rows: 4, columns: 3 }, { kind: 'winner', mode: 'fwd' }],
  },
];

/** The preset with this id, if any. */
export function presetById(id: string): Preset | undefined {
  return PRESETS.find((p) => p.id === id);
}
