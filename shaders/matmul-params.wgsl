// Operands and uniforms shared by the GEMM kernels (matmul.wgsl, tiled in workgroup memory, and
// matmul-direct.wgsl, without it), planned by src/backend/webgpu/matmul.ts.
//
// Element (r, k) of op(A) sits at offsetA + batch·batchA + r·aRow + k·aK, with strides (K, 1) for A
// stored [M, K] and (1, M) for A stored [K, M]; likewise op(B)'s (k, c) at ... + k·bK + c·bCol.
// Workgroups are numbered linearly over (x, y, z) so the planner can fold tiles × batch into a
// grid that respects maxComputeWorkgroupsPerDimension; surplus workgroups of the last row return.
// Every kernel writes C through `fn gemm_store(i: u32, v: f32)`, which the planner appends after the
// kernel: it writes C[i] = v, and may go on to compute the elementwise steps after the product at
// element i (an epilogue: a batched JVP's ⊙ (1 − y²)).

struct Params {
  M: u32,
  N: u32,
  K: u32,
  // Element strides of op(A) along its rows and along k; of op(B) along k and along its columns.
  aRow: u32,
  aK: u32,
  bK: u32,
  bCol: u32,
  // Element strides between batches (0 broadcasts the operand) and element offsets.
  batchA: u32,
  batchB: u32,
  offsetA: u32,
  offsetB: u32,
  offsetC: u32,
  // Tile grid: tiles along N, tiles per batch, total tiles; workgroups per grid row and layer.
  tilesN: u32,
  tilesPerBatch: u32,
  tiles: u32,
  gridX: u32,
  gridXY: u32,
}

@group(0) @binding(0) var<storage, read> A: array<f32>;
@group(0) @binding(1) var<storage, read> B: array<f32>;
@group(0) @binding(2) var<storage, read_write> C: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;
