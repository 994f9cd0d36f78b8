// Every command run in-process through `main`, checking the numbers and the exact JSON contract.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile, randomValues, toNested } from '../../src/index.ts';
import { COMMANDS, OPTIONS } from '../../src/cli/args.ts';
import { main } from '../../src/cli/main.ts';
import { cli, ROOT } from './harness.ts';


const maxDiff = (a: number[][], b: number[][]) => Math.max(...a.flatMap((row, i) => row.map((v, j) => Math.abs(v - b[i][j]))));

const LINEAR = 'input W[m, n]\ninput x[n]\noutput y = W @ x';
const W = [[1, 2, 3], [4, 5, 6]];
const MLP = ['examples/mlp.gl', '--size', 'n=5,m=3', '--size', 'h=4'];

describe('eval', () => {
  it('evaluates a known expression and prints {outputs: {NAME: {shape, value}}}', async () => {
    const r = await cli(['eval', '-e', 'input x[n]\ninput s\noutput y = s * x + 1\noutput t = sum(x * x)', '--size', 'n=3', '--inputs', 'in.json', '--json'], { 'in.json': { x: [1, 2, 3], s: 2 } });
    expect(r.code).toBe(0);
    const out = r.json();
    expect(Object.keys(out.outputs)).toEqual(['y', 't']);
    expect(out.outputs.y).toEqual({ shape: [3], value: [3, 5, 7] });
    expect(out.outputs.t).toEqual({ shape: [], value: 14 });
  });

  it('draws seeded random normal inputs by default', async () => {
    const source = 'input x[n]\noutput y = x';
    const program = compile(source, { n: 4 });
    if (!program.ok) throw new Error('does not compile');
    const seed0 = (await cli(['eval', '-e', source, '--size', 'n=4', '--json'])).json();
    const seed7 = (await cli(['eval', '-e', source, '--size', 'n=4', '--seed', '7', '--json'])).json();
    expect(seed0.outputs.y.value).toEqual(toNested(randomValues(program.program.inputs, 0).x));
    expect(seed7.outputs.y.value).toEqual(toNested(randomValues(program.program.inputs, 7).x));
    expect(seed7.outputs.y.value).not.toEqual(seed0.outputs.y.value);
  });

  it('reads a program file, turns a literal \\n in -e into a line break, and runs in f32', async () => {
    expect((await cli(['eval', 'examples/mlp.gl', '--size', 'n=2,h=3,m=2', '--json'])).json().outputs.loss.shape).toEqual([]);
    const r = await cli(['eval', '-e', 'input x[n]\\noutput y = x / 3', '--size', 'n=1', '--inputs', 'x.json', '--dtype', 'f32', '--json'], { 'x.json': { x: [1] } });
    expect(r.json().outputs.y.value[0]).toBe(Math.fround(1 / 3));
    expect(r.json().stats.dtype).toBe('f32');
  });

  it("reads the program from standard input when FILE is '-'", async () => {
    let stdout = '';
    const code = await main(['eval', '-', '--size', 'n=2', '--json'], {
      stdout: { write: (s: string) => (stdout += s) },
      stderr: { write: () => true },
      readFile: () => Promise.reject(new Error('no files here')),
      readStdin: async () => 'input x[n]\noutput y = 2 * sum(x)\n',
      cwd: ROOT,
    });
    expect(code).toBe(0);
    expect(JSON.parse(stdout).outputs.y.shape).toEqual([]);
  });

  it('prints values with shapes and about six significant digits, and the time and FLOPs', async () => {
    const r = await cli(['eval', '-e', 'input x[n]\noutput y = x / 3\noutput s = sum(x)', '--size', 'n=2', '--inputs', 'x.json'], { 'x.json': { x: [1, 2] } });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('y [2] = [0.333333, 0.666667]');
    expect(r.stdout).toContain('s = 3\n');
    expect(r.stdout).toMatch(/ms · \d+ FLOPs/);
    expect(r.stderr).toBe('');
  });

  it('reports warnings in JSON and on stderr without failing', async () => {
    const source = 'input x[n]\ninput unused\noutput y = sum(x)';
    const json = await cli(['eval', '-e', source, '--size', 'n=2', '--json']);
    expect(json.code).toBe(0);
    expect(json.json().warnings).toEqual([{ kind: 'unused-input', message: expect.stringContaining("'unused'"), line: 2, column: 7 }]);
    const text = await cli(['eval', '-e', source, '--size', 'n=2']);
    expect(text.code).toBe(0);
    expect(text.stderr).toContain('-e:2:7 warning:');
  });
});

describe('jacobian', () => {
  it('of W @ x is W, in every mode, with the exact JSON shape', async () => {
    for (const mode of ['fwd', 'rev', 'auto']) {
      const r = await cli(['jacobian', '-e', LINEAR, '--size', 'n=3,m=2', '--inputs', 'in.json', '--mode', mode, '--json'], { 'in.json': { W, x: [1, 1, 1] } });
      expect(r.code).toBe(0);
      const out = r.json();
      expect(out.outputs).toEqual({ y: { shape: [2], value: [6, 15] } });
      expect(Object.keys(out.jacobian)).toEqual(['y']);
      expect(Object.keys(out.jacobian.y)).toEqual(['W', 'x']);
      expect(out.jacobian.y.x).toEqual(W);
      // ∂y_i/∂W_jk = [i = j] x_k, with W flattened row-major.
      expect(out.jacobian.y.W).toEqual([[1, 1, 1, 0, 0, 0], [0, 0, 0, 1, 1, 1]]);
      expect(out.mode).toBe(mode === 'auto' ? out.mode : mode);
      expect(['fwd', 'rev']).toContain(out.mode);
      expect(out.estimates).toEqual({ fwd: expect.any(Number), rev: expect.any(Number), reason: expect.any(String) });
      expect(out.chunkSize).toBeGreaterThan(0);
      expect(out.stats.passes).toBeGreaterThan(0);
    }
  });

  it('gives 2-D blocks for scalar outputs and inputs', async () => {
    const r = await cli(['jacobian', '-e', 'input s\ninput x[n]\noutput y = s * sum(x)', '--size', 'n=3', '--inputs', 'in.json', '--json'], { 'in.json': { s: 2, x: [1, 2, 3] } });
    const out = r.json();
    expect(out.jacobian.y.s).toEqual([[6]]);
    expect(out.jacobian.y.x).toEqual([[2, 2, 2]]);
  });

  it('forward and reverse agree on a 2-layer tanh MLP, and the chunk size changes nothing', async () => {
    const fwd = (await cli(['jacobian', ...MLP, '--mode', 'fwd', '--json'])).json();
    const rev = (await cli(['jacobian', ...MLP, '--mode', 'rev', '--json'])).json();
    expect(fwd.mode).toBe('fwd');
    expect(rev.mode).toBe('rev');
    for (const out of ['y', 'loss']) {
      for (const inp of ['x', 'W1', 'b1', 'W2', 'b2']) {
        expect(fwd.jacobian[out][inp].length).toBe(out === 'y' ? 3 : 1);
        expect(maxDiff(fwd.jacobian[out][inp], rev.jacobian[out][inp])).toBeLessThan(1e-12);
      }
    }
    for (const chunk of ['1', '2', '7']) {
      for (const mode of ['fwd', 'rev']) {
        const chunked = (await cli(['jacobian', ...MLP, '--mode', mode, '--chunk', chunk, '--json'])).json();
        expect(chunked.chunkSize).toBe(Number(chunk));
        expect(chunked.jacobian).toEqual(mode === 'fwd' ? fwd.jacobian : rev.jacobian);
      }
    }
  });

  it('--fold-seeds gives the same Jacobian in one pass per port, with fewer FLOPs', async () => {
    for (const mode of ['fwd', 'rev']) {
      const dense = (await cli(['jacobian', ...MLP, '--mode', mode, '--json'])).json();
      const folded = (await cli(['jacobian', ...MLP, '--mode', mode, '--fold-seeds', '--json'])).json();
      expect([dense.foldSeeds, folded.foldSeeds]).toEqual([false, true]);
      expect(folded.stats.passes).toBe(mode === 'fwd' ? 5 : 2);
      expect(folded.stats.flops).toBeLessThan(dense.stats.flops);
      for (const out of ['y', 'loss']) {
        for (const inp of ['x', 'W1', 'b1', 'W2', 'b2']) expect(maxDiff(folded.jacobian[out][inp], dense.jacobian[out][inp])).toBeLessThan(1e-12);
      }
    }
    expect((await cli(['jacobian', ...MLP, '--fold-seeds'])).stdout).toMatch(/identity seeds folded/);
  });

  it('prints each block, the mode and why, the FLOP estimates and the time', async () => {
    const r = await cli(['jacobian', '-e', LINEAR, '--size', 'n=3,m=2', '--inputs', 'in.json', '--mode', 'auto'], { 'in.json': { W, x: [1, 1, 1] } });
    expect(r.stdout).toMatch(/mode: (fwd|rev) \((forward|reverse) mode is estimated cheaper/);
    expect(r.stdout).toMatch(/estimates: fwd ≈\d+ FLOPs, rev ≈\d+ FLOPs/);
    expect(r.stdout).toContain('∂y/∂x [2, 3] =\n    [[1, 2, 3],\n     [4, 5, 6]]');
    expect(r.stdout).toMatch(/\d+\.\d\d ms/);
  });
});

describe('derivatives of one output', () => {
  it('grad of sum(x*x) is 2x', async () => {
    const r = await cli(['grad', '-e', 'input x[n]\noutput f = sum(x * x)', '--size', 'n=3', '--inputs', 'x.json', '--json'], { 'x.json': { x: [1, -2, 0.5] } });
    const out = r.json();
    expect(out).toMatchObject({ output: 'f', value: 5.25, gradient: { x: [2, -4, 1] } });
    expect(Object.keys(out.gradient)).toEqual(['x']);
  });

  it('grad picks the output named by --output', async () => {
    const out = (await cli(['grad', ...MLP, '--output', 'loss', '--json'])).json();
    expect(out.output).toBe('loss');
    expect(Object.keys(out.gradient)).toEqual(['x', 'W1', 'b1', 'W2', 'b2']);
    expect(out.gradient.W1).toHaveLength(4);
    expect(out.gradient.W1[0]).toHaveLength(5);
  });

  it('hvp of sum(x*x*x) is 6·x·v, shaped like the input', async () => {
    const x = [1, 2, -1];
    const v = [0.5, -1, 2];
    const r = await cli(['hvp', '-e', 'input x[n]\noutput f = sum(x * x * x)', '--size', 'n=3', '--inputs', 'x.json', '--vector', 'v.json', '--output', 'f', '--json'], { 'x.json': { x }, 'v.json': { x: v } });
    const out = r.json();
    expect(Object.keys(out.hvp)).toEqual(['x']);
    out.hvp.x.forEach((h: number, i: number) => expect(h).toBeCloseTo(6 * x[i] * v[i], 12));
  });

  it('hvp with a direction for some inputs gives the full H·v (the others move by zero)', async () => {
    // f = Σ x² y: (H v)_x = 2 y v_x + 2 x v_y, (H v)_y = 2 x v_x.
    const r = await cli(['hvp', '-e', 'input x[n]\ninput y[n]\noutput f = sum(x * x * y)', '--size', 'n=2', '--inputs', 'in.json', '--vector', 'v.json', '--json'], { 'in.json': { x: [1, 2], y: [3, 4] }, 'v.json': { x: [1, 0] } });
    expect(r.json().hvp).toEqual({ x: [6, 0], y: [2, 0] });
    const batched = await cli(['hvp', '-e', 'input x[n]\ninput y[n]\noutput f = sum(x * x * y)', '--size', 'n=2', '--inputs', 'in.json', '--vector', 'v.json', '--json'], { 'in.json': { x: [1, 2], y: [3, 4] }, 'v.json': { x: [[1, 0], [0, 1]] } });
    expect(batched.json().hvp).toEqual({ x: [[6, 0], [0, 8]], y: [[2, 0], [0, 4]] });
  });

  it('hvp of a matrix input is nested like the input', async () => {
    const out = (await cli(['hvp', '-e', 'input A[2, 3]\noutput f = sum(A * A)', '--json'])).json();
    expect(out.hvp.A).toHaveLength(2);
    expect(out.hvp.A[0]).toHaveLength(3);
  });

  it('hessian of sum(x*x*x) is diag(6x)', async () => {
    const r = await cli(['hessian', '-e', 'input x[n]\ninput s\noutput f = sum(x * x * x) + s', '--size', 'n=2', '--inputs', 'x.json', '--json'], { 'x.json': { x: [1, 2], s: 0 } });
    const out = r.json();
    expect(out.output).toBe('f');
    expect(out.hessian.x.x).toEqual([[6, 0], [0, 12]]);
    expect(out.hessian.x.s).toEqual([[0], [0]]);
    expect(out.hessian.s.s).toEqual([[0]]);
  });
});

describe('jvp and vjp', () => {
  it('jvp pushes tangents from a file: d(W @ x) = W dx when only x moves', async () => {
    const r = await cli(['jvp', '-e', LINEAR, '--size', 'n=3,m=2', '--inputs', 'in.json', '--tangent', 't.json', '--json'], { 'in.json': { W, x: [1, 1, 1] }, 't.json': { x: [1, 0, -1] } });
    expect(r.json()).toMatchObject({ outputs: { y: { shape: [2], value: [6, 15] } }, tangents: { y: [-2, -2] } });
  });

  it('vjp pulls cotangents from a file: x̄ = Wᵀu, W̄ = u xᵀ', async () => {
    const r = await cli(['vjp', '-e', LINEAR, '--size', 'n=3,m=2', '--inputs', 'in.json', '--cotangent', 'u.json', '--json'], { 'in.json': { W, x: [1, 2, 3] }, 'u.json': { y: [1, -1] } });
    const out = r.json();
    expect(out.cotangents.x).toEqual([-3, -3, -3]);
    expect(out.cotangents.W).toEqual([[1, 2, 3], [-1, -2, -3]]);
    expect(out.outputs.y.value).toEqual([14, 32]);
  });

  it('random directions default to seed+1 (tangents) and seed+2 (cotangents)', async () => {
    const source = 'input x[n]\noutput y = 2 * x';
    const program = compile(source, { n: 3 });
    if (!program.ok) throw new Error('does not compile');
    const jvp = (await cli(['jvp', '-e', source, '--size', 'n=3', '--seed', '4', '--json'])).json();
    const v = randomValues(program.program.inputs, 5).x.data;
    jvp.tangents.y.forEach((t: number, i: number) => expect(t).toBeCloseTo(2 * v[i], 14));
    const vjp = (await cli(['vjp', '-e', source, '--size', 'n=3', '--seed', '4', '--json'])).json();
    const u = randomValues(program.program.outputs, 6).y.data;
    vjp.cotangents.x.forEach((c: number, i: number) => expect(c).toBeCloseTo(2 * u[i], 14));
  });

  it('prints outputs and tangents as text', async () => {
    const r = await cli(['jvp', ...MLP]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('output tangents J·v:');
    expect(r.stdout).toContain('tangents v: random normal, seed 1');
  });
});

describe('check', () => {
  it('passes on the MLP, with one line per check', async () => {
    const json = await cli(['check', ...MLP, '--json']);
    expect(json.code).toBe(0);
    const out = json.json();
    expect(out.passed).toBe(true);
    expect(out.checks.length).toBeGreaterThanOrEqual(3);
    for (const c of out.checks) expect(c).toMatchObject({ name: expect.any(String), passed: true, error: expect.any(Number), tolerance: expect.any(Number) });
    const text = await cli(['check', ...MLP]);
    expect(text.stdout.split('\n').filter((l) => l.startsWith('✓'))).toHaveLength(out.checks.length);
    expect(text.stdout).toMatch(/error \S+ ≤ tolerance 1e-6/);
  });

  it('fails (exit 1) where the function has a kink: relu at 0', async () => {
    const args = ['check', '-e', 'input x[n]\noutput y = sum(relu(x))', '--size', 'n=3', '--inputs', 'x.json'];
    const files = { 'x.json': { x: [0, 0, 0] } };
    const json = await cli([...args, '--json'], files);
    expect(json.code).toBe(1);
    expect(json.json().passed).toBe(false);
    const text = await cli(args, files);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain('✗ jvp vs finite differences');
    expect(text.stdout).toMatch(/checks failed/);
  });
});

describe('graph', () => {
  const SOURCE = 'input x[n]\noutput y = sum(tanh(x))';

  it('prints the primal IR, or DOT', async () => {
    const ir = await cli(['graph', '-e', SOURCE, '--size', 'n=2']);
    expect(ir.stdout).toMatch(/^graph\(x: \[2\]\) \{/);
    expect(ir.stdout).toContain('tanh(x) : [2]');
    expect(ir.stdout).toContain('return y = ');
    const dot = await cli(['graph', '-e', SOURCE, '--size', 'n=2', '--dot']);
    expect(dot.stdout).toMatch(/^digraph /);
  });

  it('prints derived graphs and wraps them in {"graph": text} with --json', async () => {
    for (const mode of ['jvp', 'vjp', 'grad', 'hvp']) {
      const out = (await cli(['graph', '-e', SOURCE, '--size', 'n=2', '--mode', mode, '--json'])).json();
      expect(out.mode).toBe(mode);
      expect(out.graph).toMatch(/^graph\(/);
      expect(out.graph).toContain(mode === 'jvp' || mode === 'hvp' ? 'x.dot' : 'x.bar');
    }
    const hvp = (await cli(['graph', ...MLP, '--mode', 'hvp', '--output', 'loss', '--dot', '--json'])).json();
    expect(hvp.graph).toMatch(/^digraph /);
  });
});

describe('help and version', () => {
  it('lists every command and option', async () => {
    const r = await cli(['--help']);
    expect(r.code).toBe(0);
    for (const command of Object.keys(COMMANDS)) expect(r.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
    for (const option of Object.keys(OPTIONS)) expect(r.stdout).toContain(`--${option}`);
    expect((await cli(['help'])).stdout).toBe(r.stdout);
  });

  it('explains one command', async () => {
    const r = await cli(['help', 'jacobian']);
    expect(r.stdout).toContain('gradient-lab jacobian FILE|-e SOURCE');
    expect(r.stdout).toContain('--mode fwd|rev|auto');
    expect((await cli(['jacobian', '--help'])).stdout).toBe(r.stdout);
  });

  it('prints the version', async () => {
    const pkg = JSON.parse(await readFile(resolve(ROOT, 'package.json'), 'utf8'));
    expect((await cli(['--version'])).stdout).toBe(`gradient-lab ${pkg.version}\n`);
  });
});
