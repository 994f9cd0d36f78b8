// Matrix–vector products that share their matrix, run as one product with a row per vector.
//
// A single-direction JVP computes W x and W ẋ; a VJP's backward pass and an HVP apply Wᵀ to two vectors.
// Run one by one, each product reads (and, on the WebAssembly GEMM, copies and packs) the whole matrix
// for a few multiply-adds per element; stacked, the matrix is read once. Measured on the GEMM alone
// (2 cores, medians of 200): two 1024-wide f32 products 1.9-2.6 ms, one stacked 0.9-1.3 ms; f64 3.9-4.4
// against 2.7-3.0 ms. Each output still adds its k terms in the same order, so in f64 the bits are those
// of the separate products.
//
// A batched JVP computes W x and W Ẋ for k tangents ([k, q, 1] vectors): the same matrix, so W x becomes
// one more row of the k-row product instead of a matrix–vector product of its own, which copied and
// packed W a second time (1024 wide, f32: about 0.9 ms of a 6 ms layer JVP).
import type { AnyNode, Graph, NodeId } from '../../ir/graph.ts';
import { numel } from '../../ir/shape.ts';
import { bestGemm } from './best-gemm.ts';
import { allocate, isStoredTransposed, release, type DType, type Tensor } from './tensor.ts';

/** A matrix times one vector or a batch of them: [p, q] @ [..., q, 1]. */
const isMatvec = (graph: Graph, n: AnyNode) =>
  n.op === 'matmul' && graph.nodes[n.args[0]].shape.length === 2 && n.shape[n.shape.length - 1] === 1;

/**
 * Groups of matrix–vector products that can run together: for each group's first product (its leader,
 * the map's key), the later products with the same matrix whose vectors already exist when the leader
 * runs. Products alone are not listed.
 */
export function sharedMatrixGroups(graph: Graph): Map<NodeId, NodeId[]> {
  const open = new Map<NodeId, NodeId>(); // matrix → the leader of its current group
  const groups = new Map<NodeId, NodeId[]>();
  for (const n of graph.nodes) {
    if (!isMatvec(graph, n)) continue;
    const [matrix, vector] = n.args;
    const leader = open.get(matrix);
    if (leader !== undefined && vector < leader) {
      const members = groups.get(leader) ?? [];
      members.push(n.id);
      groups.set(leader, members);
    } else {
      open.set(matrix, n.id); // its vector comes later: a new group starts here
    }
  }
  return groups;
}

/**
 * Runs the products `ids` (all [p, q] @ [..., q, 1] with the same matrix) as one GEMM with a row per
 * vector, out[j, :] = vⱼᵀ · Aᵀ, and returns each product's result in its own shape.
 */
export function runSharedMatvecs(graph: Graph, ids: readonly NodeId[], values: readonly (Tensor | undefined)[], dtype: DType): Tensor[] {
  const first = graph.nodes[ids[0]];
  const matrix = values[first.args[0]]!;
  const [p, q] = matrix.shape;
  // Row where each product's vectors start in the stacked product, and the total.
  const starts = ids.map((id) => numel(graph.nodes[id].shape) / p);
  let g = 0;
  starts.forEach((rows, j) => {
    starts[j] = g;
    g += rows;
  });
  const stacked = allocate([g, q], dtype);
  ids.forEach((id, j) => stacked.data.set(values[graph.nodes[id].args[1]]!.data, starts[j] * q));
  // A StoredTransposed matrix holds Aᵀ row-major, which is the layout this product reads untransposed.
  const trans = !(isStoredTransposed(matrix) && p > 1 && q > 1);
  const out = allocate([g, p], dtype);
  bestGemm(g, p, q, { data: stacked.data, offset: 0, trans: false }, { data: matrix.data, offset: 0, trans }, out.data, 0);
  const results = ids.map((id, j) => {
    const result = allocate(graph.nodes[id].shape, dtype);
    result.data.set(out.data.subarray(starts[j] * p, starts[j] * p + result.data.length));
    return result;
  });
  release(stacked.data);
  release(out.data);
  return results;
}
