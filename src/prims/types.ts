import type { DType, Tensor } from '../backend/cpu/tensor.ts';
import type { GraphBuilder } from '../ir/builder.ts';
import type { Node, NodeId } from '../ir/graph.ts';
import type { Prim, PrimParams } from '../ir/primitives.ts';
import type { Shape } from '../ir/shape.ts';

/** Forward-mode rule: the tangent of `node`'s output, built from the argument tangents (null = zero). */
export type JvpRule<P extends Prim> = (ctx: JvpContext<P>) => NodeId | null;

export interface JvpContext<P extends Prim> {
  readonly b: GraphBuilder;
  /** The primal node being differentiated (shapes are primal core shapes). */
  readonly node: Node<P>;
  /** Primal argument values in the new graph. */
  readonly x: readonly NodeId[];
  /** Primal output value in the new graph. */
  readonly y: NodeId;
  /** Argument tangents, shaped [...batch, ...argShape], or null for a zero tangent. */
  readonly dx: readonly (NodeId | null)[];
  /** Primal argument shapes. */
  readonly argShapes: readonly Shape[];
}

/**
 * Transpose rule of a linear primitive: given the cotangent of the output, the cotangents of the linear
 * arguments. Results may be shaped like the output (the transposer sums broadcast axes away).
 */
export type TransposeRule<P extends Prim> = (ctx: TransposeContext<P>) => (NodeId | null)[];

export interface TransposeContext<P extends Prim> {
  readonly b: GraphBuilder;
  readonly node: Node<P>;
  /** Constant (non-linear) argument values in the new graph; null where the argument is linear. */
  readonly consts: readonly (NodeId | null)[];
  /** Cotangent of the output, shaped [...batch, ...node.shape]. */
  readonly ct: NodeId;
  readonly argShapes: readonly Shape[];
}

/** CPU evaluation: the executable specification every other backend is tested against. */
export type CpuKernel<P extends Prim> = (args: readonly Tensor[], node: Node<P>, dtype: DType) => Tensor;

/** How the WebGPU backend lowers a primitive. */
export type WgslLowering =
  /** An f32 expression of the argument expressions, fused into elementwise kernels. */
  | { readonly kind: 'elementwise'; readonly expr: (...args: string[]) => string }
  /** A pure re-indexing (broadcast, reshape, transpose): fused as index arithmetic, never its own kernel. */
  | { readonly kind: 'index' }
  /** A hand-written tree reduction (shaders/reduce*.wgsl) that absorbs its elementwise producer. */
  | { readonly kind: 'reduce'; readonly op: 'sum' | 'max' | 'logsumexp' }
  /** The hand-written tiled GEMM (shaders/matmul.wgsl). */
  | { readonly kind: 'matmul' };

/** Everything the engine knows about one primitive. */
export interface PrimitiveDef<P extends Prim> {
  readonly arity: number;
  /** Output shape from argument shapes, or a message saying why they do not fit. */
  shape(args: readonly Shape[], params: PrimParams[P]): Shape | string;
  readonly cpu: CpuKernel<P>;
  readonly jvp: JvpRule<P>;
  /** Only linear primitives can be transposed; null for the rest. */
  readonly transpose: TransposeRule<P> | null;
  /** Floating-point operations to compute the node (cost model for mode selection and benchmarks). */
  flops(node: Node<P>, argShapes: readonly Shape[]): number;
  readonly wgsl: WgslLowering;
  /** Constant folding of scalar arguments (elementwise primitives only). */
  readonly fold?: (...args: number[]) => number;
}

export type PrimitiveTable = { readonly [P in Prim]: PrimitiveDef<P> };
