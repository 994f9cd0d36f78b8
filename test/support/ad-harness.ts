import { interpret } from '../../src/backend/cpu/interpreter.ts';
import type { Tensor } from '../../src/backend/cpu/tensor.ts';
import { jvp } from '../../src/ad/jvp.ts';
import { vjp } from '../../src/ad/vjp.ts';
import { hvpGraph, hvpOutputName } from '../../src/ad/hvp.ts';
import { GraphBuilder } from '../../src/ir/builder.ts';
import { cotangentName, tangentName, type Graph, type NodeId } from '../../src/ir/graph.ts';
import { numel, type Shape } from '../../src/ir/shape.ts';
import { typecheck } from '../../src/ir/typecheck.ts';
import { rng } from '../../src/api/random.ts';

/** A differentiable test function: argument shapes, a builder, and a sampler for its domain. */
export interface AdCase {
  readonly name: string;
  readonly shapes: readonly Shape[];
  readonly build: (b: GraphBuilder, args: readonly NodeId[]) => NodeId;
  /** One input value from a uniform sample u in [0, 1); default: uniform in [-2, 2]. */
  readonly sample?: (u: number, arg: number) => number;
}

export type Values = Record<string, Float64Array>;

const argName = (i: number) => `a${i}`;

/** The case as a graph with inputs a0, a1, … and output y. */
export function graphOf(c: AdCase): Graph {
  const b = new GraphBuilder();
  const args = c.shapes.map((s, i) => b.input(argName(i), s));
  b.output('y', c.build(b, args));
  return b.finish();
}

export function inputNames(c: AdCase): string[] {
  return c.shapes.map((_, i) => argName(i));
}

export function sampleInputs(c: AdCase, seed: number): Values {
  const next = rng(seed);
  const sample = c.sample ?? ((u) => 4 * u - 2);
  return Object.fromEntries(c.shapes.map((s, i) => [argName(i), Float64Array.from({ length: numel(s) }, () => sample(next(), i))]));
}

export function randomLike(shapes: Record<string, Shape>, seed: number, batch: Shape = []): Values {
  const next = rng(seed);
  return Object.fromEntries(Object.entries(shapes).map(([k, s]) => [k, Float64Array.from({ length: numel(batch) * numel(s) }, () => 2 * next() - 1)]));
}

/** Runs `graph` in f64, feeding each named value with the shape its input node declares. */
export function run(graph: Graph, values: Values): Record<string, Float64Array> {
  const feed = new Map<string, Tensor>();
  for (const p of graph.inputs) {
    const data = values[p.name];
    if (data === undefined) throw new Error(`test feeds no value for ${p.name}`);
    feed.set(p.name, { shape: graph.nodes[p.id].shape, data });
  }
  const out = interpret(graph, feed, 'f64');
  return Object.fromEntries([...out].map(([k, t]) => [k, Float64Array.from(t.data)]));
}

export function shapesOf(graph: Graph, ports: 'inputs' | 'outputs'): Record<string, Shape> {
  return Object.fromEntries(graph[ports].filter((p) => p.role === 'primal').map((p) => [p.name, graph.nodes[p.id].shape]));
}

export function axpy(x: Values, v: Values, h: number): Values {
  return Object.fromEntries(Object.keys(x).map((k) => [k, x[k].map((xi, i) => xi + h * v[k][i])]));
}

export function dot(a: Values, b: Values): number {
  let s = 0;
  for (const k of Object.keys(a)) for (let i = 0; i < a[k].length; i++) s += a[k][i] * b[k][i];
  return s;
}

/** Central difference (f(x + hv) - f(x - hv)) / 2h of every output. */
export function centralDifference(f: (x: Values) => Record<string, Float64Array>, x: Values, v: Values, h = 1e-5): Record<string, Float64Array> {
  const plus = f(axpy(x, v, h));
  const minus = f(axpy(x, v, -h));
  return Object.fromEntries(Object.keys(plus).map((k) => [k, plus[k].map((p, i) => (p - minus[k][i]) / (2 * h))]));
}

export const withSuffix = (values: Values, name: (k: string) => string): Values => Object.fromEntries(Object.entries(values).map(([k, v]) => [name(k), v]));

/** Every derived graph of a case passes the type checker. */
export function derivedGraphs(graph: Graph, k: number): Record<string, Graph> {
  const scalar = scalarized(graph);
  return { jvp: jvp(graph, [k]), vjp: vjp(graph, [k]), hvp: hvpGraph(scalar, 'loss', [k]) };
}

/** loss = Σ y ⊙ w with a fixed weight input w: a scalar function for gradient and HVP checks. */
export function scalarized(graph: Graph): Graph {
  const b = new GraphBuilder();
  const ids: NodeId[] = [];
  for (const p of graph.inputs) ids[p.id] = b.input(p.name, graph.nodes[p.id].shape);
  const y = graph.outputs[0];
  const w = b.input('w', graph.nodes[y.id].shape);
  for (const n of graph.nodes) {
    if (n.op === 'input') continue;
    ids[n.id] = n.op === 'const' ? b.constant(n.params.value) : b.apply(n.op, n.args.map((a) => ids[a]), n.params);
  }
  const yShape = graph.nodes[y.id].shape;
  b.output('loss', b.sum(b.mul(ids[y.id], w), yShape.map((_, i) => i - yShape.length)));
  return b.finish();
}

export { cotangentName, tangentName, hvpOutputName, typecheck, jvp, vjp, hvpGraph };
