import fc from 'fast-check';
import { describe, it } from 'vitest';
import type { GraphBuilder } from '../../src/ir/builder.ts';
import type { NodeId } from '../../src/ir/graph.ts';
import { UNARY_PRIMS } from '../../src/ir/primitives.ts';
import type { Shape } from '../../src/ir/shape.ts';
import type { AdCase } from '../support/ad-harness.ts';
import { checkCase } from './check-case.ts';
import { BINARY_DOMAINS, UNARY_DOMAINS } from '../support/domains.ts';

const RUNS = { numRuns: 40 };
const dim = fc.integer({ min: 1, max: 4 });
const shape = (maxRank: number) => fc.array(dim, { maxLength: maxRank });

/** Right-aligned broadcasting partners of `out`: a random suffix with some sizes set to 1. */
const broadcastPair = shape(3).chain((out) =>
  fc.tuple(...[0, 1].map(() => fc.tuple(fc.integer({ min: 0, max: out.length }), fc.array(fc.boolean(), { minLength: out.length, maxLength: out.length }))))
    .map((specs) => specs.map(([rank, ones]) => out.slice(out.length - rank).map((d, i) => (ones[i + out.length - rank] ? 1 : d))) as Shape[]),
);

describe('every primitive: JVP/VJP/HVP against finite differences, dot-product test, batching', () => {
  for (const prim of UNARY_PRIMS) {
    it(prim, () => {
      fc.assert(fc.property(shape(3), fc.nat(), (s, seed) => {
        const sample = UNARY_DOMAINS[prim];
        checkCase({ name: prim, shapes: [s], build: (b, [x]) => b.unary(prim, x), sample: sample && ((u) => sample(u)) }, seed);
      }), RUNS);
    });
  }

  for (const prim of ['add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum'] as const) {
    it(`${prim} with broadcasting`, () => {
      fc.assert(fc.property(broadcastPair, fc.nat(), (shapes, seed) => {
        checkCase({ name: prim, shapes, build: (b, [x, y]) => b.apply(prim, [x, y], {}), sample: BINARY_DOMAINS[prim] }, seed);
      }), RUNS);
    });
  }

  it('greater and equal have zero derivatives (a mask times a value)', () => {
    fc.assert(fc.property(broadcastPair, fc.nat(), (shapes, seed) => {
      const build = (b: GraphBuilder, [x, y]: readonly NodeId[]) => b.mul(b.apply('greater', [x, y], {}), b.add(b.apply('equal', [x, x], {}), b.mul(x, y)));
      checkCase({ name: 'greater/equal', shapes, build }, seed);
    }), RUNS);
  });

  it('matmul, with batch dimensions on either side', () => {
    const batchCase = fc.tuple(dim, dim, dim, dim, fc.constantFrom('none', 'left', 'right', 'both', 'broadcast'));
    fc.assert(fc.property(batchCase, fc.nat(), ([p, q, r, k, batch], seed) => {
      const shapes: Record<typeof batch, Shape[]> = {
        none: [[p, q], [q, r]],
        left: [[k, p, q], [q, r]],
        right: [[p, q], [k, q, r]],
        both: [[k, p, q], [k, q, r]],
        broadcast: [[k, p, q], [1, q, r]],
      };
      checkCase({ name: `matmul ${batch}`, shapes: shapes[batch], build: (b, [x, y]) => b.matmul(x, y) }, seed);
    }), RUNS);
  });

  it('broadcast, reshape and transpose', () => {
    fc.assert(fc.property(broadcastPair, fc.nat(), ([from], seed) => {
      const to = [2, ...from.map((d) => (d === 1 ? 3 : d))];
      checkCase({ name: 'broadcast', shapes: [from], build: (b, [x]) => b.mul(b.broadcast(x, from, to), b.broadcast(x, from, to)) }, seed);
    }), RUNS);
    fc.assert(fc.property(dim, dim, fc.nat(), (m, n, seed) => {
      checkCase({ name: 'reshape', shapes: [[m, n]], build: (b, [x]) => b.unary('sin', b.reshape(x, [m, n], [n * m])) }, seed);
      checkCase({ name: 'transpose', shapes: [[m, n]], build: (b, [x]) => b.matmul(b.transpose(x), x) }, seed);
    }), RUNS);
  });

  for (const prim of ['sum', 'reduce_max', 'logsumexp'] as const) {
    it(`${prim} over any set of axes`, () => {
      const reduction = shape(3).filter((s) => s.length > 0).chain((s) =>
        fc.subarray(s.map((_, i) => i - s.length), { minLength: 1 }).map((axes) => ({ s, axes })));
      fc.assert(fc.property(reduction, fc.nat(), ({ s, axes }, seed) => {
        checkCase({ name: `${prim} axes ${axes}`, shapes: [s], build: (b, [x]) => b.apply(prim, [x], { axes }) }, seed);
      }), RUNS);
    });
  }
});
