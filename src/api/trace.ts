import { jvp } from '../ad/jvp.ts';
import { vjp } from '../ad/vjp.ts';
import type { Tensor } from '../backend/cpu/tensor.ts';
import { GraphBuilder } from '../ir/builder.ts';
import { cotangentName, tangentName, type Graph, type GraphPort, type NodeId } from '../ir/graph.ts';
import { numel } from '../ir/shape.ts';
import type { PortInfo } from '../lang/lower.ts';
import { runtimeError } from './errors.ts';
import type { Program, RunOptions, RunStats } from './program.ts';
import type { Values } from './values.ts';

// Sweep traces for teaching: every primal node's value together with its tangent (forward mode, one
// unit direction) or its adjoint (reverse mode, one unit seed). Both come from the ordinary derived
// graphs, built from a slightly widened primal graph:
//   - forward: every node is also an output, so the JVP graph returns each node's value and tangent;
//   - reverse: every node's value v is replaced by v + p with a zero "probe" input p, and the VJP
//     returns p̄ = ∂output/∂v, the adjoint of the node, as the cotangent of that probe.
// Probes are needed because adjoints cannot be read off the cotangents of the linearized graph: the
// builder shares tangent nodes (for z = x + 1, ż is the very node ẋ), and the cotangent of a shared
// node is the sum over all its uses, i.e. x̄, not z̄.

/** Forward sweep from the unit direction e_index on one input. */
export interface ForwardTrace {
  readonly mode: 'fwd';
  readonly input: string;
  readonly index: number;
  /** Indexed by primal NodeId: each node's value and its tangent ẋ (zeros where the direction does not reach). */
  readonly values: readonly Tensor[];
  readonly tangents: readonly Tensor[];
  /** Nodes the tangent reaches, in the order forward mode computes them: the seeded input first. */
  readonly order: readonly NodeId[];
  /** The output tangents: column `index` of the Jacobian blocks ∂output/∂input. */
  readonly outputTangents: Record<string, Tensor>;
  readonly stats: RunStats;
}

/** Reverse sweep from the unit seed e_index on one output. */
export interface ReverseTrace {
  readonly mode: 'rev';
  readonly output: string;
  readonly index: number;
  /** Indexed by primal NodeId: each node's value and its adjoint x̄ = ∂output[index]/∂x (zeros off the path). */
  readonly values: readonly Tensor[];
  readonly adjoints: readonly Tensor[];
  /** Non-constant nodes the output depends on, in the order reverse mode completes their adjoints: the seeded output first. */
  readonly order: readonly NodeId[];
  /** The input adjoints: row `index` of the Jacobian blocks ∂output/∂input. */
  readonly inputAdjoints: Record<string, Tensor>;
  readonly stats: RunStats;
}

export type SweepTrace = ForwardTrace | ReverseTrace;

/** Output name under which the widened graphs return node `id`'s value (`#` never starts a user name). */
const nodeOutput = (id: NodeId) => `#${id}`;
const probeInput = (id: NodeId) => `#${id}.probe`;

/** The primal graph with every node also returned as an output `#id`. */
function exposeAll(graph: Graph): Graph {
  const extra: GraphPort[] = graph.nodes.map((n) => ({ name: nodeOutput(n.id), role: 'primal', of: nodeOutput(n.id), id: n.id }));
  return { ...graph, outputs: [...graph.outputs, ...extra] };
}

/** The primal graph with a zero probe added to every computed node's value, and every node returned. */
function withProbes(graph: Graph): Graph {
  const b = new GraphBuilder();
  const id: NodeId[] = [];
  for (const port of graph.inputs) id[port.id] = b.input(port.name, graph.nodes[port.id].shape, port.role, port.of);
  for (const node of graph.nodes) {
    if (node.op === 'input') continue;
    if (node.op === 'const') {
      id[node.id] = b.constant(node.params.value);
      continue;
    }
    const value = b.apply(node.op, node.args.map((a) => id[a]), node.params);
    id[node.id] = b.add(value, b.input(probeInput(node.id), node.shape));
  }
  for (const port of graph.outputs) b.output(port.name, id[port.id], port.role, port.of);
  for (const node of graph.nodes) b.output(nodeOutput(node.id), id[node.id]);
  return b.finish();
}

/** Nodes reachable from `start` along the graph's edges, forwards (consumers) or backwards (arguments). */
function reachable(graph: Graph, start: NodeId, direction: 'down' | 'up'): Uint8Array {
  const seen = new Uint8Array(graph.nodes.length);
  seen[start] = 1;
  if (direction === 'down') {
    for (const n of graph.nodes) if (n.args.some((a) => seen[a])) seen[n.id] = 1;
  } else {
    for (let id = start; id >= 0; id--) if (seen[id]) for (const a of graph.nodes[id].args) seen[a] = 1;
  }
  return seen;
}

function unitVector(port: PortInfo, index: number, what: string): Tensor {
  const size = numel(port.shape);
  if (!Number.isInteger(index) || index < 0 || index >= size) {
    throw runtimeError('invalid-value', `${what} '${port.name}' has ${size} element${size === 1 ? '' : 's'}; index ${index} is out of range`);
  }
  const data = new Float64Array(size);
  data[index] = 1;
  return { shape: port.shape, data };
}

function scalarConst(value: number): Tensor {
  return { shape: [], data: Float64Array.of(value) };
}

/**
 * Forward mode, traced: pushes the unit direction e_index on `input` through the program and returns
 * every primal node's value and tangent, with the order in which the tangent reaches them.
 */
export async function traceForward(program: Program, inputs: Values, seed: { input: string; index: number }, options: RunOptions = {}): Promise<ForwardTrace> {
  const [port] = program.selectPorts([seed.input], program.inputs, 'input');
  const direction = unitVector(port, seed.index, 'input');
  const { graph } = program;
  const derived = jvp(exposeAll(graph), [], { wrt: [port.name] });
  const feed = program.inputValues(inputs);
  feed.set(tangentName(port.name), direction);
  const { values, stats } = await program.run(derived, feed, options);
  const valueOf = (id: NodeId) => values.get(nodeOutput(id))!;
  const start = graph.inputs.find((p) => p.name === port.name)!.id;
  const reached = reachable(graph, start, 'down');
  return {
    mode: 'fwd',
    input: port.name,
    index: seed.index,
    values: graph.nodes.map((n) => (n.op === 'const' ? scalarConst(n.params.value) : valueOf(n.id))),
    tangents: graph.nodes.map((n) => (n.op === 'const' ? scalarConst(0) : values.get(tangentName(nodeOutput(n.id)))!)),
    order: graph.nodes.filter((n) => reached[n.id]).map((n) => n.id),
    outputTangents: Object.fromEntries(program.outputs.map((p) => [p.name, values.get(tangentName(p.name))!])),
    stats,
  };
}

/**
 * Reverse mode, traced: pulls the unit seed e_index on `output` back through the program and returns
 * every primal node's value and adjoint, with the order in which reverse mode completes the adjoints.
 */
export async function traceReverse(program: Program, inputs: Values, seed: { output: string; index: number }, options: RunOptions = {}): Promise<ReverseTrace> {
  const [port] = program.selectPorts([seed.output], program.outputs, 'output');
  const cotangent = unitVector(port, seed.index, 'output');
  const { graph } = program;
  const derived = vjp(withProbes(graph), [], { outputs: [port.name] });
  const feed = program.inputValues(inputs);
  feed.set(cotangentName(port.name), cotangent);
  for (const n of graph.nodes) {
    if (n.op !== 'input' && n.op !== 'const') feed.set(probeInput(n.id), { shape: n.shape, data: new Float64Array(numel(n.shape)) });
  }
  const { values, stats } = await program.run(derived, feed, options);
  const names = new Map(graph.inputs.map((p) => [p.id, p.name]));
  const adjointOf = (id: NodeId) => values.get(cotangentName(names.get(id) ?? probeInput(id)))!;
  const start = graph.outputs.find((p) => p.name === port.name)!.id;
  const needed = reachable(graph, start, 'up');
  return {
    mode: 'rev',
    output: port.name,
    index: seed.index,
    values: graph.nodes.map((n) => (n.op === 'const' ? scalarConst(n.params.value) : values.get(nodeOutput(n.id))!)),
    adjoints: graph.nodes.map((n) => (n.op === 'const' ? scalarConst(0) : adjointOf(n.id))),
    order: graph.nodes.filter((n) => needed[n.id] && n.op !== 'const').map((n) => n.id).reverse(),
    inputAdjoints: Object.fromEntries(program.inputs.map((p) => [p.name, values.get(cotangentName(p.name))!])),
    stats,
  };
}
