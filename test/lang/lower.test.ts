import { describe, expect, it } from 'vitest';
import { compile } from '../../src/index.ts';

/** [kind, line, column, length] of every error, plus the messages. */
function errorsOf(source: string, sizes: Record<string, number> = { n: 3, m: 2 }) {
  const r = compile(source, sizes);
  if (r.ok) throw new Error('expected errors');
  return { at: r.errors.map((e) => [e.kind, e.line, e.column, e.length]), messages: r.errors.map((e) => e.message) };
}

describe('shape checking and name resolution report line:column at the offending token', () => {
  it('broadcast mismatch points at the operator and shows both shapes', () => {
    const { at, messages } = errorsOf('input x[n]\ninput y[m]\noutput z = x + y');
    expect(at).toEqual([['shape-mismatch', 3, 14, 1]]);
    expect(messages[0]).toBe('cannot add x [3] and y [2]: shapes must be equal, or broadcast (matching from the right, each size equal or 1)');
  });

  it('matmul inner size mismatch points at @', () => {
    const { at, messages } = errorsOf('input A[m, n]\ninput v[m]\noutput y = A @ v');
    expect(at).toEqual([['shape-mismatch', 3, 14, 1]]);
    expect(messages[0]).toMatch(/inner sizes 3 and 2 must be equal/);
  });

  it('@ with a scalar suggests *', () => {
    expect(errorsOf('input s\ninput x[n]\noutput y = s @ x').messages[0]).toMatch(/use '\*'/);
  });

  it('unknown names suggest the nearest defined name', () => {
    const { at, messages } = errorsOf('input weights[n]\noutput y = sum(wieghts)');
    expect(at).toEqual([['unknown-name', 2, 16, 7]]);
    expect(messages[0]).toBe("unknown name 'wieghts'; did you mean 'weights'?");
  });

  it('unknown functions suggest a built-in', () => {
    const { at, messages } = errorsOf('input x[n]\noutput y = tanhh(x)');
    expect(at).toEqual([['unknown-name', 2, 12, 5]]);
    expect(messages[0]).toBe("unknown function 'tanhh'; did you mean 'tanh'?");
  });

  it('a function used as a value, and a value called as a function', () => {
    expect(errorsOf('input x[n]\noutput y = x * sin').messages[0]).toMatch(/'sin' is a function/);
    expect(errorsOf('input x[n]\noutput y = x(2)').messages[0]).toMatch(/'x' is a value, not a function/);
  });

  it('wrong number of arguments', () => {
    const { at, messages } = errorsOf('input x[n]\noutput y = pow(x)');
    expect(at).toEqual([['arity', 2, 12, 6]]);
    expect(messages[0]).toBe('pow takes 2 arguments (pow(a, b)), got 1');
  });

  it('axis arguments must be literal and in range', () => {
    expect(errorsOf('input A[m, n]\noutput y = sum(A, 2)').at).toEqual([['shape-mismatch', 2, 19, 1]]);
    expect(errorsOf('input A[m, n]\ninput k\noutput y = sum(A, k)').messages[0]).toMatch(/whole number written out/);
    expect(errorsOf('input x[n]\noutput y = softmax(x, 1)').messages[0]).toMatch(/axis 1 is out of range for x \[3\]: use 0..0/);
  });

  it('sizes without a value, and sizes that are not positive whole numbers', () => {
    expect(errorsOf('input x[q]\noutput y = x').at).toEqual([['unbound-size', 1, 9, 1]]);
    expect(errorsOf('input x[n]\noutput y = x', { n: 0 }).at).toEqual([['invalid-size', 1, 9, 1]]);
    expect(errorsOf('input x[n]\noutput y = x', { n: 2.5 }).messages[0]).toMatch(/positive whole number/);
  });

  it('a program without outputs', () => {
    expect(errorsOf('input x[n]\nh = x * 2').at).toEqual([['no-output', 2, 1, 9]]);
  });

  it('reports several independent errors at once, and each bad binding only once', () => {
    const { at } = errorsOf('input x[n]\ninput y[m]\na = x + y\nb = a * 2\nc = nope\noutput z = a + b + c + zz');
    expect(at).toEqual([
      ['shape-mismatch', 3, 7, 1],
      ['unknown-name', 5, 5, 4],
      ['unknown-name', 6, 24, 2],
    ]);
  });

  it('syntax errors stop before shape checking', () => {
    const r = compile('input x[n]\noutput y = (x +', { n: 2 });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.every((e) => e.kind === 'syntax')).toBe(true);
  });

  it('size names can be used as numbers', async () => {
    const r = compile('input x[n]\noutput y = sum(x) / n', { n: 4 });
    expect(r.ok).toBe(true);
    if (r.ok) expect((await r.program.evaluate({ x: [1, 2, 3, 6] })).outputs.y.data[0]).toBe(3);
  });
});
