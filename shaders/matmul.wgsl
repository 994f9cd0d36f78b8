// Batched GEMM: C[b] (M×N) = op(A[b]) (M×K) · op(B[b]) (K×N), f32, planned by src/backend/webgpu/matmul.ts.
//
// Each workgroup computes one 64×64 tile of C. K is walked in steps of TK: the workgroup stages a
// TK×64 panel of op(A) and of op(B) in workgroup memory, then each of the 8×8 threads accumulates
// an 8×8 block of C in sixteen named vec4 registers with fma: rows 4y..4y+3 and 32+4y..32+4y+3,
// columns 4x..4x+3 and 32+4x..32+4x+3 of the tile (x, y = local id). Named registers matter:
// dynamically indexed private arrays are slow on SwiftShader. Per k-step a thread reads 4 vec4s
// from workgroup memory for 64 multiply-adds; on SwiftShader every such read is a per-lane gather,
// which is what bounds the speed, so the 8×8 block beats 4×4 (2 vec4s for 16) by about 1.7×.
//
// Transposes are handled when staging: element (r, k) of op(A) sits at base + r·aRow + k·aK, with
// strides (K, 1) for A stored [M, K] and (1, M) for A stored [K, M] (likewise for B), and the
// threads are laid over the panel so that neighbouring threads read neighbouring addresses for
// either layout (coalesced global loads). The panels are stored k-major as vec4s of 4 adjacent
// rows (of op(A)) or columns (of op(B)), so the inner loop reads whole vec4s: on a real GPU the
// A reads are broadcasts and the B reads hit consecutive addresses.
//
// Params and bindings: matmul-params.wgsl (prepended by the planner).

const TILE = 64u;           // rows and columns of C per workgroup
const TK = 16u;             // depth of a staged panel
const THREADS = 64u;        // 8 × 8, each computing an 8×8 block
const QUADS = TILE / 4u;    // vec4s across one k-row of a panel
const HALF = QUADS / 2u;    // a thread's second row (column) quad is HALF quads after its first
// One vec4 of padding per k-row spreads the staging writes of k-fast threads over the banks.
const PANEL_STRIDE = QUADS + 1u;

// aPanel[k * PANEL_STRIDE + q] = op(A)[m0 + 4q .. m0 + 4q + 3, k0 + k]
var<workgroup> aPanel: array<vec4f, TK * PANEL_STRIDE>;
// bPanel[k * PANEL_STRIDE + q] = op(B)[k0 + k, n0 + 4q .. n0 + 4q + 3]
var<workgroup> bPanel: array<vec4f, TK * PANEL_STRIDE>;

fn loadA(i: u32, ok: bool) -> f32 {
  if (ok) {
    return A[i];
  }
  return 0.0;
}

fn loadB(i: u32, ok: bool) -> f32 {
  if (ok) {
    return B[i];
  }
  return 0.0;
}

// Stages op(A)[m0 .., k0 ..] into aPanel, zero outside the matrix.
fn stageA(base: u32, m0: u32, k0: u32, thread: u32) {
  for (var s = thread; s < TK * QUADS; s += THREADS) {
    // Neighbouring threads take neighbouring k when A is k-contiguous, else neighbouring rows.
    var k = s / QUADS;
    var q = s % QUADS;
    if (p.aK == 1u) {
      k = s % TK;
      q = s / TK;
    }
    let r = m0 + 4u * q;
    let kk = k0 + k;
    let i = base + r * p.aRow + kk * p.aK;
    let inK = kk < p.K;
    aPanel[k * PANEL_STRIDE + q] = vec4f(
      loadA(i, inK && r < p.M),
      loadA(i + p.aRow, inK && r + 1u < p.M),
      loadA(i + 2u * p.aRow, inK && r + 2u < p.M),
      loadA(i + 3u * p.aRow, inK && r + 3u < p.M),
    );
  }
}

// Stages op(B)[k0 .., n0 ..] into bPanel, zero outside the matrix.
fn stageB(base: u32, n0: u32, k0: u32, thread: u32) {
  for (var s = thread; s < TK * QUADS; s += THREADS) {
    var k = s / QUADS;
    var q = s % QUADS;
    if (p.bK == 1u) {
      k = s % TK;
      q = s / TK;
    }
    let c = n0 + 4u * q;
    let kk = k0 + k;
    let i = base + kk * p.bK + c * p.bCol;
    let inK = kk < p.K;
    bPanel[k * PANEL_STRIDE + q] = vec4f(
      loadB(i, inK && c < p.N),
      loadB(i + p.bCol, inK && c + 1u < p.N),
      loadB(i + 2u * p.bCol, inK && c + 2u < p.N),
      loadB(i + 3u * p.bCol, inK && c + 3u < p.N),
    );
  }
}

// Writes 4 adjacent elements of row r of C from column c on, dropping those past M or N.
fn store4(base: u32, r: u32, c: u32, v: vec4f) {
  if (r >= p.M) {
    return;
  }
  let i = base + r * p.N + c;
  if (c + 3u < p.N) {
    gemm_store(i, v.x);
    gemm_store(i + 1u, v.y);
    gemm_store(i + 2u, v.z);
    gemm_store(i + 3u, v.w);
    return;
  }
  if (c < p.N) { gemm_store(i, v.x); }
  if (c + 1u < p.N) { gemm_store(i + 1u, v.y); }
  if (c + 2u < p.N) { gemm_store(i + 2u, v.z); }
}

@compute @workgroup_size(8, 8)
fn main(
  @builtin(workgroup_id) group: vec3u,
  @builtin(local_invocation_id) local: vec3u,
  @builtin(local_invocation_index) thread: u32,
) {
  let tile = group.x + group.y * p.gridX + group.z * p.gridXY;
  if (tile >= p.tiles) {
    return;
  }
  let batch = tile / p.tilesPerBatch;
  let inBatch = tile % p.tilesPerBatch;
  let m0 = (inBatch / p.tilesN) * TILE;
  let n0 = (inBatch % p.tilesN) * TILE;
  let baseA = p.offsetA + batch * p.batchA;
  let baseB = p.offsetB + batch * p.batchB;

  // acc<i>_<j>: row i of the thread's block (rows 4..7 are the second quad), column quad j.
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
  for (var k0 = 0u; k0 < p.K; k0 += TK) {
    stageA(baseA, m0, k0, thread);
    stageB(baseB, n0, k0, thread);
    workgroupBarrier();
    for (var k = 0u; k < TK; k++) {
      let row = k * PANEL_STRIDE;
      let a0 = aPanel[row + local.y];
      let a1 = aPanel[row + local.y + HALF];
      let b0 = bPanel[row + local.x];
      let b1 = bPanel[row + local.x + HALF];
      acc0_0 = fma(vec4f(a0.x), b0, acc0_0);
      acc0_1 = fma(vec4f(a0.x), b1, acc0_1);
      acc1_0 = fma(vec4f(a0.y), b0, acc1_0);
      acc1_1 = fma(vec4f(a0.y), b1, acc1_1);
      acc2_0 = fma(vec4f(a0.z), b0, acc2_0);
      acc2_1 = fma(vec4f(a0.z), b1, acc2_1);
      acc3_0 = fma(vec4f(a0.w), b0, acc3_0);
      acc3_1 = fma(vec4f(a0.w), b1, acc3_1);
      acc4_0 = fma(vec4f(a1.x), b0, acc4_0);
      acc4_1 = fma(vec4f(a1.x), b1, acc4_1);
      acc5_0 = fma(vec4f(a1.y), b0, acc5_0);
      acc5_1 = fma(vec4f(a1.y), b1, acc5_1);
      acc6_0 = fma(vec4f(a1.z), b0, acc6_0);
      acc6_1 = fma(vec4f(a1.z), b1, acc6_1);
      acc7_0 = fma(vec4f(a1.w), b0, acc7_0);
      acc7_1 = fma(vec4f(a1.w), b1, acc7_1);
    }
    workgroupBarrier();
  }

  let baseC = p.offsetC + batch * p.M * p.N;
  let r0 = m0 + 4u * local.y;
  let r1 = r0 + 4u * HALF;
  let c0 = n0 + 4u * local.x;
  let c1 = c0 + 4u * HALF;
  store4(baseC, r0, c0, acc0_0);
  store4(baseC, r0, c1, acc0_1);
  store4(baseC, r0 + 1u, c0, acc1_0);
  store4(baseC, r0 + 1u, c1, acc1_1);
  store4(baseC, r0 + 2u, c0, acc2_0);
  store4(baseC, r0 + 2u, c1, acc2_1);
  store4(baseC, r0 + 3u, c0, acc3_0);
  store4(baseC, r0 + 3u, c1, acc3_1);
  store4(baseC, r1, c0, acc4_0);
  store4(baseC, r1, c1, acc4_1);
  store4(baseC, r1 + 1u, c0, acc5_0);
  store4(baseC, r1 + 1u, c1, acc5_1);
  store4(baseC, r1 + 2u, c0, acc6_0);
  store4(baseC, r1 + 2u, c1, acc6_1);
  store4(baseC, r1 + 3u, c0, acc7_0);
  store4(baseC, r1 + 3u, c1, acc7_1);
}
