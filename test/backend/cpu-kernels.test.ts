import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mapArithmetic, mapBinary } from '../../src/backend/cpu/elementwise.ts';
import { gemm } from '../../src/backend/cpu/gemm.ts';
import { reduce } from '../../src/backend/cpu/reduce.ts';
import { broadcastShapes, numel, stridesOf, type Shape } from '../../src/ir/shape.ts';
import { rng } from '../../src/api/random.ts';
import { expectAllclose } from '../support/allclose.ts';

const random = (n: number, seed: number) => {
  const next = rng(seed);
  return Float64Array.from({ length: n }, () => 2 * next() - 1);
};

/** Coordinates of a row-major linear index. */
const coords = (i: number, shape: Shape) => stridesOf(shape).map((s, d) => Math.floor(i / s) % shape[d]);

describe('CPU kernels against naive loops', () => {
  it('blocked GEMM equals the triple loop for every transpose combination and ragged sizes', () => {
    const size = fc.integer({ min: 1, max: 70 });
    fc.assert(fc.property(size, size, size, fc.boolean(), fc.boolean(), fc.nat(), (M, N, K, transA, transB, seed) => {
      const A = random(M * K + 3, seed);
      const B = random(K * N + 5, seed + 1);
      const C = new Float64Array(M * N + 2).fill(7);
      gemm(M, N, K, { data: A, offset: 3, trans: transA }, { data: B, offset: 5, trans: transB }, C, 2);
      const expected = new Float64Array(M * N);
      for (let i = 0; i < M; i++) {
        for (let j = 0; j < N; j++) {
          let s = 0;
          for (let k = 0; k < K; k++) s += A[3 + (transA ? k * M + i : i * K + k)] * B[5 + (transB ? j * K + k : k * N + j)];
          expected[i * N + j] = s;
        }
      }
      expect(Array.from(C.subarray(0, 2))).toEqual([7, 7]);
      expectAllclose(C.subarray(2), expected, { rtol: 1e-12, atol: 1e-13 });
    }), { numRuns: 60 });
  });

  it('GEMM blocks cross the 128/256 cache-block edges', () => {
    const [M, N, K] = [5, 300, 260];
    const A = random(M * K, 1);
    const B = random(K * N, 2);
    const C = new Float64Array(M * N);
    gemm(M, N, K, { data: A, offset: 0, trans: false }, { data: B, offset: 0, trans: false }, C, 0);
    for (const [i, j] of [[0, 0], [4, 299], [2, 255], [3, 256]]) {
      let s = 0;
      for (let k = 0; k < K; k++) s += A[i * K + k] * B[k * N + j];
      expect(C[i * N + j]).toBeCloseTo(s, 11);
    }
  });

  const shape = fc.array(fc.integer({ min: 1, max: 5 }), { maxLength: 4 });

  it('reductions over any axes equal a direct sum / max / logsumexp', () => {
    const spec = shape.filter((s) => s.length > 0).chain((s) => fc.tuple(fc.constant(s), fc.subarray(s.map((_, i) => i), { minLength: 1 })));
    fc.assert(fc.property(spec, fc.nat(), fc.constantFrom('sum', 'max', 'logsumexp' as const), ([s, axes], seed, kind) => {
      const x = { shape: s, data: random(numel(s), seed) };
      const outShape = s.filter((_, i) => !axes.includes(i));
      const got = reduce(x, axes, outShape, kind, 'f64');
      const groups: number[][] = Array.from({ length: numel(outShape) }, () => []);
      for (let i = 0; i < x.data.length; i++) {
        const c = coords(i, s).filter((_, d) => !axes.includes(d));
        const o = c.reduce((acc, ci, d) => acc + ci * stridesOf(outShape)[d], 0);
        groups[o].push(x.data[i]);
      }
      const expected = groups.map((g) => {
        if (kind === 'sum') return g.reduce((a, b) => a + b, 0);
        const m = Math.max(...g);
        return kind === 'max' ? m : m + Math.log(g.reduce((a, b) => a + Math.exp(b - m), 0));
      });
      expectAllclose(got.data, expected, { rtol: 1e-12, atol: 1e-13 });
    }), { numRuns: 100 });
  });

  it('logsumexp handles infinities like the math says', () => {
    const lse = (values: number[]) => reduce({ shape: [values.length], data: Float64Array.from(values) }, [0], [], 'logsumexp', 'f64').data[0];
    expect(lse([-Infinity, -Infinity])).toBe(-Infinity);
    expect(lse([Infinity, 1])).toBe(Infinity);
    expect(lse([1000, 1000])).toBeCloseTo(1000 + Math.log(2), 10);
  });

  it('broadcasting binary ops read every operand at its right-aligned position', () => {
    fc.assert(fc.property(fc.tuple(shape, fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }), fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }), fc.nat(4), fc.nat(4)), fc.nat(), ([out, onesA, onesB, dropA, dropB], seed) => {
      const a = out.slice(Math.min(dropA, out.length)).map((d, i) => (onesA[i] ? 1 : d));
      const b = out.slice(Math.min(dropB, out.length)).map((d, i) => (onesB[i] ? 1 : d));
      const outShape = broadcastShapes(a, b)!;
      const A = { shape: a, data: random(numel(a), seed) };
      const B = { shape: b, data: random(numel(b), seed + 1) };
      const got = mapBinary(A, B, outShape, 'f64', (u, v) => u - 2 * v);
      const at = (t: { shape: Shape; data: Float64Array }, c: number[]) => {
        const cc = c.slice(c.length - t.shape.length).map((ci, d) => (t.shape[d] === 1 ? 0 : ci));
        return t.data[cc.reduce((acc, ci, d) => acc + ci * stridesOf(t.shape)[d], 0)];
      };
      const expected = Array.from({ length: numel(outShape) }, (_, i) => {
        const c = coords(i, outShape);
        return at(A, c) - 2 * at(B, c);
      });
      expect(Array.from(got.data)).toEqual(expected);
    }), { numRuns: 100 });
  });

  it('the written-out + − × ÷ loops give the bits of mapBinary with the same function, broadcasting and in f32', () => {
    const fns = { add: (u: number, v: number) => u + v, sub: (u: number, v: number) => u - v, mul: (u: number, v: number) => u * v, div: (u: number, v: number) => u / v };
    const ops = fc.constantFrom('add', 'sub', 'mul', 'div' as const);
    fc.assert(fc.property(fc.tuple(shape, fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }), fc.nat(4)), ops, fc.constantFrom('f32', 'f64' as const), fc.boolean(), fc.nat(), ([out, onesA, dropA], op, dtype, swap, seed) => {
      const a = out.slice(Math.min(dropA, out.length)).map((d, i) => (onesA[i] ? 1 : d));
      const [x, y] = swap ? [out, a] : [a, out];
      const X = { shape: x, data: random(numel(x), seed) };
      const Y = { shape: y, data: random(numel(y), seed + 1) };
      const got = mapArithmetic(X, Y, out, dtype, op);
      expect(got.data).toBeInstanceOf(dtype === 'f32' ? Float32Array : Float64Array);
      expect(Array.from(got.data)).toEqual(Array.from(mapBinary(X, Y, out, dtype, fns[op]).data));
    }), { numRuns: 150 });
  });
});
