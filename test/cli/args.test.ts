// The argument parser, option values and number/tensor formatting, as units.
import { describe, expect, it } from 'vitest';
import { parseArgs } from '../../src/cli/args.ts';
import { CliError } from '../../src/cli/errors.ts';
import { formatNumber, formatTensor } from '../../src/cli/format.ts';
import { defaultMemoryBudget, parseBytes, parseSizes } from '../../src/cli/settings.ts';

describe('parseArgs', () => {
  it('takes options before or after the command, in both --name value and --name=value forms', () => {
    const a = parseArgs(['--json', 'jacobian', 'f.gl', '--mode=rev', '--size', 'n=2', '--size=m=3']);
    expect(a.command).toBe('jacobian');
    expect(a.positionals).toEqual(['f.gl']);
    expect(a.flags.has('json')).toBe(true);
    expect(a.values.get('mode')).toEqual(['rev']);
    expect(a.values.get('size')).toEqual(['n=2', 'm=3']);
  });

  it('treats everything after -- as positional', () => {
    expect(parseArgs(['eval', '--', '--odd-name.gl']).positionals).toEqual(['--odd-name.gl']);
  });

  it('rejects a repeated single-valued option and a value on a flag', () => {
    expect(() => parseArgs(['eval', 'f.gl', '--seed', '1', '--seed', '2'])).toThrow('more than once');
    expect(() => parseArgs(['eval', 'f.gl', '--json=yes'])).toThrow('takes no value');
  });

  it('throws usage errors (exit 2)', () => {
    try {
      parseArgs(['nope']);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(CliError);
      expect((e as CliError).exitCode).toBe(2);
    }
  });
});

describe('settings', () => {
  it('parses sizes, merging repeated options', () => {
    expect(parseSizes(['n=4,m=3', 'h = 8'])).toEqual({ n: 4, m: 3, h: 8 });
    expect(parseSizes([])).toEqual({});
  });

  it('parses byte counts with binary suffixes', () => {
    expect(parseBytes('1000')).toBe(1000);
    expect(parseBytes('512K')).toBe(512 * 1024);
    expect(parseBytes('1.5M')).toBe(1.5 * 1024 ** 2);
    expect(parseBytes('2G')).toBe(2 * 1024 ** 3);
    expect(parseBytes('2GiB')).toBe(2 * 1024 ** 3);
    expect(parseBytes('64mb')).toBe(64 * 1024 ** 2);
  });

  it('defaults the budget to half the memory, at most 8 GiB', () => {
    expect(defaultMemoryBudget(4 * 1024 ** 3)).toBe(2 * 1024 ** 3);
    expect(defaultMemoryBudget(64 * 1024 ** 3)).toBe(8 * 1024 ** 3);
  });
});

describe('formatting', () => {
  it('prints about six significant digits', () => {
    expect(formatNumber(1 / 3)).toBe('0.333333');
    expect(formatNumber(123456.789)).toBe('123457');
    expect(formatNumber(2)).toBe('2');
    expect(formatNumber(-0)).toBe('0');
    expect(formatNumber(1.5e-7)).toBe('1.5e-7');
    expect(formatNumber(6.02214076e23)).toBe('6.02214e+23');
    expect(formatNumber(NaN)).toBe('NaN');
    expect(formatNumber(-Infinity)).toBe('-inf');
  });

  it('prints matrices row by row, aligned', () => {
    expect(formatTensor({ shape: [2, 2], data: Float64Array.of(1, -2.5, 30, 4) })).toBe('[[   1, -2.5],\n [  30,    4]]');
    expect(formatTensor({ shape: [], data: Float64Array.of(7) })).toBe('7');
  });

  it('summarises large tensors', () => {
    const text = formatTensor({ shape: [2000], data: new Float64Array(2000).map((_, i) => i) });
    expect(text).toBe('[   0,    1,    2, ..., 1997, 1998, 1999]');
    const matrix = formatTensor({ shape: [100, 100], data: new Float64Array(10000) });
    expect(matrix.split('\n')).toHaveLength(7);
  });
});
