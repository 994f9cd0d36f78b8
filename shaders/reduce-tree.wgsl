// Lane combination for reduce.wgsl when several lanes share a result: a shared-memory binary tree.

var<workgroup> reduce_shared: array<ReduceAcc, REDUCE_WORKGROUP>;

// The combined accumulator of the `lanes` consecutive invocations of this slot (valid in lane 0).
// `lanes` is uniform, so every barrier is reached by the whole workgroup.
fn reduce_across_lanes(acc: ReduceAcc, lid: u32, lane: u32, lanes: u32) -> ReduceAcc {
  reduce_shared[lid] = acc;
  for (var s = lanes / 2u; s > 0u; s >>= 1u) {
    workgroupBarrier();
    if (lane < s) {
      reduce_shared[lid] = reduce_combine(reduce_shared[lid], reduce_shared[lid + s]);
    }
  }
  return reduce_shared[lid];
}
