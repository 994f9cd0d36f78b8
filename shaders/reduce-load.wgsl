// Unfused input for the reduction kernel (reduce.wgsl): element i of a plain f32 buffer.

@group(0) @binding(2) var<storage, read> reduce_input: array<f32>;

fn load_input(i: u32) -> f32 {
  return reduce_input[i];
}
