import { at, madd } from './simd';
import { bnValue4, flush } from './batchnorm';

/*
 * Batch normalization + ReLU + max pooling in training mode, fused, where the pool's windows
 * tile the input exactly (stride = window, no padding, sizes that divide: the 2x2 pools between
 * VGG stages) and the channels are a multiple of four. The forward writes only the pooled
 * output: the normalised, relu'd values (bnValue4, as bnApply computes them) are maxed over each
 * window as they are made. The gradient recomputes them from x to find each window's first
 * maximum (as pool_tiled.ts's gradient does, NaN included), so neither the full-size ReLU output
 * nor the pool's full-size gradient is ever written: forward, the statistics pass and one pass
 * over x; backward, two passes over x (the sums of bnGradSums, then dx).
 *
 * Work is cut by window rows (b, oh): wr = b·OH + oh covers input rows wr·PH .. wr·PH + PH - 1.
 * The gradient's sums run over chunks of `chunk` window rows, fixed by the shapes, with float64
 * partials per chunk as in batchnorm.ts, so results do not depend on the thread count.
 */

const NEG_INF = f32x4.splat(<f32>-Infinity);

/** relu((x - mean)·scale + shift) for one vector of four channels. */
@inline function reluValue(v: v128, m: v128, s: v128, h: v128): v128 {
  const z = bnValue4(v, m, s, h);
  return v128.andnot(z, f32x4.le(z, f32x4.splat(0)));
}

/** The window's maximum of the relu'd values, four channels from `first` (its top-left cell). */
@inline function windowMax(first: usize, PH: i32, PW: i32, row: usize, cell: usize, m: v128, s: v128, h: v128): v128 {
  let best = NEG_INF;
  for (let dh = 0; dh < PH; dh++) {
    let q = first + <usize>dh * row;
    for (let dw = 0; dw < PW; dw++) {
      best = f32x4.max(best, reluValue(v128.load(q), m, s, h));
      q += cell;
    }
  }
  return best;
}

/**
 * The maximum of a 2x2 window's relu'd values, as windowMax gives it. ReLU outputs are +0,
 * positive or NaN: pmax (one instruction, where f32x4.max takes several to order NaN and
 * signed zeros) gives the maximum of the numbers, and a NaN anywhere shows in the sum, since
 * there is no -Infinity to cancel +Infinity; the maximum is then NaN, as f32x4.max makes it.
 */
@inline function windowMax2x2(v0: v128, v1: v128, v2: v128, v3: v128): v128 {
  const best = f32x4.pmax(f32x4.pmax(v0, v1), f32x4.pmax(v2, v3));
  const sum = f32x4.add(f32x4.add(v0, v1), f32x4.add(v2, v3));
  return v128.bitselect(sum, best, f32x4.ne(sum, sum));
}

/** Pooled output over window rows [wr0, wr1). */
export function bnReluPool(x: usize, mean: usize, scale: usize, shift: usize, out: usize, C: i32, W: i32, PH: i32, PW: i32, wr0: i32, wr1: i32): void {
  const OW = W / PW;
  const row = <usize>(W * C) << 2;
  const cell = <usize>C << 2;
  for (let wr = wr0; wr < wr1; wr++) {
    let window = at(x, wr * PH * W * C);
    let o = at(out, wr * OW * C);
    for (let ow = 0; ow < OW; ow++) {
      for (let c = 0; c < C; c += 4) {
        const k = <usize>c << 2;
        const m = v128.load(mean + k);
        const s = v128.load(scale + k);
        const h = v128.load(shift + k);
        const q = window + k;
        const best = PH == 2 && PW == 2
          ? windowMax2x2(reluValue(v128.load(q), m, s, h), reluValue(v128.load(q + cell), m, s, h),
            reluValue(v128.load(q + row), m, s, h), reluValue(v128.load(q + row + cell), m, s, h))
          : windowMax(q, PH, PW, row, cell, m, s, h);
        v128.store(o + k, best);
      }
      o += cell;
      window += <usize>PW * cell;
    }
  }
}

/**
 * One cell of a window in the gradient: g = dy where this cell is the window's first maximum
 * (the first NaN where the maximum is NaN; none where it is -Infinity, which a ReLU output never
 * is) and its relu'd value v is > 0. `taken` marks the lanes whose maximum came earlier.
 */
// @ts-ignore: decorator
@inline
function cellGrad(v: v128, best: v128, bestIsNaN: v128, taken: v128, gv: v128): v128 {
  const first = v128.andnot(v128.or(f32x4.eq(v, best), v128.and(f32x4.ne(v, v), bestIsNaN)), taken);
  return v128.andnot(v128.and(gv, first), f32x4.le(v, f32x4.splat(0)));
}

/** Whether cell v took the gradient (or an earlier one did). */
// @ts-ignore: decorator
@inline
function takenAfter(v: v128, best: v128, bestIsNaN: v128, taken: v128): v128 {
  return v128.or(taken, v128.or(f32x4.eq(v, best), v128.and(f32x4.ne(v, v), bestIsNaN)));
}

/**
 * For window rows [wr0, wr1): each cell's gradient after the pool and the ReLU (cellGrad), then,
 * with SUMS, Σ g and Σ g·(x - mean) into acc (c accumulators each), or else
 * dx = ca·((g - cm) - (x - mean)·ck). 2x2 windows keep their four cells in registers; other
 * sizes recompute each cell's value after the window's maximum.
 */
// @ts-ignore: decorator
@inline
function windowRows(dy: usize, x: usize, mean: usize, scale: usize, shift: usize, ca: usize, ck: usize, cm: usize, dx: usize,
  acc: usize, C: i32, W: i32, PH: i32, PW: i32, wr0: i32, wr1: i32, SUMS: bool): void {
  const OW = W / PW;
  const row = <usize>(W * C) << 2;
  const cell = <usize>C << 2;
  const accQ = acc + cell;
  const two = PH == 2 && PW == 2;
  for (let wr = wr0; wr < wr1; wr++) {
    const start = wr * PH * W * C;
    let window = at(x, start);
    let target = at(dx, start);
    let grad = at(dy, wr * OW * C);
    for (let ow = 0; ow < OW; ow++) {
      for (let c = 0; c < C; c += 4) {
        const k = <usize>c << 2;
        const m = v128.load(mean + k);
        const s = v128.load(scale + k);
        const h = v128.load(shift + k);
        const gv = v128.load(grad + k);
        if (two) {
          const q = window + k;
          const x0 = v128.load(q);
          const x1 = v128.load(q + cell);
          const x2 = v128.load(q + row);
          const x3 = v128.load(q + row + cell);
          const v0 = reluValue(x0, m, s, h);
          const v1 = reluValue(x1, m, s, h);
          const v2 = reluValue(x2, m, s, h);
          const v3 = reluValue(x3, m, s, h);
          const best = windowMax2x2(v0, v1, v2, v3);
          const bestIsNaN = f32x4.ne(best, best);
          let taken = f32x4.eq(best, NEG_INF);
          const g0 = cellGrad(v0, best, bestIsNaN, taken, gv);
          taken = takenAfter(v0, best, bestIsNaN, taken);
          const g1 = cellGrad(v1, best, bestIsNaN, taken, gv);
          taken = takenAfter(v1, best, bestIsNaN, taken);
          const g2 = cellGrad(v2, best, bestIsNaN, taken, gv);
          taken = takenAfter(v2, best, bestIsNaN, taken);
          const g3 = cellGrad(v3, best, bestIsNaN, taken, gv);
          const d0 = f32x4.sub(x0, m);
          const d1 = f32x4.sub(x1, m);
          const d2 = f32x4.sub(x2, m);
          const d3 = f32x4.sub(x3, m);
          if (SUMS) {
            const a1 = f32x4.add(f32x4.add(f32x4.add(g0, g1), g2), g3);
            const a2 = madd(g3, d3, madd(g2, d2, madd(g1, d1, f32x4.mul(g0, d0))));
            v128.store(acc + k, f32x4.add(v128.load(acc + k), a1));
            v128.store(accQ + k, f32x4.add(v128.load(accQ + k), a2));
          } else {
            const a = v128.load(ca + k);
            const kk = v128.load(ck + k);
            const mm = v128.load(cm + k);
            const t = target + k;
            v128.store(t, f32x4.mul(a, f32x4.sub(f32x4.sub(g0, mm), f32x4.mul(d0, kk))));
            v128.store(t + cell, f32x4.mul(a, f32x4.sub(f32x4.sub(g1, mm), f32x4.mul(d1, kk))));
            v128.store(t + row, f32x4.mul(a, f32x4.sub(f32x4.sub(g2, mm), f32x4.mul(d2, kk))));
            v128.store(t + row + cell, f32x4.mul(a, f32x4.sub(f32x4.sub(g3, mm), f32x4.mul(d3, kk))));
          }
          continue;
        }
        const best = windowMax(window + k, PH, PW, row, cell, m, s, h);
        const bestIsNaN = f32x4.ne(best, best);
        let taken = f32x4.eq(best, NEG_INF);
        let a1 = f32x4.splat(0);
        let a2 = f32x4.splat(0);
        for (let dh = 0; dh < PH; dh++) {
          let q = window + k + <usize>dh * row;
          let d = target + k + <usize>dh * row;
          for (let dw = 0; dw < PW; dw++) {
            const xv = v128.load(q);
            const v = reluValue(xv, m, s, h);
            const g = cellGrad(v, best, bestIsNaN, taken, gv);
            taken = takenAfter(v, best, bestIsNaN, taken);
            const dxm = f32x4.sub(xv, m);
            if (SUMS) {
              a1 = f32x4.add(a1, g);
              a2 = madd(g, dxm, a2);
            } else {
              const t = f32x4.sub(f32x4.sub(g, v128.load(cm + k)), f32x4.mul(dxm, v128.load(ck + k)));
              v128.store(d, f32x4.mul(v128.load(ca + k), t));
            }
            q += cell;
            d += cell;
          }
        }
        if (SUMS) {
          v128.store(acc + k, f32x4.add(v128.load(acc + k), a1));
          v128.store(accQ + k, f32x4.add(v128.load(accQ + k), a2));
        }
      }
      grad += cell;
      window += <usize>PW * cell;
      target += <usize>PW * cell;
    }
  }
}

/** As bnGradSums, for chunks [k0, k1) of `chunk` window rows out of wrTotal. */
export function bnReluPoolGradSums(dy: usize, x: usize, mean: usize, scale: usize, shift: usize, C: i32, W: i32, PH: i32, PW: i32,
  wrTotal: i32, chunk: i32, k0: i32, k1: i32, acc: usize, partials: usize): void {
  for (let k = k0; k < k1; k++) {
    memory.fill(acc, 0, <usize>C << 3);
    windowRows(dy, x, mean, scale, shift, 0, 0, 0, 0, acc, C, W, PH, PW, k * chunk, min((k + 1) * chunk, wrTotal), true);
    flush(acc, partials + <usize>k * (<usize>C << 4), 2 * C);
  }
}

/** dx over window rows [wr0, wr1), from bnGradFinalize's coefficients. */
export function bnReluPoolGradApply(dy: usize, x: usize, mean: usize, scale: usize, shift: usize, ca: usize, ck: usize, cm: usize, dx: usize,
  C: i32, W: i32, PH: i32, PW: i32, wr0: i32, wr1: i32): void {
  windowRows(dy, x, mean, scale, shift, ca, ck, cm, dx, 0, C, W, PH, PW, wr0, wr1, false);
}
