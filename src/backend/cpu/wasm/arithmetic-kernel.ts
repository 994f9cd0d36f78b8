// + − × ÷ of two arrays in WebAssembly SIMD, for the CPU interpreter's large elementwise nodes: a batch of
// tangents or cotangents times a local derivative ([k, n] ⊙ [n]) is most of the elementwise work of a
// batched JVP or VJP. The same loop in JavaScript ran at 2-2.5 ns an element wherever V8 could not
// specialise it to its arrays (any real use), and slower again once it had also seen f64 arrays.
import type { DType } from '../tensor.ts';
import type { Arithmetic } from '../elementwise.ts';
import { Code, F32, F64, I32, V128 } from './encoder.ts';

export const ARITHMETIC_OPS = ['add', 'sub', 'mul', 'div'] as const satisfies readonly Arithmetic[];

/**
 * Which operand, if either, has one value per row (a column [rows, 1] broadcast along the rows: a
 * Jacobian's rows scaled by a local derivative) rather than a row of values.
 */
export type PerRow = 'none' | 'a' | 'b';
export const PER_ROW: readonly PerRow[] = ['none', 'a', 'b'];

/** The exported name of the kernel for `op` with `perRow`. */
export const arithmeticExport = (op: Arithmetic, perRow: PerRow) => (perRow === 'none' ? `arith_${op}` : `arith_${op}_${perRow}PerRow`) as `arith_${Arithmetic}${'' | '_aPerRow' | '_bPerRow'}`;

/**
 * `arith_<op>(a, b, out, rows, groups, tail, aRowBytes, bRowBytes)`: for each of `rows` (≥ 1) rows of
 * `lanes`·groups + tail values, out = a ∘ b, values in order, out contiguous from row to row; a's next row
 * starts aRowBytes on and b's bRowBytes on (0 repeats a row). With `perRow` 'a' (or 'b'), that operand's
 * row is its one value at the row's start, repeated. One IEEE operation per value, rounded to the dtype:
 * in f32 that is the f64 operation rounded to f32 (which is exact for + − × ÷ of f32 values), so the bits
 * are those of JavaScript's arithmetic stored into a Float32Array.
 */
export function arithmeticKernel(dtype: DType, op: Arithmetic, perRow: PerRow = 'none'): Code {
  const [a, b, out, rows, groups, tail, aRowBytes, bRowBytes] = [0, 1, 2, 3, 4, 5, 6, 7];
  const code = new Code(8);
  const wide = dtype === 'f64';
  const bytes = wide ? 8 : 4;
  const [p, q, n] = [code.local(I32), code.local(I32), code.local(I32)];
  const vector = { add: () => (wide ? code.f64x2Add() : code.f32x4Add()), sub: () => (wide ? code.f64x2Sub() : code.f32x4Sub()), mul: () => (wide ? code.f64x2Mul() : code.f32x4Mul()), div: () => (wide ? code.f64x2Div() : code.f32x4Div()) }[op];
  const scalar = { add: () => (wide ? code.f64Add() : code.f32Add()), sub: () => (wide ? code.f64Sub() : code.f32Sub()), mul: () => (wide ? code.f64Mul() : code.f32Mul()), div: () => (wide ? code.f64Div() : code.f32Div()) }[op];
  const load = () => (wide ? code.f64Load() : code.f32Load());
  // A per-row operand's value, in every lane and as a scalar, loaded at the start of each row.
  const [splat, single] = [code.local(V128), code.local(wide ? F64 : F32)];
  /** Pushes the operand at pointer `at` (p or q): a vector of values, or the row's value in every lane. */
  const vectorOf = (at: number, own: boolean) => (own ? code.localGet(splat) : code.localGet(at).v128Load());
  const scalarOf = (at: number, own: boolean) => {
    if (own) return code.localGet(single);
    code.localGet(at);
    return load();
  };
  const store = () => (wide ? code.f64Store() : code.f32Store());
  const repeat = (count: number, body: () => void) => code.repeat(count, n, body);
  const advance = (step: number) => {
    code.localGet(p).i32Const(step).i32Add().localSet(p);
    code.localGet(q).i32Const(step).i32Add().localSet(q);
    code.localGet(out).i32Const(step).i32Add().localSet(out);
  };
  const [aOwn, bOwn] = [perRow === 'a', perRow === 'b'];
  code.loop(() => {
    code.localGet(a).localSet(p).localGet(b).localSet(q);
    if (perRow !== 'none') {
      code.localGet(aOwn ? a : b);
      load();
      code.localSet(single);
      code.localGet(aOwn ? a : b);
      if (wide) code.v128Load64Splat();
      else code.v128Load32Splat();
      code.localSet(splat);
    }
    repeat(groups, () => {
      code.localGet(out);
      vectorOf(p, aOwn);
      vectorOf(q, bOwn);
      vector();
      code.v128Store();
      advance(16);
    });
    repeat(tail, () => {
      code.localGet(out);
      scalarOf(p, aOwn);
      scalarOf(q, bOwn);
      scalar();
      store();
      advance(bytes);
    });
    code.localGet(a).localGet(aRowBytes).i32Add().localSet(a);
    code.localGet(b).localGet(bRowBytes).i32Add().localSet(b);
    code.localGet(rows).i32Const(1).i32Sub().localTee(rows).brIf(0);
  });
  return code;
}
