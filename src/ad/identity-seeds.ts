import { GraphBuilder } from '../ir/builder.ts';
import type { AnyNode, Graph, NodeId } from '../ir/graph.ts';
import { isElementwise } from '../ir/primitives.ts';
import { normalizeAxis, numel, shapesEqual, type Shape } from '../ir/shape.ts';

/**
 * A value known to be a scaled identity: shape [k, ...core] with numel(core) = k, and element
 * [j, f] (f the flattened core index) equal to δ_jf · d[f]. `d` has shape `core`; null means all ones.
 */
interface ScaledIdentity {
  readonly core: Shape;
  readonly d: NodeId | null;
}

/**
 * A value held as its columns: shape [k, ...core] with element [j, f] equal to x[f, j], for a dense x of
 * shape [numel(core), k]. Forward mode's first product becomes this (column j of W is seed j's
 * tangent), and everything up to the outputs can stay in that layout, where it needs no transpose.
 */
interface Columns {
  readonly core: Shape;
  readonly x: NodeId;
}

/** Name of the extra output that holds an output's columns (see `foldIdentitySeed`'s `columns`). */
export const columnsName = (name: string): string => `${name}.columns`;

/**
 * Specialises a batched JVP or VJP graph to the identity seed that a full Jacobian feeds it: the seed
 * input `seed` (shape [k, ...core], k = numel(core)) is I. Instead of materialising I and pushing it
 * through, the identity is kept symbolic while it only meets diagonal operations (elementwise scaling
 * by batch-invariant factors, reshapes, sums, other scaled identities), and the first matrix product
 * it meets becomes a scaled copy of the other operand: W · diag(d) has column j equal to d_j W[:, j],
 * so for a layer tanh(W x + b) the forward-mode Jacobian needs no matrix product at all (J = diag(1 −
 * y²) W), and a 2-layer MLP needs one where identity seeds need two. Anything else gets the identity
 * materialised from the seed input, so the result equals the dense graph on I for every graph.
 *
 * The seed input stays in the graph only when something still reads it (check with `findInput`).
 * With `columns`, an output that ends up held as columns (forward mode: column j of the Jacobian is seed
 * j's tangent) is given as `columnsName(output)` of shape [numel(output core), k] instead of as itself,
 * which is the Jacobian block as it is stored, with no transpose on either side.
 * Not applied by default: it changes what forward and reverse mode cost, the lesson the playground
 * and the main benchmark measure (see JacobianOptions.foldSeeds).
 */
export function foldIdentitySeed(graph: Graph, seed: string, { columns = false }: { columns?: boolean } = {}): Graph {
  const port = graph.inputs.find((p) => p.name === seed);
  if (port === undefined) throw new Error(`internal error: no seed input '${seed}' to fold`);
  const [k, ...seedCore] = graph.nodes[port.id].shape;
  if (k !== numel(seedCore)) throw new Error(`internal error: seed '${seed}' is not a square identity`);

  const b = new GraphBuilder();
  const value: (NodeId | undefined)[] = [];
  const scaled: (ScaledIdentity | undefined)[] = [];
  const held: (Columns | undefined)[] = [];
  let seedNode: NodeId | undefined;

  const ones = (core: Shape) => b.broadcast(b.constant(1), [], core);
  const diagonal = (s: ScaledIdentity) => s.d ?? ones(s.core);
  /** The dense value of a node: columns are transposed back, a scaled identity is built from the (then real) seed input. */
  const dense = (id: NodeId): NodeId => {
    const h = held[id];
    if (h !== undefined) return b.reshape(b.transpose(h.x), [numel(h.core)], h.core);
    const s = scaled[id];
    if (s === undefined) return value[id]!;
    seedNode ??= b.input(port.name, [k, ...seedCore], port.role, port.of);
    const eye = b.reshape(seedNode, seedCore, s.core);
    return s.d === null ? eye : b.mul(eye, s.d);
  };

  for (const p of graph.inputs) {
    if (p.id === port.id) scaled[p.id] = { core: seedCore, d: null };
    else value[p.id] = b.input(p.name, graph.nodes[p.id].shape, p.role, p.of);
  }
  for (const node of graph.nodes) {
    if (node.op === 'input') continue;
    if (node.op === 'const') {
      value[node.id] = b.constant(node.params.value);
      continue;
    }
    const folded = node.args.some((a) => scaled[a] !== undefined) ? fold(node)
      : node.args.some((a) => held[a] !== undefined) ? keepColumns(node) : undefined;
    if (folded === undefined) value[node.id] = b.apply(node.op, node.args.map(dense), node.params);
    else if ('d' in folded) scaled[node.id] = folded;
    else if ('x' in folded) held[node.id] = folded;
    else value[node.id] = folded.value;
    const label = graph.labels?.get(node.id);
    if (label !== undefined && value[node.id] !== undefined) b.label(value[node.id]!, label);
  }
  for (const p of graph.outputs) {
    const h = held[p.id];
    if (columns && h !== undefined) b.output(columnsName(p.name), h.x, p.role, p.of);
    else b.output(p.name, dense(p.id), p.role, p.of);
  }
  return b.finish();

  /** A node with a scaled-identity argument: its scaled identity, a cheap dense value, or undefined (materialise). */
  function fold(node: AnyNode): ScaledIdentity | Columns | { value: NodeId } | undefined {
    const [x, y] = node.args.map((a) => scaled[a]);
    switch (node.op) {
      case 'reshape': {
        const { from, to } = node.params;
        // Only a reshape of the core keeps element [j, f] at the same flattened f.
        if (node.shape.length !== to.length + 1) return undefined;
        return { core: to, d: x!.d === null ? null : b.reshape(x!.d, from, to) };
      }
      case 'neg':
        return { core: x!.core, d: b.neg(diagonal(x!)) };
      case 'mul':
      case 'div': {
        const [a, c] = node.args;
        if (x !== undefined && y !== undefined) {
          return node.op === 'mul' && shapesEqual(x.core, y.core) ? { core: x.core, d: b.mul(diagonal(x), diagonal(y)) } : undefined;
        }
        // diag(d) scaled elementwise by a factor that is the same for every seed stays diagonal.
        const s = (x ?? y)!;
        const factor = x !== undefined ? c : a;
        if (!batchInvariant(factor, s.core) || !shapesEqual(node.shape, [k, ...s.core])) return undefined;
        if (node.op === 'div' && x === undefined) return undefined;
        const f = value[factor]!;
        if (node.op === 'div') return { core: s.core, d: b.div(diagonal(s), f) };
        if (s.d !== null) return { core: s.core, d: b.mul(s.d, f) };
        return { core: s.core, d: shapesEqual(b.shape(f), s.core) ? f : b.broadcast(f, b.shape(f), s.core) };
      }
      case 'add':
      case 'sub':
        if (x === undefined || y === undefined || !shapesEqual(x.core, y.core)) return undefined;
        return { core: x.core, d: b.apply(node.op, [diagonal(x), diagonal(y)], {}) };
      case 'sum': {
        // Summing every core axis of diag(d) leaves d itself, one entry per seed.
        return sumsWholeCore(node.params.axes, x!.core) ? { value: b.reshape(diagonal(x!), x!.core, [k]) } : undefined;
      }
      case 'matmul': {
        const [a, c] = node.args;
        if (y !== undefined && x === undefined && y.core.length === 2 && y.core[1] === 1 && isMatrix(a, y.core[0], 1)) {
          // A · diag(d) as k column vectors: seed j gives d_j A[:, j], column j of A diag(d). Reverse mode's
          // A is Wᵀ: its rows, d_j W[j, :], are W's own (the builder cancels the two transposes).
          const [p, q] = b.shape(value[a]!);
          if (b.node(value[a]!).op === 'transpose') {
            const At = b.transpose(value[a]!);
            const rows = y.d === null ? At : b.mul(At, b.reshape(y.d, y.core, [q, 1]));
            return { value: b.reshape(rows, [q, p], [q, p, 1]) };
          }
          return { core: [p, 1], x: y.d === null ? value[a]! : b.mul(value[a]!, b.reshape(y.d, y.core, [1, q])) };
        }
        if (x !== undefined && y === undefined && x.core.length === 2 && x.core[0] === 1 && isMatrix(c, x.core[1], 0)) {
          // diag(d) · A as k row vectors: seed j gives d_j A[j, :].
          const [q, r] = b.shape(value[c]!);
          const rows = x.d === null ? value[c]! : b.mul(value[c]!, b.reshape(x.d, x.core, [q, 1]));
          return { value: b.reshape(rows, [q, r], [q, 1, r]) };
        }
        return undefined;
      }
      default:
        return undefined;
    }
  }

  /** A node with an argument held as columns: its columns, a cheap dense value, or undefined (materialise). */
  function keepColumns(node: AnyNode): Columns | { value: NodeId } | undefined {
    const [x, y] = node.args.map((a) => held[a]);
    const asColumn = (core: Shape, f: NodeId) => {
      // A factor broadcast over the seeds: one value per row of x.
      const full = shapesEqual(b.shape(f), core) ? f : b.broadcast(f, b.shape(f), core);
      return b.reshape(full, core, [numel(core), 1]);
    };
    if (node.op === 'reshape') {
      return node.shape.length === node.params.to.length + 1 ? { core: node.params.to, x: x!.x } : undefined;
    }
    if (isElementwise(node.op) && node.args.length === 1) return { core: x!.core, x: b.apply(node.op, [x!.x], {}) };
    if (isElementwise(node.op)) {
      const [a, c] = node.args;
      if (x !== undefined && y !== undefined) {
        return shapesEqual(x.core, y.core) ? { core: x.core, x: b.apply(node.op, [x.x, y.x], {}) } : undefined;
      }
      const h = (x ?? y)!;
      const factor = x !== undefined ? c : a;
      if (!batchInvariant(factor, h.core) || !shapesEqual(node.shape, [k, ...h.core])) return undefined;
      const f = asColumn(h.core, value[factor]!);
      return { core: h.core, x: b.apply(node.op, x !== undefined ? [h.x, f] : [f, h.x], {}) };
    }
    if (node.op === 'matmul') {
      // A applied to k columns is one product with the matrix of those columns.
      const [a] = node.args;
      if (y !== undefined && x === undefined && y.core.length === 2 && y.core[1] === 1 && isMatrix(a, y.core[0], 1)) {
        return { core: [b.shape(value[a]!)[0], 1], x: b.matmul(value[a]!, y.x) };
      }
      return undefined;
    }
    // Each seed's sum over its whole core is a column sum of x.
    if (node.op === 'sum') return sumsWholeCore(node.params.axes, x!.core) ? { value: b.sum(x!.x, [-2]) } : undefined;
    return undefined;
  }

  /** Whether a sum over `axes` of a [k, ...core] value reduces every core axis and keeps the seeds. */
  function sumsWholeCore(axes: readonly number[], core: Shape): boolean {
    const reduced = new Set(axes.map((a) => normalizeAxis(a, core.length + 1)));
    return reduced.size === core.length && [...reduced].every((a) => a !== null && a >= 1);
  }

  /** Seed-free, and broadcasting within the core (the same for every seed). */
  function batchInvariant(id: NodeId, core: Shape): boolean {
    return scaled[id] === undefined && held[id] === undefined && b.shape(value[id]!).length <= core.length;
  }

  /** A plain (unbatched, seed-free) matrix whose dimension `axis` is `size`. */
  function isMatrix(id: NodeId, size: number, axis: 0 | 1): boolean {
    if (scaled[id] !== undefined || held[id] !== undefined) return false;
    const shape = b.shape(value[id]!);
    return shape.length === 2 && shape[axis] === size;
  }
}
