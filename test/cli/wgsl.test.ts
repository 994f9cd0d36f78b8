// `gradient-lab wgsl`: the WebGPU dispatches and kernels of a graph, planned without a device.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileOrThrow, DEFAULT_LIMITS, listKernels } from '../../src/index.ts';
import { cli, ROOT } from './harness.ts';

const SIZES = { n: 4, h: 8, m: 3 };
const MLP = ['examples/mlp.gl', '--size', 'n=4,h=8,m=3'];
const program = compileOrThrow(readFileSync(resolve(ROOT, 'examples/mlp.gl'), 'utf8'), SIZES);

/** What the library plans for a graph, in the JSON form the command prints. */
const planned = (graph: Parameters<typeof listKernels>[0]) => {
  const { kernels, peakBytes } = listKernels(graph, DEFAULT_LIMITS);
  return { kernels: kernels.map((k) => ({ label: k.label, workgroups: [...k.workgroups], code: k.code })), dispatches: kernels.length, peakBytes };
};

describe('wgsl --json', () => {
  it('lists the primal kernels with their labels, workgroups and WGSL', async () => {
    const r = await cli(['wgsl', ...MLP, '--json']);
    expect(r.code).toBe(0);
    const out = r.json();
    expect(out).toMatchObject(planned(program.graph));
    expect(out.mode).toBe('primal');
    expect(out.dispatches).toBeGreaterThan(0);
    expect(out.peakBytes).toBeGreaterThan(0);
    for (const k of out.kernels) {
      expect(Object.keys(k)).toEqual(['label', 'workgroups', 'code']);
      expect(k.workgroups).toHaveLength(3);
      expect(k.code).toContain('@compute');
    }
  });

  it('plans the batched JVP, batched VJP and HVP graphs, as `derived` builds them', async () => {
    const cases = [
      { args: ['--mode', 'jvp', '--batch', '7'], graph: program.derived('jvp', [7]) },
      { args: ['--mode', 'vjp', '--batch', '5'], graph: program.derived('vjp', [5]) },
      { args: ['--mode', 'vjp'], graph: program.derived('vjp') },
      { args: ['--mode', 'hvp', '--output', 'loss', '--batch', '3'], graph: program.derived('hvp', [3], { of: ['loss'] }) },
    ];
    for (const { args, graph } of cases) {
      const out = (await cli(['wgsl', ...MLP, ...args, '--json'])).json();
      expect(out, args.join(' ')).toMatchObject(planned(graph));
    }
    // The batch is real: 7 tangents make wider GEMMs than one.
    const one = (await cli(['wgsl', ...MLP, '--mode', 'jvp', '--json'])).json();
    const seven = (await cli(['wgsl', ...MLP, '--mode', 'jvp', '--batch', '7', '--json'])).json();
    expect(seven.peakBytes).toBeGreaterThan(one.peakBytes);
  });
});

describe('wgsl as text', () => {
  it('prints a dispatch table, then each distinct kernel once under a header naming its dispatches', async () => {
    const r = await cli(['wgsl', ...MLP, '--mode', 'vjp', '--batch', '5']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const { kernels } = listKernels(program.derived('vjp', [5]));
    const distinct = new Set(kernels.map((k) => k.code));
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(new RegExp(`^WebGPU kernels for the vjp graph, batch 5: ${kernels.length} dispatches of ${distinct.size} distinct kernels, peak [\\d.]+ K?i?B$`));
    expect(lines[1]).toContain("planned for WebGPU's default limits; no GPU needed");
    expect(lines[3]).toMatch(/^\s+#\s+workgroups\s+WGSL\s+label$/);
    kernels.forEach((k, i) => expect(lines[4 + i]).toMatch(new RegExp(`^\\s+${i}  \\(${k.workgroups.join(', ')}\\)\\s+k\\d+\\s+${k.label.replace(/[[\]().*+?^$|\\]/g, '\\$&')}$`)));
    const headers = lines.filter((l) => l.startsWith('// kernel k'));
    expect(headers).toHaveLength(distinct.size);
    // Every dispatch is named by exactly one kernel header.
    const named = headers.flatMap((h) => /\(dispatch(?:es)? ([\d, ]+)\)/.exec(h)![1].split(', ').map(Number));
    expect(named.sort((a, b) => a - b)).toEqual(kernels.map((_, i) => i));
    for (const code of distinct) expect(r.stdout).toContain(code.trimEnd());
  });

  it('says "1 dispatch of 1 distinct kernel" for a one-kernel program', async () => {
    const r = await cli(['wgsl', '-e', 'input x[n]\noutput y = sum(tanh(x))', '--size', 'n=3']);
    expect(r.stdout).toMatch(/^WebGPU kernels for the primal graph: 1 dispatch of 1 distinct kernel, peak /);
    expect(r.stdout).toContain('// kernel k0 (dispatch 0): reduce sum');
  });
});

describe('wgsl errors', () => {
  it('refuses options that do not fit the mode (exit 2)', async () => {
    const batch = await cli(['wgsl', ...MLP, '--batch', '3']);
    expect(batch.code).toBe(2);
    expect(batch.stderr).toContain('--batch sets how many directions --mode jvp, vjp or hvp carries');
    const output = await cli(['wgsl', ...MLP, '--mode', 'jvp', '--output', 'loss']);
    expect(output.code).toBe(2);
    expect(output.stderr).toContain('--output selects the scalar output for --mode hvp, not jvp');
    const mode = await cli(['wgsl', ...MLP, '--mode', 'grad']);
    expect(mode.code).toBe(2);
    expect(mode.stderr).toContain("bad --mode 'grad': use primal, jvp, vjp, hvp");
    expect((await cli(['wgsl', ...MLP, '--mode', 'jvp', '--batch', '0'])).code).toBe(2);
    expect((await cli(['wgsl', ...MLP, '--dot'])).stderr).toContain("option --dot does not apply to 'wgsl'");
  });

  it('asks which output an HVP differentiates when there are several', async () => {
    const r = await cli(['wgsl', ...MLP, '--mode', 'hvp', '--json']);
    expect(r.code).toBe(1);
    expect(r.json().errors[0].message).toContain('choose one with --output NAME');
  });

  it('reports a buffer beyond the default binding limit instead of listing kernels', async () => {
    const r = await cli(['wgsl', '-e', 'input x[n]\noutput y = 2 * x', '--size', 'n=40000000', '--json']);
    expect(r.code).toBe(1);
    expect(r.json().errors[0]).toMatchObject({ kind: 'too-large', message: expect.stringContaining('default limits') });
  });
});
