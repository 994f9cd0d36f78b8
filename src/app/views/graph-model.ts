import type { AnyNode, Graph, SweepTrace } from '../../index.ts';

// What the Graph view draws and says, as plain data (no DOM): the program's graph with its plumbing
// folded away, and the words for each step of a forward or reverse sweep.

type NodeId = number;
type Op = AnyNode['op'];

/** One box of the drawing: a primal node with the nodes folded into it. */
export interface DisplayNode {
  readonly id: NodeId;
  readonly kind: 'input' | 'op';
  /** e.g. "hidden = tanh(·)", "W1 @ x", "x". */
  readonly title: string;
  /** "[5]", "[5×4]", "scalar". */
  readonly shape: string;
  /** Names of the program outputs this node is. */
  readonly outputs: readonly string[];
}

/** A drawn edge from argument to consumer; `count` > 1 when the consumer reads it several times (y * y). */
export interface DisplayEdge {
  readonly from: NodeId;
  readonly to: NodeId;
  readonly count: number;
}

export interface DisplayGraph {
  readonly graph: Graph;
  readonly nodes: readonly DisplayNode[];
  readonly edges: readonly DisplayEdge[];
  /** The box that shows primal node `id`: itself, its argument for a folded reshape, null for a constant. */
  readonly shownAs: readonly (NodeId | null)[];
}

const INFIX: Partial<Record<Op, string>> = { add: '+', sub: '−', mul: '×', div: '÷', pow: '^', matmul: '@' };
const NAMED: Partial<Record<Op, string>> = { reduce_max: 'max', maximum: 'max', minimum: 'min', greater: 'greater', equal: 'equal' };

export function formatShape(shape: readonly number[]): string {
  return shape.length === 0 ? 'scalar' : `[${shape.join('×')}]`;
}

/** A reshape that only adds or drops axes of size 1 ([4] → [4, 1]): plumbing for matmul, not worth a box. */
function isTrivialReshape(node: AnyNode): boolean {
  if (node.op !== 'reshape') return false;
  const squeeze = (s: readonly number[]) => s.filter((d) => d !== 1).join(',');
  return squeeze(node.params.from) === squeeze(node.params.to);
}

function formatConstant(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(4)));
}

const MAX_TITLE = 30;

/**
 * The program's graph as boxes and edges: inputs and operations, with trivial reshapes folded into
 * their argument and scalar constants written into their consumer's title.
 */
export function displayGraph(graph: Graph): DisplayGraph {
  const shownAs: (NodeId | null)[] = [];
  const inputName = new Map(graph.inputs.map((p) => [p.id, p.name]));
  const nameOf = (id: NodeId) => inputName.get(id) ?? graph.labels?.get(id);
  for (const n of graph.nodes) {
    shownAs[n.id] = n.op === 'const' ? null : isTrivialReshape(n) ? shownAs[n.args[0]] : n.id;
  }
  const argText = (a: NodeId): string => {
    const n = graph.nodes[a];
    if (n.op === 'const') return formatConstant(n.params.value);
    const shown = shownAs[a];
    return (shown !== null ? nameOf(shown) : undefined) ?? '·';
  };
  const expression = (n: AnyNode): string => {
    const args = n.args.map(argText);
    const infix = INFIX[n.op];
    if (infix !== undefined) return `${args[0]} ${infix} ${args[1]}`;
    if (n.op === 'neg') return `−${args[0]}`;
    if (n.op === 'sum' || n.op === 'reduce_max' || n.op === 'logsumexp') {
      const whole = n.params.axes.length === graph.nodes[n.args[0]].shape.length;
      return `${NAMED[n.op] ?? n.op}(${args[0]}${whole ? '' : `, axis ${n.params.axes.join(',')}`})`;
    }
    return `${NAMED[n.op] ?? n.op}(${args.join(', ')})`;
  };

  const outputsOf = new Map<NodeId, string[]>();
  for (const p of graph.outputs) {
    const shown = shownAs[p.id];
    if (shown !== null) outputsOf.set(shown, [...(outputsOf.get(shown) ?? []), p.name]);
  }
  const nodes: DisplayNode[] = [];
  const edgeCount = new Map<string, number>();
  for (const n of graph.nodes) {
    if (shownAs[n.id] !== n.id) continue;
    const kind = n.op === 'input' ? 'input' : 'op';
    const label = graph.labels?.get(n.id);
    let title = kind === 'input' ? inputName.get(n.id)! : label !== undefined ? `${label} = ${expression(n)}` : expression(n);
    if (title.length > MAX_TITLE) title = `${title.slice(0, MAX_TITLE - 1)}…`;
    nodes.push({ id: n.id, kind, title, shape: formatShape(n.shape), outputs: outputsOf.get(n.id) ?? [] });
    for (const a of n.args) {
      const from = shownAs[a];
      if (from === null) continue;
      const key = `${from}>${n.id}`;
      edgeCount.set(key, (edgeCount.get(key) ?? 0) + 1);
    }
  }
  const edges = [...edgeCount].map(([key, count]) => {
    const [from, to] = key.split('>').map(Number);
    return { from, to, count };
  });
  return { graph, nodes, edges, shownAs };
}

/** The boxes a sweep visits, in its order (folded reshapes share their argument's step). */
export function displayOrder(model: DisplayGraph, trace: SweepTrace): NodeId[] {
  return trace.order.filter((id) => model.shownAs[id] === id);
}

// The local rule of each primitive, in the notation of the caption: x (or a, b) the arguments, y the
// result; a dot is a tangent, a bar an adjoint. Binary rules list one term per argument, so the
// caption can drop the term of an argument the sweep does not reach.
type Rule = string | readonly [string, string];

const FORWARD: Record<Exclude<Op, 'input' | 'const'>, Rule> = {
  neg: 'ẏ = −ẋ', sin: 'ẏ = cos(x)·ẋ', cos: 'ẏ = −sin(x)·ẋ', tan: 'ẏ = (1 + y²)·ẋ', exp: 'ẏ = y·ẋ', log: 'ẏ = ẋ / x',
  sqrt: 'ẏ = ẋ / (2y)', tanh: 'ẏ = (1 − y²)·ẋ', sigmoid: 'ẏ = y·(1 − y)·ẋ', relu: 'ẏ = [x > 0]·ẋ', abs: 'ẏ = sign(x)·ẋ',
  sign: 'ẏ = 0 (sign is flat)', softplus: 'ẏ = sigmoid(x)·ẋ', square: 'ẏ = 2x·ẋ',
  add: ['ȧ', '+ ḃ'], sub: ['ȧ', '− ḃ'], mul: ['ȧ·b', '+ a·ḃ'], div: ['ȧ / b', '− a·ḃ / b²'], pow: ['b·a^(b−1)·ȧ', '+ log(a)·y·ḃ'],
  maximum: ['ȧ where a wins', '+ ḃ where b wins'], minimum: ['ȧ where a wins', '+ ḃ where b wins'],
  greater: 'ẏ = 0 (a mask)', equal: 'ẏ = 0 (a mask)',
  broadcast: 'ẏ = broadcast(ẋ)', reshape: 'ẏ = reshape(ẋ)', transpose: 'ẏ = ẋᵀ', sum: 'ẏ = Σ ẋ',
  reduce_max: 'ẏ = ẋ at the largest element', logsumexp: 'ẏ = Σ softmax(x)·ẋ', matmul: ['ȧ @ b', '+ a @ ḃ'],
};

const REVERSE: Record<Exclude<Op, 'input' | 'const'>, Rule> = {
  neg: 'x̄ += −ȳ', sin: 'x̄ += cos(x)·ȳ', cos: 'x̄ += −sin(x)·ȳ', tan: 'x̄ += (1 + y²)·ȳ', exp: 'x̄ += y·ȳ', log: 'x̄ += ȳ / x',
  sqrt: 'x̄ += ȳ / (2y)', tanh: 'x̄ += (1 − y²)·ȳ', sigmoid: 'x̄ += y·(1 − y)·ȳ', relu: 'x̄ += [x > 0]·ȳ', abs: 'x̄ += sign(x)·ȳ',
  sign: 'nothing (sign is flat)', softplus: 'x̄ += sigmoid(x)·ȳ', square: 'x̄ += 2x·ȳ',
  add: ['ā += ȳ', 'b̄ += ȳ'], sub: ['ā += ȳ', 'b̄ −= ȳ'], mul: ['ā += ȳ·b', 'b̄ += ȳ·a'], div: ['ā += ȳ / b', 'b̄ −= ȳ·a / b²'],
  pow: ['ā += ȳ·b·a^(b−1)', 'b̄ += ȳ·log(a)·y'], maximum: ['ā += ȳ where a wins', 'b̄ += ȳ where b wins'],
  minimum: ['ā += ȳ where a wins', 'b̄ += ȳ where b wins'], greater: 'nothing (a mask)', equal: 'nothing (a mask)',
  broadcast: 'x̄ += ȳ summed over the broadcast axes', reshape: 'x̄ += reshape(ȳ)', transpose: 'x̄ += ȳᵀ',
  sum: 'x̄ += ȳ, copied to every element', reduce_max: 'x̄ += ȳ at the largest element', logsumexp: 'x̄ += softmax(x)·ȳ',
  matmul: ['ā += ȳ @ bᵀ', 'b̄ += aᵀ @ ȳ'],
};

/** "x[2]", "W1[1,3]", or just "loss" for a scalar: element `index` of a port, row-major. */
export function elementName(name: string, shape: readonly number[], index: number): string {
  if (shape.length === 0) return name;
  const idx: number[] = [];
  let rest = index;
  for (let d = shape.length - 1; d >= 0; d--) {
    idx.unshift(rest % shape[d]);
    rest = Math.floor(rest / shape[d]);
  }
  return `${name}[${idx.join(',')}]`;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** Which names the letters of a binary rule stand for, when they have names. */
function letters(model: DisplayGraph, node: AnyNode, used: readonly boolean[]): string {
  const names = node.args.map((a, i) => {
    const arg = model.graph.nodes[a];
    const shown = model.shownAs[a];
    const name = arg.op === 'const' ? formatConstant(arg.params.value) : shown === null ? undefined : model.nodes.find((d) => d.id === shown)?.title.split(' = ')[0];
    return used[i] && name !== undefined && name.length <= 12 && !name.includes(' ') ? `${'ab'[i]} = ${name}` : null;
  }).filter((s) => s !== null);
  return names.length > 0 ? ` (${names.join(', ')})` : '';
}

/** The rule applied at `node`, keeping the terms of the arguments that carry a tangent or take an adjoint. */
function ruleText(model: DisplayGraph, node: AnyNode, mode: 'fwd' | 'rev', active: (arg: NodeId) => boolean): string {
  if (node.op === 'input' || node.op === 'const') return '';
  const rule = (mode === 'fwd' ? FORWARD : REVERSE)[node.op];
  if (typeof rule === 'string') return rule;
  const used = node.args.map(active);
  const terms = rule.filter((_, i) => used[i]);
  const formula = mode === 'fwd' ? `ẏ = ${terms.join(' ').replace(/^\+ /, '')}` : terms.join(', ');
  const fixed = used.indexOf(false);
  if (fixed >= 0 && mode === 'fwd') {
    const named = letters(model, node, used.map((_, i) => i === fixed)).slice(2, -1);
    const constant = model.graph.nodes[node.args[fixed]].op === 'const';
    return `${formula} (${named || 'the other argument'} ${constant ? 'is a constant' : 'is held fixed: its tangent is 0'})`;
  }
  return `${formula}${letters(model, node, used)}`;
}

/** Uses of each box by the boxes in `among` (each argument slot counts: y * y is two uses of y). */
export function usesAmong(model: DisplayGraph, among: ReadonlySet<NodeId>): Map<NodeId, number> {
  const uses = new Map<NodeId, number>();
  for (const e of model.edges) if (among.has(e.to)) uses.set(e.from, (uses.get(e.from) ?? 0) + e.count);
  return uses;
}

/**
 * What happens at one step of the sweep, in words: the seed, or the node's local rule ("tanh:
 * ẏ = (1 − y²)·ẋ"), and in reverse mode how many uses the adjoint gathered before it was complete.
 */
export function stepCaption(model: DisplayGraph, trace: SweepTrace, id: NodeId, seedName: string): string {
  const node = model.graph.nodes[id];
  const box = model.nodes.find((d) => d.id === id)!;
  const seedPort = trace.mode === 'fwd' ? model.graph.inputs.find((p) => p.name === trace.input) : model.graph.outputs.find((p) => p.name === trace.output);
  const isSeed = seedPort !== undefined && model.shownAs[seedPort.id] === id;
  if (trace.mode === 'fwd') {
    if (isSeed) return `Seed: ẋ = e — ${seedName} gets tangent 1 and every other element of ${trace.input} gets 0. Forward mode now pushes this one direction to every output.`;
    const reached = new Set(trace.order);
    return `${box.title} — ${ruleText(model, node, 'fwd', (a) => reached.has(a))}.`;
  }
  const needed = new Set(trace.order);
  const uses = usesAmong(model, needed).get(id) ?? 0;
  const name = box.kind === 'input' ? box.title : box.title.split(' = ')[0];
  const passes = node.op === 'input' ? '' : ` It passes back ${ruleText(model, node, 'rev', (a) => needed.has(a) && model.graph.nodes[a].op !== 'const')}.`;
  if (isSeed) {
    const extra = uses > 0 ? `, plus ${plural(uses, 'use')} downstream` : '';
    return `Seed: ȳ = e — ${seedName} gets adjoint 1, every other element 0${extra}.${passes}`;
  }
  const done = node.op === 'input'
    ? `adjoint of ${name} is final: ∂${seedName}/∂${name}, accumulated from ${plural(uses, 'use')}.`
    : `${box.title} — its adjoint accumulates from ${plural(uses, 'use')} and is now complete.`;
  return `${done}${passes}`;
}
