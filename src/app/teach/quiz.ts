// Quiz questions, each answered by running one preset. `backedBy` names the preset claim that makes
// the correct answer true; test/app/quiz.test.ts checks that the preset makes exactly that claim, and
// test/app/presets.test.ts checks the claim against the engine.
import type { Claim } from './presets.ts';

export interface QuizChoice {
  readonly text: string;
  readonly correct: boolean;
  /** Feedback for picking this choice. */
  readonly why: string;
}

export interface QuizQuestion {
  readonly id: string;
  readonly prompt: string;
  readonly choices: readonly QuizChoice[];
  /** The explanation shown after any answer. */
  readonly reason: string;
  /** The preset whose numbers show the answer. */
  readonly presetId: string;
  readonly backedBy: Claim;
}

export const QUIZ: readonly QuizQuestion[] = [
  {
    id: 'training',
    prompt: 'Training a model: one scalar loss, tens of thousands of parameters and data values. Which mode gets the whole gradient in one pass?',
    choices: [
      { text: 'Reverse mode: one VJP seeded with 1 on the loss', correct: true, why: 'The Jacobian of one scalar is a single row, and one VJP produces a whole row.' },
      { text: 'Forward mode: one JVP per parameter', correct: false, why: 'Each JVP gives one column of the Jacobian: you would need one per input element (36 872 in the preset).' },
      { text: 'Either: the two modes cost the same', correct: false, why: 'Load the preset: the FLOP estimates of the two modes differ by a factor of about 25 000.' },
    ],
    reason: 'Reverse mode costs a few evaluations per output, whatever the number of inputs: that is why training uses it (backpropagation).',
    presetId: 'training',
    backedBy: { kind: 'winner', mode: 'rev' },
  },
  {
    id: 'forward-wins',
    prompt: 'When is forward mode the cheaper way to build a full Jacobian?',
    choices: [
      { text: 'When the program has fewer input elements than output elements', correct: true, why: 'Forward mode needs one JVP per input element (a column each); reverse needs one VJP per output element (a row each).' },
      { text: 'When the output is one scalar', correct: false, why: "That is reverse mode's best case: a single VJP." },
      { text: 'Never: reverse mode is always cheaper', correct: false, why: 'The rank-one image preset has 64 inputs and 1024 outputs: forward mode needs 64 passes, reverse 1024.' },
      { text: 'Whenever the program multiplies matrices', correct: false, why: 'Matrix products have JVP and VJP rules of the same cost; what matters is the number of seeds.' },
    ],
    reason: 'Both modes cost a few evaluations per seed, so the cheaper one is the one with fewer seeds: min(inputs, outputs).',
    presetId: 'many-outputs',
    backedBy: { kind: 'winner', mode: 'fwd' },
  },
  {
    id: 'hvp-cost',
    prompt: 'What does one Hessian-vector product H·v cost by forward-over-reverse?',
    choices: [
      { text: 'A small constant times one evaluation (about three gradients); the Hessian is never formed', correct: true, why: 'A JVP of the gradient graph: two AD passes stacked, each a constant factor.' },
      { text: 'n gradients: first the Hessian, then a matrix-vector product', correct: false, why: 'That is how you would get the whole Hessian (n HVPs); one product needs none of it.' },
      { text: 'n² evaluations, one per Hessian entry', correct: false, why: 'Even the full Hessian needs only n HVPs, not n² evaluations.' },
    ],
    reason: 'Forward-over-reverse pushes the direction v through the gradient computation: H·v comes out in one batched pass, in memory linear in n.',
    presetId: 'hvp',
    backedBy: { kind: 'hvp-cost', ratio: 10 },
  },
  {
    id: 'what-is-vjp',
    prompt: 'What is a VJP?',
    choices: [
      { text: 'uᵀJ: an output weighting u pulled back to every input in one reverse pass (a row of J when u is a unit vector)', correct: true, why: 'Reverse mode computes vector-Jacobian products; a Jacobian by VJPs is built one row per output element.' },
      { text: 'J·v: an input direction v pushed forward to every output', correct: false, why: 'That is a JVP (forward mode): a column of J when v is a unit vector.' },
      { text: 'The full Jacobian, built row by row', correct: false, why: 'A VJP is one row (or one weighted sum of rows); the full Jacobian takes one VJP per output element.' },
      { text: 'A finite-difference estimate of the gradient', correct: false, why: 'VJPs are exact up to rounding; finite differences are how the Results view checks them.' },
    ],
    reason: 'In the rows-vs-columns preset, reverse mode fills the 4×3 Jacobian with 4 VJPs (one per row) and forward mode with 3 JVPs (one per column).',
    presetId: 'rows-columns',
    backedBy: { kind: 'rows-columns', rows: 4, columns: 3 },
  },
  {
    id: 'seed',
    prompt: "You ask for the Gradient of 'losses', a vector holding one loss per example. What happens?",
    choices: [
      { text: 'It fails: reverse mode needs one scalar seed, so sum the losses first (or give cotangent weights with VJP)', correct: true, why: 'A gradient is the VJP with seed 1 on a scalar; a vector output has no single number to start from.' },
      { text: 'You get one gradient per example', correct: false, why: 'That would be the Jacobian of losses: one VJP per example, each seeded on one entry.' },
      { text: 'Forward mode takes over automatically', correct: false, why: 'Forward mode gives J·v for a direction v, not a gradient; nothing switches by itself.' },
    ],
    reason: 'Wrapping the output in sum() seeds reverse mode with 1 on every entry at once, and the per-example gradients add up.',
    presetId: 'per-example',
    backedBy: { kind: 'needs-seed', output: 'losses' },
  },
  {
    id: 'wide-jvp',
    prompt: 'The 4096-wide layer: how expensive is one JVP, compared with running the layer once?',
    choices: [
      { text: 'Less than 3 runs of the layer; the Jacobian is never formed', correct: true, why: 'Each primitive’s JVP rule costs a small constant times the primitive itself.' },
      { text: '4096 runs, one per output', correct: false, why: 'That is what a full Jacobian by VJPs would cost; one JVP is a single pass.' },
      { text: 'It has to build the 4096 × 69 632 Jacobian first', correct: false, why: 'That matrix (2.3 GB) does not even fit the memory budget; the JVP works without it.' },
    ],
    reason: 'JVPs and VJPs are the primitives of AD: each costs a constant factor over the program, however wide it is.',
    presetId: 'wide-layer',
    backedBy: { kind: 'one-pass', ratio: 3 },
  },
];
