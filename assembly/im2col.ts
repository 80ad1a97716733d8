import { ConvInfo } from './conv_info';
import { at, copyFloats } from './simd';

/*
 * The column matrix of im2col + GEMM convolution (conv.ts): row r is output pixel r's receptive
 * field, (kh, kw, ci) in HWIO order, padded taps zero; col2im scatters its gradient back.
 */

@inline function addFloats(d: usize, s: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = d + (<usize>i << 2);
    v128.store(o, f32x4.add(v128.load(o), v128.load(s + (<usize>i << 2))));
  }
  for (; i < n; i++) {
    const o = d + (<usize>i << 2);
    store<f32>(o, load<f32>(o) + load<f32>(s + (<usize>i << 2)));
  }
}

/** Writes rows [r0, r0+rows) of the column matrix; padded taps are zero. */
export function im2col(x: usize, c: ConvInfo, r0: i32, rows: i32, cols: usize): void {
  const ci = c.ci;
  const ohw = c.oh * c.ow;
  const bytes = <usize>ci << 2;
  let d = cols;
  for (let r = r0; r < r0 + rows; r++) {
    const b = r / ohw;
    const rem = r - b * ohw;
    const oh = rem / c.ow;
    const ow = rem - oh * c.ow;
    const ih0 = oh * c.sh - c.pt;
    const iw0 = ow * c.sw - c.pl;
    for (let kh = 0; kh < c.kh; kh++) {
      const ih = ih0 + kh * c.dh;
      if (ih < 0 || ih >= c.h) {
        memory.fill(d, 0, bytes * c.kw);
        d += bytes * c.kw;
        continue;
      }
      const rowBase = (b * c.h + ih) * c.w;
      if (c.dw == 1 && iw0 >= 0 && iw0 + c.kw <= c.w) {
        // The kw taps are neighbours in NHWC: one contiguous run of kw*ci floats.
        copyFloats(d, at(x, (rowBase + iw0) * ci), c.kw * ci);
        d += bytes * c.kw;
        continue;
      }
      for (let kw = 0; kw < c.kw; kw++) {
        const iw = iw0 + kw * c.dw;
        if (iw < 0 || iw >= c.w) memory.fill(d, 0, bytes);
        else if (ci == 1) store<f32>(d, load<f32>(at(x, rowBase + iw)));
        else memory.copy(d, at(x, (rowBase + iw) * ci), bytes);
        d += bytes;
      }
    }
  }
}

/** dx += the column-matrix gradient rows [r0, r0+rows) scattered back to their pixels. */
export function col2im(dcols: usize, c: ConvInfo, r0: i32, rows: i32, dx: usize): void {
  const ci = c.ci;
  const ohw = c.oh * c.ow;
  let s = dcols;
  const bytes = <usize>ci << 2;
  for (let r = r0; r < r0 + rows; r++) {
    const b = r / ohw;
    const rem = r - b * ohw;
    const oh = rem / c.ow;
    const ow = rem - oh * c.ow;
    const ih0 = oh * c.sh - c.pt;
    const iw0 = ow * c.sw - c.pl;
    for (let kh = 0; kh < c.kh; kh++) {
      const ih = ih0 + kh * c.dh;
      if (ih < 0 || ih >= c.h) {
        s += bytes * c.kw;
        continue;
      }
      const rowBase = (b * c.h + ih) * c.w;
      if (c.dw == 1 && iw0 >= 0 && iw0 + c.kw <= c.w) {
        // Neighbouring taps: one run of kw*ci sums (each element still gets one addition).
        addFloats(at(dx, (rowBase + iw0) * ci), s, c.kw * ci);
        s += bytes * c.kw;
        continue;
      }
      for (let kw = 0; kw < c.kw; kw++) {
        const iw = iw0 + kw * c.dw;
        if (iw >= 0 && iw < c.w) {
          const d = at(dx, (rowBase + iw) * ci);
          let k = 0;
          for (; k + 4 <= ci; k += 4) {
            const o = d + (<usize>k << 2);
            v128.store(o, f32x4.add(v128.load(o), v128.load(s + (<usize>k << 2))));
          }
          for (; k < ci; k++) {
            const o = d + (<usize>k << 2);
            store<f32>(o, load<f32>(o) + load<f32>(s + (<usize>k << 2)));
          }
        }
        s += bytes;
      }
    }
  }
}

