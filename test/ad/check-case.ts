import { expect } from 'vitest';
import { expectAllclose } from '../support/allclose.ts';
import {
  type AdCase, centralDifference, cotangentName, derivedGraphs, dot, graphOf, hvpGraph, hvpOutputName, inputNames, jvp, randomLike,
  run, sampleInputs, scalarized, shapesOf, tangentName, typecheck, vjp, withSuffix, type Values,
} from '../support/ad-harness.ts';

/** Tolerances for f64 checks: central differences at h = 1e-5 leave ~1e-10 truncation error. */
const FD = { rtol: 1e-6, atol: 1e-7 };
const EXACT = { rtol: 1e-12, atol: 1e-12 };

/**
 * Checks one case every way the engine promises: derived graphs type-check; JVP matches central
 * differences; the dot-product identity ties VJP to JVP; a batch of k tangents (cotangents) equals k
 * single passes; and the HVP of a scalarized version matches differences of its gradient.
 */
export function checkCase(c: AdCase, seed: number): void {
  const graph = graphOf(c);
  const label = `${c.name} ${JSON.stringify(c.shapes)}`;
  for (const [kind, g] of Object.entries({ primal: graph, ...derivedGraphs(graph, 3) })) {
    expect(typecheck(g), `${label}: ${kind} graph type-checks`).toEqual([]);
  }
  const x = sampleInputs(c, seed);
  const inShapes = shapesOf(graph, 'inputs');
  const outShapes = shapesOf(graph, 'outputs');
  const v = randomLike(inShapes, seed + 1);
  const u = randomLike(outShapes, seed + 2);

  // JVP against central differences.
  const J = jvp(graph, []);
  const jvpOut = run(J, { ...x, ...withSuffix(v, tangentName) });
  const fd = centralDifference((p) => run(graph, p), x, v);
  expectAllclose(jvpOut[tangentName('y')], fd.y, FD, `${label} jvp vs finite differences`);

  // Dot-product test: uᵀ(J v) = (Jᵀu)ᵀ v.
  const V = vjp(graph, []);
  const vjpOut = run(V, { ...x, ...withSuffix(u, cotangentName) });
  const lhs = dot(u, { y: jvpOut[tangentName('y')] });
  const rhs = dot(v, Object.fromEntries(inputNames(c).map((n) => [n, vjpOut[cotangentName(n)]])));
  expect(Math.abs(lhs - rhs), `${label} dot-product test ${lhs} vs ${rhs}`).toBeLessThanOrEqual(1e-10 * (1 + Math.abs(lhs)));

  // Batched = unbatched, column by column (forward) and row by row (reverse).
  const k = 3;
  const vb = randomLike(inShapes, seed + 3, [k]);
  const ub = randomLike(outShapes, seed + 4, [k]);
  const jvpBatched = run(jvp(graph, [k]), { ...x, ...withSuffix(vb, tangentName) })[tangentName('y')];
  const vjpBatched = run(vjp(graph, [k]), { ...x, ...withSuffix(ub, cotangentName) });
  for (let j = 0; j < k; j++) {
    const slice = (vals: Values) => Object.fromEntries(Object.entries(vals).map(([n, d]) => [n, d.subarray(j * (d.length / k), (j + 1) * (d.length / k))]));
    const single = run(J, { ...x, ...withSuffix(slice(vb), tangentName) })[tangentName('y')];
    expectAllclose(slice({ y: jvpBatched }).y, single, EXACT, `${label} batched jvp column ${j}`);
    const singleV = run(V, { ...x, ...withSuffix(slice(ub), cotangentName) });
    for (const n of inputNames(c)) expectAllclose(slice({ [n]: vjpBatched[cotangentName(n)] })[n], singleV[cotangentName(n)], EXACT, `${label} batched vjp row ${j} of ${n}`);
  }

  // HVP (forward-over-reverse) against central differences of the gradient.
  const scalar = scalarized(graph);
  const w = randomLike({ w: outShapes.y }, seed + 5);
  const xs = { ...x, ...w };
  const dir = randomLike(shapesOf(scalar, 'inputs'), seed + 6);
  const H = hvpGraph(scalar, 'loss', []);
  const hv = run(H, { ...xs, ...withSuffix(dir, tangentName) });
  const grad = vjp(scalar, [], { seed: 'ones' });
  const fdGrad = centralDifference((p) => run(grad, p), xs, dir);
  for (const n of Object.keys(xs)) expectAllclose(hv[hvpOutputName(n)], fdGrad[cotangentName(n)], { rtol: 1e-5, atol: 1e-6 }, `${label} hvp for ${n}`);
}
