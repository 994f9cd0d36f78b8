// Workgroup tree reduction over any axes of a row-major f32 tensor (planned by
// src/backend/webgpu/reduce.ts, which documents the strategies and the binding convention).
//
// Assembled as: this file + how lanes combine (reduce-tree.wgsl, a shared-memory tree, or
// reduce-thread.wgsl when each thread owns its result) + one combine rule (reduce-sum|max|logsumexp.wgsl,
// defining `ReduceAcc`, `reduce_identity`, `reduce_push`, `reduce_combine`, `reduce_finish`) + the
// caller's `load_input(i: u32) -> f32` and its bindings at @binding(2...).
//
// Each result ("slot") is the reduction of one output element o over one chunk k of the reduced
// index range; slot = k * outputs + o, so an unsplit reduction (one chunk) writes the output
// directly and a split one writes a [chunks, outputs] tensor of partials. `lanes` threads
// (a power of two, consecutive invocations) cooperate on a slot: they stride over the chunk, so
// lanes read consecutive addresses when the innermost input axis is reduced, then combine through
// a shared-memory tree. With lanes = 1 each thread owns a slot, and neighbouring threads read
// neighbouring addresses when the innermost axis is kept.

const REDUCE_WORKGROUP: u32 = 256u;
const REDUCE_MAX_GROUPS: u32 = 8u;

struct ReduceParams {
  // Output elements O (the product of the kept dims).
  outputs: u32,
  // Results this dispatch writes: O * chunks.
  slots: u32,
  // Threads cooperating on one slot: a power of two dividing REDUCE_WORKGROUP.
  lanes: u32,
  // Reduced elements per chunk (R when unsplit).
  chunk: u32,
  // R, the product of the reduced dims.
  reduced: u32,
  kept_groups: u32,
  reduced_groups: u32,
  _pad: u32,
  // Runs of adjacent kept (resp. reduced) input dims merged into one, innermost first:
  // x = size, y = input stride in elements.
  kept: array<vec4u, REDUCE_MAX_GROUPS>,
  red: array<vec4u, REDUCE_MAX_GROUPS>,
}

@group(0) @binding(0) var<storage, read_write> reduce_output: array<f32>;
@group(0) @binding(1) var<uniform> reduce_params: ReduceParams;

// Bit tests, not comparisons: drivers may compile float compares assuming no NaN or inf.
fn reduce_is_nan(x: f32) -> bool {
  return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u;
}

fn reduce_is_finite(x: f32) -> bool {
  return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u;
}

fn reduce_neg_inf() -> f32 {
  // A `let`, not a constant: -inf in a const-expression is a shader-creation error.
  let bits = 0xff800000u;
  return bitcast<f32>(bits);
}

// Input offset of kept-dims index o (row-major over the kept dims).
fn reduce_kept_offset(o: u32) -> u32 {
  var rest = o;
  var offset = 0u;
  for (var g = 0u; g < reduce_params.kept_groups; g++) {
    let size = reduce_params.kept[g].x;
    offset += (rest % size) * reduce_params.kept[g].y;
    rest /= size;
  }
  return offset;
}

// Input offset of reduced-dims index r (row-major over the reduced dims).
fn reduce_reduced_offset(r: u32) -> u32 {
  var rest = r;
  var offset = 0u;
  for (var g = 0u; g < reduce_params.reduced_groups; g++) {
    let size = reduce_params.red[g].x;
    offset += (rest % size) * reduce_params.red[g].y;
    rest /= size;
  }
  return offset;
}

@compute @workgroup_size(REDUCE_WORKGROUP)
fn reduce_main(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) nwg: vec3u,
  @builtin(local_invocation_index) lid: u32,
) {
  // The grid may be folded into 2-D/3-D to respect maxComputeWorkgroupsPerDimension.
  let group = wid.x + nwg.x * (wid.y + nwg.y * wid.z);
  let lanes = reduce_params.lanes;
  let slot = group * (REDUCE_WORKGROUP / lanes) + lid / lanes;
  let lane = lid % lanes;

  var acc = reduce_identity();
  if (slot < reduce_params.slots) {
    let o = slot % reduce_params.outputs;
    let begin = (slot / reduce_params.outputs) * reduce_params.chunk;
    let end = min(begin + reduce_params.chunk, reduce_params.reduced);
    let base = reduce_kept_offset(o);
    if (reduce_params.reduced_groups == 1u) {
      // One run of reduced dims: a single stride, no index decomposition in the loop. Unrolled by
      // four with the loads first, so each thread keeps four independent loads in flight.
      let stride = reduce_params.red[0].y;
      let step = lanes * stride;
      var r = begin + lane;
      var i = base + r * stride;
      let unrolled_end = select(0u, end - 3u * lanes, end > 3u * lanes);
      for (; r < unrolled_end; r += 4u * lanes) {
        let x0 = load_input(i);
        let x1 = load_input(i + step);
        let x2 = load_input(i + 2u * step);
        let x3 = load_input(i + 3u * step);
        acc = reduce_push(reduce_push(reduce_push(reduce_push(acc, x0), x1), x2), x3);
        i += 4u * step;
      }
      for (; r < end; r += lanes) {
        acc = reduce_push(acc, load_input(i));
        i += step;
      }
    } else {
      for (var r = begin + lane; r < end; r += lanes) {
        acc = reduce_push(acc, load_input(base + reduce_reduced_offset(r)));
      }
    }
  }

  let total = reduce_across_lanes(acc, lid, lane, lanes);
  if (lane == 0u && slot < reduce_params.slots) {
    reduce_output[slot] = reduce_finish(total);
  }
}
