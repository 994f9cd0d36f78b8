// A matrix times one vector in WebAssembly, read where the matrix lies: y[i] = Σₖ R[i, k] v[k] for R
// row-major with its rows along k (W x, or xᵀ Wᵀ as one row of C). The GEMM path packed all of R into
// panels first and ran its 4-row micro-tiles with one useful row; this reads R once, with no packing.
// Measured on 2 busy cores (f32, 1024 × 1024, medians): packing 0.38 ms and the kernel ~0.4 ms before.
import type { DType } from '../tensor.ts';
import { Code, I32, V128 } from './encoder.ts';
import { transposeBlock } from './pack-kernel.ts';

/** Rows of R per pass: two blocks of lanes rows, so two independent chains of adds are in flight. */
export const MATVEC_ROWS: Record<DType, number> = { f32: 8, f64: 4 };

/**
 * `matvec(r, v, y, passes, kBlocks, rowBytes)`: for each of `passes` (≥ 1) passes over MATVEC_ROWS rows of R
 * (at r, `rowBytes` apart), and each of `kBlocks` (≥ 1) blocks of `lanes` steps of k, loads a lanes × lanes
 * block of each row block, transposes it, and adds column j times v[k + j] to the rows' sums, j in order;
 * then stores the sums at y. So every y[i] adds its k terms in order, a multiply then an add, from zero:
 * the TypeScript gemm's arithmetic (the same bits in f64).
 *
 * With `vectors` > 1, `matvec2(r, v, y, passes, kBlocks, rowBytes, vBytes, yBytes)`: the same for that many
 * vectors at once (vector t at v + t·vBytes, its result at y + t·yBytes), reading R once for all of them:
 * a JVP's W x and W ẋ, or an HVP's. Each result gets exactly the arithmetic of its own product.
 */
export function matvecKernel(dtype: DType, vectors = 1): Code {
  const [r, v, y, passes, kBlocks, rowBytes, vBytes, yBytes] = [0, 1, 2, 3, 4, 5, 6, 7];
  const code = new Code(vectors === 1 ? 6 : 8);
  const bytes = dtype === 'f32' ? 4 : 8;
  const lanes = 16 / bytes;
  const wide = dtype === 'f64';
  const blocks = MATVEC_ROWS[dtype] / lanes;
  const [p, q, kb] = [code.local(I32), code.local(I32), code.local(I32)];
  // Per vector: where its next values are read, and where its sums go.
  const xs = Array.from({ length: vectors }, () => code.local(I32));
  const ys = Array.from({ length: vectors }, () => code.local(I32));
  const acc = Array.from({ length: blocks }, () => Array.from({ length: vectors }, () => code.local(V128)));
  const rows = Array.from({ length: lanes }, () => code.local(V128));
  const half = Array.from({ length: lanes }, () => code.local(V128));
  const column = code.local(V128);
  const mul = () => (wide ? code.f64x2Mul() : code.f32x4Mul());
  const add = () => (wide ? code.f64x2Add() : code.f32x4Add());
  const splat = (offset: number) => (wide ? code.v128Load64Splat(offset) : code.v128Load32Splat(offset));

  ys.forEach((yt, t) => {
    code.localGet(y);
    if (t > 0) code.localGet(yBytes).i32Const(t).i32Mul().i32Add();
    code.localSet(yt);
  });
  code.loop(() => {
    for (const a of acc.flat()) code.v128Zero().localSet(a);
    code.localGet(r).localSet(p).localGet(kBlocks).localSet(kb);
    xs.forEach((x, t) => {
      code.localGet(v);
      if (t > 0) code.localGet(vBytes).i32Const(t).i32Mul().i32Add();
      code.localSet(x);
    });
    code.loop(() => {
      acc.forEach((accs, g) => {
        code.localGet(p).localGet(rowBytes).i32Const(g * lanes).i32Mul().i32Add().localSet(q);
        rows.forEach((row, i) => {
          code.localGet(q).v128Load().localSet(row);
          if (i < lanes - 1) code.localGet(q).localGet(rowBytes).i32Add().localSet(q);
        });
        transposeBlock(code, rows, half, wide, (j, push) => {
          push();
          code.localSet(column);
          accs.forEach((a, t) => {
            code.localGet(a).localGet(column).localGet(xs[t]);
            splat(j * bytes);
            mul();
            add();
            code.localSet(a);
          });
        });
      });
      code.localGet(p).i32Const(16).i32Add().localSet(p);
      for (const x of xs) code.localGet(x).i32Const(16).i32Add().localSet(x);
      code.localGet(kb).i32Const(1).i32Sub().localTee(kb).brIf(0);
    });
    acc.forEach((accs, g) => accs.forEach((a, t) => code.localGet(ys[t]).localGet(a).v128Store(16 * g)));
    for (const yt of ys) code.localGet(yt).i32Const(16 * blocks).i32Add().localSet(yt);
    code.localGet(r).localGet(rowBytes).i32Const(MATVEC_ROWS[dtype]).i32Mul().i32Add().localSet(r);
    code.localGet(passes).i32Const(1).i32Sub().localTee(passes).brIf(0);
  });
  return code;
}

/** Columns of B per pass of axpyMatvec: eight vectors, eight independent chains of adds. */
export const AXPY_COLS: Record<DType, number> = { f32: 32, f64: 16 };

/**
 * `axpyMatvec(b, v, y, passes, K, rowBytes)`: y[j] = Σₖ v[k] B[k, j] for B row-major with its rows along j
 * (xᵀ W, one row of C with B stored untransposed; or Aᵀ v): for each of `passes` (≥ 1) passes over
 * AXPY_COLS columns, and each of K (≥ 1) steps, adds v[k] times the row's columns to their sums, k in
 * order, a multiply then an add, from zero: the TypeScript gemm's arithmetic again. No packing: the GEMM
 * path packed B, then ran 4-row micro-tiles with one useful row.
 */
export function axpyMatvecKernel(dtype: DType): Code {
  const [b, v, y, passes, K, rowBytes] = [0, 1, 2, 3, 4, 5];
  const code = new Code(6);
  const bytes = dtype === 'f32' ? 4 : 8;
  const wide = dtype === 'f64';
  const vectors = (AXPY_COLS[dtype] * bytes) / 16;
  const [p, x, k] = [code.local(I32), code.local(I32), code.local(I32)];
  const acc = Array.from({ length: vectors }, () => code.local(V128));
  const scale = code.local(V128);
  code.loop(() => {
    for (const a of acc) code.v128Zero().localSet(a);
    code.localGet(b).localSet(p).localGet(v).localSet(x).localGet(K).localSet(k);
    code.loop(() => {
      code.localGet(x);
      if (wide) code.v128Load64Splat();
      else code.v128Load32Splat();
      code.localSet(scale);
      acc.forEach((a, i) => {
        code.localGet(a).localGet(p).v128Load(16 * i).localGet(scale);
        if (wide) code.f64x2Mul().f64x2Add();
        else code.f32x4Mul().f32x4Add();
        code.localSet(a);
      });
      code.localGet(p).localGet(rowBytes).i32Add().localSet(p);
      code.localGet(x).i32Const(bytes).i32Add().localSet(x);
      code.localGet(k).i32Const(1).i32Sub().localTee(k).brIf(0);
    });
    acc.forEach((a, i) => code.localGet(y).localGet(a).v128Store(16 * i));
    code.localGet(y).i32Const(16 * vectors).i32Add().localSet(y);
    code.localGet(b).i32Const(16 * vectors).i32Add().localSet(b);
    code.localGet(passes).i32Const(1).i32Sub().localTee(passes).brIf(0);
  });
  return code;
}
