import { PRIMITIVES } from '../prims/table.ts';
import type { AnyNode, Graph, GraphPort, NodeId, Role } from './graph.ts';
import type { NodeParams, Op, Prim, PrimParams, UnaryPrim } from './primitives.ts';
import { formatShape, shapesEqual, type Shape } from './shape.ts';

/** A shape rule rejected its arguments: an engine bug if it escapes a transform, a user error in the front end. */
export class ShapeError extends Error {}

/**
 * Builds a graph one node at a time. Nodes are hash-consed (structurally equal nodes are shared, which
 * is common-subexpression elimination), scalar constants are folded, algebraic identities such as
 * x + 0 and x * 1 are simplified, and `finish` drops nodes no output needs.
 */
export class GraphBuilder {
  private readonly nodes: AnyNode[] = [];
  private readonly memo = new Map<string, NodeId>();
  private readonly inputs: GraphPort[] = [];
  private readonly outputs: GraphPort[] = [];
  private readonly labels = new Map<NodeId, string>();

  input(name: string, shape: Shape, role: Role = 'primal', of: string = name): NodeId {
    if (this.inputs.some((p) => p.name === name)) throw new Error(`duplicate graph input '${name}'`);
    const id = this.push('input', [], { name }, shape);
    this.inputs.push({ name, role, of, id });
    return id;
  }

  output(name: string, id: NodeId, role: Role = 'primal', of: string = name): void {
    if (this.outputs.some((p) => p.name === name)) throw new Error(`duplicate graph output '${name}'`);
    this.outputs.push({ name, role, of, id });
  }

  constant(value: number): NodeId {
    return this.intern('const', [], { value: Object.is(value, -0) ? 0 : value }, []);
  }

  /** Give a node a display name (the first name given wins; inputs keep their own). */
  label(id: NodeId, name: string): void {
    if (!this.labels.has(id) && this.nodes[id].op !== 'input' && this.nodes[id].op !== 'const') this.labels.set(id, name);
  }

  labelOf(id: NodeId): string | undefined {
    return this.labels.get(id);
  }

  shape(id: NodeId): Shape {
    return this.nodes[id].shape;
  }

  node(id: NodeId): AnyNode {
    return this.nodes[id];
  }

  /** The value of a scalar constant node, or undefined. */
  constValue(id: NodeId): number | undefined {
    const n = this.nodes[id];
    return n.op === 'const' ? n.params.value : undefined;
  }

  /** Apply a primitive, checking shapes. Throws ShapeError when the arguments do not fit. */
  apply<P extends Prim>(prim: P, args: readonly NodeId[], params: PrimParams[P]): NodeId {
    const def = PRIMITIVES[prim];
    if (args.length !== def.arity) throw new ShapeError(`${prim} takes ${def.arity} arguments, got ${args.length}`);
    const argShapes = args.map((a) => this.nodes[a].shape);
    const shape = def.shape(argShapes, params);
    if (typeof shape === 'string') throw new ShapeError(shape);
    const simpler = this.simplify(prim, args, params, shape);
    if (simpler !== undefined) return simpler;
    return this.intern(prim, args, params as NodeParams[P], shape);
  }

  // Shorthands used throughout the rules.
  add(a: NodeId, b: NodeId): NodeId { return this.apply('add', [a, b], {}); }
  sub(a: NodeId, b: NodeId): NodeId { return this.apply('sub', [a, b], {}); }
  mul(a: NodeId, b: NodeId): NodeId { return this.apply('mul', [a, b], {}); }
  div(a: NodeId, b: NodeId): NodeId { return this.apply('div', [a, b], {}); }
  neg(a: NodeId): NodeId { return this.apply('neg', [a], {}); }
  unary(prim: UnaryPrim, a: NodeId): NodeId { return this.apply(prim, [a], {}); }
  matmul(a: NodeId, b: NodeId): NodeId { return this.apply('matmul', [a, b], {}); }
  transpose(a: NodeId): NodeId { return this.apply('transpose', [a], {}); }
  sum(a: NodeId, axes: readonly number[]): NodeId { return this.apply('sum', [a], { axes }); }
  broadcast(a: NodeId, from: Shape, to: Shape): NodeId { return this.apply('broadcast', [a], { from, to }); }
  reshape(a: NodeId, from: Shape, to: Shape): NodeId { return this.apply('reshape', [a], { from, to }); }
  /** A tensor of zeros with this (full) shape. */
  zeros(shape: Shape): NodeId { return this.broadcast(this.constant(0), [], shape); }

  /** The finished graph, keeping only nodes that an output needs (inputs are always kept). */
  finish(): Graph {
    const live = new Uint8Array(this.nodes.length);
    for (const p of this.inputs) live[p.id] = 1;
    const stack = this.outputs.map((p) => p.id);
    while (stack.length > 0) {
      const id = stack.pop()!;
      if (live[id] === 2) continue;
      live[id] = 2;
      for (const a of this.nodes[id].args) stack.push(a);
    }
    const renumber = new Map<NodeId, NodeId>();
    const nodes: AnyNode[] = [];
    for (const n of this.nodes) {
      if (!live[n.id]) continue;
      const id = nodes.length;
      renumber.set(n.id, id);
      nodes.push({ ...n, id, args: n.args.map((a) => renumber.get(a)!) } as AnyNode);
    }
    const port = (p: GraphPort): GraphPort => ({ ...p, id: renumber.get(p.id)! });
    const labels = new Map<NodeId, string>();
    for (const [id, name] of this.labels) if (renumber.has(id)) labels.set(renumber.get(id)!, name);
    return { inputs: this.inputs.map(port), nodes, outputs: this.outputs.map(port), labels };
  }

  private push<O extends Op>(op: O, args: readonly NodeId[], params: NodeParams[O], shape: Shape): NodeId {
    const id = this.nodes.length;
    this.nodes.push({ id, op, args, params, shape } as unknown as AnyNode);
    return id;
  }

  private intern<O extends Op>(op: O, args: readonly NodeId[], params: NodeParams[O], shape: Shape): NodeId {
    // Non-finite numbers spelled out: JSON would turn ±Infinity and NaN all into null and merge them.
    const key = `${op}(${args.join(',')})${JSON.stringify(params, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v))}`;
    const hit = this.memo.get(key);
    if (hit !== undefined) return hit;
    const id = this.push(op, args, params, shape);
    this.memo.set(key, id);
    return id;
  }

  /** A cheaper equivalent node when one exists; undefined to build the node as asked. */
  private simplify<P extends Prim>(prim: P, args: readonly NodeId[], params: PrimParams[P], shape: Shape): NodeId | undefined {
    const consts = args.map((a) => this.constValue(a));
    const fold = PRIMITIVES[prim].fold;
    if (fold && consts.every((c) => c !== undefined)) return this.constant(fold(...(consts as number[])));
    const [a, b] = args;
    const [ca, cb] = consts;
    // Only drop an operand when the survivor already has the result's shape (no broadcast hidden in it).
    const keeps = (id: NodeId) => shapesEqual(this.nodes[id].shape, shape);
    switch (prim) {
      case 'add':
        if (cb === 0 && keeps(a)) return a;
        if (ca === 0 && keeps(b)) return b;
        return undefined;
      case 'sub':
        if (cb === 0 && keeps(a)) return a;
        if (ca === 0 && keeps(b)) return this.neg(b);
        return undefined;
      case 'mul':
        if (cb === 1 && keeps(a)) return a;
        if (ca === 1 && keeps(b)) return b;
        if (cb === -1 && keeps(a)) return this.neg(a);
        if (ca === -1 && keeps(b)) return this.neg(b);
        return undefined;
      case 'div':
        if (cb === 1 && keeps(a)) return a;
        return undefined;
      case 'pow':
        if (cb === 1 && keeps(a)) return a;
        if (cb === 2) return this.unary('square', a);
        return undefined;
      case 'neg': {
        const inner = this.nodes[a];
        return inner.op === 'neg' ? inner.args[0] : undefined;
      }
      case 'transpose': {
        const inner = this.nodes[a];
        if (inner.op === 'transpose') return inner.args[0];
        // Swapping a dim of size 1 moves no element: a row or column vector's transpose is a reshape (a view).
        const from = inner.shape;
        return from[from.length - 1] === 1 || from[from.length - 2] === 1 ? this.reshape(a, from, shape) : undefined;
      }
      case 'broadcast':
      case 'reshape': {
        const p = params as PrimParams['reshape'];
        if (shapesEqual(p.from, p.to)) return a;
        const inner = this.nodes[a];
        if (prim === 'reshape' && inner.op === 'reshape' && shapesEqual(inner.params.to, p.from)) {
          return this.reshape(inner.args[0], inner.params.from, p.to);
        }
        return undefined;
      }
      case 'sum':
        return (params as PrimParams['sum']).axes.length === 0 ? a : undefined;
      case 'matmul': {
        // An outer product (matrices with K = 1: reverse mode makes one for every W in W @ x) has no sum:
        // it is a broadcast multiply, which fuses with its neighbours instead of running a GEMM whose
        // tiles are almost empty (256×1 · 1×256 on SwiftShader: GEMM 16 ms, elementwise 1.2 ms).
        const sa = this.nodes[a].shape;
        if (sa[sa.length - 1] !== 1) return undefined;
        const product = this.mul(a, b);
        return shapesEqual(this.nodes[product].shape, shape) ? product : undefined;
      }
      default:
        return undefined;
    }
  }
}

/** "[3, 4] and [5]" — for shape error messages. */
export function describeShapes(shapes: readonly Shape[]): string {
  return shapes.map(formatShape).join(' and ');
}
