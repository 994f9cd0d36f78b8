// Two matrix-vector products with one matrix, out[o] = Σ_k matrix[o, k] · vector[k] and
// out_b[o] = Σ_k matrix[o, k] · vector_b[k], for a matrix whose rows are contiguous ([outputs, K]
// row-major), K a multiple of 4 (planned by src/backend/webgpu/matvec.ts). A single-direction JVP
// applies W to x and to ẋ, and so does an HVP: this reads W once for both.
//
// The same threads, lanes and reduction as matvec-rows.wgsl (read that first), with a second set of
// four sums per thread. Each output adds its terms in the order matvec-rows.wgsl would.
//
// Bindings: @binding(0) out, @binding(1) params, @binding(2) matrix, @binding(3) vector,
// @binding(4) out_b, @binding(5) vector_b. MATVEC_LANES and MATVEC_WORKGROUP are prepended by the planner,
// which appends `fn matvec_store_pair(o: u32, v: f32, w: f32)`: it writes v to matvec_out[o] and w to
// matvec_out_b[o], and may go on to an epilogue, as matvec-rows.wgsl's matvec_store does.

struct MatvecPairParams {
  outputs: u32,
  // K / 4: vec4s per row.
  k4: u32,
  // Offsets of the matrix and the two vectors in vec4s.
  matrix4: u32,
  vector4: u32,
  // Threads per row of the (possibly folded) dispatch grid: x size × workgroup size.
  grid_x: u32,
  vector4_b: u32,
}

@group(0) @binding(0) var<storage, read_write> matvec_out: array<f32>;
@group(0) @binding(1) var<uniform> matvec_params: MatvecPairParams;
@group(0) @binding(2) var<storage, read> matvec_matrix: array<vec4f>;
@group(0) @binding(3) var<storage, read> matvec_vector: array<vec4f>;
@group(0) @binding(4) var<storage, read_write> matvec_out_b: array<f32>;
@group(0) @binding(5) var<storage, read> matvec_vector_b: array<vec4f>;

var<workgroup> matvec_shared: array<vec4f, MATVEC_WORKGROUP>;
var<workgroup> matvec_shared_b: array<vec4f, MATVEC_WORKGROUP>;

@compute @workgroup_size(MATVEC_WORKGROUP)
fn matvec_main(@builtin(global_invocation_id) gid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let thread = gid.x + gid.y * matvec_params.grid_x;
  let lane = lid % MATVEC_LANES;
  let outputs = matvec_params.outputs;
  let k4 = matvec_params.k4;
  let first = (thread / MATVEC_LANES) * 4u;
  // Rows past the end read the last row again (no branch in the loop) and are not written.
  let last = outputs - 1u;
  let r0 = matvec_params.matrix4 + min(first, last) * k4;
  let r1 = matvec_params.matrix4 + min(first + 1u, last) * k4;
  let r2 = matvec_params.matrix4 + min(first + 2u, last) * k4;
  let r3 = matvec_params.matrix4 + min(first + 3u, last) * k4;
  let v = matvec_params.vector4;
  let w = matvec_params.vector4_b;
  var s0 = vec4f(0.0);
  var s1 = vec4f(0.0);
  var s2 = vec4f(0.0);
  var s3 = vec4f(0.0);
  var t0 = vec4f(0.0);
  var t1 = vec4f(0.0);
  var t2 = vec4f(0.0);
  var t3 = vec4f(0.0);
  if (first < outputs) {
    for (var k = lane; k < k4; k += MATVEC_LANES) {
      let x = matvec_vector[v + k];
      let y = matvec_vector_b[w + k];
      let m0 = matvec_matrix[r0 + k];
      let m1 = matvec_matrix[r1 + k];
      let m2 = matvec_matrix[r2 + k];
      let m3 = matvec_matrix[r3 + k];
      s0 = fma(m0, x, s0);
      s1 = fma(m1, x, s1);
      s2 = fma(m2, x, s2);
      s3 = fma(m3, x, s3);
      t0 = fma(m0, y, t0);
      t1 = fma(m1, y, t1);
      t2 = fma(m2, y, t2);
      t3 = fma(m3, y, t3);
    }
  }
  let ones = vec4f(1.0);
  var sums = vec4f(dot(s0, ones), dot(s1, ones), dot(s2, ones), dot(s3, ones));
  var sums_b = vec4f(dot(t0, ones), dot(t1, ones), dot(t2, ones), dot(t3, ones));
  if (MATVEC_LANES > 1u) {
    // Shared-memory trees over the group's lanes; the trip count is uniform, so every barrier is
    // reached by the whole workgroup.
    matvec_shared[lid] = sums;
    matvec_shared_b[lid] = sums_b;
    for (var s = MATVEC_LANES / 2u; s > 0u; s >>= 1u) {
      workgroupBarrier();
      if (lane < s) {
        matvec_shared[lid] += matvec_shared[lid + s];
        matvec_shared_b[lid] += matvec_shared_b[lid + s];
      }
    }
    workgroupBarrier();
    sums = matvec_shared[lid];
    sums_b = matvec_shared_b[lid];
  }
  if (lane == 0u) {
    for (var r = 0u; r < 4u; r++) {
      if (first + r < outputs) {
        matvec_store_pair(first + r, sums[r], sums_b[r]);
      }
    }
  }
}
