// The cost model of forward vs reverse mode for one program, in plain words. Pure: derived graphs and
// their FLOP counts only (shapes, never values), so it is cheap at any size and testable in Node.
import { DEFAULT_MEMORY_BUDGET, type Program } from '../../index.ts';

/** A port and how many scalars it holds. */
export interface PortWidth {
  readonly name: string;
  readonly shape: readonly number[];
  readonly scalars: number;
}

/** Everything the Explain view says, with the numbers behind it. */
export interface CostExplanation {
  /** Jacobian width (input scalars, JVP passes) and height (output scalars, VJP passes). */
  readonly n: number;
  readonly m: number;
  readonly inputs: readonly PortWidth[];
  readonly outputs: readonly PortWidth[];
  readonly primalFlops: number;
  /** One unbatched JVP and VJP. */
  readonly jvpFlops: number;
  readonly vjpFlops: number;
  /** The whole Jacobian: n batched JVP seeds, m batched VJP seeds. */
  readonly fwdFlops: number;
  readonly revFlops: number;
  readonly winner: 'fwd' | 'rev' | 'tie';
  /** The loser's cost over the winner's (≥ 1). */
  readonly factor: number;
  readonly verdict: string;
  readonly why: string;
  readonly forward: string;
  readonly reverse: string;
  readonly relative: string;
  readonly notes: readonly string[];
}

/** Within this factor the two modes count as a tie. */
const TIE = 1.05;

const PREFIXES = ['', 'k', 'M', 'G', 'T', 'P', 'E'];

/** "740 FLOPs", "7.4 kFLOPs", "1.1 TFLOPs". */
export function formatFlops(x: number): string {
  if (x < 1000) return `${Math.round(x)} FLOPs`;
  const k = Math.min(PREFIXES.length - 1, Math.floor(Math.log10(x) / 3));
  const v = x / 1000 ** k;
  return `${v >= 100 ? Math.round(v) : v.toPrecision(2)} ${PREFIXES[k]}FLOPs`;
}

/** "3 GiB", "1.0 TiB". */
function formatBytes(bytes: number): string {
  const gib = bytes / 1024 ** 3;
  return gib < 1024 ? `${gib.toFixed(0)} GiB` : `${(gib / 1024).toFixed(1)} TiB`;
}

/** 4096 → "4,096". */
const count = (x: number) => x.toLocaleString('en-US');

/** "3.1×", "42×". */
export function formatFactor(x: number): string {
  return x >= 10 ? `${Math.round(x).toLocaleString('en-US')}×` : `${x.toFixed(1)}×`;
}

const widths = (ports: Program['inputs']): PortWidth[] =>
  ports.map((p) => ({ name: p.name, shape: p.shape, scalars: p.shape.reduce((a, b) => a * b, 1) }));

const shapeText = (p: PortWidth) => (p.shape.length === 0 ? 'a scalar' : `[${p.shape.join(', ')}]`);

function why(e: Pick<CostExplanation, 'n' | 'm' | 'winner' | 'outputs' | 'primalFlops' | 'fwdFlops' | 'revFlops'>): string {
  const { n, m, winner } = e;
  const passesFavour = n < m ? 'fwd' : n > m ? 'rev' : 'tie';
  if (winner === 'tie' && passesFavour === 'tie') return `Both need the same number of passes (n = m = ${count(n)}), and a JVP pass costs about as much as a VJP pass here.`;
  if (winner === 'rev' && passesFavour === 'rev') {
    const outputs = m === 1
      ? `one scalar ${e.outputs.length === 1 && /loss/i.test(e.outputs[0].name) ? 'loss' : 'output'} means one VJP pass`
      : `${count(m)} output scalars mean ${count(m)} VJP passes`;
    return `Reverse mode wins: ${outputs}, while forward mode needs ${count(n)} JVP passes — one per input.`;
  }
  if (winner === 'fwd' && passesFavour === 'fwd') {
    const inputs = n === 1 ? 'one scalar input means one JVP pass' : `${count(n)} input scalars mean ${count(n)} JVP passes`;
    return `Forward mode wins: ${inputs}, while reverse mode needs ${count(m)} VJP passes — one per output.`;
  }
  // The pass count alone points the other way (or is level): the cost of each seed decides.
  const perJvp = (e.fwdFlops - e.primalFlops) / Math.max(n, 1);
  const perVjp = (e.revFlops - e.primalFlops) / Math.max(m, 1);
  const passes = `${count(n)} JVP passes against ${count(m)} VJP passes`;
  const seeds = `beyond the primal they share, each JVP seed costs about ${formatFlops(perJvp)} and each VJP seed about ${formatFlops(perVjp)}`;
  if (winner === 'tie') return `It is close: ${passes}, but ${seeds}, which evens it out.`;
  return `${winner === 'fwd' ? 'Forward' : 'Reverse'} mode wins even though the pass count (${passes}) ${passesFavour === 'tie' ? 'is level' : 'favours the other mode'}: ${seeds}.`;
}

/**
 * The cost model of the full Jacobian of every output with respect to `wrt` (default: every input):
 * forward mode by n batched JVP seeds, reverse mode by m batched VJP seeds, from the FLOP counts of
 * the derived graphs. Inputs outside `wrt` are held fixed.
 */
export function explainCost(program: Program, wrt?: readonly string[]): CostExplanation {
  const selected = wrt === undefined ? program.inputs : program.selectPorts(wrt, program.inputs, 'input');
  const selection = { wrt: selected.map((p) => p.name) };
  const inputs = widths(selected);
  const outputs = widths(program.outputs);
  const n = inputs.reduce((s, p) => s + p.scalars, 0);
  const m = program.outputWidth;
  const primalFlops = program.flops();
  const jvpFlops = program.flops(program.derived('jvp', [], selection));
  const vjpFlops = program.flops(program.derived('vjp', [], selection));
  const fwdFlops = program.flops(program.derived('jvp', [n], selection));
  const revFlops = program.flops(program.derived('vjp', [m], selection));
  const factor = Math.max(fwdFlops, revFlops) / Math.max(Math.min(fwdFlops, revFlops), 1);
  const winner = factor < TIE ? 'tie' : fwdFlops < revFlops ? 'fwd' : 'rev';
  const verdict = winner === 'tie'
    ? 'Forward and reverse mode cost about the same here.'
    : `${winner === 'fwd' ? 'Forward' : 'Reverse'} mode: about ${formatFactor(factor)} cheaper by the FLOP model.`;

  const jacobian = `the ${count(m)} × ${count(n)} Jacobian`;
  const forward = `Forward mode pushes n = ${count(n)} tangent seeds, one per input scalar, each giving one column of ${jacobian}: `
    + `${count(n)} JVP passes, batched into one graph of about ${formatFlops(fwdFlops)}.`;
  const reverse = `Reverse mode pulls m = ${count(m)} cotangent seed${m === 1 ? '' : 's'} back, one per output scalar, each giving one row: `
    + `${count(m)} VJP pass${m === 1 ? '' : 'es'}, batched into one graph of about ${formatFlops(revFlops)}.`;
  const held = program.inputs.filter((p) => !selection.wrt.includes(p.name)).map((p) => p.name);
  const relative = `One JVP costs about ${formatFactor(jvpFlops / Math.max(primalFlops, 1))} the primal's ${formatFlops(primalFlops)}, `
    + `one VJP about ${formatFactor(vjpFlops / Math.max(primalFlops, 1))}. That is the cheap-gradient principle: a VJP costs a small constant multiple `
    + 'of evaluating the program, however many inputs there are — so one scalar loss gets its whole gradient for the price of a few evaluations.';

  const notes: string[] = [];
  const scalarOutputs = outputs.filter((o) => o.shape.length === 0);
  if (scalarOutputs.length !== outputs.length || outputs.length > 1) {
    const list = outputs.map((o) => `${o.name} is ${shapeText(o)}`).join(', ');
    notes.push(`The outputs are not one scalar (${list}): reverse mode needs a seed — a cotangent — for each of the m = ${count(m)} output scalars, one VJP pass each. `
      + 'The gradient and Hessian-vector products need one scalar: reduce first (for example “output loss = sum(y)”), or give vjp explicit cotangent weights.');
  }
  if (held.length > 0) notes.push(`Held fixed (not differentiated): ${held.join(', ')}.`);
  if (inputs.length > 1) notes.push(`n counts every scalar of every input: ${inputs.map((p) => `${p.name} ${count(p.scalars)}`).join(' + ')} = ${count(n)}.`);
  const bytes = n * m * 8;
  if (bytes > DEFAULT_MEMORY_BUDGET) {
    notes.push(`${jacobian[0].toUpperCase()}${jacobian.slice(1)} has ${(n * m).toExponential(1)} entries (${formatBytes(bytes)} in f64), `
      + 'more than the engine will hold: it is never formed at this size. Single JVPs and VJPs (and the gradient) stay cheap.');
  }
  const base = { n, m, inputs, outputs, primalFlops, jvpFlops, vjpFlops, fwdFlops, revFlops, winner, factor } as const;
  return { ...base, verdict, why: why(base), forward, reverse, relative, notes };
}
