// The Explain tab's text: which mode wins and why, from the FLOP model of the derived graphs.
import { describe, expect, it } from 'vitest';
import { compileOrThrow } from '../../src/index.ts';
import { explainCost, formatFlops } from '../../src/app/views/explain-model.ts';

describe('the cost model in words', () => {
  it('says reverse mode wins for a scalar loss: one VJP pass against one JVP pass per input', () => {
    const program = compileOrThrow('input x[n]\noutput loss = sum(tanh(x) ^ 2)\n', { n: 4096 });
    const e = explainCost(program);
    expect([e.n, e.m, e.winner]).toEqual([4096, 1, 'rev']);
    expect(e.factor).toBeGreaterThan(1000);
    expect(e.why).toBe('Reverse mode wins: one scalar loss means one VJP pass, while forward mode needs 4,096 JVP passes — one per input.');
    expect(e.verdict).toMatch(/^Reverse mode: about [\d,]+× cheaper/);
    expect(e.notes.some((n) => n.includes('not one scalar'))).toBe(false);
  });

  it('says forward mode wins with few inputs and many outputs, and that reverse mode needs a seed per output', () => {
    const program = compileOrThrow('input t[k]\ninput W[m, k]\noutput y = sin(W @ t)\n', { k: 3, m: 1000 });
    const e = explainCost(program, ['t']);
    expect([e.n, e.m, e.winner]).toEqual([3, 1000, 'fwd']);
    expect(e.why).toBe('Forward mode wins: 3 input scalars mean 3 JVP passes, while reverse mode needs 1,000 VJP passes — one per output.');
    expect(e.notes.join(' ')).toMatch(/not one scalar \(y is \[1000\]\): reverse mode needs a seed/);
    expect(e.notes.join(' ')).toContain('Held fixed (not differentiated): W.');
    // Every input by default: W's 3000 scalars make forward mode the expensive one.
    expect(explainCost(program).winner).toBe('rev');
  });

  it('relates one JVP and one VJP to the primal, and calls equal costs a tie', () => {
    const e = explainCost(compileOrThrow('input x[n]\noutput y = sin(x)\n', { n: 8 }));
    expect(e.winner).toBe('tie');
    expect(e.jvpFlops / e.primalFlops).toBeGreaterThan(1);
    expect(e.relative).toMatch(/^One JVP costs about [\d.]+× the primal's/);
  });

  it('warns when the full Jacobian is too large to form, without building anything large', () => {
    const start = performance.now();
    const e = explainCost(compileOrThrow('input x[n]\ninput W[n, n]\noutput y = tanh(W @ x)\n', { n: 4096 }));
    expect(performance.now() - start).toBeLessThan(2000);
    expect(e.notes.join(' ')).toMatch(/never formed at this size/);
  });

  it('formats FLOP counts with SI prefixes', () => {
    expect(formatFlops(740)).toBe('740 FLOPs');
    expect(formatFlops(7389)).toBe('7.4 kFLOPs');
    expect(formatFlops(1.1e12)).toBe('1.1 TFLOPs');
    expect(formatFlops(279e9)).toBe('279 GFLOPs');
  });
});
