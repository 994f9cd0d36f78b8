// Matrix-vector product out[o] = Σ_k matrix[o, k] · vector[k] for a matrix whose rows are contiguous
// ([outputs, K] row-major), K a multiple of 4 (planned by src/backend/webgpu/matvec.ts).
//
// Each group of MATVEC_LANES consecutive threads owns four rows. Its lanes stride over k in vec4 steps,
// lane l reading the vec4s l, l + LANES, ...: with 8 or more lanes a warp reads whole cache lines of
// each row (the planner's choice on GPUs). Four rows per group reuse every vec4 of the vector four
// times from a register. With one lane (the planner's choice on software adapters, where a
// workgroup barrier costs more than the loads it saves) there is no shared memory and no barrier.
//
// Bindings: @binding(0) out (f32), @binding(1) params, @binding(2) matrix, @binding(3) vector.
// MATVEC_LANES (a power of two dividing MATVEC_WORKGROUP) and MATVEC_WORKGROUP are prepended by the planner,
// which appends `fn matvec_store(o: u32, v: f32)`: it writes v to matvec_out[o], and may go on to compute
// the elementwise steps that follow the product (an epilogue: a layer's + b and tanh) at output o.

struct MatvecParams {
  outputs: u32,
  // K / 4: vec4s per row.
  k4: u32,
  // Offsets of the matrix and the vector in vec4s.
  matrix4: u32,
  vector4: u32,
  // Threads per row of the (possibly folded) dispatch grid: x size × workgroup size.
  grid_x: u32,
}

@group(0) @binding(0) var<storage, read_write> matvec_out: array<f32>;
@group(0) @binding(1) var<uniform> matvec_params: MatvecParams;
@group(0) @binding(2) var<storage, read> matvec_matrix: array<vec4f>;
@group(0) @binding(3) var<storage, read> matvec_vector: array<vec4f>;

var<workgroup> matvec_shared: array<vec4f, MATVEC_WORKGROUP>;

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
  var s0 = vec4f(0.0);
  var s1 = vec4f(0.0);
  var s2 = vec4f(0.0);
  var s3 = vec4f(0.0);
  if (first < outputs) {
    for (var k = lane; k < k4; k += MATVEC_LANES) {
      let x = matvec_vector[v + k];
      s0 = fma(matvec_matrix[r0 + k], x, s0);
      s1 = fma(matvec_matrix[r1 + k], x, s1);
      s2 = fma(matvec_matrix[r2 + k], x, s2);
      s3 = fma(matvec_matrix[r3 + k], x, s3);
    }
  }
  let ones = vec4f(1.0);
  var sums = vec4f(dot(s0, ones), dot(s1, ones), dot(s2, ones), dot(s3, ones));
  if (MATVEC_LANES > 1u) {
    // A shared-memory tree over the group's lanes; the trip count is uniform, so every barrier is
    // reached by the whole workgroup.
    matvec_shared[lid] = sums;
    for (var s = MATVEC_LANES / 2u; s > 0u; s >>= 1u) {
      workgroupBarrier();
      if (lane < s) {
        matvec_shared[lid] += matvec_shared[lid + s];
      }
    }
    workgroupBarrier();
    sums = matvec_shared[lid];
  }
  if (lane == 0u) {
    for (var r = 0u; r < 4u; r++) {
      if (first + r < outputs) {
        matvec_store(first + r, sums[r]);
      }
    }
  }
}
