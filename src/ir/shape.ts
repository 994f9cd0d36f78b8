/** Static tensor shapes: row-major, leading dimensions first. */
export type Shape = readonly number[];

/** Number of elements of a tensor with this shape (1 for a scalar). */
export function numel(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function shapesEqual(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Row-major strides in elements. */
export function stridesOf(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

/**
 * NumPy broadcasting: align shapes on the right; each pair of dims must be equal or one of them 1.
 * Returns null when the shapes are incompatible.
 */
export function broadcastShapes(a: Shape, b: Shape): number[] | null {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let i = 1; i <= rank; i++) {
    const da = i <= a.length ? a[a.length - i] : 1;
    const db = i <= b.length ? b[b.length - i] : 1;
    if (da !== db && da !== 1 && db !== 1) return null;
    out[rank - i] = da === 1 ? db : da;
  }
  return out;
}

/** True when `from` broadcasts to exactly `to` under right-aligned NumPy rules. */
export function broadcastsTo(from: Shape, to: Shape): boolean {
  const b = broadcastShapes(from, to);
  return b !== null && shapesEqual(b, to);
}

/** `[3, 4]` → "[3, 4]", `[]` → "scalar". */
export function formatShape(shape: Shape): string {
  return shape.length === 0 ? 'scalar' : `[${shape.join(', ')}]`;
}

/** Normalise an axis (negative counts from the end) into 0..rank-1, or null if out of range. */
export function normalizeAxis(axis: number, rank: number): number | null {
  const a = axis < 0 ? axis + rank : axis;
  return Number.isInteger(a) && a >= 0 && a < rank ? a : null;
}
