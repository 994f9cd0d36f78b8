// Packing in WebAssembly: gathers rows of op(A) or columns of op(B), in whichever layout they are stored,
// into the panels the GEMM micro-kernel reads contiguously (see packPanels in gemm.ts for the layout).
// In JS the same gather ran at ~3 ns per element, a quarter of a 256³ f32 product's time.
import type { DType } from '../tensor.ts';
import { Code, I32 } from './encoder.ts';

/**
 * `packFull(src, dst, panels, K, strideBytes, kStrideBytes)`: for each of `panels` (≥ 1) full panels of
 * `width` vectors, for each of K (≥ 1) steps k, copies the `width` values at src + r·stride + k·kStride
 * (r = 0 … width − 1) to dst, contiguously; the next panel starts `width` vectors further along src.
 * The copy of each step is unrolled, so a step is `width` loads and stores and a few adds.
 */
export function packFullPanels(dtype: DType, width: number): Code {
  const [src, dst, panels, K, stride, kStride] = [0, 1, 2, 3, 4, 5];
  const code = new Code(6);
  const bytes = dtype === 'f32' ? 4 : 8;
  const [s, p, k] = [code.local(I32), code.local(I32), code.local(I32)];
  const copyOne = (offset: number) => {
    code.localGet(dst).localGet(p);
    if (dtype === 'f32') code.f32Load().f32Store(offset);
    else code.f64Load().f64Store(offset);
  };
  code.loop(() => {
    code.localGet(src).localSet(s).localGet(K).localSet(k);
    code.loop(() => {
      code.localGet(s).localSet(p);
      for (let r = 0; r < width; r++) {
        copyOne(r * bytes);
        if (r < width - 1) code.localGet(p).localGet(stride).i32Add().localSet(p);
      }
      code.localGet(dst).i32Const(width * bytes).i32Add().localSet(dst);
      code.localGet(s).localGet(kStride).i32Add().localSet(s);
      code.localGet(k).i32Const(1).i32Sub().localTee(k).brIf(0);
    });
    code.localGet(src).localGet(stride).i32Const(width).i32Mul().i32Add().localSet(src);
    code.localGet(panels).i32Const(1).i32Sub().localTee(panels).brIf(0);
  });
  return code;
}
