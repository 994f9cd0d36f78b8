// y[i] = 2 x[i] + 1: the smallest kernel that proves a device really computes.

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3u) {
  let i = id.x;
  // The last workgroup runs past the end of the array when its length is not a multiple of 64.
  if (i >= arrayLength(&x)) {
    return;
  }
  y[i] = x[i] * 2.0 + 1.0;
}
