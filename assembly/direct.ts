import { at, madd } from './simd';
import { ConvInfo } from './conv_info';

/*
 * Direct convolution for layers with few channels (the lab CNN's 1→5 3x3 conv, LeNet's first
 * conv), where im2col + GEMM would spend its time packing 9-wide rows into 8-wide panels. Each
 * output pixel keeps its up-to-16 output channels in four v128 accumulators; each tap adds
 * splat(x) * w-row. The filter is first repacked with output channels padded to a multiple of
 * four, so every w-row is whole vectors.
 */

export const DIRECT_MAX_CO: i32 = 16;
export const DIRECT_MAX_DEPTH: i32 = 32;

@inline function padded(co: i32): i32 {
  return (co + 3) & ~3;
}

/** Bytes of scratch the direct kernels need: the padded filter or padded gradient. */
export function directScratchBytes(kkci: i32, co: i32): i32 {
  return kkci * padded(co) * 4;
}

function packFilter(w: usize, kkci: i32, co: i32, dst: usize): void {
  const cop = padded(co);
  memory.fill(dst, 0, <usize>(kkci * cop) << 2);
  for (let r = 0; r < kkci; r++) memory.copy(at(dst, r * cop), at(w, r * co), <usize>co << 2);
}

/** Stores the first `n` (1..4) lanes of v at p. */
@inline function storePartial(p: usize, v: v128, n: i32): void {
  if (n == 4) {
    v128.store(p, v);
    return;
  }
  v128.store32_lane(p, v, 0);
  if (n > 1) v128.store32_lane(p, v, 1, 4);
  if (n > 2) v128.store32_lane(p, v, 2, 8);
}

export function directConv2d(x: usize, w: usize, out: usize, c: ConvInfo, r0: i32, r1: i32, scratch: usize): void {
  if (r1 <= r0) return;
  const co = c.co;
  const ci = c.ci;
  const cop = padded(co);
  const nv = cop >> 2;
  const kkci = c.kh * c.kw * ci;
  const wp = scratch;
  packFilter(w, kkci, co, wp);
  const ohw = c.oh * c.ow;
  const rowBytes = <usize>(ci * cop) << 2;
  const tapStep = <usize>(c.dw * ci) << 2;
  const spanH = (c.kh - 1) * c.dh;
  const spanW = (c.kw - 1) * c.dw;
  // (b, oh, ow) advance like an odometer: no division per pixel.
  let b = r0 / ohw;
  let oh = (r0 - b * ohw) / c.ow;
  let ow = r0 - b * ohw - oh * c.ow;
  for (let r = r0; r < r1; r++) {
    const ih0 = oh * c.sh - c.pt;
    const iw0 = ow * c.sw - c.pl;
    let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
    if (ih0 >= 0 && ih0 + spanH < c.h && iw0 >= 0 && iw0 + spanW < c.w) {
      // Interior pixel: every tap is inside the image, so no bounds checks.
      let wr = wp;
      for (let kh = 0; kh < c.kh; kh++) {
        let xp = at(x, ((b * c.h + ih0 + kh * c.dh) * c.w + iw0) * ci);
        if (ci == 1 && nv <= 2) {
          for (let kw = 0; kw < c.kw; kw++) {
            const xv = v128.load32_splat(xp);
            a0 = madd(xv, v128.load(wr), a0);
            if (nv > 1) a1 = madd(xv, v128.load(wr, 16), a1);
            xp += tapStep;
            wr += <usize>cop << 2;
          }
          continue;
        }
        for (let kw = 0; kw < c.kw; kw++) {
          let xk = xp;
          for (let k = 0; k < ci; k++) {
            const xv = v128.load32_splat(xk);
            a0 = madd(xv, v128.load(wr), a0);
            if (nv > 1) a1 = madd(xv, v128.load(wr, 16), a1);
            if (nv > 2) a2 = madd(xv, v128.load(wr, 32), a2);
            if (nv > 3) a3 = madd(xv, v128.load(wr, 48), a3);
            xk += 4;
            wr += <usize>cop << 2;
          }
          xp += tapStep;
        }
      }
    } else {
      for (let kh = 0; kh < c.kh; kh++) {
        const ih = ih0 + kh * c.dh;
        if (ih < 0 || ih >= c.h) continue;
        for (let kw = 0; kw < c.kw; kw++) {
          const iw = iw0 + kw * c.dw;
          if (iw < 0 || iw >= c.w) continue;
          let xp = at(x, ((b * c.h + ih) * c.w + iw) * ci);
          let wr = wp + <usize>(kh * c.kw + kw) * rowBytes;
          for (let k = 0; k < ci; k++) {
            const xv = v128.load32_splat(xp);
            a0 = madd(xv, v128.load(wr), a0);
            if (nv > 1) a1 = madd(xv, v128.load(wr, 16), a1);
            if (nv > 2) a2 = madd(xv, v128.load(wr, 32), a2);
            if (nv > 3) a3 = madd(xv, v128.load(wr, 48), a3);
            xp += 4;
            wr += <usize>cop << 2;
          }
        }
      }
    }
    const o = at(out, r * co);
    storePartial(o, a0, min(co, 4));
    if (nv > 1) storePartial(o + 16, a1, min(co - 4, 4));
    if (nv > 2) storePartial(o + 32, a2, min(co - 8, 4));
    if (nv > 3) storePartial(o + 48, a3, min(co - 12, 4));
    if (++ow == c.ow) {
      ow = 0;
      if (++oh == c.oh) {
        oh = 0;
        b++;
      }
    }
  }
}

/**
 * target[kkci, co] = Σ over rows [r0, r1) of x-tap ⊗ dy-row, accumulated in a padded buffer in
 * scratch (so every update is whole vectors) and compacted into target at the end.
 */
export function directFilterGrad(x: usize, dy: usize, target: usize, c: ConvInfo, r0: i32, r1: i32, scratch: usize): void {
  const co = c.co;
  const ci = c.ci;
  const cop = padded(co);
  const nv = cop >> 2;
  const kkci = c.kh * c.kw * ci;
  const acc = scratch;
  memory.fill(acc, 0, <usize>(kkci * cop) << 2);
  const ohw = c.oh * c.ow;
  const rowBytes = <usize>(ci * cop) << 2;
  const zero = f32x4.splat(0);
  const tapStep = <usize>(c.dw * ci) << 2;
  const spanH = (c.kh - 1) * c.dh;
  const spanW = (c.kw - 1) * c.dw;
  let b = r1 > r0 ? r0 / ohw : 0;
  let oh = r1 > r0 ? (r0 - b * ohw) / c.ow : 0;
  let ow = r1 > r0 ? r0 - b * ohw - oh * c.ow : 0;
  for (let r = r0; r < r1; r++) {
    const ih0 = oh * c.sh - c.pt;
    const iw0 = ow * c.sw - c.pl;
    const bi = b;
    if (++ow == c.ow) {
      ow = 0;
      if (++oh == c.oh) {
        oh = 0;
        b++;
      }
    }
    // Lanes past co read the next row's values; they land in padding that is dropped.
    const d = at(dy, r * co);
    const last = r == r1 - 1;
    const d0 = last && co < 4 ? loadPartial(d, co) : v128.load(d);
    const d1 = nv > 1 ? (last && co < 8 ? loadPartial(d + 16, co - 4) : v128.load(d, 16)) : zero;
    const d2 = nv > 2 ? (last && co < 12 ? loadPartial(d + 32, co - 8) : v128.load(d, 32)) : zero;
    const d3 = nv > 3 ? (last && co < 16 ? loadPartial(d + 48, co - 12) : v128.load(d, 48)) : zero;
    if (ci == 1 && nv <= 2 && ih0 >= 0 && ih0 + spanH < c.h && iw0 >= 0 && iw0 + spanW < c.w) {
      // Interior pixel of a one-channel input: every tap is in range, one x per tap.
      let ap = acc;
      for (let kh = 0; kh < c.kh; kh++) {
        let xp = at(x, (bi * c.h + ih0 + kh * c.dh) * c.w + iw0);
        for (let kw = 0; kw < c.kw; kw++) {
          const xv = v128.load32_splat(xp);
          v128.store(ap, madd(xv, d0, v128.load(ap)));
          if (nv > 1) v128.store(ap, madd(xv, d1, v128.load(ap, 16)), 16);
          xp += tapStep;
          ap += <usize>cop << 2;
        }
      }
      continue;
    }
    for (let kh = 0; kh < c.kh; kh++) {
      const ih = ih0 + kh * c.dh;
      if (ih < 0 || ih >= c.h) continue;
      for (let kw = 0; kw < c.kw; kw++) {
        const iw = iw0 + kw * c.dw;
        if (iw < 0 || iw >= c.w) continue;
        let xp = at(x, ((bi * c.h + ih) * c.w + iw) * ci);
        let ap = acc + <usize>(kh * c.kw + kw) * rowBytes;
        for (let k = 0; k < ci; k++) {
          const xv = v128.load32_splat(xp);
          v128.store(ap, madd(xv, d0, v128.load(ap)));
          if (nv > 1) v128.store(ap, madd(xv, d1, v128.load(ap, 16)), 16);
          if (nv > 2) v128.store(ap, madd(xv, d2, v128.load(ap, 32)), 32);
          if (nv > 3) v128.store(ap, madd(xv, d3, v128.load(ap, 48)), 48);
          xp += 4;
          ap += <usize>cop << 2;
        }
      }
    }
  }
  for (let k = 0; k < kkci; k++) memory.copy(at(target, k * co), at(acc, k * cop), <usize>co << 2);
}

/** The first n (0..3) lanes from p, zeros after: never reads past the end of an array. */
@inline function loadPartial(p: usize, n: i32): v128 {
  let v = f32x4.splat(0);
  if (n > 0) v = v128.load32_lane(p, v, 0);
  if (n > 1) v = v128.load32_lane(p, v, 1, 4);
  if (n > 2) v = v128.load32_lane(p, v, 2, 8);
  return v;
}
