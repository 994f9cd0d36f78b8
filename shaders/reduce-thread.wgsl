// Lane combination for reduce.wgsl when each thread owns its result (lanes = 1): nothing to do.
// A separate variant because a kernel without shared memory or barriers needs neither: GPUs fit
// more workgroups per core, and SwiftShader measured about 2× faster without a barrier in the code.

fn reduce_across_lanes(acc: ReduceAcc, lid: u32, lane: u32, lanes: u32) -> ReduceAcc {
  return acc;
}
