// Combine rule for `logsumexp` (see reduce.wgsl), in one pass: the state (m, s) is a running max m
// and s = Σ exp(x - m). Two states combine as
//   (m, s) ⊕ (m', s') = (M, s·e^{m-M} + s'·e^{m'-M}),  M = max(m, m'),
// and the result is m + log(s). Special values follow the CPU reference: an element equal to a
// non-finite max counts 1 and every other element 0, so all -inf gives -inf, any +inf gives +inf,
// and a NaN makes M (hence the result) NaN.

alias ReduceAcc = vec2f;

fn reduce_identity() -> ReduceAcc {
  return vec2f(reduce_neg_inf(), 0.0);
}

// e^{m - top}: exactly 1 at the max, and 0 for a -inf part or a non-finite max (no exp of inf - inf).
fn reduce_lse_scale(m: f32, top: f32) -> f32 {
  if (m == top) {
    return 1.0;
  }
  if (reduce_is_finite(m) && reduce_is_finite(top)) {
    return exp(m - top);
  }
  return 0.0;
}

fn reduce_combine(a: ReduceAcc, b: ReduceAcc) -> ReduceAcc {
  var m = a.x;
  if (!reduce_is_nan(a.x) && (reduce_is_nan(b.x) || b.x > a.x)) {
    m = b.x;
  }
  return vec2f(m, a.y * reduce_lse_scale(a.x, m) + b.y * reduce_lse_scale(b.x, m));
}

// One element is the state (x, 1); one of the two scales is exactly 1, so this costs one exp.
fn reduce_push(acc: ReduceAcc, x: f32) -> ReduceAcc {
  return reduce_combine(acc, vec2f(x, 1.0));
}

fn reduce_finish(acc: ReduceAcc) -> f32 {
  if (!reduce_is_finite(acc.x)) {
    return acc.x;
  }
  return acc.x + log(acc.y);
}
