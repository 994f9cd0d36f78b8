import { describe, expect, it } from 'vitest';
import { interpret } from '../../src/backend/cpu/interpreter.ts';
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

  it('builds outer products (K = 1) as broadcast multiplies and vector transposes as reshapes, with the same values', () => {
    const b = new GraphBuilder();
    const col = b.input('col', [3, 1]);
    const row = b.input('row', [1, 4]);
    const stack = b.input('stack', [2, 3, 1]);
    const outer = b.matmul(col, row);
    expect(b.node(outer).op).toBe('mul');
    expect(b.shape(outer)).toEqual([3, 4]);
    expect(b.node(b.matmul(stack, row)).op).toBe('mul');
    expect(b.shape(b.matmul(stack, row))).toEqual([2, 3, 4]);
    // Any K > 1 keeps the matmul.
    expect(b.node(b.matmul(row, b.input('m', [4, 2]))).op).toBe('matmul');
    // Transposing a column or a row moves no element.
    const t = b.transpose(col);
    expect(b.node(t).op).toBe('reshape');
    expect(b.shape(t)).toEqual([1, 3]);
    expect(b.node(b.transpose(b.input('sq', [2, 2]))).op).toBe('transpose');
    b.output('outer', outer);
    b.output('t', t);
    const values = interpret(b.finish(), new Map([
      ['col', { shape: [3, 1], data: Float64Array.of(1, -2, 0.5) }],
      ['row', { shape: [1, 4], data: Float64Array.of(3, 0, -1, 2) }],
      ['stack', { shape: [2, 3, 1], data: new Float64Array(6) }],
      ['m', { shape: [4, 2], data: new Float64Array(8) }],
      ['sq', { shape: [2, 2], data: new Float64Array(4) }],
    ]), 'f64');
    expect(Array.from(values.get('outer')!.data)).toEqual([3, 0, -1, 2, -6, -0, 2, -4, 1.5, 0, -0.5, 1]);
    expect(Array.from(values.get('t')!.data)).toEqual([1, -2, 0.5]);
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
