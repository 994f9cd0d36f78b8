import { bestGemm } from '../backend/cpu/best-gemm.ts';
import { broadcastStrides } from '../backend/cpu/strided.ts';
import { allocate, isStoredTransposed } from '../backend/cpu/tensor.ts';
import { addOptional, expandTo } from '../ad/helpers.ts';
import type { NodeId } from '../ir/graph.ts';
import { broadcastShapes, formatShape, numel, stridesOf, type Shape } from '../ir/shape.ts';
import type { PrimitiveDef } from './types.ts';

const batchOf = (s: Shape) => s.slice(0, -2);

export const matmul: PrimitiveDef<'matmul'> = {
  arity: 2,
  wgsl: { kind: 'matmul' },
  shape: ([a, c]) => {
    if (a.length < 2 || c.length < 2) return `matmul needs matrices, got ${formatShape(a)} and ${formatShape(c)}`;
    const [p, q] = a.slice(-2);
    const [q2, r] = c.slice(-2);
    if (q !== q2) return `inner dimensions differ: ${formatShape(a)} @ ${formatShape(c)} needs ${q} = ${q2}`;
    const batch = broadcastShapes(batchOf(a), batchOf(c));
    if (batch === null) return `batch dimensions of ${formatShape(a)} and ${formatShape(c)} do not broadcast`;
    return [...batch, p, r];
  },
  cpu: ([a, c], node, dtype) => {
    const out = allocate(node.shape, dtype);
    const [p, q] = a.shape.slice(-2);
    const r = c.shape[c.shape.length - 1];
    // An operand the interpreter read in place as a transpose (StoredTransposed) is gemm's `trans`, unless
    // it is a row or a column: then both layouts hold the same numbers in the same order.
    const ta = isStoredTransposed(a) && p > 1 && q > 1;
    const tc = isStoredTransposed(c) && q > 1 && r > 1;
    const batchA = batchOf(a.shape);
    const batchC = batchOf(c.shape);
    const batch = batchOf(node.shape);
    const k = numel(batch);
    if (batchA.length === 0 && r === 1) {
      // A fixed matrix applied to k vectors (a batched JVP through W @ x): one GEMM, out[k, p] = X[k, q] · Aᵀ.
      bestGemm(k, p, q, { data: c.data, offset: 0, trans: false }, { data: a.data, offset: 0, trans: !ta }, out.data, 0);
    } else if (batchC.length === 0 && (!ta || numel(batchA) === 1)) {
      // Stacked left operands share one right operand: fold the batch into the rows.
      bestGemm(numel(batchA) * p, r, q, { data: a.data, offset: 0, trans: ta }, { data: c.data, offset: 0, trans: tc }, out.data, 0);
    } else {
      const sa = broadcastStrides(batchA, batch);
      const sc = broadcastStrides(batchC, batch);
      const idx = stridesOf(batch);
      for (let i = 0; i < k; i++) {
        let offA = 0;
        let offC = 0;
        for (let d = 0; d < batch.length; d++) {
          const coord = Math.floor(i / idx[d]) % batch[d];
          offA += coord * sa[d];
          offC += coord * sc[d];
        }
        bestGemm(p, r, q, { data: a.data, offset: offA * p * q, trans: ta }, { data: c.data, offset: offC * q * r, trans: tc }, out.data, i * p * r);
      }
    }
    return out;
  },
  // d(AB) = dA B + A dB. A tangent first gets the output's batch dims, so that its own leading
  // (tangent-batch) dims are never mistaken for the other operand's batch dims.
  jvp: ({ b, node, x: [a, c], dx: [da, dc], argShapes: [sa, sc] }) => {
    const outBatch = batchOf(node.shape);
    const full = (t: NodeId, s: Shape) => expandTo(b, t, s, [...outBatch, ...s.slice(-2)]);
    return addOptional(b, da === null ? null : b.matmul(full(da, sa), c), dc === null ? null : b.matmul(a, full(dc, sc)));
  },
  // Bilinear: ct_A = ct Bᵀ when A is the linear argument, ct_B = Aᵀ ct when B is.
  transpose: ({ b, ct, consts: [a, c] }) => [
    a === null ? b.matmul(ct, b.transpose(c!)) : null,
    c === null ? b.matmul(b.transpose(a!), ct) : null,
  ],
  flops: (node, [a]) => 2 * numel(node.shape) * a[a.length - 1],
};
