// The CPU interpreter hands buffers it no longer needs back to a pool (tensor.ts) and reuses them in later
// passes: results must not depend on whether a buffer was reused, and nothing a caller holds is recycled.
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { compileOrThrow } from '../../src/index.ts';
import { interpret } from '../../src/backend/cpu/interpreter.ts';
import { GraphBuilder } from '../../src/ir/builder.ts';
import { allocate, clearPool, pooledByteCount, release, setPoolLimit, trimPool, type Tensor } from '../../src/backend/cpu/tensor.ts';
import { uniformInputs } from '../support/uniform-inputs.ts';

const MLP = readFileSync(new URL('../../examples/mlp.gl', import.meta.url), 'utf8');

const copy = (m: Map<string, Tensor>) => new Map([...m].map(([k, t]) => [k, Array.from(t.data)]));

describe('buffer pool of the CPU interpreter', () => {
  // Sizes whose buffers are large enough to be pooled (≥ 4096 elements).
  const program = compileOrThrow(MLP, { n: 70, h: 90, m: 65 });
  const graphs = [
    ['jvp k=64', program.derived('jvp', [64], { wrt: ['x'] })],
    ['vjp k=64', program.derived('vjp', [64], { wrt: ['x'], of: ['loss'] })],
    ['hvp', program.derived('hvp', [], { of: ['loss'] })],
  ] as const;

  // Copied transposes, broadcasts, products run apart and reductions all take part, each with its
  // buffers from the pool.
  it('gives the same bits from a cold pool and a warm one, and leaves earlier outputs alone', () => {
    for (const dtype of ['f64', 'f32'] as const) {
      for (const [what, graph] of graphs) for (const options of [{}, { transposeInPlace: false, shareMatrices: false }]) {
        clearPool();
        const inputs = uniformInputs(graph, 5);
        const first = interpret(graph, inputs, dtype, options);
        const firstCopy = copy(first);
        // Other inputs, so a recycled buffer that leaked into `first` would change it.
        for (let pass = 0; pass < 3; pass++) interpret(graph, uniformInputs(graph, 6 + pass), dtype, options);
        const again = interpret(graph, inputs, dtype, options);
        expect(copy(first), `${dtype} ${what}: first outputs untouched`).toEqual(firstCopy);
        expect(copy(again), `${dtype} ${what}: same bits warm`).toEqual(firstCopy);
      }
    }
  });

  it('never recycles an output passed back in as an input, nor a caller\'s input', () => {
    const b = new GraphBuilder();
    const a = b.input('a', [64, 128]);
    b.output('y', b.mul(b.unary('sin', b.unary('sin', a)), b.constant(2)));
    const graph = b.finish();
    for (const dtype of ['f64', 'f32'] as const) {
      const first = interpret(graph, uniformInputs(graph, 1), dtype).get('y')!;
      const firstHeld = Array.from(first.data);
      // The output goes back in as an input (same dtype, so the interpreter reads it as given) three times.
      let y = first;
      const outputs = [];
      for (let pass = 0; pass < 3; pass++) {
        y = interpret(graph, new Map([['a', y]]), dtype).get('y')!;
        outputs.push([y, Array.from(y.data)] as const);
      }
      interpret(graph, uniformInputs(graph, 2), dtype);
      expect(Array.from(first.data), dtype).toEqual(firstHeld);
      for (const [t, held] of outputs) expect(Array.from(t.data), dtype).toEqual(held);
    }
  });

  it('ignores arrays it did not make, and a second release of the same array', () => {
    const mine = allocate([8192], 'f32');
    release(mine.data);
    release(mine.data);
    const a = allocate([8192], 'f32');
    const b = allocate([8192], 'f32');
    expect(a.data === b.data).toBe(false);
    expect(a.data.every((v) => v === 0)).toBe(true);
    release(new Float32Array(8192));
    const c = allocate([8192], 'f32');
    expect(c.data === a.data || c.data === b.data).toBe(false);
  });

  describe('its size', () => {
    const MiB = 2 ** 20;
    afterEach(() => {
      vi.useRealTimers();
      clearPool();
    });

    it('keeps a 4096 × 4096 f32 matrix with others, so a pass at that width reuses its copies', () => {
      clearPool();
      const arrays = [allocate([4096, 4096], 'f32'), allocate([4096, 4096], 'f32'), allocate([1024, 1024], 'f64')];
      for (const a of arrays) release(a.data);
      expect(pooledByteCount()).toBe(2 * 64 * MiB + 8 * MiB);
      expect(allocate([4096, 4096], 'f32').data === arrays[1].data).toBe(true);
    });

    it('is trimmed to 64 MiB, largest arrays first, once nothing has been taken from it for 2 s', () => {
      vi.useFakeTimers();
      clearPool();
      const big = [allocate([8 * MiB], 'f32'), allocate([8 * MiB], 'f32'), allocate([8 * MiB], 'f32')]; // 32 MiB each
      const small = allocate([MiB], 'f64');
      for (const a of [...big, small]) release(a.data);
      expect(pooledByteCount()).toBe(104 * MiB);
      // Still in use: taking an array within the idle time postpones the trim.
      vi.advanceTimersByTime(1500);
      const again = allocate([8 * MiB], 'f32');
      release(again.data);
      vi.advanceTimersByTime(1000);
      expect(pooledByteCount()).toBe(104 * MiB);
      vi.advanceTimersByTime(2500);
      expect(pooledByteCount()).toBe(8 * MiB + 32 * MiB); // two 32 MiB arrays dropped, the 8 MiB one kept
      expect(allocate([MiB], 'f64').data === small.data).toBe(true);
    });

    it('makes room for a newly released array by dropping those released longest ago', () => {
      clearPool();
      const previous = setPoolLimit(4 * MiB);
      try {
        const [a, b, c] = [allocate([MiB / 4], 'f64'), allocate([MiB / 4], 'f32'), allocate([MiB / 4], 'f64')]; // 2, 1, 2 MiB
        release(a.data);
        release(b.data);
        expect(pooledByteCount()).toBe(3 * MiB);
        release(c.data); // a goes (oldest), b stays
        expect(pooledByteCount()).toBe(3 * MiB);
        expect(allocate([MiB / 4], 'f32').data === b.data).toBe(true);
        expect(allocate([MiB / 4], 'f64').data === c.data).toBe(true);
        expect(allocate([MiB / 4], 'f64').data === a.data).toBe(false);
        // Larger than the whole limit: never pooled, and nothing is dropped for it.
        release(c.data);
        release(allocate([MiB], 'f64').data);
        expect(pooledByteCount()).toBe(2 * MiB);
      } finally {
        setPoolLimit(previous);
      }
    });

    it('trimPool drops the largest arrays first', () => {
      clearPool();
      const arrays = [allocate([4096], 'f64'), allocate([MiB], 'f32'), allocate([8192], 'f32')];
      for (const a of arrays) release(a.data);
      trimPool(64 * 1024);
      expect(pooledByteCount()).toBe(32 * 1024 + 32 * 1024);
      expect(allocate([MiB], 'f32').data === arrays[1].data).toBe(false);
    });
  });
});
