// The WebAssembly SIMD GEMM kernel, generated per dtype: a register-blocked micro-kernel and the two loops
// that sweep it over one block of packed panels (see gemm.ts in this folder for the packing and the outer
// loops). The layout of the packed operands is what lets one micro-kernel serve every transpose layout.
import type { DType } from '../tensor.ts';
import { Code, encodeModule, I32, V128 } from './encoder.ts';
import { axpyMatvecKernel, matvecKernel } from './matvec-kernel.ts';
import { arithmeticExport, arithmeticKernel, ARITHMETIC_OPS, PER_ROW } from './arithmetic-kernel.ts';
import { narrowKernel } from './narrow-kernel.ts';
import { packFullPanels } from './pack-kernel.ts';

/** The shape of the micro-kernel's register block for one dtype. */
export interface KernelShape {
  readonly dtype: DType;
  /** Rows of C per micro-tile (rows of op(A) per packed A panel). */
  readonly rows: number;
  /** v128 vectors per row of a micro-tile. */
  readonly vectors: number;
}

/** Values per v128 lane group, and bytes per value. */
export const LANES: Record<DType, number> = { f32: 4, f64: 2 };
const BYTES: Record<DType, number> = { f32: 4, f64: 8 };

/** Columns of C per micro-tile (columns of op(B) per packed B panel). */
export const tileCols = (s: KernelShape) => s.vectors * LANES[s.dtype];

/**
 * 4×8 f32 and 4×4 f64: 8 accumulators, the row of B and one broadcast value of A are 11 live vectors, within
 * x64's 16 registers. Measured on the benchmark machine (2 × AMD EPYC, Node 20, GFLOP/s at 256³ and 1024³,
 * B stored transposed): f32 4×8 31 and 37, 4×12 22 and 24, 4×16 24 and 25, 8×8 21 and 21; f64 4×4 17.5 and
 * 18, 4×6 11 and 12, 2×8 17 and 19, 8×2 7 and 5. Unrolling the k loop by 2 or 4 made every shape slower.
 */
export const KERNEL_SHAPES: Record<DType, KernelShape> = {
  f32: { dtype: 'f32', rows: 4, vectors: 2 },
  f64: { dtype: 'f64', rows: 4, vectors: 2 },
};

/** Exported functions of the generated module. */
export type GemmKernelExports = KernelFunctions & { readonly [name in ReturnType<typeof arithmeticExport>]: ArithmeticKernel };

/** The module's exports but the arithmetic kernels, one per operation and layout (arithmeticExport). */
interface KernelFunctions {
  readonly memory: WebAssembly.Memory;
  /**
   * For each of `nTiles` packed B panels (starting at byte `b`, `bPanelBytes` apart) and each of `mTiles`
   * packed A panels (from `a`, `aPanelBytes` apart): the micro-tile of C at `c` (row stride `ldcBytes`)
   * gets the sum over `kc` steps of A-panel column × B-panel row. It starts from zero, or from the tile's
   * contents when `accumulate` is 1 (a later block of k). All counts are at least 1.
   */
  gemmBlock(a: number, b: number, c: number, mTiles: number, nTiles: number, kc: number, aPanelBytes: number, bPanelBytes: number, ldcBytes: number, accumulate: number): void;
  /** Packs full A panels (`rows` wide); see packFullPanels in pack-kernel.ts. */
  packA(src: number, dst: number, panels: number, K: number, strideBytes: number, kStrideBytes: number): void;
  /** Packs full B panels (`vectors · lanes` wide). */
  packB(src: number, dst: number, panels: number, K: number, strideBytes: number, kStrideBytes: number): void;
  /** A row-major matrix times a vector, with no packing; see matvecKernel in matvec-kernel.ts. */
  matvec(r: number, v: number, y: number, passes: number, kBlocks: number, rowBytes: number): void;
  /** The same for two vectors (vBytes apart, results yBytes apart), reading the matrix once. */
  matvec2(r: number, v: number, y: number, passes: number, kBlocks: number, rowBytes: number, vBytes: number, yBytes: number): void;
  /** A vector times a row-major matrix, with no packing; see axpyMatvecKernel in matvec-kernel.ts. */
  axpyMatvec(b: number, v: number, y: number, passes: number, K: number, rowBytes: number): void;
  /** f32 kernel only: packA and packB from f64 values, rounding each to f32 (strides in f64 bytes). */
  readonly packAFromF64?: KernelFunctions['packA'];
  readonly packBFromF64?: KernelFunctions['packB'];
  /** f32 kernel only: f64 rows rounded to f32 rows; see narrowKernel in narrow-kernel.ts. */
  readonly narrowRows?: (src: number, dst: number, rows: number, groups: number, tail: number, pad: number, srcRowBytes: number, dstRowBytes: number) => void;
}

/** out = a ∘ b for ∘ one of + − × ÷, row by row; see arithmeticKernel in arithmetic-kernel.ts. */
export type ArithmeticKernel = (a: number, b: number, out: number, rows: number, groups: number, tail: number, aRowBytes: number, bRowBytes: number) => void;

/**
 * The micro-kernel: an (rows × vectors·lanes) tile of C kept in v128 locals while k runs over `kc` steps;
 * step k reads `rows` values of the packed A panel and one row of the packed B panel, both contiguous.
 * Each accumulator lane adds its k terms in order, a multiply then an add (no fused multiply-add), which
 * is exactly the TypeScript gemm's arithmetic: in f64 the two give the same bits.
 */
function microKernel(s: KernelShape): Code {
  const [a, b, c, kc, ldc, accumulate] = [0, 1, 2, 3, 4, 5];
  const code = new Code(6);
  const bytes = BYTES[s.dtype];
  const acc = Array.from({ length: s.rows }, () => Array.from({ length: s.vectors }, () => code.local(V128)));
  const bRow = Array.from({ length: s.vectors }, () => code.local(V128));
  const aValue = code.local(V128);
  const row = code.local(I32);
  const add = () => (s.dtype === 'f32' ? code.f32x4Add() : code.f64x2Add());
  const mul = () => (s.dtype === 'f32' ? code.f32x4Mul() : code.f64x2Mul());
  const loadSplat = (offset: number) => (s.dtype === 'f32' ? code.v128Load32Splat(offset) : code.v128Load64Splat(offset));
  const eachRowOfC = (visit: (r: number) => void) => {
    code.localGet(c).localSet(row);
    for (let r = 0; r < s.rows; r++) {
      visit(r);
      code.localGet(row).localGet(ldc).i32Add().localSet(row);
    }
  };

  // Locals start at zero, which is the first block's starting value.
  code.localGet(accumulate).if(() => eachRowOfC((r) => {
    for (let v = 0; v < s.vectors; v++) code.localGet(row).v128Load(16 * v).localSet(acc[r][v]);
  }));
  code.loop(() => {
    for (let v = 0; v < s.vectors; v++) code.localGet(b).v128Load(16 * v).localSet(bRow[v]);
    for (let r = 0; r < s.rows; r++) {
      code.localGet(a);
      loadSplat(r * bytes).localSet(aValue);
      for (let v = 0; v < s.vectors; v++) {
        code.localGet(acc[r][v]).localGet(aValue).localGet(bRow[v]);
        mul();
        add();
        code.localSet(acc[r][v]);
      }
    }
    code.localGet(a).i32Const(s.rows * bytes).i32Add().localSet(a);
    code.localGet(b).i32Const(tileCols(s) * bytes).i32Add().localSet(b);
    code.localGet(kc).i32Const(1).i32Sub().localTee(kc).brIf(0);
  });
  eachRowOfC((r) => {
    for (let v = 0; v < s.vectors; v++) code.localGet(row).localGet(acc[r][v]).v128Store(16 * v);
  });
  return code;
}

/** gemmBlock (see GemmKernelExports): B panels in the outer loop, so each stays in L1 while A panels pass. */
function blockLoops(s: KernelShape, microKernelIndex: number): Code {
  const [a0, b, c0, mTiles, nTiles, kc, aPanelBytes, bPanelBytes, ldc, accumulate] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const code = new Code(10);
  const [a, c, cCol, ti] = [code.local(I32), code.local(I32), code.local(I32), code.local(I32)];
  code.localGet(c0).localSet(cCol);
  code.loop(() => {
    code.localGet(a0).localSet(a).localGet(cCol).localSet(c).localGet(mTiles).localSet(ti);
    code.loop(() => {
      code.localGet(a).localGet(b).localGet(c).localGet(kc).localGet(ldc).localGet(accumulate).call(microKernelIndex);
      code.localGet(a).localGet(aPanelBytes).i32Add().localSet(a);
      code.localGet(c).localGet(ldc).i32Const(s.rows).i32Mul().i32Add().localSet(c);
      code.localGet(ti).i32Const(1).i32Sub().localTee(ti).brIf(0);
    });
    code.localGet(b).localGet(bPanelBytes).i32Add().localSet(b);
    code.localGet(cCol).i32Const(tileCols(s) * BYTES[s.dtype]).i32Add().localSet(cCol);
    code.localGet(nTiles).i32Const(1).i32Sub().localTee(nTiles).brIf(0);
  });
  return code;
}

/**
 * The module's bytes: the micro-kernel (function 0), then the exported gemmBlock, packA, packB, matvec, matvec2, axpyMatvec (and for f32, packAFromF64,
 * packBFromF64 and narrowRows), then the arith_<op> kernels (arithmeticExport); with its
 * own memory, or (`sharedMaximumPages`) with a shared memory imported as `env.memory`, for threads.
 */
export function gemmKernelModule(s: KernelShape, sharedMaximumPages?: number): Uint8Array<ArrayBuffer> {
  const i32s = (n: number) => new Array<typeof I32>(n).fill(I32);
  return encodeModule([
    { params: i32s(6), results: [], code: microKernel(s) },
    { params: i32s(10), results: [], code: blockLoops(s, 0), exportName: 'gemmBlock' },
    { params: i32s(6), results: [], code: packFullPanels(s.dtype, s.rows), exportName: 'packA' },
    { params: i32s(6), results: [], code: packFullPanels(s.dtype, tileCols(s)), exportName: 'packB' },
    { params: i32s(6), results: [], code: matvecKernel(s.dtype), exportName: 'matvec' },
    { params: i32s(8), results: [], code: matvecKernel(s.dtype, 2), exportName: 'matvec2' },
    { params: i32s(6), results: [], code: axpyMatvecKernel(s.dtype), exportName: 'axpyMatvec' },
    ...(s.dtype === 'f32' ? [
      { params: i32s(6), results: [], code: packFullPanels('f32', s.rows, 'f64'), exportName: 'packAFromF64' },
      { params: i32s(6), results: [], code: packFullPanels('f32', tileCols(s), 'f64'), exportName: 'packBFromF64' },
      { params: i32s(8), results: [], code: narrowKernel(), exportName: 'narrowRows' },
    ] : []),
    ...ARITHMETIC_OPS.flatMap((op) => PER_ROW.map((perRow) => ({ params: i32s(8), results: [], code: arithmeticKernel(s.dtype, op, perRow), exportName: arithmeticExport(op, perRow) }))),
  ], sharedMaximumPages === undefined ? { initialPages: 1 } : { shared: { initialPages: 1, maximumPages: sharedMaximumPages } });
}
