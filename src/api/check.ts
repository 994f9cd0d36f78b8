import type { Tensor } from '../backend/cpu/tensor.ts';
import { numel } from '../ir/shape.ts';
import type { PortInfo } from '../lang/lower.ts';
import type { Program, RunOptions } from './program.ts';
import { randomValues, type Values } from './values.ts';

export interface CheckResult {
  readonly name: string;
  readonly passed: boolean;
  /** Relative error: |difference| / max(1, |reference|), maxed over elements. */
  readonly error: number;
  readonly tolerance: number;
  readonly detail: string;
}

export interface CheckReport {
  readonly passed: boolean;
  readonly checks: CheckResult[];
}

export interface CheckOptions extends RunOptions {
  /** Seed for the random directions (and inputs, when none are given). */
  readonly seed?: number;
  /** Finite-difference step; central differences have O(h²) error. */
  readonly step?: number;
}

/** Tolerances for f64: central differences at h = 1e-5 are good to ~1e-9; the dot test is exact up to rounding. */
export const FD_TOLERANCE = 1e-6;
export const DOT_TOLERANCE = 1e-10;

type Flat = Record<string, Float64Array>;

const flat = (r: Record<string, Tensor>): Flat => Object.fromEntries(Object.entries(r).map(([k, t]) => [k, Float64Array.from(t.data)]));

/** x + h·v for each named tensor. */
function step(x: Flat, v: Flat, h: number, ports: readonly PortInfo[]): Record<string, Tensor> {
  return Object.fromEntries(ports.map((p) => [p.name, { shape: p.shape, data: x[p.name].map((xi, i) => xi + h * v[p.name][i]) }]));
}

function relativeError(a: Flat, b: Flat): number {
  let err = 0;
  for (const name of Object.keys(b)) {
    for (let i = 0; i < b[name].length; i++) err = Math.max(err, Math.abs(a[name][i] - b[name][i]) / Math.max(1, Math.abs(b[name][i])));
  }
  return err;
}

function dot(a: Flat, b: Flat): number {
  let s = 0;
  for (const name of Object.keys(a)) for (let i = 0; i < a[name].length; i++) s += a[name][i] * b[name][i];
  return s;
}

/**
 * Checks the program's derivatives at `inputs` (random when omitted), in f64 on the CPU:
 * JVP against central finite differences, the dot-product identity uᵀ(J v) = (Jᵀu)ᵀv that ties VJP to
 * JVP, and for every scalar output the HVP against finite differences of the gradient.
 */
export async function check(program: Program, inputs?: Values, options: CheckOptions = {}): Promise<CheckReport> {
  const seed = options.seed ?? 0;
  const h = options.step ?? 1e-5;
  const run = { ...options, dtype: 'f64' as const };
  const x = flat(inputs === undefined ? randomValues(program.inputs, seed) : Object.fromEntries(program.inputValues(inputs)));
  const directions = randomValues(program.inputs, seed + 1);
  const weights = randomValues(program.outputs, seed + 2);
  const v = flat(directions);
  const u = flat(weights);
  const checks: CheckResult[] = [];
  const at = (hh: number) => step(x, v, hh, program.inputs);

  const { tangents } = await program.jvp(at(0), directions, run);
  const jv = flat(tangents);
  const plus = flat((await program.evaluate(at(h), run)).outputs);
  const minus = flat((await program.evaluate(at(-h), run)).outputs);
  const fd: Flat = Object.fromEntries(Object.keys(plus).map((k) => [k, plus[k].map((p, i) => (p - minus[k][i]) / (2 * h))]));
  const fdError = relativeError(jv, fd);
  checks.push({ name: 'jvp vs finite differences', passed: fdError <= FD_TOLERANCE, error: fdError, tolerance: FD_TOLERANCE, detail: `J·v against (f(x+hv) - f(x-hv)) / 2h, h = ${h}` });

  const { cotangents } = await program.vjp(at(0), weights, run);
  const lhs = dot(u, jv);
  const rhs = dot(flat(cotangents), v);
  const dotError = Math.abs(lhs - rhs) / Math.max(1, Math.abs(lhs));
  checks.push({ name: 'dot-product test', passed: dotError <= DOT_TOLERANCE, error: dotError, tolerance: DOT_TOLERANCE, detail: `uᵀ(J v) = ${lhs.toPrecision(12)}, (Jᵀu)ᵀv = ${rhs.toPrecision(12)}` });

  for (const out of program.outputs.filter((p) => numel(p.shape) === 1 && p.shape.length === 0)) {
    const hv = flat((await program.hvp(at(0), directions, { ...run, output: out.name, gradient: false })).hvp);
    const gPlus = flat((await program.grad(at(h), { ...run, output: out.name })).gradient);
    const gMinus = flat((await program.grad(at(-h), { ...run, output: out.name })).gradient);
    const fdH: Flat = Object.fromEntries(Object.keys(gPlus).map((k) => [k, gPlus[k].map((p, i) => (p - gMinus[k][i]) / (2 * h))]));
    const hvError = relativeError(hv, fdH);
    checks.push({ name: `hvp of ${out.name} vs finite differences of the gradient`, passed: hvError <= FD_TOLERANCE, error: hvError, tolerance: FD_TOLERANCE, detail: `H·v against (∇f(x+hv) - ∇f(x-hv)) / 2h` });
  }
  return { passed: checks.every((c) => c.passed), checks };
}
