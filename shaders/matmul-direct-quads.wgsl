enable subgroups;

// Entry point of the software-adapter GEMM (matmul-direct.wgsl) on adapters with subgroups of 4 to 16
// (planned by src/backend/webgpu/matmul.ts when the device has them; GpuInfo.quadSubgroups).
//
// Why: the four lanes of a quad own the same rows of C, so each needs the same op(A)[row, k .. k + 3].
// Read by every lane, that is four loads per row that SwiftShader turns into four gathers of one
// address each; here lane t of the quad reads op(A)[row, k + t] (one gather, four useful values) and
// quadBroadcast hands each value to all four. It cuts the loads per step of k from 48 to 24, and
// measured 1.2-1.3× faster on SwiftShader (2-core Intel Xeon, interleaved, medians of 9): 256³
// 10.0 → 8.3 ms, 1024³ 472 → 365 ms, [64,256]·[256,256]ᵀ 2.42 → 2.01 ms.
//
// Which thread is which comes from the subgroup, not from local_invocation_id: slot = subgroup_id ·
// subgroup_size + lane numbers the 16 threads so that each quad (four consecutive lanes, a multiple of
// 4 apart from the subgroup's start) holds four neighbouring x of one y, whatever order the adapter
// fills its subgroups in. That needs whole subgroups, hence sizes of at most 16.

var<private> quadLane: u32;

@compute @workgroup_size(16)
fn main(
  @builtin(workgroup_id) group: vec3u,
  @builtin(subgroup_id) subgroup: u32,
  @builtin(subgroup_size) subgroupSize: u32,
  @builtin(subgroup_invocation_id) lane: u32,
) {
  quadLane = lane & 3u;
  let slot = subgroup * subgroupSize + lane;
  gemmBlock(group, vec2u(slot % 8u, slot / 8u));
}

// op(A)[row, k .. k + 3] for the row at element offset `row`, which the whole quad shares.
fn quadA(row: u32, k: u32) -> vec4f {
  let mine = A[row + (k + quadLane) * p.aK];
  return vec4f(quadBroadcast(mine, 0u), quadBroadcast(mine, 1u), quadBroadcast(mine, 2u), quadBroadcast(mine, 3u));
}
