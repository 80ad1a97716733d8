import { at } from './simd';

/*
 * In-place optimizer updates over elements [i0, i1), four lanes at a time. Step sizes that
 * depend only on the step count (Adam's bias correction) are computed once on the JS side.
 *
 * Optimizer slots that decay geometrically (Adam's moments, momentum) become denormal floats
 * after a few hundred steps wherever a gradient stays zero (a dead ReLU unit's weights), and
 * x86 computes on denormals up to a hundred times slower: LeNet-5's training ran 18% slower
 * after 600 steps. TensorFlow runs its CPU kernels with denormals flushed to zero
 * (tensorflow/core/platform/denormal.h); WebAssembly cannot set that mode, so these kernels
 * flush the slots they write. NaN is kept (|NaN| < FLT_MIN is false).
 */

/** The smallest normal float32. */
const FLT_MIN: f32 = 1.17549435e-38;

/** x with denormal lanes set to zero. */
@inline function flushDenormals(x: v128): v128 {
  return v128.andnot(x, f32x4.lt(f32x4.abs(x), f32x4.splat(FLT_MIN)));
}

@inline function flushDenormal(x: f32): f32 {
  return Mathf.abs(x) < FLT_MIN ? 0 : x;
}

export function adam(p: usize, g: usize, m: usize, v: usize, i0: i32, i1: i32, lrT: f32, beta1: f32, beta2: f32, eps: f32, decay: f32): void {
  const b1 = f32x4.splat(beta1), c1 = f32x4.splat(1 - beta1);
  const b2 = f32x4.splat(beta2), c2 = f32x4.splat(1 - beta2);
  const vl = f32x4.splat(lrT), ve = f32x4.splat(eps), vd = f32x4.splat(decay);
  let i = i0;
  for (; i + 4 <= i1; i += 4) {
    const gi = v128.load(at(g, i));
    const mi = flushDenormals(f32x4.add(f32x4.mul(b1, v128.load(at(m, i))), f32x4.mul(c1, gi)));
    const vi = flushDenormals(f32x4.add(f32x4.mul(b2, v128.load(at(v, i))), f32x4.mul(f32x4.mul(c2, gi), gi)));
    v128.store(at(m, i), mi);
    v128.store(at(v, i), vi);
    let pi = v128.load(at(p, i));
    if (decay != 0) pi = f32x4.sub(pi, f32x4.mul(vd, pi));
    v128.store(at(p, i), f32x4.sub(pi, f32x4.div(f32x4.mul(vl, mi), f32x4.add(f32x4.sqrt(vi), ve))));
  }
  for (; i < i1; i++) {
    const gi = load<f32>(at(g, i));
    const mi = flushDenormal(beta1 * load<f32>(at(m, i)) + (1 - beta1) * gi);
    const vi = flushDenormal(beta2 * load<f32>(at(v, i)) + (1 - beta2) * gi * gi);
    store<f32>(at(m, i), mi);
    store<f32>(at(v, i), vi);
    let pi = load<f32>(at(p, i));
    if (decay != 0) pi -= decay * pi;
    store<f32>(at(p, i), pi - (lrT * mi) / (Mathf.sqrt(vi) + eps));
  }
}

/**
 * Adam over many variables in one call, as PyTorch's foreach Adam: `table` holds a row of five
 * int32 (param, grad, m, v, length) per variable, and the call updates elements [i0, i1) of their
 * concatenation. Threads then share one call for all the variables, instead of a small call per
 * variable that one thread runs while the others wait.
 */
export function adamMany(table: usize, count: i32, i0: i32, i1: i32, lrT: f32, beta1: f32, beta2: f32, eps: f32, decay: f32): void {
  let offset = 0;
  for (let t = 0; t < count && offset < i1; t++) {
    const row = table + <usize>t * 20;
    const n = load<i32>(row, 16);
    const start = max(i0 - offset, 0);
    const end = min(i1 - offset, n);
    if (start < end) adam(load<u32>(row), load<u32>(row, 4), load<u32>(row, 8), load<u32>(row, 12), start, end, lrT, beta1, beta2, eps, decay);
    offset += n;
  }
}

/** Keras SGD; vel == 0 means no momentum slot. */
export function sgd(p: usize, g: usize, vel: usize, i0: i32, i1: i32, lr: f32, momentum: f32, nesterov: bool, wd: f32): void {
  for (let i = i0; i < i1; i++) {
    const pi = load<f32>(at(p, i));
    const gi = load<f32>(at(g, i)) + wd * pi;
    if (vel == 0) {
      store<f32>(at(p, i), pi - lr * gi);
      continue;
    }
    const v = flushDenormal(momentum * load<f32>(at(vel, i)) - lr * gi);
    store<f32>(at(vel, i), v);
    store<f32>(at(p, i), pi + (nesterov ? momentum * v - lr * gi : v));
  }
}

/** Keras 3's RMSprop (epsilon under the square root); vel == 0 means no momentum slot. */
export function rmsprop(p: usize, g: usize, ms: usize, vel: usize, i0: i32, i1: i32, lr: f32, rho: f32, momentum: f32, eps: f32): void {
  for (let i = i0; i < i1; i++) {
    const gi = load<f32>(at(g, i));
    const s = flushDenormal(rho * load<f32>(at(ms, i)) + (1 - rho) * gi * gi);
    store<f32>(at(ms, i), s);
    const step = (lr * gi) / Mathf.sqrt(s + eps);
    if (vel == 0) {
      store<f32>(at(p, i), load<f32>(at(p, i)) - step);
    } else {
      const v = flushDenormal(momentum * load<f32>(at(vel, i)) + step);
      store<f32>(at(vel, i), v);
      store<f32>(at(p, i), load<f32>(at(p, i)) - v);
    }
  }
}
