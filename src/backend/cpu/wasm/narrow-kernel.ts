// Rounding f64 values to f32 inside a kernel's memory. An f32 pass over f64 host weights converts each
// weight once per pass; in JS (`Float32Array.set` from a Float64Array) that ran at ~0.7 ns a value, and
// the f32 copy then had to be copied into the kernel's memory as well. Copied in as f64 (a plain memory
// copy) and rounded here four values at a time, the weight lands where the products read it.
import { Code, I32, V128 } from './encoder.ts';

/** i8x16.shuffle bytes of 32-bit lanes 0 and 1 of a, then 0 and 1 of b. */
const LOW_PAIRS = [0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23];

/**
 * `narrowRows(src, dst, rows, groups, tail, pad, srcRowBytes, dstRowBytes)`: for each of `rows` (≥ 1)
 * rows, rounds its 4·groups + tail f64 values at src to the nearest f32 (ties to even, as Float32Array
 * does) and stores them at dst, then `pad` zeros after them; the next row starts srcRowBytes and
 * dstRowBytes further on.
 */
export function narrowKernel(): Code {
  const [src, dst, rows, groups, tail, pad, srcRowBytes, dstRowBytes] = [0, 1, 2, 3, 4, 5, 6, 7];
  const code = new Code(8);
  const [s, d, n] = [code.local(I32), code.local(I32), code.local(I32)];
  const low = code.local(V128);
  const repeat = (count: number, body: () => void) => code.repeat(count, n, body);
  code.loop(() => {
    code.localGet(src).localSet(s).localGet(dst).localSet(d);
    repeat(groups, () => {
      code.localGet(d);
      code.localGet(s).v128Load(0).f32x4DemoteF64x2Zero().localSet(low);
      code.localGet(low).localGet(s).v128Load(16).f32x4DemoteF64x2Zero().i8x16Shuffle(LOW_PAIRS);
      code.v128Store(0);
      code.localGet(s).i32Const(32).i32Add().localSet(s);
      code.localGet(d).i32Const(16).i32Add().localSet(d);
    });
    repeat(tail, () => {
      code.localGet(d).localGet(s).f64Load().f32DemoteF64().f32Store();
      code.localGet(s).i32Const(8).i32Add().localSet(s);
      code.localGet(d).i32Const(4).i32Add().localSet(d);
    });
    repeat(pad, () => {
      code.localGet(d).i32Const(0).i32Store();
      code.localGet(d).i32Const(4).i32Add().localSet(d);
    });
    code.localGet(src).localGet(srcRowBytes).i32Add().localSet(src);
    code.localGet(dst).localGet(dstRowBytes).i32Add().localSet(dst);
    code.localGet(rows).i32Const(1).i32Sub().localTee(rows).brIf(0);
  });
  return code;
}
