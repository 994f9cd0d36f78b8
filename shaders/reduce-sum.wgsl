// Combine rule for `sum` (see reduce.wgsl): plain f32 addition; IEEE gives inf + -inf = NaN.

alias ReduceAcc = f32;

fn reduce_identity() -> ReduceAcc {
  return 0.0;
}

fn reduce_push(acc: ReduceAcc, x: f32) -> ReduceAcc {
  return acc + x;
}

fn reduce_combine(a: ReduceAcc, b: ReduceAcc) -> ReduceAcc {
  return a + b;
}

fn reduce_finish(acc: ReduceAcc) -> f32 {
  return acc;
}
