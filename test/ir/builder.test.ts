import { describe, expect, it } from 'vitest';
import { GraphBuilder, ShapeError } from '../../src/ir/builder.ts';
import { formatGraph, graphToDot } from '../../src/ir/print.ts';
import { typecheck } from '../../src/ir/typecheck.ts';
import type { AnyNode, Graph } from '../../src/ir/graph.ts';

describe('graph builder', () => {
  it('shares structurally equal nodes (common-subexpression elimination)', () => {
    const b = new GraphBuilder();
    const x = b.input('x', [3]);
    expect(b.unary('sin', x)).toBe(b.unary('sin', x));
    expect(b.add(b.unary('sin', x), x)).toBe(b.add(b.unary('sin', x), x));
    expect(b.sum(x, [-1])).not.toBe(b.apply('reduce_max', [x], { axes: [-1] }));
  });

  it('folds scalar constants and simplifies identities without hiding broadcasts', () => {
    const b = new GraphBuilder();
    const x = b.input('x', [3]);
    const s = b.input('s', []);
    expect(b.constValue(b.mul(b.constant(2), b.add(b.constant(1), b.constant(2))))).toBe(6);
    expect(b.constValue(b.unary('exp', b.constant(0)))).toBe(1);
    expect(b.add(x, b.constant(0))).toBe(x);
    expect(b.mul(b.constant(1), x)).toBe(x);
    expect(b.neg(b.neg(x))).toBe(x);
    expect(b.node(b.mul(x, b.constant(-1))).op).toBe('neg');
    expect(b.node(b.apply('pow', [x, b.constant(2)], {})).op).toBe('square');
    // s + 0 keeps s; but s * ones-of-[3] must still produce a [3] value.
    expect(b.add(s, b.constant(0))).toBe(s);
    const stretched = b.mul(s, b.broadcast(b.constant(1), [], [3]));
    expect(b.shape(stretched)).toEqual([3]);
    const A = b.input('A', [2, 3]);
    expect(b.transpose(b.transpose(A))).toBe(A);
  });

  it('rejects ill-shaped applications with a ShapeError', () => {
    const b = new GraphBuilder();
    const x = b.input('x', [3]);
    const y = b.input('y', [4]);
    expect(() => b.add(x, y)).toThrow(ShapeError);
    expect(() => b.matmul(b.input('A', [2, 3]), b.input('B', [4, 5]))).toThrow(/inner dimensions/);
    expect(() => b.sum(x, [-2])).toThrow(ShapeError);
    expect(() => b.reshape(x, [3], [4])).toThrow(/reshape/);
  });

  it('drops nodes no output needs but keeps every input', () => {
    const b = new GraphBuilder();
    const x = b.input('x', [3]);
    b.input('unused', [2]);
    b.unary('exp', x);
    b.output('y', b.unary('sin', x));
    const g = b.finish();
    expect(g.nodes.map((n) => n.op)).toEqual(['input', 'input', 'sin']);
    expect(typecheck(g)).toEqual([]);
  });

  it('prints graphs as text and Graphviz', () => {
    const b = new GraphBuilder();
    const x = b.input('x', [3]);
    b.output('y', b.sum(b.mul(x, b.constant(2)), [-1]));
    const g = b.finish();
    expect(formatGraph(g)).toBe([
      'graph(x: [3]) {',
      '  %2 = mul(x, 2) : [3]',
      '  %3 = sum{axes -1}(%2) : scalar',
      '  return y = %3',
      '}',
    ].join('\n'));
    const dot = graphToDot(g);
    expect(dot).toMatch(/^digraph "graph" \{/);
    expect(dot).toContain('n2 -> n3;');
    expect(dot).toContain('peripheries=2, label="y"');
  });
});

describe('type checker', () => {
  const good = (): Graph => {
    const b = new GraphBuilder();
    const x = b.input('x', [2, 3]);
    b.output('y', b.transpose(x));
    return b.finish();
  };
  const mutate = (g: Graph, i: number, change: Partial<AnyNode>): Graph => ({ ...g, nodes: g.nodes.map((n, j) => (j === i ? ({ ...n, ...change } as AnyNode) : n)) });

  it('accepts a well-formed graph', () => expect(typecheck(good())).toEqual([]));
  it('catches a wrong shape', () => expect(typecheck(mutate(good(), 1, { shape: [2, 3] }))[0]).toMatch(/has shape \[2, 3\], its rule gives \[3, 2\]/));
  it('catches a forward reference', () => expect(typecheck(mutate(good(), 1, { args: [1] }))[0]).toMatch(/not an earlier node/));
  it('catches a wrong arity', () => expect(typecheck(mutate(good(), 1, { args: [0, 0] }))[0]).toMatch(/arguments/));
  it('catches bad ports', () => {
    const g = good();
    expect(typecheck({ ...g, outputs: [{ ...g.outputs[0], id: 9 }] })).toEqual(["output 'y' names no node"]);
    expect(typecheck({ ...g, inputs: [{ ...g.inputs[0], id: 1 }] })).toEqual(["input 'x' does not name an input node"]);
  });
});
