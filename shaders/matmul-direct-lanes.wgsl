// Entry point of the software-adapter GEMM (matmul-direct.wgsl) where subgroups cannot be relied on:
// each thread reads op(A)[row, k .. k + 3] itself, four loads that SwiftShader turns into four gathers
// in which all four lanes read the same address (matmul-direct-quads.wgsl shares them instead).

@compute @workgroup_size(8, 2)
fn main(
  @builtin(workgroup_id) group: vec3u,
  @builtin(local_invocation_id) local: vec3u,
) {
  gemmBlock(group, local.xy);
}

// op(A)[row, k .. k + 3] for the row at element offset `row`.
fn quadA(row: u32, k: u32) -> vec4f {
  let i = row + k * p.aK;
  return vec4f(A[i], A[i + p.aK], A[i + 2u * p.aK], A[i + 3u * p.aK]);
}
