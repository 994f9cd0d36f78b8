// Option values turned into typed settings: sizes, memory budget, seed, chunk size, value files.
import { toTensor, type Tensor, type Values } from '../index.ts';
import { CliError, usageError } from './errors.ts';

/** Parses `--size n=4,m=3` (repeatable) into { n: 4, m: 3 }; a name bound twice is an error. */
export function parseSizes(specs: readonly string[]): Record<string, number> {
  const sizes: Record<string, number> = {};
  for (const spec of specs) {
    for (const part of spec.split(',')) {
      const match = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(\S+?)\s*$/.exec(part);
      if (match === null) throw usageError(`bad --size '${part}': write NAME=VALUE pairs separated by commas, e.g. --size n=4,m=3`);
      const [, name, text] = match;
      const value = Number(text);
      if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < 1) {
        throw usageError(`bad --size ${name}=${text}: a size must be a positive whole number`);
      }
      if (Object.hasOwn(sizes, name) && sizes[name] !== value) throw usageError(`size '${name}' is given twice (${sizes[name]} and ${value})`);
      sizes[name] = value;
    }
  }
  return sizes;
}

const UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** Parses a byte count: `1000000`, `512K`, `1.5M`, `2G` (binary units; an optional trailing B or iB). */
export function parseBytes(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*$/i.exec(text);
  if (match === null) throw usageError(`bad --memory-budget '${text}': give bytes, or a number with K, M or G, e.g. 512M or 2G`);
  const bytes = Math.floor(Number(match[1]) * UNITS[match[2].toLowerCase()]);
  if (!(bytes > 0)) throw usageError(`bad --memory-budget '${text}': it must be more than zero`);
  return bytes;
}

/** The default budget for one pass: half of the machine's memory, at most 8 GiB. */
export function defaultMemoryBudget(totalMemory: number): number {
  return Math.min(Math.floor(totalMemory / 2), 8 * 1024 ** 3);
}

/** A whole number option (seed, chunk size), with a range check. */
export function parseWhole(text: string, option: string, min: number): number {
  const value = Number(text);
  if (!/^-?\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < min) {
    throw usageError(`bad --${option} '${text}': it must be a whole number${min > 0 ? ` of at least ${min}` : min === 0 ? ' (0 or more)' : ''}`);
  }
  return value;
}

/** One of a fixed set of words. */
export function parseChoice<T extends string>(text: string, option: string, choices: readonly T[]): T {
  if ((choices as readonly string[]).includes(text)) return text as T;
  throw usageError(`bad --${option} '${text}': use ${choices.join(', ')}`);
}

/**
 * The parsed contents of a values file (inputs, tangents, cotangents, directions): a JSON object with
 * one number or nested array per name. Names and shapes are checked later, by the library, against
 * the program's ports.
 */
export function parseValuesJson(text: string, file: string): Values {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new CliError(`${file}: not valid JSON: ${(e as Error).message}`, 'invalid-json');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new CliError(`${file}: expected a JSON object with one entry per name, like {"x": [1, 2], "s": 1.5}`, 'invalid-json');
  }
  for (const [name, value] of Object.entries(parsed)) {
    if (typeof value !== 'number' && !Array.isArray(value)) {
      throw new CliError(`${file}: the value of '${name}' must be a number or nested arrays of numbers, got ${JSON.stringify(value)}`, 'invalid-json');
    }
  }
  return parsed as Values;
}

/**
 * Directions for every port: the given ones, and zeros (batched like the given ones) for the rest,
 * so that `hvp` computes the full H·v rather than only the block of the inputs that were given.
 */
export function withZeroDirections(given: Values, ports: readonly { name: string; shape: readonly number[] }[], what: string): Values {
  const missing = ports.filter((p) => given[p.name] === undefined);
  const first = ports.find((p) => given[p.name] !== undefined);
  if (missing.length === 0 || first === undefined) return given;
  const sample = toTensor(given[first.name], first.shape, `the ${what} for '${first.name}'`, true);
  const batch = sample.shape.length > first.shape.length ? [sample.shape[0]] : [];
  const zeros = (shape: readonly number[]): Tensor => {
    const full = [...batch, ...shape];
    return { shape: full, data: new Float64Array(full.reduce((a, b) => a * b, 1)) };
  };
  return { ...given, ...Object.fromEntries(missing.map((p) => [p.name, zeros(p.shape)])) };
}
