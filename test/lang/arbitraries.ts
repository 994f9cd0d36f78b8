// fast-check generators for the expression language: random ASTs and valid programs.
import fc from 'fast-check';
import type { BinaryOp, Expr, Span } from '../../src/lang/ast.ts';
import { formatExpr } from '../../src/lang/print.ts';

const NOWHERE: Span = { line: 1, column: 1, length: 0, offset: 0 };

export const nameArb = fc.constantFrom('a', 'b', 'x', 'W', 'h', '_t', 'x1', 'inputs', 'output_', 'tanh', 'sum');
export const numberTextArb = fc.constantFrom('0', '2', '10', '0.5', '.5', '1e-3', '2.5E+4', '007', '3.25', '1e9');

const leafArb: fc.Arbitrary<Expr> = fc.oneof(
  nameArb.map((name): Expr => ({ kind: 'name', name, span: NOWHERE })),
  numberTextArb.map((text): Expr => ({ kind: 'number', value: Number(text), text, span: NOWHERE })),
);

/** Random expression trees of the shapes the parser produces (numbers are never negative literals). */
export const exprArb: fc.Arbitrary<Expr> = fc.letrec<{ expr: Expr }>((tie) => ({
  expr: fc.oneof(
    { maxDepth: 6, depthSize: 'medium' },
    leafArb,
    fc.record({ op: fc.constantFrom<'-' | '+'>('-', '+'), operand: tie('expr') }).map(
      ({ op, operand }): Expr => ({ kind: 'unary', op, operand, span: NOWHERE, opSpan: NOWHERE }),
    ),
    fc.record({ op: fc.constantFrom<BinaryOp>('+', '-', '*', '/', '^', '@'), left: tie('expr'), right: tie('expr') }).map(
      ({ op, left, right }): Expr => ({ kind: 'binary', op, left, right, span: NOWHERE, opSpan: NOWHERE }),
    ),
    fc.record({ callee: nameArb, args: fc.array(tie('expr'), { maxLength: 3 }) }).map(
      ({ callee, args }): Expr => ({ kind: 'call', callee, calleeSpan: NOWHERE, args, span: NOWHERE }),
    ),
  ),
})).expr;

/**
 * Prints an expression with every compound part in parentheses and random spacing, line breaks
 * and comments inside them: a differently laid out source for the same tree.
 */
export function printNoisily(expr: Expr, random: () => number): string {
  const gap = (): string => ['', ' ', '  ', '\t', '\n ', ' # note\n', '\n\n'][Math.floor(random() * 7)]!;
  const wrap = (text: string): string => {
    const once = `(${gap()}${text}${gap()})`;
    return random() < 0.2 ? `(${once})` : once;
  };
  switch (expr.kind) {
    case 'number':
      return expr.text;
    case 'name':
      return expr.name;
    case 'unary':
      return wrap(`${expr.op}${gap()}${printNoisily(expr.operand, random)}`);
    case 'binary':
      return wrap(`${printNoisily(expr.left, random)}${gap()}${expr.op}${gap()}${printNoisily(expr.right, random)}`);
    case 'call': {
      const args = expr.args.map((a) => `${gap()}${printNoisily(a, random)}${gap()}`).join(',');
      return `${expr.callee}(${args}${gap()})`;
    }
    default:
      return expr satisfies never;
  }
}

/** A deterministic pseudo-random source (mulberry32), so failures shrink and replay. */
export function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The skeleton of a valid program; names are made unique by their position. */
export interface ProgramPlan {
  inputs: { dims: (number | string)[] }[];
  bindings: { value: Expr; output: boolean }[];
  markOutputs: number[];
  seed: number;
  comments: boolean;
}

export const programPlanArb: fc.Arbitrary<ProgramPlan> = fc.record({
  inputs: fc.array(fc.record({ dims: fc.array(fc.oneof(fc.integer({ min: 1, max: 99 }), fc.constantFrom('n', 'm', 'k')), { maxLength: 3 }) }), { maxLength: 4 }),
  bindings: fc.array(fc.record({ value: exprArb, output: fc.boolean() }), { minLength: 1, maxLength: 4 }),
  markOutputs: fc.uniqueArray(fc.nat(7), { maxLength: 3 }),
  seed: fc.integer(),
  comments: fc.boolean(),
});

/** Source text for a plan: inputs `in0..`, bindings `v0..`, then `output` markers of earlier names. */
export function renderProgram(plan: ProgramPlan): string {
  const random = seeded(plan.seed);
  const lines: string[] = [];
  const names: string[] = [];
  const marked = new Set<string>();
  const comment = (): string => (plan.comments && random() < 0.3 ? '   # a comment, with = and ( in it' : '');
  if (plan.comments) lines.push('# generated program', '');
  plan.inputs.forEach(({ dims }, i) => {
    names.push(`in${i}`);
    lines.push(`input in${i}${dims.length > 0 ? `[${dims.join(random() < 0.5 ? ', ' : ',')}]` : ''}${comment()}`);
  });
  plan.bindings.forEach(({ value, output }, i) => {
    names.push(`v${i}`);
    if (output) marked.add(`v${i}`);
    const text = random() < 0.5 ? formatExpr(value) : printNoisily(value, random);
    lines.push(`${output ? 'output ' : ''}v${i} = ${text}${comment()}`);
    if (random() < 0.2) lines.push('');
  });
  for (const index of plan.markOutputs) {
    const name = names[index % names.length]!;
    if (marked.has(name)) continue;
    marked.add(name);
    lines.push(`output ${name}`);
  }
  return lines.join(random() < 0.2 ? '\r\n' : '\n') + (random() < 0.5 ? '\n' : '');
}
