import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatExpr } from '../../src/lang/print.ts';
import { exprArb } from './arbitraries.ts';
import { parseExpr, withoutSpans } from './helpers.ts';

describe('formatExpr', () => {
  it.each([
    ['a+b*c', 'a + b * c'],
    ['(a+b)*c', '(a + b) * c'],
    ['a-(b-c)', 'a - (b - c)'],
    ['(a-b)-c', 'a - b - c'],
    ['a/(b*c)', 'a / (b * c)'],
    ['(a@b)@c', 'a @ b @ c'],
    ['a@(b@c)', 'a @ (b @ c)'],
    ['a*(b@c)', 'a * (b @ c)'],
    ['-x^2', '-x^2'],
    ['(-x)^2', '(-x)^2'],
    ['2^3^2', '2^3^2'],
    ['(2^3)^2', '(2^3)^2'],
    ['2^-1', '2^-1'],
    ['2^(-x^2)', '2^-x^2'],
    ['2^(a*b)', '2^(a * b)'],
    ['-(a+b)', '-(a + b)'],
    ['-(a*b)', '-(a * b)'],
    ['(-a)*b', '-a * b'],
    ['a*(-b)', 'a * -b'],
    ['a-(-b)', 'a - -b'],
    ['-(-a)', '--a'],
    ['+(a)', '+a'],
    ['f(a+b, (c), g())^2', 'f(a + b, c, g())^2'],
    ['tanh(W @ x + b)', 'tanh(W @ x + b)'],
    ['.5e-3*x', '.5e-3 * x'],
  ])('prints %s as %s', (source, printed) => {
    expect(formatExpr(parseExpr(source))).toBe(printed);
  });

  it('re-parses to the same tree for random expressions', () => {
    fc.assert(
      fc.property(exprArb, (expr) => {
        expect(withoutSpans(parseExpr(formatExpr(expr)))).toEqual(withoutSpans(expr));
      }),
      { numRuns: 1000 },
    );
  });

  it('is a fixed point after one round trip', () => {
    fc.assert(
      fc.property(exprArb, (expr) => {
        const printed = formatExpr(expr);
        expect(formatExpr(parseExpr(printed))).toBe(printed);
      }),
      { numRuns: 300 },
    );
  });
});
