import type { UnaryPrim } from '../../ir/primitives.ts';
import type { Shape } from '../../ir/shape.ts';
import { numel, shapesEqual } from '../../ir/shape.ts';
import { broadcastStrides, forEachRow } from './strided.ts';
import { allocateForOverwrite, type DType, type FloatArray, type Tensor } from './tensor.ts';
import { wasmArithmetic } from './wasm/arithmetic.ts';

/** out[i] = f(x[i]), for `op` the unary primitive whose function is f (see unaryRow). */
export function mapUnary(x: Tensor, dtype: DType, op: UnaryPrim, f: (v: number) => number): Tensor {
  const out = allocateForOverwrite(x.shape, dtype);
  unaryRow(op, f, out.data, 0, x.data, 0, 1, out.data.length);
  return out;
}

/** out = f(a, b) elementwise with NumPy broadcasting to `outShape`. */
export function mapBinary(a: Tensor, b: Tensor, outShape: Shape, dtype: DType, f: (u: number, v: number) => number): Tensor {
  const out = allocateForOverwrite(outShape, dtype);
  const A = a.data;
  const B = b.data;
  const O = out.data;
  const n = O.length;
  if (shapesEqual(a.shape, outShape) && shapesEqual(b.shape, outShape)) {
    for (let i = 0; i < n; i++) O[i] = f(A[i], B[i]);
  } else if (A.length === 1 && shapesEqual(b.shape, outShape)) {
    const u = A[0];
    for (let i = 0; i < n; i++) O[i] = f(u, B[i]);
  } else if (B.length === 1 && shapesEqual(a.shape, outShape)) {
    const v = B[0];
    for (let i = 0; i < n; i++) O[i] = f(A[i], v);
  } else {
    const sa = broadcastStrides(a.shape, outShape);
    const sb = broadcastStrides(b.shape, outShape);
    const ia = sa[sa.length - 1] ?? 0;
    const ib = sb[sb.length - 1] ?? 0;
    forEachRow(outShape, [sa, sb], (o, off, len) => {
      let pa = off[0];
      let pb = off[1];
      for (let j = 0; j < len; j++, pa += ia, pb += ib) O[o + j] = f(A[pa], B[pb]);
    });
  }
  return out;
}

/** Copy of `x` read through arbitrary `strides` into a fresh row-major tensor of `outShape`. */
export function stridedCopy(x: Tensor, strides: readonly number[], outShape: Shape, dtype: DType): Tensor {
  const out = allocateForOverwrite(outShape, dtype);
  const src = x.data;
  const dst = out.data;
  const step = strides[strides.length - 1] ?? 0;
  forEachRow(outShape, [strides], (o, off, len) => {
    let p = off[0];
    for (let j = 0; j < len; j++, p += step) dst[o + j] = src[p];
  });
  return out;
}

/** The binary primitives whose CPU loops are written out (see mapArithmetic). */
export type Arithmetic = 'add' | 'sub' | 'mul' | 'div';

export const isArithmetic = (op: string): op is Arithmetic => op === 'add' || op === 'sub' || op === 'mul' || op === 'div';

/**
 * out = a ∘ b with NumPy broadcasting to `outShape`, for ∘ one of + − × ÷: the same numbers as mapBinary
 * with the matching function. mapBinary calls its function once per element through a call site every
 * binary primitive shares, which V8 does not inline (and whose numbers it boxes): a 256×256 multiply took
 * 11 ns per element. Here the operation is chosen once per row. Multiplies of tangents by local
 * derivatives are most of the elementwise work of batched JVPs and VJPs.
 */
export function mapArithmetic(a: Tensor, b: Tensor, outShape: Shape, dtype: DType, op: Arithmetic): Tensor {
  const out = allocateForOverwrite(outShape, dtype);
  const n = out.data.length;
  // Operands of the output's size or of one element: one flat loop (a step of 0 repeats the element).
  const flat = (t: Tensor) => (t.data.length === n ? 1 : t.data.length === 1 ? 0 : -1);
  if (flat(a) >= 0 && flat(b) >= 0) {
    if (flat(a) === 1 && flat(b) === 1 && wasmArithmetic(op, out.data, a.data, 'whole', b.data, 'whole', 1, n)) return out;
    arithmeticRow(op, out.data, 0, a.data, 0, flat(a), b.data, 0, flat(b), n);
    return out;
  }
  // One operand whole, the other the output's trailing dims repeated down the leading ones (a batch of
  // tangents times a local derivative [n]): row by row, the repeated operand read from its start.
  if ((flat(b) === 1 && repeatsDownLeadingDims(a, outShape)) || (flat(a) === 1 && repeatsDownLeadingDims(b, outShape))) {
    const len = flat(a) === 1 ? b.data.length : a.data.length;
    if (wasmArithmetic(op, out.data, a.data, flat(a) === 1 ? 'whole' : 'row', b.data, flat(b) === 1 ? 'whole' : 'row', n / len, len)) return out;
    const [oa, ob] = flat(a) === 1 ? [len, 0] : [0, len];
    for (let o = 0; o < n; o += len) arithmeticRow(op, out.data, o, a.data, (o / len) * oa, 1, b.data, (o / len) * ob, 1, len);
    return out;
  }
  // One operand whole, the other one value per row ([rows, 1]: a Jacobian's rows times a local derivative).
  const len = outShape[outShape.length - 1];
  if ((flat(a) === 1 && isColumnOf(b, outShape)) || (flat(b) === 1 && isColumnOf(a, outShape))) {
    const layout = (t: Tensor) => (flat(t) === 1 ? 'whole' : 'column');
    if (wasmArithmetic(op, out.data, a.data, layout(a), b.data, layout(b), n / len, len)) return out;
  }
  const sa = broadcastStrides(a.shape, outShape);
  const sb = broadcastStrides(b.shape, outShape);
  const ia = sa[sa.length - 1] ?? 0;
  const ib = sb[sb.length - 1] ?? 0;
  forEachRow(outShape, [sa, sb], (o, off, len) => arithmeticRow(op, out.data, o, a.data, off[0], ia, b.data, off[1], ib, len));
  return out;
}

/** Whether `t` is `outShape` but for a last dim of 1 (leading 1s aside): one value per row of the output. */
export function isColumnOf(t: Tensor, outShape: Shape): boolean {
  const last = outShape[outShape.length - 1];
  if (outShape.length === 0 || last <= 1 || t.data.length !== numel(outShape) / last) return false;
  const core = withoutLeadingOnes(t.shape);
  return core[core.length - 1] === 1 && shapesEqual(core.slice(0, -1), outShape.slice(outShape.length - core.length, -1));
}

/** `shape` from its first dim that is not 1 (broadcasting adds and ignores leading 1s); all of it if every dim is 1. */
const withoutLeadingOnes = (shape: Shape): Shape => shape.slice(Math.max(0, shape.findIndex((d) => d !== 1)));

/** Whether `t` (leading 1s aside) is the trailing dims of `outShape`, so broadcasting repeats it whole. */
function repeatsDownLeadingDims(t: Tensor, outShape: Shape): boolean {
  if (t.data.length <= 1) return false;
  const core = withoutLeadingOnes(t.shape);
  return shapesEqual(core, outShape.slice(outShape.length - core.length));
}

/** O[o + j] = A[pa + j·ia] ∘ B[pb + j·ib] for j < n. */
export function arithmeticRow(op: Arithmetic, O: FloatArray, o: number, A: FloatArray, pa: number, ia: number, B: FloatArray, pb: number, ib: number, n: number): void {
  const end = o + n;
  switch (op) {
    case 'add': for (; o < end; o++, pa += ia, pb += ib) O[o] = A[pa] + B[pb]; return;
    case 'sub': for (; o < end; o++, pa += ia, pb += ib) O[o] = A[pa] - B[pb]; return;
    case 'mul': for (; o < end; o++, pa += ia, pb += ib) O[o] = A[pa] * B[pb]; return;
    case 'div': for (; o < end; o++, pa += ia, pb += ib) O[o] = A[pa] / B[pb]; return;
    default: return op satisfies never;
  }
}

/**
 * O[o + j] = f(A[pa + j·ia]) for j < n, where f is unary primitive `op`'s function. Most have their
 * loop written out with the same expression as the primitive table (prims/elementwise.ts;
 * test/backend/fused-elementwise.test.ts checks the bits): called through `f`, whose call site every
 * unary primitive shares, V8 does not inline the function, and a 4096-element fused HVP chain ran 1.8
 * times slower (5.4 against 3.0 ns per element per step, f32).
 */
export function unaryRow(op: UnaryPrim, f: (v: number) => number, O: FloatArray, o: number, A: FloatArray, pa: number, ia: number, n: number): void {
  const end = o + n;
  switch (op) {
    case 'neg': for (; o < end; o++, pa += ia) O[o] = -A[pa]; return;
    case 'square': for (; o < end; o++, pa += ia) O[o] = A[pa] * A[pa]; return;
    case 'relu': for (; o < end; o++, pa += ia) O[o] = A[pa] > 0 ? A[pa] : 0; return;
    case 'abs': for (; o < end; o++, pa += ia) O[o] = Math.abs(A[pa]); return;
    case 'sin': for (; o < end; o++, pa += ia) O[o] = Math.sin(A[pa]); return;
    case 'cos': for (; o < end; o++, pa += ia) O[o] = Math.cos(A[pa]); return;
    case 'tan': for (; o < end; o++, pa += ia) O[o] = Math.tan(A[pa]); return;
    case 'exp': for (; o < end; o++, pa += ia) O[o] = Math.exp(A[pa]); return;
    case 'log': for (; o < end; o++, pa += ia) O[o] = Math.log(A[pa]); return;
    case 'sqrt': for (; o < end; o++, pa += ia) O[o] = Math.sqrt(A[pa]); return;
    case 'tanh': for (; o < end; o++, pa += ia) O[o] = Math.tanh(A[pa]); return;
    case 'sign':
    case 'sigmoid':
    case 'softplus': for (; o < end; o++, pa += ia) O[o] = f(A[pa]); return;
    default: return op satisfies never;
  }
}

/** O[o + j] = f(A[pa + j·ia], B[pb + j·ib]) for j < n. */
export function binaryRow(f: (u: number, v: number) => number, O: FloatArray, o: number, A: FloatArray, pa: number, ia: number, B: FloatArray, pb: number, ib: number, n: number): void {
  const end = o + n;
  for (; o < end; o++, pa += ia, pb += ib) O[o] = f(A[pa], B[pb]);
}
