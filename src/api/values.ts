import { formatShape, numel, shapesEqual, type Shape } from '../ir/shape.ts';
import type { Tensor } from '../backend/cpu/tensor.ts';
import { runtimeError } from './errors.ts';
import { normals, rng } from './random.ts';

/** A value as JSON writes it: a number, or nested arrays of numbers in row-major order. */
export type Nested = number | Nested[];

/** What the API accepts for a value: nested arrays, or a tensor. */
export type ValueLike = Nested | Tensor;

/** Named values, e.g. { x: [1, 2], W: [[1, 0], [0, 1]], s: 1.5 }. */
export type Values = Readonly<Record<string, ValueLike>>;

function isTensor(v: ValueLike): v is Tensor {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && 'shape' in v && 'data' in v;
}

/** The shape of nested arrays, checking that they are rectangular and hold only finite numbers. */
function nestedShape(v: Nested, what: string): number[] {
  if (typeof v === 'number') return [];
  if (!Array.isArray(v)) throw runtimeError('invalid-value', `${what} must be a number or nested arrays of numbers`);
  if (v.length === 0) throw runtimeError('invalid-value', `${what} has an empty array`);
  const inner = nestedShape(v[0], what);
  for (const item of v) {
    const s = nestedShape(item, what);
    if (!shapesEqual(s, inner)) throw runtimeError('invalid-value', `${what} is ragged: rows of shapes ${formatShape(inner)} and ${formatShape(s)}`);
  }
  return [v.length, ...inner];
}

/**
 * A tensor of `shape` from a user value. Accepts the exact shape, or, when `batched` is allowed,
 * a leading batch dimension [k, ...shape]. Anything else is a clear error naming the value.
 */
export function toTensor(value: ValueLike, shape: Shape, what: string, batched = false): Tensor {
  let t: Tensor;
  if (isTensor(value)) {
    t = value;
    if (t.data.length !== numel(t.shape)) throw runtimeError('invalid-value', `${what}: data has ${t.data.length} elements but shape ${formatShape(t.shape)} needs ${numel(t.shape)}`);
  } else {
    const s = nestedShape(value, what);
    const data = new Float64Array(numel(s));
    let i = 0;
    const fill = (v: Nested) => {
      if (typeof v === 'number') data[i++] = v;
      else v.forEach(fill);
    };
    fill(value);
    t = { shape: s, data };
  }
  const ok = shapesEqual(t.shape, shape) || (batched && t.shape.length === shape.length + 1 && shapesEqual(t.shape.slice(1), shape));
  if (!ok) {
    const expected = batched ? `${formatShape(shape)} (or [k, ...] for a batch of k)` : formatShape(shape);
    throw runtimeError('invalid-value', `${what} should have shape ${expected}, got ${formatShape(t.shape)}`);
  }
  return t;
}

/** The tensor as nested arrays (a plain number for a scalar), as the JSON contract prints it. */
export function toNested(t: Tensor): Nested {
  const build = (dim: number, offset: number): Nested => {
    if (dim === t.shape.length) return t.data[offset];
    const stride = numel(t.shape.slice(dim + 1));
    return Array.from({ length: t.shape[dim] }, (_, i) => build(dim + 1, offset + i * stride));
  };
  return build(0, 0);
}

/** Random standard-normal values for each named shape, reproducible from `seed`. */
export function randomValues(ports: readonly { name: string; shape: Shape }[], seed: number): Record<string, Tensor> {
  const next = rng(seed);
  return Object.fromEntries(ports.map((p) => [p.name, { shape: p.shape, data: normals(numel(p.shape), next) }]));
}
