// Batched GEMM without workgroup memory, for software adapters when K < 8 or C has at most 64 columns
// (planned by src/backend/webgpu/matmul.ts; Params and bindings in matmul-params.wgsl). Same tiles as
// matmul.wgsl: each workgroup computes a 64×64 tile of C, each of its 8×8 threads an 8×8 block, in
// sixteen named vec4 registers.
//
// Why not matmul-direct.wgsl for every K: its 32×16 blocks need 2.7× fewer loads per FMA, but with
// a short k loop the time goes to writing C, where a small block with unrolled stores is cheaper.
// Why not for narrow C: its workgroups are 128 columns wide, so at 64 half of their threads idle, and
// a small product is one or two workgroups, each on one core (SMALL_MAX_N in matmul.ts has numbers).
// Measured on SwiftShader, 16 products [256×K]·[K×256] (CPU-time ratios, interleaved): this kernel
// is 1.65× as fast at K = 1, 1.27× at K = 2, 1.1-1.2× at K = 4, 0.95× at K = 8 and 0.73× at K = 16.
// K = 1 is an outer product, as in the gradient of W·x with respect to W.
//
// Why no workgroup memory (see matmul-direct.wgsl): on SwiftShader reading op(A) and op(B) straight
// from the buffers measured 1.2-2.5× faster than staging them (1024³: 2.4 vs 1.9 GFLOP/s; 256³: 2.8
// vs 1.1), and this one re-reads each operand element from global memory 8 times per workgroup.
//
// Thread (x, y) owns rows m0 + 8y .. m0 + 8y + 7 and columns n0 + x + 8j (j = 0..7): the 8 threads
// of a row of the workgroup read neighbouring columns of op(B) and the same rows of op(A), so a
// SIMD group of lanes loads contiguous or identical addresses. Rows and columns past the matrix
// read its last row or column (so the k loop has no bounds checks) and are never stored.

const TILE = 64u;

@compute @workgroup_size(8, 8)
fn main(
  @builtin(workgroup_id) group: vec3u,
  @builtin(local_invocation_id) local: vec3u,
) {
  let tile = group.x + group.y * p.gridX + group.z * p.gridXY;
  if (tile >= p.tiles) {
    return;
  }
  let batch = tile / p.tilesPerBatch;
  let inBatch = tile % p.tilesPerBatch;
  let r = (inBatch / p.tilesN) * TILE + 8u * local.y;
  let c = (inBatch % p.tilesN) * TILE + local.x;
  let baseA = p.offsetA + batch * p.batchA;
  let baseB = p.offsetB + batch * p.batchB;

  let a0 = baseA + min(r + 0u, p.M - 1u) * p.aRow;
  let a1 = baseA + min(r + 1u, p.M - 1u) * p.aRow;
  let a2 = baseA + min(r + 2u, p.M - 1u) * p.aRow;
  let a3 = baseA + min(r + 3u, p.M - 1u) * p.aRow;
  let a4 = baseA + min(r + 4u, p.M - 1u) * p.aRow;
  let a5 = baseA + min(r + 5u, p.M - 1u) * p.aRow;
  let a6 = baseA + min(r + 6u, p.M - 1u) * p.aRow;
  let a7 = baseA + min(r + 7u, p.M - 1u) * p.aRow;
  let b0 = baseB + min(c + 0u, p.N - 1u) * p.bCol;
  let b1 = baseB + min(c + 8u, p.N - 1u) * p.bCol;
  let b2 = baseB + min(c + 16u, p.N - 1u) * p.bCol;
  let b3 = baseB + min(c + 24u, p.N - 1u) * p.bCol;
  let b4 = baseB + min(c + 32u, p.N - 1u) * p.bCol;
  let b5 = baseB + min(c + 40u, p.N - 1u) * p.bCol;
  let b6 = baseB + min(c + 48u, p.N - 1u) * p.bCol;
  let b7 = baseB + min(c + 56u, p.N - 1u) * p.bCol;

  // acc<i>_<q>: row r + i, columns c + 8·(4q .. 4q + 3).
  var acc0_0 = vec4f(0.0);
  var acc0_1 = vec4f(0.0);
  var acc1_0 = vec4f(0.0);
  var acc1_1 = vec4f(0.0);
  var acc2_0 = vec4f(0.0);
  var acc2_1 = vec4f(0.0);
  var acc3_0 = vec4f(0.0);
  var acc3_1 = vec4f(0.0);
  var acc4_0 = vec4f(0.0);
  var acc4_1 = vec4f(0.0);
  var acc5_0 = vec4f(0.0);
  var acc5_1 = vec4f(0.0);
  var acc6_0 = vec4f(0.0);
  var acc6_1 = vec4f(0.0);
  var acc7_0 = vec4f(0.0);
  var acc7_1 = vec4f(0.0);
  for (var k = 0u; k < p.K; k++) {
    let ka = k * p.aK;
    let kb = k * p.bK;
    let x0 = vec4f(B[b0 + kb], B[b1 + kb], B[b2 + kb], B[b3 + kb]);
    let x1 = vec4f(B[b4 + kb], B[b5 + kb], B[b6 + kb], B[b7 + kb]);
    let y0 = vec4f(A[a0 + ka]);
    acc0_0 = fma(y0, x0, acc0_0);
    acc0_1 = fma(y0, x1, acc0_1);
    let y1 = vec4f(A[a1 + ka]);
    acc1_0 = fma(y1, x0, acc1_0);
    acc1_1 = fma(y1, x1, acc1_1);
    let y2 = vec4f(A[a2 + ka]);
    acc2_0 = fma(y2, x0, acc2_0);
    acc2_1 = fma(y2, x1, acc2_1);
    let y3 = vec4f(A[a3 + ka]);
    acc3_0 = fma(y3, x0, acc3_0);
    acc3_1 = fma(y3, x1, acc3_1);
    let y4 = vec4f(A[a4 + ka]);
    acc4_0 = fma(y4, x0, acc4_0);
    acc4_1 = fma(y4, x1, acc4_1);
    let y5 = vec4f(A[a5 + ka]);
    acc5_0 = fma(y5, x0, acc5_0);
    acc5_1 = fma(y5, x1, acc5_1);
    let y6 = vec4f(A[a6 + ka]);
    acc6_0 = fma(y6, x0, acc6_0);
    acc6_1 = fma(y6, x1, acc6_1);
    let y7 = vec4f(A[a7 + ka]);
    acc7_0 = fma(y7, x0, acc7_0);
    acc7_1 = fma(y7, x1, acc7_1);
  }

  let baseC = p.offsetC + batch * p.M * p.N;
  storeRow(baseC, r + 0u, c, acc0_0, acc0_1);
  storeRow(baseC, r + 1u, c, acc1_0, acc1_1);
  storeRow(baseC, r + 2u, c, acc2_0, acc2_1);
  storeRow(baseC, r + 3u, c, acc3_0, acc3_1);
  storeRow(baseC, r + 4u, c, acc4_0, acc4_1);
  storeRow(baseC, r + 5u, c, acc5_0, acc5_1);
  storeRow(baseC, r + 6u, c, acc6_0, acc6_1);
  storeRow(baseC, r + 7u, c, acc7_0, acc7_1);
}

// Writes row `row` of a thread's block: columns c + 8j from v0 (j = 0..3) and v1 (j = 4..7), within C.
fn storeRow(base: u32, row: u32, c: u32, v0: vec4f, v1: vec4f) {
  if (row >= p.M) {
    return;
  }
  let i = base + row * p.N + c;
  if (c < p.N) { gemm_store(i, v0.x); }
  if (c + 8u < p.N) { gemm_store(i + 8u, v0.y); }
  if (c + 16u < p.N) { gemm_store(i + 16u, v0.z); }
  if (c + 24u < p.N) { gemm_store(i + 24u, v0.w); }
  if (c + 32u < p.N) { gemm_store(i + 32u, v1.x); }
  if (c + 40u < p.N) { gemm_store(i + 40u, v1.y); }
  if (c + 48u < p.N) { gemm_store(i + 48u, v1.z); }
  if (c + 56u < p.N) { gemm_store(i + 56u, v1.w); }
}
