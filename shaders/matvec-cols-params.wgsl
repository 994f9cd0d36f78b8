// Operands and uniforms shared by the matrix-vector kernels whose matrix has the outputs contiguous
// ([K, outputs] row-major: transpose(W) @ x, x @ W): matvec-cols.wgsl (GPUs) and matvec-cols-wide.wgsl
// (software adapters), planned by src/backend/webgpu/matvec.ts.
//
// Bindings: @binding(0) out (f32), @binding(1) params, @binding(2) matrix, @binding(3) vector.
// MATVEC_WORKGROUP is prepended by the planner.

struct MatvecParams {
  // outputs / 4: vec4s per matrix row.
  outputs4: u32,
  k: u32,
  // Offset of the matrix in vec4s, of the vector in f32s.
  matrix4: u32,
  vector: u32,
  // Threads per row of the (possibly folded) dispatch grid: x size × workgroup size.
  grid_x: u32,
}

@group(0) @binding(0) var<storage, read_write> matvec_out: array<vec4f>;
@group(0) @binding(1) var<uniform> matvec_params: MatvecParams;
@group(0) @binding(2) var<storage, read> matvec_matrix: array<vec4f>;
@group(0) @binding(3) var<storage, read> matvec_vector: array<f32>;
