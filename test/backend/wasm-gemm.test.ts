// The WebAssembly SIMD GEMM against the TypeScript gemm (its reference) and an f64 triple loop: every
// transpose layout, ragged and edge sizes, batches, and the fallbacks when SIMD or memory is missing.
import { availableParallelism } from 'node:os';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { rng } from '../../src/api/random.ts';
import { bestGemm, wasmPays } from '../../src/backend/cpu/best-gemm.ts';
import { gemm, type GemmOperand } from '../../src/backend/cpu/gemm.ts';
import { interpret } from '../../src/backend/cpu/interpreter.ts';
import type { DType, FloatArray, Tensor } from '../../src/backend/cpu/tensor.ts';
import { signedLeb, unsignedLeb } from '../../src/backend/cpu/wasm/encoder.ts';
import { wasmGemm } from '../../src/backend/cpu/wasm/gemm.ts';
import { reuseMatricesDuring } from '../../src/backend/cpu/wasm/residents.ts';
import { allocate, release } from '../../src/backend/cpu/tensor.ts';
import { gemmKernelModule, KERNEL_SHAPES } from '../../src/backend/cpu/wasm/gemm-kernel.ts';
import { ensureMemory, forgetKernels, gemmMode, kernelFor, setGemmMode, simdSupported, threadsFor } from '../../src/backend/cpu/wasm/module.ts';
import { setGemmThreads, threadsWanted } from '../../src/backend/cpu/wasm/threads.ts';
import { CALL_WORDS, CALLABLE, packCalls, placeTable, runCalls, tableWords, type PackWork } from '../../src/backend/cpu/wasm/gemm-jobs.ts';
import { cpuBackend } from '../../src/api/backend.ts';
import { GraphBuilder } from '../../src/ir/builder.ts';
import type { Graph } from '../../src/ir/graph.ts';
import { numel, type Shape } from '../../src/ir/shape.ts';

const LAYOUTS = [[false, false], [true, false], [false, true], [true, true]] as const;

/** Offsets of A, B and C inside their arrays, with sentinels around C, so stray reads and writes show. */
const [A_OFFSET, B_OFFSET, C_OFFSET, C_TAIL] = [3, 5, 2, 3];
const SENTINEL = 7;

function randomArray(n: number, seed: number, dtype: DType): FloatArray {
  const next = rng(seed);
  const values = Array.from({ length: n }, () => 2 * next() - 1);
  return dtype === 'f64' ? Float64Array.from(values) : Float32Array.from(values);
}

interface Product {
  readonly M: number;
  readonly N: number;
  readonly K: number;
  readonly a: GemmOperand;
  readonly b: GemmOperand;
}

function randomProduct(M: number, N: number, K: number, transA: boolean, transB: boolean, seed: number, dtype: DType): Product {
  return {
    M, N, K,
    a: { data: randomArray(A_OFFSET + M * K, seed, dtype), offset: A_OFFSET, trans: transA },
    b: { data: randomArray(B_OFFSET + K * N, seed + 1, dtype), offset: B_OFFSET, trans: transB },
  };
}

type Gemm = typeof gemm;

/** C computed by `kernel` into a fresh array with sentinels around it; the sentinels must survive. */
function run(kernel: Gemm, p: Product, dtype: DType): FloatArray {
  const size = C_OFFSET + p.M * p.N + C_TAIL;
  const c = dtype === 'f64' ? new Float64Array(size).fill(SENTINEL) : new Float32Array(size).fill(SENTINEL);
  kernel(p.M, p.N, p.K, p.a, p.b, c, C_OFFSET);
  expect(Array.from(c.subarray(0, C_OFFSET)), 'before C').toEqual(new Array(C_OFFSET).fill(SENTINEL));
  expect(Array.from(c.subarray(size - C_TAIL)), 'after C').toEqual(new Array(C_TAIL).fill(SENTINEL));
  return c.subarray(C_OFFSET, C_OFFSET + p.M * p.N);
}

function wasmOnly(M: number, N: number, K: number, a: GemmOperand, b: GemmOperand, c: FloatArray, cOffset: number): void {
  expect(wasmGemm(M, N, K, a, b, c, cOffset), 'the wasm kernel ran').toBe(true);
}

/** A[i, k] and B[k, j] of op(A) and op(B), whatever their storage. */
const entryA = (p: Product, i: number, k: number) => p.a.data[p.a.offset + (p.a.trans ? k * p.M + i : i * p.K + k)];
const entryB = (p: Product, k: number, j: number) => p.b.data[p.b.offset + (p.b.trans ? j * p.K + k : k * p.N + j)];

/**
 * The f64 triple loop and, per entry, the bound on an f32 result's error: recursive summation of K rounded
 * products is within (K + 1)·u·Σ|aₖbₖ| of the exact sum (u = 2⁻²⁴; Higham, Accuracy and Stability, §3.1).
 * The f64 reference of f32 inputs is exact to far below that.
 */
function reference(p: Product): { exact: Float64Array; bound: Float64Array } {
  const exact = new Float64Array(p.M * p.N);
  const bound = new Float64Array(p.M * p.N);
  for (let i = 0; i < p.M; i++) {
    for (let j = 0; j < p.N; j++) {
      let sum = 0;
      let abs = 0;
      for (let k = 0; k < p.K; k++) {
        const t = entryA(p, i, k) * entryB(p, k, j);
        sum += t;
        abs += Math.abs(t);
      }
      exact[i * p.N + j] = sum;
      bound[i * p.N + j] = (p.K + 1) * 2 ** -24 * abs;
    }
  }
  return { exact, bound };
}

function expectWithinF32Bound(got: FloatArray, p: Product, label: string): void {
  const { exact, bound } = reference(p);
  for (let e = 0; e < exact.length; e++) {
    const err = Math.abs(got[e] - exact[e]);
    if (!(err <= bound[e])) expect.fail(`${label}: entry ${e} is ${got[e]}, the f64 sum is ${exact[e]}: error ${err} > bound ${bound[e]}`);
  }
}

const label = (p: Product) => `${p.M}×${p.N}×${p.K}${p.a.trans ? ' Aᵀ' : ''}${p.b.trans ? ' Bᵀ' : ''}`;

afterEach(() => {
  setGemmMode('auto');
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

describe('WebAssembly SIMD GEMM', () => {
  // 0 and 1, below and across the vector width and the 4-row tile, across the 8-column f32 tile.
  const size = fc.oneof(fc.constantFrom(0, 1, 2, 3, 4, 5, 7, 8, 9, 17), fc.integer({ min: 0, max: 70 }));

  it('runs on this engine (Node has WebAssembly SIMD), and the generated modules validate', () => {
    expect(simdSupported()).toBe(true);
    for (const dtype of ['f32', 'f64'] as const) {
      expect(WebAssembly.validate(gemmKernelModule(KERNEL_SHAPES[dtype])), dtype).toBe(true);
      expect(kernelFor(dtype), dtype).not.toBeNull();
    }
  });

  it('f64: the same bits as the TypeScript gemm for random and edge shapes in all four layouts (property)', () => {
    fc.assert(fc.property(size, size, size, fc.constantFrom(...LAYOUTS), fc.nat(), (M, N, K, [transA, transB], seed) => {
      const p = randomProduct(M, N, K, transA, transB, seed, 'f64');
      expect(Array.from(run(wasmOnly, p, 'f64')), label(p)).toEqual(Array.from(run(gemm, p, 'f64')));
    }), { numRuns: 200 });
  });

  it('f32: within the rounding bound of the f64 sum, like the TypeScript gemm, in all four layouts (property)', () => {
    fc.assert(fc.property(size, size, size, fc.constantFrom(...LAYOUTS), fc.nat(), (M, N, K, [transA, transB], seed) => {
      const p = randomProduct(M, N, K, transA, transB, seed, 'f32');
      expectWithinF32Bound(run(wasmOnly, p, 'f32'), p, `wasm ${label(p)}`);
      expectWithinF32Bound(run(gemm, p, 'f32'), p, `js ${label(p)}`);
    }), { numRuns: 120 });
  });

  it('crosses the kernel\'s 256-step k blocks and 128-row blocks: f64 bits equal, f32 within bound', () => {
    for (const [M, N, K] of [[130, 19, 520], [257, 33, 300], [4, 8, 256], [129, 9, 257]]) {
      for (const [transA, transB] of LAYOUTS) {
        const p64 = randomProduct(M, N, K, transA, transB, M + N + K, 'f64');
        expect(Array.from(run(wasmOnly, p64, 'f64')), label(p64)).toEqual(Array.from(run(gemm, p64, 'f64')));
        const p32 = randomProduct(M, N, K, transA, transB, M + N + K, 'f32');
        expectWithinF32Bound(run(wasmOnly, p32, 'f32'), p32, label(p32));
      }
    }
  });

  it('reuses its grown memory: a small product after a large one is still right', () => {
    const large = randomProduct(200, 150, 300, false, true, 1, 'f64');
    const small = randomProduct(5, 3, 2, true, false, 2, 'f64');
    for (const p of [large, small, large]) expect(Array.from(run(wasmOnly, p, 'f64')), label(p)).toEqual(Array.from(run(gemm, p, 'f64')));
  });

  it('f64 with f32 inputs widens them exactly, as the TypeScript gemm does', () => {
    const p = randomProduct(9, 11, 13, true, true, 3, 'f32');
    expect(Array.from(run(wasmOnly, p, 'f64'))).toEqual(Array.from(run(gemm, p, 'f64')));
  });
});

/** y = op(A) @ op(B) with batch dims, transposed operands stored transposed under a `transpose`. */
function batchedProduct(p: number, q: number, r: number, transA: boolean, transB: boolean, batchA: Shape, batchB: Shape): Graph {
  const b = new GraphBuilder();
  const A = b.input('A', transA ? [...batchA, q, p] : [...batchA, p, q]);
  const B = b.input('B', transB ? [...batchB, r, q] : [...batchB, q, r]);
  b.output('y', b.matmul(transA ? b.transpose(A) : A, transB ? b.transpose(B) : B));
  return b.finish();
}

function graphInputs(graph: Graph, seed: number): Map<string, Tensor> {
  return new Map(graph.inputs.map((p, i) => {
    const shape = graph.nodes[p.id].shape;
    return [p.name, { shape, data: randomArray(numel(shape), seed + i, 'f64') }];
  }));
}

describe('batched matmul through the CPU interpreter', () => {
  // The three ways matmul.ts calls GEMM: a fixed matrix on a batch of vectors, a batch folded into rows,
  // and one GEMM per batch entry at its offsets (broadcast batch dims included).
  const cases: [number, number, number, boolean, boolean, Shape, Shape][] = [
    [9, 12, 1, true, false, [], [6]],
    [9, 12, 1, false, false, [], [5]],
    [5, 7, 6, false, true, [3], []],
    [5, 7, 6, true, false, [1], []],
    [5, 7, 6, true, false, [2], []],
    [6, 5, 9, true, true, [2, 3], [3]],
    [6, 10, 5, false, true, [4, 1], [3]],
    [13, 17, 11, false, false, [2], [2]],
  ];

  it('f64: the same bits whether GEMM runs in wasm or JS, and whether transposes are read in place', () => {
    for (const [p, q, r, transA, transB, batchA, batchB] of cases) {
      const graph = batchedProduct(p, q, r, transA, transB, batchA, batchB);
      const inputs = graphInputs(graph, p * q * r);
      setGemmMode('js');
      const js = interpret(graph, inputs, 'f64', { transposeInPlace: false }).get('y')!.data;
      setGemmMode('wasm');
      const wasmInPlace = interpret(graph, inputs, 'f64').get('y')!.data;
      const wasmCopied = interpret(graph, inputs, 'f64', { transposeInPlace: false }).get('y')!.data;
      const what = `[${batchA}|${p}×${q}${transA ? 'ᵀ' : ''}]·[${batchB}|${q}×${r}${transB ? 'ᵀ' : ''}]`;
      expect(Array.from(wasmInPlace), what).toEqual(Array.from(js));
      expect(Array.from(wasmCopied), what).toEqual(Array.from(js));
    }
  });

  it('f32: wasm and JS agree within f32 rounding of the f64 result', () => {
    for (const [p, q, r, transA, transB, batchA, batchB] of cases) {
      const graph = batchedProduct(p, q, r, transA, transB, batchA, batchB);
      const inputs = graphInputs(graph, 7 * p + q);
      const exact = interpret(graph, inputs, 'f64').get('y')!.data;
      for (const mode of ['wasm', 'js'] as const) {
        setGemmMode(mode);
        const got = interpret(graph, inputs, 'f32').get('y')!.data;
        // Inputs in [-1, 1): each |entry| ≤ q, so (q + 3)·u·q bounds input rounding, products and summation together.
        for (let e = 0; e < exact.length; e++) expect(Math.abs(got[e] - exact[e]), `${mode} entry ${e}`).toBeLessThanOrEqual((q + 3) * q * 2 ** -24);
      }
    }
  });
});

describe('choosing and falling back', () => {
  it('uses wasm only where it measured faster: not for tiny products or matrix-vector products of large matrices', () => {
    expect(wasmPays(256, 256, 256, 4)).toBe(true);
    expect(wasmPays(256, 256, 1, 8)).toBe(true);
    expect(wasmPays(4, 16, 16, 8)).toBe(true);
    expect(wasmPays(8, 8, 8, 4)).toBe(false);
    expect(wasmPays(1, 1024, 1024, 4)).toBe(true);
    expect(wasmPays(1, 1024, 1024, 8)).toBe(false);
    expect(wasmPays(2048, 2, 2048, 4)).toBe(false);
    expect(wasmPays(3, 2048, 2048, 8)).toBe(true);
    // C as one row or column: the matrix is read unpacked by the matvec kernels, wasm to 16 MiB in f64
    // and at any size in f32.
    expect(wasmPays(1, 1024, 1024, 8, true)).toBe(true);
    expect(wasmPays(1, 2048, 2048, 4, true)).toBe(true);
    expect(wasmPays(1, 2048, 2048, 8, true)).toBe(false);
    expect(wasmPays(1, 4096, 4096, 4, true)).toBe(true);
    expect(wasmPays(2, 4096, 4096, 4, true)).toBe(true);
  });

  it('falls back to the TypeScript gemm when the engine has no WebAssembly SIMD', () => {
    const validate = vi.spyOn(WebAssembly, 'validate').mockReturnValue(false);
    forgetKernels();
    try {
      expect(simdSupported()).toBe(false);
      expect(validate).toHaveBeenCalled();
      const p = randomProduct(40, 30, 20, true, false, 5, 'f32');
      const c = new Float32Array(40 * 30).fill(SENTINEL);
      expect(wasmGemm(p.M, p.N, p.K, p.a, p.b, c, 0), 'wasm kernel declines').toBe(false);
      expect(Array.from(c), 'and writes nothing').toEqual(new Array(40 * 30).fill(SENTINEL));
      setGemmMode('wasm');
      expect(Array.from(run(bestGemm, p, 'f32'))).toEqual(Array.from(run(gemm, p, 'f32')));
    } finally {
      validate.mockRestore();
      forgetKernels();
    }
    expect(simdSupported()).toBe(true);
  });

  it('forced to JS (setGemmMode), gives the TypeScript gemm\'s f32 bits, which wasm does not in general', () => {
    const p = randomProduct(64, 64, 64, false, false, 6, 'f32');
    setGemmMode('js');
    const js = Array.from(run(bestGemm, p, 'f32'));
    expect(js).toEqual(Array.from(run(gemm, p, 'f32')));
    setGemmMode('wasm');
    expect(Array.from(run(bestGemm, p, 'f32'))).not.toEqual(js);
  });

  it('GRADIENT_LAB_WASM=0 starts in JS mode', async () => {
    vi.stubEnv('GRADIENT_LAB_WASM', '0');
    vi.resetModules();
    const fresh = await import('../../src/backend/cpu/wasm/module.ts');
    expect(fresh.gemmMode()).toBe('js');
    expect(gemmMode()).toBe('auto');
  });

  it('declines a product whose packed operands would not fit its memory limit, before touching anything', () => {
    const n = 10_000; // 3 · n² f32 = 1.2 GB of packed operands and C
    const kernel = kernelFor('f32')!;
    const before = kernel.memory.buffer.byteLength;
    const tiny = { data: new Float32Array(1), offset: 0, trans: false };
    expect(wasmGemm(n, n, n, tiny, tiny, new Float32Array(1), 0)).toBe(false);
    expect(kernel.memory.buffer.byteLength).toBe(before);
  });
});

describe('WebAssembly matrix times one vector (no packing)', () => {
  /**
   * The same product with the matrix operand stored the other way: a matrix with rows along k (matvec)
   * becomes one with rows along C (axpyMatvec), and back. Each adds every output's terms in order.
   */
  const restored = (p: Product): Product => {
    const flip = (x: GemmOperand, rows: number, cols: number): GemmOperand => {
      const data = x.data instanceof Float64Array ? new Float64Array(rows * cols) : new Float32Array(rows * cols);
      // x holds [rows, cols] row-major; the flipped operand holds its transpose.
      for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) data[j * rows + i] = x.data[x.offset + i * cols + j];
      return { data, offset: 0, trans: !x.trans };
    };
    if (p.M === 1) return { ...p, b: p.b.trans ? flip(p.b, p.N, p.K) : flip(p.b, p.K, p.N) };
    return { ...p, a: p.a.trans ? flip(p.a, p.K, p.M) : flip(p.a, p.M, p.K) };
  };

  it('f64: the TypeScript gemm\'s bits, f32: the other layout\'s bits and within bound, at ragged sizes', () => {
    for (const rows of [1, 2, 3, 5, 8, 9, 17, 33, 70]) {
      for (const K of [1, 2, 3, 4, 5, 7, 9, 64, 257, 1001]) {
        const layouts = [[1, rows, false, true], [rows, 1, false, false], [1, rows, true, true], [rows, 1, false, true],
          [1, rows, false, false], [rows, 1, true, false], [1, rows, true, false], [rows, 1, true, true]] as const;
        for (const [M, N, transA, transB] of layouts) {
          for (const dtype of ['f64', 'f32'] as const) {
            const p = randomProduct(M, N, K, transA, transB, rows * K, dtype);
            const got = run(wasmOnly, p, dtype);
            const other = run(wasmOnly, restored(p), dtype);
            if (dtype === 'f64') expect(Array.from(got), label(p)).toEqual(Array.from(run(gemm, p, dtype)));
            else expectWithinF32Bound(got, p, label(p));
            expect(Array.from(got), `${dtype} ${label(p)}: same bits as ${label(restored(p))}`).toEqual(Array.from(other));
          }
        }
      }
    }
  });
});

describe('a matrix left in wasm memory within a pass (reuseMatricesDuring)', () => {
  const n = 96;
  const product = (matrix: Float32Array, vector: Float32Array, trans: boolean) => {
    const c = new Float32Array(n);
    // x · Wᵀ (the matvec kernel) or x · W (the axpy kernel), both reading W as it is stored.
    expect(wasmGemm(1, n, n, { data: vector, offset: 0, trans: false }, { data: matrix, offset: 0, trans }, c, 0)).toBe(true);
    return Array.from(c);
  };
  const fill = (a: Float32Array, seed: number) => a.set(randomArray(a.length, seed, 'f32'));

  it('gives each product its own matrix: one read twice, a pooled array reused for another, one changed between passes', () => {
    const x = new Float32Array(randomArray(n, 1, 'f32'));
    const first = allocate([n, n], 'f32').data as Float32Array;
    fill(first, 2);
    const want = (m: Float32Array, trans: boolean) => product(Float32Array.from(m), x, trans); // a copy: never resident
    const wantFirstN = want(first, true);
    const wantFirstT = want(first, false);
    reuseMatricesDuring(() => {
      // The same matrix for W x and for xᵀ W: the second may reuse the first's copy.
      expect(product(first, x, true)).toEqual(wantFirstN);
      expect(product(first, x, false)).toEqual(wantFirstT);
      expect(product(first, x, true)).toEqual(wantFirstN);
      // Released and handed out again (the same array) with other values: a new matrix.
      release(first);
      const second = allocate([n, n], 'f32').data as Float32Array;
      expect(second).toBe(first);
      fill(second, 3);
      expect(product(second, x, true)).toEqual(want(second, true));
    });
    // A caller's array changed between passes.
    const mine = new Float32Array(randomArray(n * n, 4, 'f32'));
    const before = reuseMatricesDuring(() => product(mine, x, true));
    mine[5] += 1;
    expect(reuseMatricesDuring(() => product(mine, x, true))).toEqual(want(mine, true));
    expect(want(mine, true)).not.toEqual(before);
  });
});

describe('WebAssembly matrix times two vectors at once (matvec2)', () => {
  it('each result has the bits of its own single-vector product, f64 and f32, at ragged sizes', () => {
    for (const rows of [1, 2, 3, 5, 8, 9, 17, 33, 70]) {
      for (const K of [1, 2, 3, 4, 5, 7, 9, 64, 257, 1001]) {
        for (const dtype of ['f64', 'f32'] as const) {
          // Two stacked vectors times a matrix stored along k: C[2, rows] = V[2, K] · Rᵀ.
          const pair = randomProduct(2, rows, K, false, true, rows * K, dtype);
          const got = run(wasmOnly, pair, dtype);
          for (const t of [0, 1]) {
            const one: Product = { ...pair, M: 1, a: { ...pair.a, offset: pair.a.offset + t * K } };
            const single = run(wasmOnly, one, dtype);
            expect(Array.from(got.subarray(t * rows, (t + 1) * rows)), `${dtype} ${label(pair)} vector ${t}`).toEqual(Array.from(single));
          }
          if (dtype === 'f64') expect(Array.from(got), label(pair)).toEqual(Array.from(run(gemm, pair, dtype)));
          else expectWithinF32Bound(got, pair, label(pair));
        }
      }
    }
  });
});

describe('WebAssembly packing kernels', () => {
  // Vectors side by side (stride one value), along k (kStride one value: the transposing SIMD path, with
  // K mod lanes steps left over), and neither (a value at a time).
  it('pack the same panels as a plain gather, in every stride layout and at ragged K, f32 and f64', () => {
    for (const dtype of ['f32', 'f64'] as const) {
      const kernel = kernelFor(dtype)!;
      expect(ensureMemory(kernel, 1 << 20)).toBe(true);
      const bytes = dtype === 'f32' ? 4 : 8;
      const Array_ = dtype === 'f32' ? Float32Array : Float64Array;
      for (const fn of ['packA', 'packB'] as const) {
        const width = fn === 'packA' ? KERNEL_SHAPES[dtype].rows : KERNEL_SHAPES[dtype].vectors * (16 / bytes);
        for (const K of [1, 2, 3, 4, 5, 7, 9, 64, 257]) {
          const panels = 3;
          const count = panels * width;
          for (const [stride, kStride, span] of [[1, count + 2, K * (count + 2)], [K + 1, 1, count * (K + 1)], [2, 2 * count + 1, K * (2 * count + 1)]]) {
            const src = 64;
            const dst = src + (span + 16) * bytes;
            const values = randomArray(span, K + stride, dtype);
            new Array_(kernel.memory.buffer, src, span).set(values);
            kernel[fn](src, dst, panels, K, stride * bytes, kStride * bytes);
            const got = new Array_(kernel.memory.buffer, dst, count * K);
            const want = new Array_(count * K);
            for (let q = 0; q < panels; q++) for (let k = 0; k < K; k++) for (let r = 0; r < width; r++) want[q * width * K + k * width + r] = values[(q * width + r) * stride + k * kStride];
            expect(Array.from(got), `${dtype} ${fn} K=${K} stride=${stride} kStride=${kStride}`).toEqual(Array.from(want));
          }
        }
      }
    }
  });
});

describe('the packing of a shared product, cut into jobs (packCalls)', () => {
  it('covers every full panel of each operand once, in runs of consecutive panels, calling the named kernel', () => {
    const work: PackWork[] = [
      { fn: 'packAFromF64', src: 800, dst: 0, panels: 7, K: 5, strideBytes: 40, kStrideBytes: 8, panelSrcBytes: 160, panelDstBytes: 80 },
      { fn: 'packB', src: 5000, dst: 560, panels: 2, K: 5, strideBytes: 4, kStrideBytes: 12, panelSrcBytes: 32, panelDstBytes: 160 },
    ];
    for (const parts of [1, 2, 3, 4, 8]) {
      const table = packCalls(work, parts);
      expect(table.perJob).toBe(1);
      const calls = Array.from({ length: table.jobs }, (_, j) => Array.from(table.words.subarray(j * CALL_WORDS, (j + 1) * CALL_WORDS)));
      for (const w of work) {
        const mine = calls.filter((c) => CALLABLE[c[10]] === w.fn);
        expect(mine.length, `${w.fn} in ${parts} parts`).toBe(Math.min(parts, w.panels));
        let next = 0;
        for (const [src, dst, panels, K, stride, kStride] of mine) {
          expect([src, dst, K, stride, kStride]).toEqual([w.src + next * w.panelSrcBytes, w.dst + next * w.panelDstBytes, w.K, w.strideBytes, w.kStrideBytes]);
          next += panels;
        }
        expect(next, `${w.fn}: panels packed`).toBe(w.panels);
      }
    }
  });
});

describe('threads claiming jobs from a table (runCalls)', () => {
  it('runs each job once, its calls in order, whichever thread claims it; a thread that comes late finds none left', () => {
    const work: PackWork[] = [{ fn: 'packB', src: 0, dst: 0, panels: 10, K: 3, strideBytes: 4, kStrideBytes: 4, panelSrcBytes: 1, panelDstBytes: 1 }];
    const table = packCalls(work, 5);
    const ints = new Int32Array(new SharedArrayBuffer(4 * (7 + tableWords(table))));
    placeTable(ints, 7, table);
    const seen: number[] = [];
    const record = (src: number) => void seen.push(src);
    const targets = CALLABLE.map(() => record);
    // A first thread that stops after two jobs (its third call throws), then one that takes the rest.
    let calls = 0;
    const stopping = CALLABLE.map(() => (src: number) => {
      if (++calls > 2) throw new Error('stop');
      seen.push(src);
    });
    expect(() => runCalls(stopping, ints, 7, table.jobs, table.perJob)).toThrow('stop');
    runCalls(targets, ints, 7, table.jobs, table.perJob);
    runCalls(targets, ints, 7, table.jobs, table.perJob);
    // Jobs 0 and 1 by the first, job 2 claimed by it but lost when it stopped, 3 and 4 by the second.
    expect(seen).toEqual([0, 2, 6, 8]);
    placeTable(ints, 7, table);
    seen.length = 0;
    runCalls(targets, ints, 7, table.jobs, table.perJob);
    expect(seen).toEqual([0, 2, 4, 6, 8]);
  });
});

describe('WebAssembly encoder', () => {
  it('writes LEB128 like the spec\'s examples', () => {
    expect(unsignedLeb(0)).toEqual([0]);
    expect(unsignedLeb(127)).toEqual([0x7f]);
    expect(unsignedLeb(128)).toEqual([0x80, 0x01]);
    expect(unsignedLeb(624485)).toEqual([0xe5, 0x8e, 0x26]);
    expect(signedLeb(-1)).toEqual([0x7f]);
    expect(signedLeb(63)).toEqual([0x3f]);
    expect(signedLeb(64)).toEqual([0xc0, 0x00]);
    expect(signedLeb(-123456)).toEqual([0xc0, 0xbb, 0x78]);
  });
});

describe('WebAssembly GEMM on helper threads', () => {
  const cores = Math.min(4, availableParallelism());

  afterEach(() => {
    setGemmThreads(Infinity);
  });

  it('starts min(4, cores) - 1 helpers on a shared memory, and they take jobs', async () => {
    for (const dtype of ['f32', 'f64'] as const) {
      setGemmThreads(Infinity); // and the sharing policy starts over, however busy the machine was
      const threads = threadsFor(dtype);
      expect(threads, `${dtype}: a shared-memory kernel in Node`).not.toBeNull();
      expect(await threads!.warmUp(), `${dtype}: helpers ready`).toBe(cores - 1);
      const p = randomProduct(300, 700, 90, false, true, 11, dtype);
      run(wasmOnly, p, dtype);
      expect(threads!.lastHelpers, `${dtype}: helpers used by a 300×700×90 product`).toBe(cores - 1);
    }
  });

  it('a heads-up with no jobs after it lets the helpers sleep again, and the next product still gets them', async () => {
    const threads = threadsFor('f32')!;
    await threads.warmUp();
    const p = randomProduct(300, 700, 90, false, true, 12, 'f32');
    setGemmThreads(1);
    const alone = Array.from(run(wasmOnly, p, 'f32'));
    setGemmThreads(Infinity); // the sharing policy starts over too: the next product is shared
    // Two heads-ups, then longer than the helpers spin for: they go back to waiting.
    threads.prepare();
    threads.prepare();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(Array.from(run(wasmOnly, p, 'f32'))).toEqual(alone);
    expect(threads.lastHelpers).toBe(cores - 1);
  });

  it.skipIf(cores < 2)('a helper that traps in a job fails the product at once, not after the time-out, and is replaced', async () => {
    setGemmThreads(Infinity);
    const threads = threadsFor('f32')!;
    const kernel = kernelFor('f32')!;
    expect(await threads.warmUp()).toBe(cores - 1);
    expect(ensureMemory(kernel, 1 << 20)).toBe(true);
    // Packing calls that read far past the end of the kernel's memory: a trap on whichever thread runs one.
    // The caller is given calls that only wait, so the helpers claim jobs too and meet the trap.
    const beyond = kernel.memory.buffer.byteLength + (1 << 20);
    const table = packCalls([{ fn: 'packA', src: beyond, dst: 4096, panels: 8, K: 4, strideBytes: 4, kStrideBytes: 64, panelSrcBytes: 16, panelDstBytes: 256 }], 8);
    const at = 1 << 16; // an int32 word in the kernel's memory that nothing else uses during the test
    placeTable(new Int32Array(kernel.memory.buffer), at, table);
    const waiting = CALLABLE.map(() => () => {
      const until = performance.now() + 20;
      while (performance.now() < until);
    });
    expect(() => threads.run(waiting, at, table.jobs, table.perJob)).toThrow(/helper thread failed/);
    // The dead helper is replaced: the next product is shared again, with the bits of one thread.
    expect(await threads.warmUp()).toBe(cores - 1);
    const p = randomProduct(300, 700, 90, false, true, 13, 'f32');
    setGemmThreads(1);
    const alone = Array.from(run(wasmOnly, p, 'f32'));
    setGemmThreads(Infinity);
    expect(Array.from(run(wasmOnly, p, 'f32'))).toEqual(alone);
    expect(threads.lastHelpers).toBe(cores - 1);
  });

  it('GRADIENT_LAB_THREADS caps the threads, and the CPU backend says how many it uses', async () => {
    expect(threadsWanted()).toBe(cores);
    expect(cpuBackend.description).toBe(`CPU (interpreter, WebAssembly SIMD GEMM on ${cores} thread${cores === 1 ? '' : 's'})`);
    vi.stubEnv('GRADIENT_LAB_THREADS', '1');
    vi.resetModules();
    const fresh = await import('../../src/backend/cpu/wasm/threads.ts');
    expect(fresh.threadsWanted()).toBe(1);
    vi.unstubAllEnvs();
    setGemmMode('js');
    expect(cpuBackend.description).toBe('CPU (interpreter, TypeScript GEMM)');
    setGemmMode('auto');
  });

  it('gives the same bits on one thread and on several, in every layout and at ragged sizes; f64 the TypeScript gemm\'s', async () => {
    for (const dtype of ['f32', 'f64'] as const) {
      await threadsFor(dtype)!.warmUp();
      // Row blocks of 128 and column chunks of 256 cut unevenly; a 64-row batch still makes several jobs.
      for (const [M, N, K] of [[300, 700, 90], [64, 1030, 257], [129, 257, 300], [1000, 9, 40]]) {
        for (const [transA, transB] of LAYOUTS) {
          const p = randomProduct(M, N, K, transA, transB, M + N + K, dtype);
          setGemmThreads(1);
          const alone = Array.from(run(wasmOnly, p, dtype));
          setGemmThreads(Infinity);
          const shared = Array.from(run(wasmOnly, p, dtype));
          const what = `${dtype} ${M}×${N}×${K} ${transA ? 'T' : 'N'}${transB ? 'T' : 'N'}`;
          expect(shared, what).toEqual(alone);
          if (dtype === 'f64') expect(shared, `${what} against TS`).toEqual(Array.from(run(gemm, p, dtype)));
        }
      }
    }
  });
});
