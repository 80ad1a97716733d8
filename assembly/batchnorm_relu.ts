import { at, madd } from './simd';
import { bnValue1, bnValue4, flush } from './batchnorm';

/*
 * The gradient of y = relu(batch normalization) in training mode, fused: the ReLU's mask is
 * recomputed from x (z = (x - mean)·scale + shift with bnApply's own arithmetic, bnValue4/1, so
 * z <= 0 exactly where the forward wrote 0) instead of being written as a masked gradient and
 * read back. Two passes over dy and x instead of the unfused five over dy, y, the masked
 * gradient and x: the sums (Σ g and Σ g·(x - mean) per channel, g = dy where z > 0, in the
 * chunks and float64 partials of bnGradSums) and dx. bnCoefficients (scale, shift) runs before,
 * bnGradFinalize (dx's coefficients) between them, as for the unfused kernels.
 */

/** As bnGradSums, of the masked gradient g: chunks [k0, k1), this thread's accumulators acc. */
export function bnReluGradSums(dy: usize, x: usize, mean: usize, scale: usize, shift: usize, c: i32, rows: i32,
  chunk: i32, k0: i32, k1: i32, acc: usize, partials: usize): void {
  const accQ = at(acc, c);
  const zero = f32x4.splat(0);
  for (let k = k0; k < k1; k++) {
    const r1 = min((k + 1) * chunk, rows);
    memory.fill(acc, 0, <usize>c << 3);
    for (let r = k * chunk; r < r1; r++) {
      const gr = at(dy, r * c);
      const xr = at(x, r * c);
      let j = 0;
      for (; j + 4 <= c; j += 4) {
        const o = <usize>j << 2;
        const xv = v128.load(xr + o);
        const m = v128.load(mean + o);
        const z = bnValue4(xv, m, v128.load(scale + o), v128.load(shift + o));
        const g = v128.andnot(v128.load(gr + o), f32x4.le(z, zero));
        v128.store(acc + o, f32x4.add(v128.load(acc + o), g));
        v128.store(accQ + o, madd(g, f32x4.sub(xv, m), v128.load(accQ + o)));
      }
      for (; j < c; j++) {
        const o = <usize>j << 2;
        const xv = load<f32>(xr + o);
        const m = load<f32>(mean + o);
        const z = bnValue1(xv, m, load<f32>(scale + o), load<f32>(shift + o));
        const g: f32 = z <= 0 ? 0 : load<f32>(gr + o);
        store<f32>(acc + o, load<f32>(acc + o) + g);
        store<f32>(accQ + o, load<f32>(accQ + o) + g * (xv - m));
      }
    }
    flush(acc, partials + <usize>k * (<usize>c << 4), 2 * c);
  }
}

/** As bnGradApply in training mode, of the masked gradient: dx over rows [r0, r1). */
export function bnReluGradApply(dy: usize, x: usize, mean: usize, scale: usize, shift: usize, ca: usize, ck: usize, cm: usize,
  dx: usize, r0: i32, r1: i32, c: i32): void {
  const zero = f32x4.splat(0);
  for (let r = r0; r < r1; r++) {
    const gr = at(dy, r * c);
    const xr = at(x, r * c);
    const orow = at(dx, r * c);
    let j = 0;
    for (; j + 4 <= c; j += 4) {
      const o = <usize>j << 2;
      const xv = v128.load(xr + o);
      const m = v128.load(mean + o);
      const z = bnValue4(xv, m, v128.load(scale + o), v128.load(shift + o));
      const g = v128.andnot(v128.load(gr + o), f32x4.le(z, zero));
      const t = f32x4.sub(f32x4.sub(g, v128.load(cm + o)), f32x4.mul(f32x4.sub(xv, m), v128.load(ck + o)));
      v128.store(orow + o, f32x4.mul(v128.load(ca + o), t));
    }
    for (; j < c; j++) {
      const o = <usize>j << 2;
      const xv = load<f32>(xr + o);
      const m = load<f32>(mean + o);
      const z = bnValue1(xv, m, load<f32>(scale + o), load<f32>(shift + o));
      const g: f32 = z <= 0 ? 0 : load<f32>(gr + o);
      store<f32>(orow + o, load<f32>(ca + o) * ((g - load<f32>(cm + o)) - (xv - m) * load<f32>(ck + o)));
    }
  }
}
