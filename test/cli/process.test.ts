// The real executable, run as a child process: through node, npm run and npx.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const SOURCE = 'input x[n]\\noutput y = sum(x)';
const TIMEOUT = 60_000;

const DIR = mkdtempSync(join(tmpdir(), 'gradient-lab-cli-'));
const X3 = join(DIR, 'x.json');
writeFileSync(X3, '{"x": [1, 2, 3]}');
afterAll(() => rmSync(DIR, { recursive: true, force: true }));

const run = (file: string, args: string[]) => spawnSync(file, args, { cwd: ROOT, encoding: 'utf8', timeout: TIMEOUT });

describe('the gradient-lab executable', () => {
  it('runs with node, with no build step', () => {
    const stdout = execFileSync('node', ['bin/gradient-lab.js', 'jacobian', 'examples/mlp.gl', '--size', 'n=3,h=4,m=2', '--json'], { cwd: ROOT, encoding: 'utf8', timeout: TIMEOUT });
    const out = JSON.parse(stdout);
    expect(out.jacobian.y.x).toHaveLength(2);
    expect(out.jacobian.y.x[0]).toHaveLength(3);
  }, TIMEOUT);

  it('exits with the right code and no stack trace on errors', () => {
    const usage = run('node', ['bin/gradient-lab.js', 'evl', '-e', SOURCE]);
    expect(usage.status).toBe(2);
    expect(usage.stderr).toContain("unknown command 'evl'");
    const program = run('node', ['bin/gradient-lab.js', 'eval', '-e', 'input x[n]\\noutput y = x +', '--size', 'n=2']);
    expect(program.status).toBe(1);
    expect(program.stderr).toMatch(/^-e:2:\d+ error: /);
    expect(program.stderr).not.toMatch(/\n\s+at /);
  }, TIMEOUT);

  it('runs through npm run cli', () => {
    const stdout = execFileSync('npm', ['run', '--silent', 'cli', '--', 'eval', '-e', SOURCE, '--size', 'n=3', '--inputs', X3, '--json'], { cwd: ROOT, encoding: 'utf8', timeout: TIMEOUT });
    expect(JSON.parse(stdout).outputs.y).toEqual({ shape: [], value: 6 });
  }, TIMEOUT);

  // npm 7+ runs a package's own bin when npx is called in its directory. --no and --offline make
  // sure that if that ever stops working, npx fails instead of fetching someone else's package.
  it('runs through npx in the repository, never from the registry', () => {
    const stdout = execFileSync('npx', ['--no', '--offline', 'gradient-lab', 'grad', '-e', 'input x[n]\\noutput f = sum(x * x)', '--size', 'n=3', '--inputs', X3, '--json'], { cwd: ROOT, encoding: 'utf8', timeout: TIMEOUT });
    expect(JSON.parse(stdout).gradient.x).toEqual([2, 4, 6]);
  }, TIMEOUT);
});
