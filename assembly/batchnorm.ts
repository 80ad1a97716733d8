import { at, madd } from './simd';

/*
 * Batch normalization over the last axis of a [rows, c] matrix, in phases the caller runs one
 * after the other: partial sums over chunks of `chunk` rows (parallel, whole chunks per thread),
 * a reduction of the chunks' partials in chunk order into per-channel coefficients (thread 0),
 * and an elementwise pass (parallel). Chunks do not depend on the thread count and are reduced
 * in a fixed order, so every result is the same bit for bit whatever the number of threads.
 *
 * Sums run along channels, four at a time, into float32 accumulators over one chunk, which are
 * then stored as float64 partials: float32 keeps the inner loop fast, float64 keeps long sums
 * (a 64x28x28 batch is 50,176 rows) accurate. The forward statistics are taken around the first
 * row (d = x - x[0]), so one pass gives both the mean and a variance free of the cancellation
 * that E[x²] - E[x]² suffers when a channel's mean is large next to its spread.
 */

/** Stores n float32 accumulators as float64 partials. */
export function flush(acc: usize, partial: usize, n: i32): void {
  for (let k = 0; k < n; k++) store<f64>(partial + (<usize>k << 3), <f64>load<f32>(at(acc, k)));
}

/**
 * For chunks [k0, k1): partial[k][0..c) = Σ d and partial[k][c..2c) = Σ d² over the chunk's
 * rows, with d = x - x[row 0]; acc holds this thread's 2c float32 accumulators.
 */
export function bnStats(x: usize, c: i32, rows: i32, chunk: i32, k0: i32, k1: i32, acc: usize, partials: usize): void {
  const accQ = at(acc, c);
  for (let k = k0; k < k1; k++) {
    const r1 = min((k + 1) * chunk, rows);
    memory.fill(acc, 0, <usize>c << 3);
    for (let r = k * chunk; r < r1; r++) {
      const row = at(x, r * c);
      let j = 0;
      for (; j + 4 <= c; j += 4) {
        const o = <usize>j << 2;
        const d = f32x4.sub(v128.load(row + o), v128.load(x + o));
        v128.store(acc + o, f32x4.add(v128.load(acc + o), d));
        v128.store(accQ + o, madd(d, d, v128.load(accQ + o)));
      }
      for (; j < c; j++) {
        const o = <usize>j << 2;
        const d = load<f32>(row + o) - load<f32>(x + o);
        store<f32>(acc + o, load<f32>(acc + o) + d);
        store<f32>(accQ + o, load<f32>(accQ + o) + d * d);
      }
    }
    flush(acc, partials + <usize>k * (<usize>c << 4), 2 * c);
  }
}

/** Σ over the chunks, in chunk order, of partial[k][j] (float64). */
@inline export function chunkSum(partials: usize, chunks: i32, c: i32, j: i32): f64 {
  let s: f64 = 0;
  for (let k = 0; k < chunks; k++) s += load<f64>(partials + <usize>k * (<usize>c << 4) + (<usize>j << 3));
  return s;
}

/**
 * Thread 0, after bnStats: reduces the chunks' partials into mean, biased variance and
 * invStd = 1/sqrt(variance + eps).
 */
export function bnStatsFinalize(x: usize, c: i32, rows: i32, partials: usize, chunks: i32, eps: f64,
  mean: usize, variance: usize, invStd: usize): void {
  for (let j = 0; j < c; j++) {
    const md = chunkSum(partials, chunks, c, j) / <f64>rows;
    let v = chunkSum(partials, chunks, c, c + j) / <f64>rows - md * md;
    if (v < 0) v = 0;
    store<f32>(at(mean, j), <f32>(<f64>load<f32>(at(x, j)) + md));
    store<f32>(at(variance, j), <f32>v);
    store<f32>(at(invStd, j), <f32>(1.0 / Math.sqrt(v + eps)));
  }
}

/** scale = invStd * gamma and shift = beta per channel; gamma and beta may be 0 (absent). */
export function bnCoefficients(c: i32, invStd: usize, gamma: usize, beta: usize, scale: usize, shift: usize): void {
  for (let j = 0; j < c; j++) {
    const g: f32 = gamma ? load<f32>(at(gamma, j)) : 1;
    store<f32>(at(scale, j), load<f32>(at(invStd, j)) * g);
    store<f32>(at(shift, j), beta ? load<f32>(at(beta, j)) : 0);
  }
}

/**
 * The normalised value (x - mean)·scale + shift, four channels at a time and one: the fused
 * batch norm + ReLU gradient (batchnorm_relu.ts) recomputes its mask with these, so it must see
 * exactly what bnApply wrote.
 */
@inline export function bnValue4(x: v128, mean: v128, scale: v128, shift: v128): v128 {
  return madd(f32x4.sub(x, mean), scale, shift);
}

@inline export function bnValue1(x: f32, mean: f32, scale: f32, shift: f32): f32 {
  return (x - mean) * scale + shift;
}

/** out = (x - mean) * scale + shift over rows [r0, r1); with relu, relu(out) (NaN stays NaN). */
export function bnApply(x: usize, mean: usize, scale: usize, shift: usize, out: usize, r0: i32, r1: i32, c: i32, relu: bool): void {
  if (relu) bnApplyRows(x, mean, scale, shift, out, r0, r1, c, true);
  else bnApplyRows(x, mean, scale, shift, out, r0, r1, c, false);
}

// @ts-ignore: decorator
@inline
function bnApplyRows(x: usize, mean: usize, scale: usize, shift: usize, out: usize, r0: i32, r1: i32, c: i32, RELU: bool): void {
  const zero = f32x4.splat(0);
  for (let r = r0; r < r1; r++) {
    const xr = at(x, r * c);
    const orow = at(out, r * c);
    let j = 0;
    for (; j + 4 <= c; j += 4) {
      const o = <usize>j << 2;
      let v = bnValue4(v128.load(xr + o), v128.load(mean + o), v128.load(scale + o), v128.load(shift + o));
      // Clearing the lanes where v <= 0 zeroes those (-0 becomes +0) and keeps NaN.
      if (RELU) v = v128.andnot(v, f32x4.le(v, zero));
      v128.store(orow + o, v);
    }
    for (; j < c; j++) {
      const o = <usize>j << 2;
      const v = bnValue1(load<f32>(xr + o), load<f32>(mean + o), load<f32>(scale + o), load<f32>(shift + o));
      store<f32>(orow + o, RELU ? (v <= 0 ? 0 : v) : v);
    }
  }
}

/** As bnStats, for the gradient: Σ dy and Σ dy·(x - mean) per channel and chunk. */
export function bnGradSums(dy: usize, x: usize, mean: usize, c: i32, rows: i32, chunk: i32, k0: i32, k1: i32, acc: usize, partials: usize): void {
  const accQ = at(acc, c);
  for (let k = k0; k < k1; k++) {
    const r1 = min((k + 1) * chunk, rows);
    memory.fill(acc, 0, <usize>c << 3);
    for (let r = k * chunk; r < r1; r++) {
      const gr = at(dy, r * c);
      const xr = at(x, r * c);
      let j = 0;
      for (; j + 4 <= c; j += 4) {
        const o = <usize>j << 2;
        const g = v128.load(gr + o);
        const d = f32x4.sub(v128.load(xr + o), v128.load(mean + o));
        v128.store(acc + o, f32x4.add(v128.load(acc + o), g));
        v128.store(accQ + o, madd(g, d, v128.load(accQ + o)));
      }
      for (; j < c; j++) {
        const o = <usize>j << 2;
        const g = load<f32>(gr + o);
        store<f32>(acc + o, load<f32>(acc + o) + g);
        store<f32>(accQ + o, load<f32>(accQ + o) + g * (load<f32>(xr + o) - load<f32>(mean + o)));
      }
    }
    flush(acc, partials + <usize>k * (<usize>c << 4), 2 * c);
  }
}

/**
 * Thread 0, after bnGradSums: writes sumDy and sumDyXhat, and the coefficients of
 * dx = a·((dy - m) - (x - mean)·k) with a = gamma·invStd, m = Σdy/N, k = invStd²·Σdy(x-mean)/N
 * (training; inference uses a alone). The differences come first, as in the reference, so that
 * a batch of one, where every x equals its mean, gets exactly zero.
 */
export function bnGradFinalize(c: i32, rows: i32, partials: usize, chunks: i32, invStd: usize, gamma: usize,
  sumDy: usize, sumDyXhat: usize, ca: usize, ck: usize, cm: usize, training: bool): void {
  for (let j = 0; j < c; j++) {
    const s1 = chunkSum(partials, chunks, c, j);
    const s2 = chunkSum(partials, chunks, c, c + j);
    const is = <f64>load<f32>(at(invStd, j));
    const a = (gamma ? <f64>load<f32>(at(gamma, j)) : 1.0) * is;
    store<f32>(at(sumDy, j), <f32>s1);
    store<f32>(at(sumDyXhat, j), <f32>(s2 * is));
    store<f32>(at(ca, j), <f32>a);
    store<f32>(at(ck, j), training ? <f32>(is * is * s2 / <f64>rows) : 0);
    store<f32>(at(cm, j), training ? <f32>(s1 / <f64>rows) : 0);
  }
}

/** dx over rows [r0, r1) from the coefficients of bnGradFinalize (inference: a·dy only). */
export function bnGradApply(dy: usize, x: usize, mean: usize, ca: usize, ck: usize, cm: usize, dx: usize,
  r0: i32, r1: i32, c: i32, training: bool): void {
  for (let r = r0; r < r1; r++) {
    const gr = at(dy, r * c);
    const xr = at(x, r * c);
    const orow = at(dx, r * c);
    let j = 0;
    if (training) {
      for (; j + 4 <= c; j += 4) {
        const o = <usize>j << 2;
        const d = f32x4.sub(v128.load(xr + o), v128.load(mean + o));
        const t = f32x4.sub(f32x4.sub(v128.load(gr + o), v128.load(cm + o)), f32x4.mul(d, v128.load(ck + o)));
        v128.store(orow + o, f32x4.mul(v128.load(ca + o), t));
      }
      for (; j < c; j++) {
        const o = <usize>j << 2;
        const d = load<f32>(xr + o) - load<f32>(mean + o);
        store<f32>(orow + o, load<f32>(ca + o) * ((load<f32>(gr + o) - load<f32>(cm + o)) - d * load<f32>(ck + o)));
      }
    } else {
      for (; j + 4 <= c; j += 4) {
        const o = <usize>j << 2;
        v128.store(orow + o, f32x4.mul(v128.load(ca + o), v128.load(gr + o)));
      }
      for (; j < c; j++) {
        const o = <usize>j << 2;
        store<f32>(orow + o, load<f32>(ca + o) * load<f32>(gr + o));
      }
    }
  }
}
