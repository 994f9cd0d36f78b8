// Combine rule for `max` (see reduce.wgsl). NaN wins, like the CPU's `v > acc || isNaN(v)`
// (once acc is NaN no comparison succeeds), so any NaN in the reduced set gives NaN.

alias ReduceAcc = f32;

fn reduce_identity() -> ReduceAcc {
  return reduce_neg_inf();
}

fn reduce_push(acc: ReduceAcc, x: f32) -> ReduceAcc {
  return reduce_combine(acc, x);
}

fn reduce_combine(a: ReduceAcc, b: ReduceAcc) -> ReduceAcc {
  if (reduce_is_nan(a)) {
    return a;
  }
  if (reduce_is_nan(b) || b > a) {
    return b;
  }
  return a;
}

fn reduce_finish(acc: ReduceAcc) -> f32 {
  return acc;
}
