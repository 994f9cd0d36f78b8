// Batched GEMM without workgroup memory, for software adapters when K ≥ 8 (planned by
// src/backend/webgpu/matmul.ts; Params and bindings in matmul-params.wgsl). Each workgroup computes a
// 64×128 tile of C; each of its 8×2 threads a 32×16 block, in 128 named vec4 registers, four steps of
// k at a time. Its entry point comes first in the code: matmul-direct-quads.wgsl where the device has
// subgroups of whole quads (the quad shares op(A)'s loads), else matmul-direct-lanes.wgsl.
//
// Why a second kernel: on a CPU running WGSL (SwiftShader) workgroup memory is ordinary memory
// reached through per-lane gathers and every barrier is a switch between fibers, so staging panels
// costs more than it saves; this kernel reads op(A) and op(B) straight from the buffers. On a GPU the
// staged kernel (matmul.wgsl) is the right one: this one re-reads each operand element from global
// memory 8 (A) or 2 (B) times per workgroup and holds far more registers than a GPU thread has.
//
// Why this shape: SwiftShader runs four invocations as the lanes of one SIMD vector and turns every
// storage-buffer read into a bounds-checked four-lane gather, even when the lanes' addresses are
// equal or contiguous, so the cost is gathers per FMA. A thread's 32×16 block costs 32 + 16 loads
// per step of k for 512 FMAs (the 8×8 block of matmul-direct-small.wgsl: 16 loads for 64). Taking
// k four steps at a time lets each accumulator absorb four products per loop trip
// (`acc += panel * quad`, a mat4x4f·vec4f), which measured 1.2-1.4× faster than one step per trip.
//
// Measured on SwiftShader (2-core machine shared with other jobs; both kernels interleaved in one
// process, medians of 7; GFLOP/s from wall time with readback; ratios from process CPU time, which
// the other jobs disturb less), against the 8×8-block kernel that was the only one before:
//   256³                     1.8 → 3.7 GFLOP/s (2.0×)
//   1024³                    2.2 → 5.0 GFLOP/s (2.3×; 1024³ with B transposed: 2.1 → 4.4)
//   [64,1024]·[1024,1024]ᵀ   2.0 → 4.3 GFLOP/s (2.3×)
//   [256,256]·[256,256]ᵀ     2.1 → 4.7 GFLOP/s (2.2×)
// Below K = 8 the 8×8 kernel wins (K = 1: 1.65×, K = 4: 1.1-1.2×): the work is then the epilogue,
// and this one's is dearer, so the planner hands short K to matmul-direct-small.wgsl.
// The other price is compile time, once per process: SwiftShader takes 1-2 s for this kernel (the
// 8×8 one: 0.1-0.3 s); with the 32 rows' stores unrolled it took 2.5-6 s.
//
// Measured and not kept: 8×16 and 16×8 blocks (1.1-1.3× over 8×8); 16×16 (0.8-0.88× of 32×16);
// 16×32 and 32×32 (no faster than 32×16, and wider tiles waste more on ragged shapes); operands bound
// as array<vec4f> (no faster than scalar reads: a vec4 read is four gathers too); k eight steps per
// trip (0.9×); running the last K % 4 steps in the main loop with the steps past K zeroed (0.8× with
// a select per element, 0.9-0.95× with one per quad), or in a loop over an array of the block
// (compiles in 0.6-0.8× the time, but 1.5× slower at K = 7).
// With the quads' shared loads (matmul-direct-quads.wgsl), measured on a 2-core Intel Xeon: 64×16
// blocks (64 + 16 loads per step for 1024 FMAs; 0.92-1.05×, and compiles 2-2.5× slower), 32×32 and
// 48×16 (0.76-1.06×). A compute-only variant (loads hoisted out of the k loop) ran 4.1-4.4× faster
// than the kernel: loads, not FMAs, still set its speed.
// Also not kept (twelfth session): each accumulator updated as one chain, acc + x[0]·y.x + … + x[3]·y.w,
// instead of acc += panel * quad (0.79-0.82×); one quad per workgroup, 4× the workgroups (0.95-1.17× in
// Chromium's page, mixed); operands read with atomicLoad, whose code path in SwiftShader has a one-load
// case for lanes reading one address or neighbouring ones, but only for addresses known when it compiles
// (0.97-1.05×).
//
// What SwiftShader makes of it (Chromium's libvk_swiftshader, whose JIT is Subzero; read with `perf` and
// by disassembling the JIT's code while a 256³ loop ran): 75% of the process's time is in the JIT's code,
// and one trip of the k loop (four steps) is 28.5K x86 instructions, SSE4.1 only, 157 KB of code. Its
// 4096 mulps/addps sit in sequences of 7.9K instructions (1.9 per multiply or add: the accumulators
// spill, but cheaply); the other 20.6K serve the 96 reads: index arithmetic, the bounds mask, the quad
// broadcasts, and every read split into its four lanes, each a branch on the lane's mask, a scalar load
// and an insert. So a value read costs about fifty instructions and a multiply-add about half of one,
// which is why the block per thread is as large as it is; larger blocks (above) did not pay, the code
// growing with them.
//
// Thread (x, y) owns rows r .. r + 31 (r = m0 + 32y) and columns c + 8j (c = n0 + x, j = 0..15): the
// 8 threads of a row of the workgroup read neighbouring columns of op(B) and the same rows of op(A).
// Rows and columns past the matrix read its last row or column (so the k loop has no bounds checks)
// and are never stored. acc<i>_<q> holds row r + i at columns c + 8·(4q + t), t = 0..3.

const TILE_M = 64u;
const TILE_N = 128u;

// The block of C that thread `local` (x < 8, y < 2) of workgroup `group` computes; the entry point
// (matmul-direct-lanes.wgsl or matmul-direct-quads.wgsl) says which thread is which, and reads op(A).
fn gemmBlock(group: vec3u, local: vec2u) {
  let tile = group.x + group.y * p.gridX + group.z * p.gridXY;
  if (tile >= p.tiles) {
    return;
  }
  let batch = tile / p.tilesPerBatch;
  let inBatch = tile % p.tilesPerBatch;
  let r = (inBatch / p.tilesN) * TILE_M + 32u * local.y;
  let c = (inBatch % p.tilesN) * TILE_N + local.x;
  let baseA = p.offsetA + batch * p.batchA;
  let baseB = p.offsetB + batch * p.batchB;

  let rows0 = rowOffsets(baseA, r + 0u);
  let rows1 = rowOffsets(baseA, r + 4u);
  let rows2 = rowOffsets(baseA, r + 8u);
  let rows3 = rowOffsets(baseA, r + 12u);
  let rows4 = rowOffsets(baseA, r + 16u);
  let rows5 = rowOffsets(baseA, r + 20u);
  let rows6 = rowOffsets(baseA, r + 24u);
  let rows7 = rowOffsets(baseA, r + 28u);
  let cols0 = colOffsets(baseB, c + 0u);
  let cols1 = colOffsets(baseB, c + 32u);
  let cols2 = colOffsets(baseB, c + 64u);
  let cols3 = colOffsets(baseB, c + 96u);

  var acc0_0 = vec4f(); var acc0_1 = vec4f(); var acc0_2 = vec4f(); var acc0_3 = vec4f();
  var acc1_0 = vec4f(); var acc1_1 = vec4f(); var acc1_2 = vec4f(); var acc1_3 = vec4f();
  var acc2_0 = vec4f(); var acc2_1 = vec4f(); var acc2_2 = vec4f(); var acc2_3 = vec4f();
  var acc3_0 = vec4f(); var acc3_1 = vec4f(); var acc3_2 = vec4f(); var acc3_3 = vec4f();
  var acc4_0 = vec4f(); var acc4_1 = vec4f(); var acc4_2 = vec4f(); var acc4_3 = vec4f();
  var acc5_0 = vec4f(); var acc5_1 = vec4f(); var acc5_2 = vec4f(); var acc5_3 = vec4f();
  var acc6_0 = vec4f(); var acc6_1 = vec4f(); var acc6_2 = vec4f(); var acc6_3 = vec4f();
  var acc7_0 = vec4f(); var acc7_1 = vec4f(); var acc7_2 = vec4f(); var acc7_3 = vec4f();
  var acc8_0 = vec4f(); var acc8_1 = vec4f(); var acc8_2 = vec4f(); var acc8_3 = vec4f();
  var acc9_0 = vec4f(); var acc9_1 = vec4f(); var acc9_2 = vec4f(); var acc9_3 = vec4f();
  var acc10_0 = vec4f(); var acc10_1 = vec4f(); var acc10_2 = vec4f(); var acc10_3 = vec4f();
  var acc11_0 = vec4f(); var acc11_1 = vec4f(); var acc11_2 = vec4f(); var acc11_3 = vec4f();
  var acc12_0 = vec4f(); var acc12_1 = vec4f(); var acc12_2 = vec4f(); var acc12_3 = vec4f();
  var acc13_0 = vec4f(); var acc13_1 = vec4f(); var acc13_2 = vec4f(); var acc13_3 = vec4f();
  var acc14_0 = vec4f(); var acc14_1 = vec4f(); var acc14_2 = vec4f(); var acc14_3 = vec4f();
  var acc15_0 = vec4f(); var acc15_1 = vec4f(); var acc15_2 = vec4f(); var acc15_3 = vec4f();
  var acc16_0 = vec4f(); var acc16_1 = vec4f(); var acc16_2 = vec4f(); var acc16_3 = vec4f();
  var acc17_0 = vec4f(); var acc17_1 = vec4f(); var acc17_2 = vec4f(); var acc17_3 = vec4f();
  var acc18_0 = vec4f(); var acc18_1 = vec4f(); var acc18_2 = vec4f(); var acc18_3 = vec4f();
  var acc19_0 = vec4f(); var acc19_1 = vec4f(); var acc19_2 = vec4f(); var acc19_3 = vec4f();
  var acc20_0 = vec4f(); var acc20_1 = vec4f(); var acc20_2 = vec4f(); var acc20_3 = vec4f();
  var acc21_0 = vec4f(); var acc21_1 = vec4f(); var acc21_2 = vec4f(); var acc21_3 = vec4f();
  var acc22_0 = vec4f(); var acc22_1 = vec4f(); var acc22_2 = vec4f(); var acc22_3 = vec4f();
  var acc23_0 = vec4f(); var acc23_1 = vec4f(); var acc23_2 = vec4f(); var acc23_3 = vec4f();
  var acc24_0 = vec4f(); var acc24_1 = vec4f(); var acc24_2 = vec4f(); var acc24_3 = vec4f();
  var acc25_0 = vec4f(); var acc25_1 = vec4f(); var acc25_2 = vec4f(); var acc25_3 = vec4f();
  var acc26_0 = vec4f(); var acc26_1 = vec4f(); var acc26_2 = vec4f(); var acc26_3 = vec4f();
  var acc27_0 = vec4f(); var acc27_1 = vec4f(); var acc27_2 = vec4f(); var acc27_3 = vec4f();
  var acc28_0 = vec4f(); var acc28_1 = vec4f(); var acc28_2 = vec4f(); var acc28_3 = vec4f();
  var acc29_0 = vec4f(); var acc29_1 = vec4f(); var acc29_2 = vec4f(); var acc29_3 = vec4f();
  var acc30_0 = vec4f(); var acc30_1 = vec4f(); var acc30_2 = vec4f(); var acc30_3 = vec4f();
  var acc31_0 = vec4f(); var acc31_1 = vec4f(); var acc31_2 = vec4f(); var acc31_3 = vec4f();
  var k = 0u;
  for (; k + 4u <= p.K; k += 4u) {
    let x0 = panelB(k, cols0);
    let x1 = panelB(k, cols1);
    let x2 = panelB(k, cols2);
    let x3 = panelB(k, cols3);
    { let y = quadA(rows0.x, k); acc0_0 += x0 * y; acc0_1 += x1 * y; acc0_2 += x2 * y; acc0_3 += x3 * y; }
    { let y = quadA(rows0.y, k); acc1_0 += x0 * y; acc1_1 += x1 * y; acc1_2 += x2 * y; acc1_3 += x3 * y; }
    { let y = quadA(rows0.z, k); acc2_0 += x0 * y; acc2_1 += x1 * y; acc2_2 += x2 * y; acc2_3 += x3 * y; }
    { let y = quadA(rows0.w, k); acc3_0 += x0 * y; acc3_1 += x1 * y; acc3_2 += x2 * y; acc3_3 += x3 * y; }
    { let y = quadA(rows1.x, k); acc4_0 += x0 * y; acc4_1 += x1 * y; acc4_2 += x2 * y; acc4_3 += x3 * y; }
    { let y = quadA(rows1.y, k); acc5_0 += x0 * y; acc5_1 += x1 * y; acc5_2 += x2 * y; acc5_3 += x3 * y; }
    { let y = quadA(rows1.z, k); acc6_0 += x0 * y; acc6_1 += x1 * y; acc6_2 += x2 * y; acc6_3 += x3 * y; }
    { let y = quadA(rows1.w, k); acc7_0 += x0 * y; acc7_1 += x1 * y; acc7_2 += x2 * y; acc7_3 += x3 * y; }
    { let y = quadA(rows2.x, k); acc8_0 += x0 * y; acc8_1 += x1 * y; acc8_2 += x2 * y; acc8_3 += x3 * y; }
    { let y = quadA(rows2.y, k); acc9_0 += x0 * y; acc9_1 += x1 * y; acc9_2 += x2 * y; acc9_3 += x3 * y; }
    { let y = quadA(rows2.z, k); acc10_0 += x0 * y; acc10_1 += x1 * y; acc10_2 += x2 * y; acc10_3 += x3 * y; }
    { let y = quadA(rows2.w, k); acc11_0 += x0 * y; acc11_1 += x1 * y; acc11_2 += x2 * y; acc11_3 += x3 * y; }
    { let y = quadA(rows3.x, k); acc12_0 += x0 * y; acc12_1 += x1 * y; acc12_2 += x2 * y; acc12_3 += x3 * y; }
    { let y = quadA(rows3.y, k); acc13_0 += x0 * y; acc13_1 += x1 * y; acc13_2 += x2 * y; acc13_3 += x3 * y; }
    { let y = quadA(rows3.z, k); acc14_0 += x0 * y; acc14_1 += x1 * y; acc14_2 += x2 * y; acc14_3 += x3 * y; }
    { let y = quadA(rows3.w, k); acc15_0 += x0 * y; acc15_1 += x1 * y; acc15_2 += x2 * y; acc15_3 += x3 * y; }
    { let y = quadA(rows4.x, k); acc16_0 += x0 * y; acc16_1 += x1 * y; acc16_2 += x2 * y; acc16_3 += x3 * y; }
    { let y = quadA(rows4.y, k); acc17_0 += x0 * y; acc17_1 += x1 * y; acc17_2 += x2 * y; acc17_3 += x3 * y; }
    { let y = quadA(rows4.z, k); acc18_0 += x0 * y; acc18_1 += x1 * y; acc18_2 += x2 * y; acc18_3 += x3 * y; }
    { let y = quadA(rows4.w, k); acc19_0 += x0 * y; acc19_1 += x1 * y; acc19_2 += x2 * y; acc19_3 += x3 * y; }
    { let y = quadA(rows5.x, k); acc20_0 += x0 * y; acc20_1 += x1 * y; acc20_2 += x2 * y; acc20_3 += x3 * y; }
    { let y = quadA(rows5.y, k); acc21_0 += x0 * y; acc21_1 += x1 * y; acc21_2 += x2 * y; acc21_3 += x3 * y; }
    { let y = quadA(rows5.z, k); acc22_0 += x0 * y; acc22_1 += x1 * y; acc22_2 += x2 * y; acc22_3 += x3 * y; }
    { let y = quadA(rows5.w, k); acc23_0 += x0 * y; acc23_1 += x1 * y; acc23_2 += x2 * y; acc23_3 += x3 * y; }
    { let y = quadA(rows6.x, k); acc24_0 += x0 * y; acc24_1 += x1 * y; acc24_2 += x2 * y; acc24_3 += x3 * y; }
    { let y = quadA(rows6.y, k); acc25_0 += x0 * y; acc25_1 += x1 * y; acc25_2 += x2 * y; acc25_3 += x3 * y; }
    { let y = quadA(rows6.z, k); acc26_0 += x0 * y; acc26_1 += x1 * y; acc26_2 += x2 * y; acc26_3 += x3 * y; }
    { let y = quadA(rows6.w, k); acc27_0 += x0 * y; acc27_1 += x1 * y; acc27_2 += x2 * y; acc27_3 += x3 * y; }
    { let y = quadA(rows7.x, k); acc28_0 += x0 * y; acc28_1 += x1 * y; acc28_2 += x2 * y; acc28_3 += x3 * y; }
    { let y = quadA(rows7.y, k); acc29_0 += x0 * y; acc29_1 += x1 * y; acc29_2 += x2 * y; acc29_3 += x3 * y; }
    { let y = quadA(rows7.z, k); acc30_0 += x0 * y; acc30_1 += x1 * y; acc30_2 += x2 * y; acc30_3 += x3 * y; }
    { let y = quadA(rows7.w, k); acc31_0 += x0 * y; acc31_1 += x1 * y; acc31_2 += x2 * y; acc31_3 += x3 * y; }
  }
  for (; k < p.K; k++) {
    let x0 = rowB(k, cols0);
    let x1 = rowB(k, cols1);
    let x2 = rowB(k, cols2);
    let x3 = rowB(k, cols3);
    { let y = stepA(rows0.x, k); acc0_0 += x0 * y; acc0_1 += x1 * y; acc0_2 += x2 * y; acc0_3 += x3 * y; }
    { let y = stepA(rows0.y, k); acc1_0 += x0 * y; acc1_1 += x1 * y; acc1_2 += x2 * y; acc1_3 += x3 * y; }
    { let y = stepA(rows0.z, k); acc2_0 += x0 * y; acc2_1 += x1 * y; acc2_2 += x2 * y; acc2_3 += x3 * y; }
    { let y = stepA(rows0.w, k); acc3_0 += x0 * y; acc3_1 += x1 * y; acc3_2 += x2 * y; acc3_3 += x3 * y; }
    { let y = stepA(rows1.x, k); acc4_0 += x0 * y; acc4_1 += x1 * y; acc4_2 += x2 * y; acc4_3 += x3 * y; }
    { let y = stepA(rows1.y, k); acc5_0 += x0 * y; acc5_1 += x1 * y; acc5_2 += x2 * y; acc5_3 += x3 * y; }
    { let y = stepA(rows1.z, k); acc6_0 += x0 * y; acc6_1 += x1 * y; acc6_2 += x2 * y; acc6_3 += x3 * y; }
    { let y = stepA(rows1.w, k); acc7_0 += x0 * y; acc7_1 += x1 * y; acc7_2 += x2 * y; acc7_3 += x3 * y; }
    { let y = stepA(rows2.x, k); acc8_0 += x0 * y; acc8_1 += x1 * y; acc8_2 += x2 * y; acc8_3 += x3 * y; }
    { let y = stepA(rows2.y, k); acc9_0 += x0 * y; acc9_1 += x1 * y; acc9_2 += x2 * y; acc9_3 += x3 * y; }
    { let y = stepA(rows2.z, k); acc10_0 += x0 * y; acc10_1 += x1 * y; acc10_2 += x2 * y; acc10_3 += x3 * y; }
    { let y = stepA(rows2.w, k); acc11_0 += x0 * y; acc11_1 += x1 * y; acc11_2 += x2 * y; acc11_3 += x3 * y; }
    { let y = stepA(rows3.x, k); acc12_0 += x0 * y; acc12_1 += x1 * y; acc12_2 += x2 * y; acc12_3 += x3 * y; }
    { let y = stepA(rows3.y, k); acc13_0 += x0 * y; acc13_1 += x1 * y; acc13_2 += x2 * y; acc13_3 += x3 * y; }
    { let y = stepA(rows3.z, k); acc14_0 += x0 * y; acc14_1 += x1 * y; acc14_2 += x2 * y; acc14_3 += x3 * y; }
    { let y = stepA(rows3.w, k); acc15_0 += x0 * y; acc15_1 += x1 * y; acc15_2 += x2 * y; acc15_3 += x3 * y; }
    { let y = stepA(rows4.x, k); acc16_0 += x0 * y; acc16_1 += x1 * y; acc16_2 += x2 * y; acc16_3 += x3 * y; }
    { let y = stepA(rows4.y, k); acc17_0 += x0 * y; acc17_1 += x1 * y; acc17_2 += x2 * y; acc17_3 += x3 * y; }
    { let y = stepA(rows4.z, k); acc18_0 += x0 * y; acc18_1 += x1 * y; acc18_2 += x2 * y; acc18_3 += x3 * y; }
    { let y = stepA(rows4.w, k); acc19_0 += x0 * y; acc19_1 += x1 * y; acc19_2 += x2 * y; acc19_3 += x3 * y; }
    { let y = stepA(rows5.x, k); acc20_0 += x0 * y; acc20_1 += x1 * y; acc20_2 += x2 * y; acc20_3 += x3 * y; }
    { let y = stepA(rows5.y, k); acc21_0 += x0 * y; acc21_1 += x1 * y; acc21_2 += x2 * y; acc21_3 += x3 * y; }
    { let y = stepA(rows5.z, k); acc22_0 += x0 * y; acc22_1 += x1 * y; acc22_2 += x2 * y; acc22_3 += x3 * y; }
    { let y = stepA(rows5.w, k); acc23_0 += x0 * y; acc23_1 += x1 * y; acc23_2 += x2 * y; acc23_3 += x3 * y; }
    { let y = stepA(rows6.x, k); acc24_0 += x0 * y; acc24_1 += x1 * y; acc24_2 += x2 * y; acc24_3 += x3 * y; }
    { let y = stepA(rows6.y, k); acc25_0 += x0 * y; acc25_1 += x1 * y; acc25_2 += x2 * y; acc25_3 += x3 * y; }
    { let y = stepA(rows6.z, k); acc26_0 += x0 * y; acc26_1 += x1 * y; acc26_2 += x2 * y; acc26_3 += x3 * y; }
    { let y = stepA(rows6.w, k); acc27_0 += x0 * y; acc27_1 += x1 * y; acc27_2 += x2 * y; acc27_3 += x3 * y; }
    { let y = stepA(rows7.x, k); acc28_0 += x0 * y; acc28_1 += x1 * y; acc28_2 += x2 * y; acc28_3 += x3 * y; }
    { let y = stepA(rows7.y, k); acc29_0 += x0 * y; acc29_1 += x1 * y; acc29_2 += x2 * y; acc29_3 += x3 * y; }
    { let y = stepA(rows7.z, k); acc30_0 += x0 * y; acc30_1 += x1 * y; acc30_2 += x2 * y; acc30_3 += x3 * y; }
    { let y = stepA(rows7.w, k); acc31_0 += x0 * y; acc31_1 += x1 * y; acc31_2 += x2 * y; acc31_3 += x3 * y; }
  }

  // One loop stores every row, from an array: 32 inlined copies of the row store made SwiftShader's
  // compile 2-3× slower. (Indexing a private array by a variable is slow there, but this runs once.)
  var block: array<array<vec4f, 4>, 32>;
  block[0] = array(acc0_0, acc0_1, acc0_2, acc0_3);
  block[1] = array(acc1_0, acc1_1, acc1_2, acc1_3);
  block[2] = array(acc2_0, acc2_1, acc2_2, acc2_3);
  block[3] = array(acc3_0, acc3_1, acc3_2, acc3_3);
  block[4] = array(acc4_0, acc4_1, acc4_2, acc4_3);
  block[5] = array(acc5_0, acc5_1, acc5_2, acc5_3);
  block[6] = array(acc6_0, acc6_1, acc6_2, acc6_3);
  block[7] = array(acc7_0, acc7_1, acc7_2, acc7_3);
  block[8] = array(acc8_0, acc8_1, acc8_2, acc8_3);
  block[9] = array(acc9_0, acc9_1, acc9_2, acc9_3);
  block[10] = array(acc10_0, acc10_1, acc10_2, acc10_3);
  block[11] = array(acc11_0, acc11_1, acc11_2, acc11_3);
  block[12] = array(acc12_0, acc12_1, acc12_2, acc12_3);
  block[13] = array(acc13_0, acc13_1, acc13_2, acc13_3);
  block[14] = array(acc14_0, acc14_1, acc14_2, acc14_3);
  block[15] = array(acc15_0, acc15_1, acc15_2, acc15_3);
  block[16] = array(acc16_0, acc16_1, acc16_2, acc16_3);
  block[17] = array(acc17_0, acc17_1, acc17_2, acc17_3);
  block[18] = array(acc18_0, acc18_1, acc18_2, acc18_3);
  block[19] = array(acc19_0, acc19_1, acc19_2, acc19_3);
  block[20] = array(acc20_0, acc20_1, acc20_2, acc20_3);
  block[21] = array(acc21_0, acc21_1, acc21_2, acc21_3);
  block[22] = array(acc22_0, acc22_1, acc22_2, acc22_3);
  block[23] = array(acc23_0, acc23_1, acc23_2, acc23_3);
  block[24] = array(acc24_0, acc24_1, acc24_2, acc24_3);
  block[25] = array(acc25_0, acc25_1, acc25_2, acc25_3);
  block[26] = array(acc26_0, acc26_1, acc26_2, acc26_3);
  block[27] = array(acc27_0, acc27_1, acc27_2, acc27_3);
  block[28] = array(acc28_0, acc28_1, acc28_2, acc28_3);
  block[29] = array(acc29_0, acc29_1, acc29_2, acc29_3);
  block[30] = array(acc30_0, acc30_1, acc30_2, acc30_3);
  block[31] = array(acc31_0, acc31_1, acc31_2, acc31_3);
  let baseC = p.offsetC + batch * p.M * p.N;
  for (var i = 0u; i < 32u; i++) {
    let row = block[i];
    storeRow(baseC, r + i, c, row[0], row[1], row[2], row[3]);
  }
}

// Element offsets of rows r .. r + 3 of op(A), clamped to its last row.
fn rowOffsets(base: u32, r: u32) -> vec4u {
  return base + min(vec4u(r, r + 1u, r + 2u, r + 3u), vec4u(p.M - 1u)) * p.aRow;
}

// Element offsets of columns c, c + 8, c + 16, c + 24 of op(B), clamped to its last column.
fn colOffsets(base: u32, c: u32) -> vec4u {
  return base + min(vec4u(c, c + 8u, c + 16u, c + 24u), vec4u(p.N - 1u)) * p.bCol;
}

// op(B)[k .. k + 3, cols] as the columns of a matrix (column t is row k + t), so that
// panelB(k, cols) * quadA(row, k) = Σ_t op(A)[row, k + t] · op(B)[k + t, cols].
fn panelB(k: u32, cols: vec4u) -> mat4x4f {
  return mat4x4f(rowB(k, cols), rowB(k + 1u, cols), rowB(k + 2u, cols), rowB(k + 3u, cols));
}

fn rowB(k: u32, cols: vec4u) -> vec4f {
  let i = k * p.bK;
  return vec4f(B[cols.x + i], B[cols.y + i], B[cols.z + i], B[cols.w + i]);
}

// op(A)[row, k], for the last K % 4 steps, taken one at a time: rowB(k, cols) * stepA(row, k).
fn stepA(row: u32, k: u32) -> f32 {
  return A[row + k * p.aK];
}

// Writes row r of a thread's block, columns c + 8j from v0 (j = 0..3) .. v3 (j = 12..15), within C.
fn storeRow(base: u32, r: u32, c: u32, v0: vec4f, v1: vec4f, v2: vec4f, v3: vec4f) {
  if (r >= p.M) {
    return;
  }
  let row = base + r * p.N;
  storeQuad(row, c, v0);
  storeQuad(row, c + 32u, v1);
  storeQuad(row, c + 64u, v2);
  storeQuad(row, c + 96u, v3);
}

fn storeQuad(row: u32, c: u32, v: vec4f) {
  if (c < p.N) { gemm_store(row + c, v.x); }
  if (c + 8u < p.N) { gemm_store(row + c + 8u, v.y); }
  if (c + 16u < p.N) { gemm_store(row + c + 16u, v.z); }
  if (c + 24u < p.N) { gemm_store(row + c + 24u, v.w); }
}
