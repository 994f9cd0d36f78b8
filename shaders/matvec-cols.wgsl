// Matrix-vector product out[o] = Σ_k matrix[k, o] · vector[k] for a matrix stored with the outputs
// contiguous ([K, outputs] row-major: transpose(W) @ x, x @ W), outputs a multiple of 4 (planned by
// src/backend/webgpu/matvec.ts).
//
// Each thread owns four neighbouring outputs and walks down k: neighbouring threads read neighbouring
// vec4s of each matrix row, so a warp's loads are whole cache lines, and no thread shares a result
// (no shared memory, no barrier).
//
// Bindings and params: matvec-cols-params.wgsl, prepended by the planner.

@compute @workgroup_size(MATVEC_WORKGROUP)
fn matvec_main(@builtin(global_invocation_id) gid: vec3u) {
  let o4 = gid.x + gid.y * matvec_params.grid_x;
  let outputs4 = matvec_params.outputs4;
  if (o4 >= outputs4) {
    return;
  }
  // Four independent sums over k (k ≡ 0, 1, 2, 3 mod 4) keep four loads in flight.
  var s0 = vec4f(0.0);
  var s1 = vec4f(0.0);
  var s2 = vec4f(0.0);
  var s3 = vec4f(0.0);
  let K = matvec_params.k;
  let v = matvec_params.vector;
  var i = matvec_params.matrix4 + o4;
  var k = 0u;
  for (; k + 4u <= K; k += 4u) {
    s0 = fma(matvec_matrix[i], vec4f(matvec_vector[v + k]), s0);
    s1 = fma(matvec_matrix[i + outputs4], vec4f(matvec_vector[v + k + 1u]), s1);
    s2 = fma(matvec_matrix[i + 2u * outputs4], vec4f(matvec_vector[v + k + 2u]), s2);
    s3 = fma(matvec_matrix[i + 3u * outputs4], vec4f(matvec_vector[v + k + 3u]), s3);
    i += 4u * outputs4;
  }
  for (; k < K; k++) {
    s0 = fma(matvec_matrix[i], vec4f(matvec_vector[v + k]), s0);
    i += outputs4;
  }
  matvec_out[o4] = (s0 + s1) + (s2 + s3);
}
