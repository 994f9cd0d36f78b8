import type { NodeParams, Op } from './primitives.ts';
import type { Shape } from './shape.ts';

/** Index of a node in its graph's `nodes` array; arguments always point to earlier nodes. */
export type NodeId = number;

/** What a graph input or output means to the transform that made it. */
export type Role = 'primal' | 'tangent' | 'cotangent';

/** One operation with static shape. Immutable; all values are floating point (the dtype is chosen when run). */
export interface Node<O extends Op = Op> {
  readonly id: NodeId;
  readonly op: O;
  readonly args: readonly NodeId[];
  readonly params: NodeParams[O];
  readonly shape: Shape;
}

/** A node whose `op` narrows its `params` in a switch. */
export type AnyNode = { [O in Op]: Node<O> }[Op];

export interface GraphPort {
  readonly name: string;
  readonly role: Role;
  /** For tangents and cotangents: the primal input or output they belong to. */
  readonly of: string;
  readonly id: NodeId;
}

/** A small, flat, immutable program: inputs are `input` nodes, outputs name nodes. */
export interface Graph {
  readonly inputs: readonly GraphPort[];
  readonly nodes: readonly AnyNode[];
  readonly outputs: readonly GraphPort[];
  /** Names people gave to nodes (bindings such as `h`, and derived names such as `h.dot`), for display. */
  readonly labels?: ReadonlyMap<NodeId, string>;
}

/** Name of the tangent that belongs to `name` (names with a dot can never clash with user names). */
export const tangentName = (name: string): string => `${name}.dot`;
/** Name of the cotangent (adjoint) that belongs to `name`. */
export const cotangentName = (name: string): string => `${name}.bar`;

export function findInput(graph: Graph, name: string): GraphPort | undefined {
  return graph.inputs.find((p) => p.name === name);
}

export function findOutput(graph: Graph, name: string): GraphPort | undefined {
  return graph.outputs.find((p) => p.name === name);
}
