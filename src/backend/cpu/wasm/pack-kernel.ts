// Packing in WebAssembly: gathers rows of op(A) or columns of op(B), in whichever layout they are stored,
// into the panels the GEMM micro-kernel reads contiguously (see packPanels in gemm.ts for the layout).
// In JS the same gather ran at ~3 ns per element, a quarter of a 256³ f32 product's time.
//
// Two layouts have SIMD paths, since every product of a batched pass has one of them: vectors stored side
// by side (B of X·W, Aᵀ), where a step of k is a contiguous copy, and vectors stored along k (A, Bᵀ of
// X·Wᵀ), where blocks of lanes × lanes values are transposed in registers. Packing a 1024 × 1024 f32 B
// one value at a time took 0.42 ms either way, a fifth of a 64 × 1024 × 1024 product on 2 threads.
import type { DType } from '../tensor.ts';
import { Code, I32, V128 } from './encoder.ts';

/** i8x16.shuffle byte indices that pick 32-bit (or, with `wide`, 64-bit) lanes of a and b (b's from 4 or 2). */
const pick = (lanes: readonly number[], wide: boolean) => lanes.flatMap((l) => (wide ? [0, 1, 2, 3, 4, 5, 6, 7].map((b) => 8 * l + b) : [0, 1, 2, 3].map((b) => 4 * l + b)));

/**
 * Transposes the lanes × lanes block held in the v128 locals `rows` (row r: lanes consecutive values):
 * calls `use(j, push)` for each column j in order, where `push` leaves column j (row r's value in lane r)
 * on the stack. `half` are lanes scratch v128 locals; f32 needs them, f64 (2 × 2) does not.
 */
export function transposeBlock(code: Code, rows: readonly number[], half: readonly number[], wide: boolean, use: (j: number, push: () => void) => void): void {
  if (wide) {
    for (let j = 0; j < 2; j++) use(j, () => code.localGet(rows[0]).localGet(rows[1]).i8x16Shuffle(pick([j, 2 + j], true)));
    return;
  }
  // [a0 b0 a1 b1], [a2 b2 a3 b3] from rows a, b; likewise from c, d; then pairs of those.
  code.localGet(rows[0]).localGet(rows[1]).i8x16Shuffle(pick([0, 4, 1, 5], false)).localSet(half[0]);
  code.localGet(rows[0]).localGet(rows[1]).i8x16Shuffle(pick([2, 6, 3, 7], false)).localSet(half[1]);
  code.localGet(rows[2]).localGet(rows[3]).i8x16Shuffle(pick([0, 4, 1, 5], false)).localSet(half[2]);
  code.localGet(rows[2]).localGet(rows[3]).i8x16Shuffle(pick([2, 6, 3, 7], false)).localSet(half[3]);
  for (let j = 0; j < 4; j++) {
    const [x, y] = j < 2 ? [half[0], half[2]] : [half[1], half[3]];
    const first = 2 * (j % 2);
    use(j, () => code.localGet(x).localGet(y).i8x16Shuffle(pick([first, first + 1, 4 + first, 5 + first], false)));
  }
}

/** i8x16.shuffle bytes of 32-bit lanes 0 and 1 of a, then 0 and 1 of b. */
const LOW_PAIRS = [0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23];

/**
 * `packFull(src, dst, panels, K, strideBytes, kStrideBytes)`: for each of `panels` (≥ 1) full panels of
 * `width` vectors, for each of K (≥ 1) steps k, copies the `width` values at src + r·stride + k·kStride
 * (r = 0 … width − 1) to dst, contiguously; the next panel starts `width` vectors further along src.
 * With `source` f64 and `dtype` f32, src holds f64 values and each is rounded to the nearest f32 (ties to
 * even, as Float32Array rounds) on its way; else it is pure data movement: whichever path runs, the panels
 * hold the same bits.
 */
export function packFullPanels(dtype: DType, width: number, source: DType = dtype): Code {
  const [src, dst, panels, K, stride, kStride] = [0, 1, 2, 3, 4, 5];
  const code = new Code(6);
  const bytes = dtype === 'f32' ? 4 : 8;
  const srcBytes = source === 'f32' ? 4 : 8;
  const narrowing = srcBytes !== bytes;
  const lanes = 16 / bytes;
  const [s, p, k] = [code.local(I32), code.local(I32), code.local(I32)];
  const rows = Array.from({ length: lanes }, () => code.local(V128));
  const half = Array.from({ length: lanes }, () => code.local(V128));
  const low = code.local(V128);
  /** Pushes the `lanes` consecutive source values at the address `address` pushes, plus `offset` bytes. */
  const loadVector = (address: () => void, offset: number) => {
    if (!narrowing) {
      address();
      code.v128Load(offset);
      return;
    }
    address();
    code.v128Load(offset).f32x4DemoteF64x2Zero().localSet(low);
    code.localGet(low);
    address();
    code.v128Load(offset + 16).f32x4DemoteF64x2Zero().i8x16Shuffle(LOW_PAIRS);
  };

  /** One step of k, a value at a time: dst[r] = src[s + r·stride]; then dst moves on by a step. */
  const scalarStep = () => {
    code.localGet(s).localSet(p);
    for (let r = 0; r < width; r++) {
      code.localGet(dst).localGet(p);
      if (narrowing) code.f64Load().f32DemoteF64().f32Store(r * bytes);
      else if (dtype === 'f32') code.f32Load().f32Store(r * bytes);
      else code.f64Load().f64Store(r * bytes);
      if (r < width - 1) code.localGet(p).localGet(stride).i32Add().localSet(p);
    }
    code.localGet(dst).i32Const(width * bytes).i32Add().localSet(dst);
    code.localGet(s).localGet(kStride).i32Add().localSet(s);
  };
  /** `body` once per full panel, with s at the panel's first value. */
  const eachPanel = (body: () => void) => code.loop(() => {
    code.localGet(src).localSet(s);
    body();
    code.localGet(src).localGet(stride).i32Const(width).i32Mul().i32Add().localSet(src);
    code.localGet(panels).i32Const(1).i32Sub().localTee(panels).brIf(0);
  });
  /** `body` `count` times, when the i32 `count` (pushed by `push`) is not 0. */
  const repeat = (push: () => void, body: () => void) => {
    push();
    code.localTee(k).if(() => code.loop(() => {
      body();
      code.localGet(k).i32Const(1).i32Sub().localTee(k).brIf(0);
    }));
  };

  // Vectors side by side (stride = one value): a step of k is `width` contiguous values.
  code.localGet(stride).i32Const(srcBytes).i32Eq().if(() => eachPanel(() => repeat(() => code.localGet(K), () => {
    for (let v = 0; v < width / lanes; v++) {
      code.localGet(dst);
      loadVector(() => code.localGet(s), v * lanes * srcBytes);
      code.v128Store(16 * v);
    }
    code.localGet(dst).i32Const(width * bytes).i32Add().localSet(dst);
    code.localGet(s).localGet(kStride).i32Add().localSet(s);
  })));

  // Vectors along k (kStride = one value): `lanes` steps of k at a time, each group of `lanes` vectors
  // loaded as rows of a lanes × lanes block and transposed by shuffles; the last K mod lanes steps one by one.
  const wide = bytes === 8;
  code.localGet(stride).i32Const(srcBytes).i32Ne().localGet(kStride).i32Const(srcBytes).i32Eq().i32And().if(() => eachPanel(() => {
    repeat(() => code.localGet(K).i32Const(Math.log2(lanes)).i32ShrU(), () => {
      for (let g = 0; g < width / lanes; g++) {
        code.localGet(s).localGet(stride).i32Const(g * lanes).i32Mul().i32Add().localSet(p);
        rows.forEach((row, r) => {
          loadVector(() => code.localGet(p), 0);
          code.localSet(row);
          if (r < lanes - 1) code.localGet(p).localGet(stride).i32Add().localSet(p);
        });
        // Column j of the block (step k + j of every vector) goes to dst + j·width values + g·lanes values.
        transposeBlock(code, rows, half, wide, (j, push) => {
          code.localGet(dst);
          push();
          code.v128Store(j * width * bytes + g * 16);
        });
      }
      code.localGet(dst).i32Const(lanes * width * bytes).i32Add().localSet(dst);
      code.localGet(s).i32Const(lanes * srcBytes).i32Add().localSet(s);
    });
    repeat(() => code.localGet(K).i32Const(lanes - 1).i32And(), scalarStep);
  }));

  // Any other strides: a value at a time.
  code.localGet(stride).i32Const(srcBytes).i32Ne().localGet(kStride).i32Const(srcBytes).i32Ne().i32And().if(() => eachPanel(() => {
    code.localGet(K).localSet(k);
    code.loop(() => {
      scalarStep();
      code.localGet(k).i32Const(1).i32Sub().localTee(k).brIf(0);
    });
  }));
  return code;
}
