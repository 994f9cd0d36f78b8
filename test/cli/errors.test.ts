// What users see when something is wrong: clear messages, the right exit codes, no stack traces.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Program } from '../../src/index.ts';
import { cli } from './harness.ts';


/** The single error of a --json run, checking the contract's exact fields. */
async function jsonError(argv: string[], files: Record<string, unknown> = {}, code = 1) {
  const r = await cli([...argv, '--json'], files);
  expect(r.code).toBe(code);
  expect(r.stderr).toBe('');
  const out = r.json();
  expect(out.errors.length).toBeGreaterThan(0);
  for (const e of out.errors) expect(Object.keys(e)).toEqual(['kind', 'message', 'line', 'column']);
  return out.errors[0] as { kind: string; message: string; line: number; column: number };
}

const SUM = 'input x[n]\noutput y = sum(x)';

describe('program errors', () => {
  it('a syntax error in --json mode has its line and column', async () => {
    const e = await jsonError(['eval', '-e', 'input x[n]\noutput y = x +', '--size', 'n=2']);
    expect(e).toMatchObject({ kind: 'syntax', line: 2 });
    expect(e.column).toBeGreaterThan(0);
  });

  it('as text, diagnostics name the file and point at the source with a caret', async () => {
    const r = await cli(['eval', 'bad.gl', '--size', 'n=2'], { 'bad.gl': 'input x[n]\noutput y = sum(x) @ 2\n' });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^bad\.gl:2:\d+ error: /);
    expect(r.stderr).toContain('\n  output y = sum(x) @ 2\n');
    expect(r.stderr).toMatch(/\n\s+\^+\n/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('an unbound size says which --size to give', async () => {
    const e = await jsonError(['eval', '-e', SUM]);
    expect(e).toMatchObject({ kind: 'unbound-size', line: 1 });
    expect(e.message).toContain('--size n=');
  });

  it('grad of a vector output explains to reduce it with sum or to use vjp with a cotangent', async () => {
    const e = await jsonError(['grad', '-e', 'input x[n]\noutput y = x * x', '--size', 'n=3']);
    expect(e).toMatchObject({ kind: 'not-scalar', line: 0, column: 0 });
    expect(e.message).toContain('sum(');
    expect(e.message).toContain('cotangent');
  });

  it('grad with several outputs asks for --output; an unknown --output lists the outputs', async () => {
    expect((await jsonError(['grad', 'examples/mlp.gl', '--size', 'n=2,h=2,m=2'])).message).toContain('--output');
    expect((await jsonError(['grad', 'examples/mlp.gl', '--size', 'n=2,h=2,m=2', '--output', 'nope'])).message).toContain('y, loss');
  });
});

describe('sizes and memory', () => {
  it('bad --size syntax is a usage error (exit 2)', async () => {
    for (const size of ['n', 'n4', 'n=', '=4', 'n=0', 'n=2.5', 'n=-1', 'n=4,,m=3', '4=n']) {
      const e = await jsonError(['eval', '-e', SUM, '--size', size], {}, 2);
      expect(e).toMatchObject({ kind: 'usage', line: 0, column: 0 });
      expect(e.message).toMatch(/--size|size/);
    }
    const text = await cli(['eval', '-e', SUM, '--size', 'n:4']);
    expect(text.code).toBe(2);
    expect(text.stderr).toContain("bad --size 'n:4': write NAME=VALUE pairs");
  });

  it('a size bound twice to different values is refused', async () => {
    expect((await jsonError(['eval', '-e', SUM, '--size', 'n=2', '--size', 'n=3'], {}, 2)).message).toContain("size 'n' is given twice");
  });

  it('an input with more elements than the engine accepts is refused at compile time', async () => {
    const e = await jsonError(['eval', '-e', 'input W[m, n]\ninput x[n]\noutput y = W @ x', '--size', 'n=100000,m=100000', '--memory-budget', '1M']);
    expect(e).toMatchObject({ kind: 'too-large', line: 1 });
  });

  it('sizes beyond the memory budget are refused before any input is drawn', async () => {
    const before = process.memoryUsage().arrayBuffers;
    const start = performance.now();
    // W alone would be 10⁸ doubles = 800 MB.
    const e = await jsonError(['jacobian', '-e', 'input W[m, n]\ninput x[n]\noutput y = W @ x', '--size', 'n=10000,m=10000', '--memory-budget', '64M']);
    expect(e).toMatchObject({ kind: 'too-large', line: 0, column: 0 });
    expect(e.message).toMatch(/GiB budget.*--memory-budget/);
    expect(performance.now() - start).toBeLessThan(2000);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 * 1024 ** 2);
  });

  it('a Jacobian too large for the budget is refused', async () => {
    const e = await jsonError(['jacobian', '-e', 'input x[n]\noutput y = 2 * x', '--size', 'n=2000', '--memory-budget', '1M']);
    expect(e.kind).toBe('too-large');
  });

  it('bad --memory-budget values are usage errors', async () => {
    for (const budget of ['2X', '-1', '0', 'lots']) expect((await jsonError(['eval', '-e', SUM, '--size', 'n=2', '--memory-budget', budget], {}, 2)).message).toContain('--memory-budget');
  });
});

describe('value files', () => {
  it('a missing file is an error at line 0', async () => {
    const e = await jsonError(['eval', 'does-not-exist.gl']);
    expect(e).toEqual({ kind: 'file', message: "cannot read the program 'does-not-exist.gl': no such file", line: 0, column: 0 });
    expect((await jsonError(['eval', '-e', SUM, '--size', 'n=2', '--inputs', 'nope.json'])).message).toContain("cannot read the inputs file 'nope.json'");
  });

  it('invalid JSON names the file', async () => {
    const e = await jsonError(['eval', '-e', SUM, '--size', 'n=2', '--inputs', 'in.json'], { 'in.json': '{"x": [1, 2' });
    expect(e).toMatchObject({ kind: 'invalid-json', line: 0, column: 0 });
    expect(e.message).toMatch(/^in\.json: not valid JSON/);
    expect((await jsonError(['eval', '-e', SUM, '--size', 'n=2', '--inputs', 'in.json'], { 'in.json': '[1, 2]' })).message).toContain('JSON object');
    expect((await jsonError(['eval', '-e', SUM, '--size', 'n=2', '--inputs', 'in.json'], { 'in.json': '{"x": "1, 2"}' })).message).toContain("'x'");
  });

  it('a wrong shape names the input and both shapes', async () => {
    const e = await jsonError(['eval', '-e', 'input W[m, n]\ninput x[n]\noutput y = W @ x', '--size', 'n=3,m=2', '--inputs', 'in.json'], { 'in.json': { W: [[1, 2, 3]], x: [1, 2, 3] } });
    expect(e.kind).toBe('invalid-value');
    expect(e.message).toContain("input 'W'");
    expect(e.message).toContain('[2, 3]');
    expect(e.message).toContain('[1, 3]');
  });

  it('missing and unknown inputs are named', async () => {
    expect((await jsonError(['eval', '-e', SUM, '--size', 'n=2', '--inputs', 'in.json'], { 'in.json': {} })).message).toContain("input 'x'");
    expect((await jsonError(['eval', '-e', SUM, '--size', 'n=2', '--inputs', 'in.json'], { 'in.json': { x: [1, 2], z: 1 } })).message).toContain("'z'");
  });

  it('a tangent of the wrong shape names it', async () => {
    const e = await jsonError(['jvp', '-e', SUM, '--size', 'n=2', '--tangent', 't.json'], { 't.json': { x: [1, 2, 3] } });
    expect(e.message).toMatch(/tangent for 'x'.*\[2\].*\[3\]/);
  });
});

describe('command line', () => {
  it('an unknown command is a usage error with a suggestion', async () => {
    const r = await cli(['evl', '-e', SUM]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown command 'evl'; did you mean 'eval'?");
    expect(r.stderr).toContain('gradient-lab help');
    expect((await jsonError(['frobnicate'], {}, 2)).kind).toBe('usage');
  });

  it('unknown options, missing values, and options of other commands are usage errors', async () => {
    expect((await jsonError(['eval', '-e', SUM, '--sizes', 'n=2'], {}, 2)).message).toContain("did you mean '--size'?");
    expect((await jsonError(['eval', '-e', SUM, '--size'], {}, 2)).message).toContain('--size needs a value');
    expect((await jsonError(['eval', '-e', SUM, '--inputs', '--size', 'n=2'], {}, 2)).message).toContain('--inputs needs a value');
    expect((await jsonError(['eval', '-e', SUM, '--size', 'n=2', '--chunk', '2'], {}, 2)).message).toContain('(it is for: jacobian)');
    expect((await jsonError(['jacobian', '-e', SUM, '--size', 'n=2', '--mode', 'sideways'], {}, 2)).message).toContain('fwd, rev, auto');
    expect((await jsonError(['jacobian', '-e', SUM, '--size', 'n=2', '--chunk', '0'], {}, 2)).message).toContain('--chunk');
    expect((await jsonError(['eval', '-e', SUM, '--size', 'n=2', '--dtype', 'f16'], {}, 2)).message).toContain('f64, f32');
    expect((await jsonError(['eval', '--size', 'n=2'], {}, 2)).message).toContain('FILE, or -e SOURCE');
    expect((await jsonError(['eval', 'a.gl', 'b.gl'], {}, 2)).message).toContain("unexpected argument 'b.gl'");
  });

  it('no arguments prints the usage to stderr with exit 2', async () => {
    const r = await cli([]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Usage: gradient-lab');
  });

  it('an unknown backend is reported', async () => {
    expect((await jsonError(['eval', '-e', SUM, '--size', 'n=2', '--backend', 'tpu'], {}, 2)).message).toContain('cpu, webgpu, auto');
  });
});

describe('internal errors', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('exit with 70 and a short message, without a stack trace', async () => {
    vi.spyOn(Program.prototype, 'evaluate').mockRejectedValue(new TypeError('boom'));
    const r = await cli(['eval', '-e', SUM, '--size', 'n=2']);
    expect(r.code).toBe(70);
    expect(r.stderr).toContain('internal error: boom');
    expect(r.stderr).not.toMatch(/\n\s+at /);
    const json = await cli(['eval', '-e', SUM, '--size', 'n=2', '--json']);
    expect(json.code).toBe(70);
    expect(json.json().errors[0]).toMatchObject({ kind: 'internal', line: 0, column: 0 });
  });
});
