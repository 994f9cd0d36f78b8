// Matrix-vector product out[o] = Σ_k matrix[k, o] · vector[k] for a matrix stored with the outputs
// contiguous ([K, outputs] row-major: transpose(W) @ x, x @ W), outputs a multiple of 4: the variant
// for software adapters (planned by src/backend/webgpu/matvec.ts; matvec-cols.wgsl is the GPU one).
//
// A software adapter runs a few invocations side by side in CPU SIMD registers and each of them through
// the whole loop, so what its lanes read together is what reaches the CPU's caches together. Here each
// thread owns sixteen neighbouring outputs (four vec4s): at every k its lanes read 64 contiguous bytes
// each, whole cache lines, before the walk down k moves a row (outputs × 4 bytes) on. With four outputs
// per thread the lanes read one line per row and the walk became a stream of page-crossing single lines
// (SwiftShader, transpose(W) @ x at 4096: 142 ms against 38 for W @ x). Four named accumulators, one per
// vec4, stay in registers (SwiftShader spills more; a dynamically indexed array is slower still).
//
// Bindings and params: matvec-cols-params.wgsl, prepended by the planner.

@compute @workgroup_size(MATVEC_WORKGROUP)
fn matvec_main(@builtin(global_invocation_id) gid: vec3u) {
  let first = 4u * (gid.x + gid.y * matvec_params.grid_x);
  let outputs4 = matvec_params.outputs4;
  if (first >= outputs4) {
    return;
  }
  // A thread's last vec4s past the end read the row's last vec4 again (no branch in the loop) and are
  // not written.
  let last = outputs4 - 1u;
  let c1 = min(first + 1u, last) - first;
  let c2 = min(first + 2u, last) - first;
  let c3 = min(first + 3u, last) - first;
  var s0 = vec4f(0.0);
  var s1 = vec4f(0.0);
  var s2 = vec4f(0.0);
  var s3 = vec4f(0.0);
  let K = matvec_params.k;
  let v = matvec_params.vector;
  var i = matvec_params.matrix4 + first;
  for (var k = 0u; k < K; k++) {
    let x = vec4f(matvec_vector[v + k]);
    s0 = fma(matvec_matrix[i], x, s0);
    s1 = fma(matvec_matrix[i + c1], x, s1);
    s2 = fma(matvec_matrix[i + c2], x, s2);
    s3 = fma(matvec_matrix[i + c3], x, s3);
    i += outputs4;
  }
  matvec_out[first] = s0;
  if (first + 1u < outputs4) {
    matvec_out[first + 1u] = s1;
  }
  if (first + 2u < outputs4) {
    matvec_out[first + 2u] = s2;
  }
  if (first + 3u < outputs4) {
    matvec_out[first + 3u] = s3;
  }
}
