import { ConvInfo } from './conv_info';
import { at, copyFloats, madd } from './simd';

/*
 * Convolution of one-channel inputs at stride 1 along the width (the lab CNN's 28x28x1 -> 5
 * 3x3 conv, LeNet's first conv), vectorised along the output row instead of the output channels:
 * with co = 5, per-pixel vectors waste three lanes in eight and splat every input value, while
 * four neighbouring output pixels read four neighbouring input values, one plain vector load.
 * Each input row an output row needs is first copied into a zero-padded row buffer, so the taps
 * need no bounds checks; up to eight output channels stay in registers.
 */

export const ROWS_MAX_CO: i32 = 8;

@inline export function rowRound(c: ConvInfo): i32 {
  return (c.ow + 3) & ~3;
}

/** Floats in one padded row: every vector load of every tap stays inside it; whole vectors. */
@inline export function rowLength(c: ConvInfo): i32 {
  return (rowRound(c) + (c.kw - 1) * c.dw + 7) & ~3;
}

/** Scratch bytes both row kernels need: padded rows, splatted weights or vector sums, planar dy. */
export function rowsScratchBytes(c: ConvInfo): i32 {
  return c.kh * rowLength(c) * 4 + c.kh * c.kw * c.co * 16 + max(c.co * rowRound(c) * 4, ROWS_MAX_CO * 16);
}

/** Copies the kh input rows that output row (b, oh) reads into zero-padded buffers; returns a bit per row in range. */
function loadRows(x: usize, c: ConvInfo, b: i32, oh: i32, rows: usize): i32 {
  const len = rowLength(c);
  const n = max(0, min(c.w, len - c.pl));
  let valid = 0;
  for (let kh = 0; kh < c.kh; kh++) {
    const ih = oh * c.sh - c.pt + kh * c.dh;
    if (ih < 0 || ih >= c.h) continue;
    valid |= 1 << kh;
    // Vector loops, not memory.fill and memory.copy: on shared memory each of those is a call
    // out of the module, which costs more than these few dozen floats.
    const row = rows + (<usize>(kh * len) << 2);
    const zero = f32x4.splat(0);
    for (let i = 0; i < len; i += 4) v128.store(row + (<usize>i << 2), zero);
    copyFloats(at(row, c.pl), at(x, (b * c.h + ih) * c.w), n);
  }
  return valid;
}

@inline function storeLanes(p: usize, v: v128, stride: usize): void {
  v128.store32_lane(p, v, 0);
  v128.store32_lane(p + stride, v, 1);
  v128.store32_lane(p + 2 * stride, v, 2);
  v128.store32_lane(p + 3 * stride, v, 3);
}

@inline function rowsConv2dFor(co: i32, x: usize, w: usize, out: usize, c: ConvInfo, r0: i32, r1: i32, scratch: usize): void {
  if (r1 <= r0) return;
  const kk = c.kh * c.kw;
  const len = rowLength(c);
  const rows = scratch;
  const ws = rows + (<usize>(c.kh * len) << 2);
  const tmp = ws + (<usize>(kk * co) << 4);
  for (let i = 0; i < kk * co; i++) v128.store(ws + (<usize>i << 4), f32x4.splat(load<f32>(at(w, i))));
  const owr = rowRound(c);
  const tapStep = <usize>c.dw << 2;
  for (let row = r0 / c.ow; row * c.ow < r1; row++) {
    const b = row / c.oh;
    const oh = row - b * c.oh;
    const valid = loadRows(x, c, b, oh, rows);
    const base = row * c.ow;
    for (let j = 0; j < owr; j += 4) {
      let a0 = f32x4.splat(0), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
      let wp = ws;
      for (let kh = 0; kh < c.kh; kh++) {
        if ((valid & (1 << kh)) == 0) {
          wp += <usize>(c.kw * co) << 4;
          continue;
        }
        let xp = rows + (<usize>(kh * len + j) << 2);
        for (let kw = 0; kw < c.kw; kw++) {
          const xv = v128.load(xp);
          a0 = madd(xv, v128.load(wp), a0);
          if (co > 1) a1 = madd(xv, v128.load(wp, 16), a1);
          if (co > 2) a2 = madd(xv, v128.load(wp, 32), a2);
          if (co > 3) a3 = madd(xv, v128.load(wp, 48), a3);
          if (co > 4) a4 = madd(xv, v128.load(wp, 64), a4);
          if (co > 5) a5 = madd(xv, v128.load(wp, 80), a5);
          if (co > 6) a6 = madd(xv, v128.load(wp, 96), a6);
          if (co > 7) a7 = madd(xv, v128.load(wp, 112), a7);
          xp += tapStep;
          wp += <usize>co << 4;
        }
      }
      const first = base + j;
      if (j + 4 <= c.ow && first >= r0 && first + 4 <= r1) {
        // Four whole pixels: lane p of channel k's sums goes to out[first + p, k].
        const o = at(out, first * co);
        const stride = <usize>co << 2;
        storeLanes(o, a0, stride);
        if (co > 1) storeLanes(o + 4, a1, stride);
        if (co > 2) storeLanes(o + 8, a2, stride);
        if (co > 3) storeLanes(o + 12, a3, stride);
        if (co > 4) storeLanes(o + 16, a4, stride);
        if (co > 5) storeLanes(o + 20, a5, stride);
        if (co > 6) storeLanes(o + 24, a6, stride);
        if (co > 7) storeLanes(o + 28, a7, stride);
        continue;
      }
      // Row ends and thread boundaries: planar [o][4] sums, written out for the pixels this thread owns.
      v128.store(tmp, a0);
      v128.store(tmp, a1, 16);
      v128.store(tmp, a2, 32);
      v128.store(tmp, a3, 48);
      v128.store(tmp, a4, 64);
      v128.store(tmp, a5, 80);
      v128.store(tmp, a6, 96);
      v128.store(tmp, a7, 112);
      const p1 = min(4, c.ow - j);
      for (let p = 0; p < p1; p++) {
        const pixel = base + j + p;
        if (pixel < r0 || pixel >= r1) continue;
        const o = at(out, pixel * co);
        for (let k = 0; k < co; k++) store<f32>(o + (<usize>k << 2), load<f32>(tmp + (<usize>(k * 4 + p) << 2)));
      }
    }
  }
}

export function rowsConv2d(x: usize, w: usize, out: usize, c: ConvInfo, r0: i32, r1: i32, scratch: usize): void {
  // A case per channel count: each inlines the kernel with co constant, so the optimiser drops
  // the per-channel branches from the inner loops (they cost about a third of the time).
  switch (c.co) {
    case 1: rowsConv2dFor(1, x, w, out, c, r0, r1, scratch); break;
    case 2: rowsConv2dFor(2, x, w, out, c, r0, r1, scratch); break;
    case 3: rowsConv2dFor(3, x, w, out, c, r0, r1, scratch); break;
    case 4: rowsConv2dFor(4, x, w, out, c, r0, r1, scratch); break;
    case 5: rowsConv2dFor(5, x, w, out, c, r0, r1, scratch); break;
    case 6: rowsConv2dFor(6, x, w, out, c, r0, r1, scratch); break;
    case 7: rowsConv2dFor(7, x, w, out, c, r0, r1, scratch); break;
    default: rowsConv2dFor(ROWS_MAX_CO, x, w, out, c, r0, r1, scratch);
  }
}

/**
 * target[kh, kw, 0, o] = Σ over output pixels [r0, r1) of x-tap · dy[pixel, o]. dy's row is
 * first made planar ([o][ow], zero past the row and outside [r0, r1)), then each tap and
 * channel is a dot product of two rows; the vector partial sums are reduced once at the end.
 */
@inline function rowsFilterGradFor(co: i32, x: usize, dy: usize, target: usize, c: ConvInfo, r0: i32, r1: i32, scratch: usize): void {
  const kk = c.kh * c.kw;
  const len = rowLength(c);
  const owr = rowRound(c);
  const rows = scratch;
  const acc = rows + (<usize>(c.kh * len) << 2);
  const dyp = acc + (<usize>(kk * co) << 4);
  memory.fill(acc, 0, <usize>(kk * co) << 4);
  if (r1 <= r0) {
    memory.fill(target, 0, <usize>(kk * co) << 2);
    return;
  }
  const tapStep = <usize>c.dw << 2;
  for (let row = r0 / c.ow; row * c.ow < r1; row++) {
    const b = row / c.oh;
    const oh = row - b * c.oh;
    const valid = loadRows(x, c, b, oh, rows);
    const base = row * c.ow;
    for (let i = 0; i < co * owr; i += 4) v128.store(dyp + (<usize>i << 2), f32x4.splat(0));
    const q0 = max(r0, base) - base;
    const q1 = min(r1, base + c.ow) - base;
    for (let q = q0; q < q1; q++) {
      const d = at(dy, (base + q) * co);
      for (let k = 0; k < co; k++) store<f32>(at(dyp, k * owr + q), load<f32>(at(d, k)));
    }
    let ap = acc;
    for (let kh = 0; kh < c.kh; kh++) {
      if ((valid & (1 << kh)) == 0) {
        ap += <usize>(c.kw * co) << 4;
        continue;
      }
      let xr = rows + (<usize>(kh * len) << 2);
      for (let kw = 0; kw < c.kw; kw++) {
        let a0 = v128.load(ap), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        if (co > 1) a1 = v128.load(ap, 16);
        if (co > 2) a2 = v128.load(ap, 32);
        if (co > 3) a3 = v128.load(ap, 48);
        if (co > 4) a4 = v128.load(ap, 64);
        if (co > 5) a5 = v128.load(ap, 80);
        if (co > 6) a6 = v128.load(ap, 96);
        if (co > 7) a7 = v128.load(ap, 112);
        let xp = xr;
        let dp = dyp;
        const stride = <usize>owr << 2;
        for (let j = 0; j < owr; j += 4) {
          const xv = v128.load(xp);
          a0 = madd(xv, v128.load(dp), a0);
          if (co > 1) a1 = madd(xv, v128.load(dp + stride), a1);
          if (co > 2) a2 = madd(xv, v128.load(dp + 2 * stride), a2);
          if (co > 3) a3 = madd(xv, v128.load(dp + 3 * stride), a3);
          if (co > 4) a4 = madd(xv, v128.load(dp + 4 * stride), a4);
          if (co > 5) a5 = madd(xv, v128.load(dp + 5 * stride), a5);
          if (co > 6) a6 = madd(xv, v128.load(dp + 6 * stride), a6);
          if (co > 7) a7 = madd(xv, v128.load(dp + 7 * stride), a7);
          xp += 16;
          dp += 16;
        }
        v128.store(ap, a0);
        if (co > 1) v128.store(ap, a1, 16);
        if (co > 2) v128.store(ap, a2, 32);
        if (co > 3) v128.store(ap, a3, 48);
        if (co > 4) v128.store(ap, a4, 64);
        if (co > 5) v128.store(ap, a5, 80);
        if (co > 6) v128.store(ap, a6, 96);
        if (co > 7) v128.store(ap, a7, 112);
        xr += tapStep;
        ap += <usize>co << 4;
      }
    }
  }
  for (let i = 0; i < kk * co; i++) {
    const v = v128.load(acc + (<usize>i << 4));
    store<f32>(at(target, i), f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
  }
}

export function rowsFilterGrad(x: usize, dy: usize, target: usize, c: ConvInfo, r0: i32, r1: i32, scratch: usize): void {
  // A case per channel count: each inlines the kernel with co constant, so the optimiser drops
  // the per-channel branches from the inner loops (they cost about a third of the time).
  switch (c.co) {
    case 1: rowsFilterGradFor(1, x, dy, target, c, r0, r1, scratch); break;
    case 2: rowsFilterGradFor(2, x, dy, target, c, r0, r1, scratch); break;
    case 3: rowsFilterGradFor(3, x, dy, target, c, r0, r1, scratch); break;
    case 4: rowsFilterGradFor(4, x, dy, target, c, r0, r1, scratch); break;
    case 5: rowsFilterGradFor(5, x, dy, target, c, r0, r1, scratch); break;
    case 6: rowsFilterGradFor(6, x, dy, target, c, r0, r1, scratch); break;
    case 7: rowsFilterGradFor(7, x, dy, target, c, r0, r1, scratch); break;
    default: rowsFilterGradFor(ROWS_MAX_CO, x, dy, target, c, r0, r1, scratch);
  }
}
