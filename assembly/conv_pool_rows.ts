import { ConvInfo } from './conv_info';
import { GEMM_SCRATCH } from './gemm';
import { copyFloats, madd } from './simd';
import { rowLength, rowRound } from './direct_rows';

/*
 * conv → bias → ReLU → 2x2 max pool for one-channel inputs at stride 1 (the lab CNN's and
 * LeNet's first stages), without the band buffer of conv_pool.ts. As direct_rows.ts, output
 * pixels are vectorised along the row from zero-padded copies of the input rows; here the two
 * convolution rows of a pooled row are computed together, so each splatted weight serves both,
 * and pooled in registers: the max of the two rows, then of neighbouring lanes, leaves two
 * pooled pixels per vector of four columns, two lane stores per channel.
 * Input rows outside the image are zero rows (direct_rows.ts skips them): the sums differ from
 * its only in the sign of a zero, unless a weight is not finite.
 */

/** Whether conv2dMaxPool takes this kernel; its scratch fits in the convolution's. */
export function rowsPoolApplies(c: ConvInfo, ph: i32, pw: i32): bool {
  if (c.ci != 1 || c.co > 8 || c.sh != 1 || c.sw != 1 || c.dh != 1 || ph != 2 || pw != 2) return false;
  return rowsPoolScratchBytes(c) <= GEMM_SCRATCH;
}

@inline function rowsPoolScratchBytes(c: ConvInfo): i32 {
  return (c.kh + 1) * rowLength(c) * 4 + c.kh * c.kw * c.co * 16;
}

/** Pooled rows [p0, p1) (flattened batch, pooled row) of out [batch, poh, pow, co]. */
export function rowsConvMaxPool(x: usize, w: usize, bias: usize, out: usize, c: ConvInfo, poh: i32, pow: i32, relu: bool, p0: i32, p1: i32, scratch: usize): void {
  // A case per channel count and ReLU flag, so that the optimiser drops the per-channel branches.
  switch (c.co * 2 + (relu ? 1 : 0)) {
    case 2: rowsPoolFor(1, false, x, w, bias, out, c, poh, pow, p0, p1, scratch); break;
    case 3: rowsPoolFor(1, true, x, w, bias, out, c, poh, pow, p0, p1, scratch); break;
    case 4: rowsPoolFor(2, false, x, w, bias, out, c, poh, pow, p0, p1, scratch); break;
    case 5: rowsPoolFor(2, true, x, w, bias, out, c, poh, pow, p0, p1, scratch); break;
    case 6: rowsPoolFor(3, false, x, w, bias, out, c, poh, pow, p0, p1, scratch); break;
    case 7: rowsPoolFor(3, true, x, w, bias, out, c, poh, pow, p0, p1, scratch); break;
    case 8: rowsPoolFor(4, false, x, w, bias, out, c, poh, pow, p0, p1, scratch); break;
    case 9: rowsPoolFor(4, true, x, w, bias, out, c, poh, pow, p0, p1, scratch); break;
    case 10: rowsPoolFor(5, false, x, w, bias, out, c, poh, pow, p0, p1, scratch); break;
    case 11: rowsPoolFor(5, true, x, w, bias, out, c, poh, pow, p0, p1, scratch); break;
    case 12: rowsPoolFor(6, false, x, w, bias, out, c, poh, pow, p0, p1, scratch); break;
    case 13: rowsPoolFor(6, true, x, w, bias, out, c, poh, pow, p0, p1, scratch); break;
    case 14: rowsPoolFor(7, false, x, w, bias, out, c, poh, pow, p0, p1, scratch); break;
    case 15: rowsPoolFor(7, true, x, w, bias, out, c, poh, pow, p0, p1, scratch); break;
    case 16: rowsPoolFor(8, false, x, w, bias, out, c, poh, pow, p0, p1, scratch); break;
    default: rowsPoolFor(8, true, x, w, bias, out, c, poh, pow, p0, p1, scratch);
  }
}

// @ts-ignore: decorator
@inline
function rowsPoolFor(co: i32, RELU: bool, x: usize, w: usize, bias: usize, out: usize, c: ConvInfo, poh: i32, pow: i32, p0: i32, p1: i32, scratch: usize): void {
  if (p1 <= p0) return;
  const len = rowLength(c);
  const rows = scratch;
  const ws = rows + (<usize>((c.kh + 1) * len) << 2);
  for (let i = 0; i < c.kh * c.kw * co; i++) v128.store(ws + (<usize>i << 4), f32x4.splat(load<f32>(w + (<usize>i << 2))));
  const owr = rowRound(c);
  const zero = f32x4.splat(0);
  for (let p = p0; p < p1; p++) {
    const b = p / poh;
    const i = p - b * poh;
    // Input rows 2i - pt .. 2i - pt + kh: row r of the buffer serves kernel row r of the first
    // convolution row and kernel row r - 1 of the second.
    const n = max(0, min(c.w, len - c.pl));
    for (let r = 0; r <= c.kh; r++) {
      const row = rows + (<usize>(r * len) << 2);
      for (let q = 0; q < len; q += 4) v128.store(row + (<usize>q << 2), zero);
      const ih = 2 * i - c.pt + r;
      if (ih >= 0 && ih < c.h) copyFloats(row + (<usize>c.pl << 2), x + (<usize>((b * c.h + ih) * c.w) << 2), n);
    }
    const o = out + (<usize>(p * pow * co) << 2);
    for (let j = 0; j < owr && (j >> 1) < pow; j += 4) {
      const two = (j >> 1) + 1 < pow;
      const oj = o + (<usize>((j >> 1) * co) << 2);
      // Four channels at a time: eight accumulators (twelve, for six channels at once, measured no faster).
      group(min(co, 4), co, 0, RELU, rows, len, ws, bias, oj, j, two, c.kh, c.kw);
      if (co > 4) group(co - 4, co, 4, RELU, rows, len, ws, bias, oj, j, two, c.kh, c.kw);
    }
  }
}

/** Channels g .. g+G-1 of four convolution columns j..j+3 in both rows, pooled into two pixels at oj. */
// @ts-ignore: decorator
@inline
function group(G: i32, co: i32, g: i32, RELU: bool, rows: usize, len: i32, ws: usize, bias: usize, oj: usize, j: i32, two: bool, kh: i32, kw: i32): void {
  const zero = f32x4.splat(0);
  let a0 = zero, a1 = zero, a2 = zero, a3 = zero;
  let b0 = zero, b1 = zero, b2 = zero, b3 = zero;
  let wp = ws + (<usize>g << 4);
  for (let r = 0; r < kh; r++) {
    let xa = rows + (<usize>(r * len + j) << 2);
    for (let t = 0; t < kw; t++) {
      const va = v128.load(xa);
      const vb = v128.load(xa + (<usize>len << 2));
      let wv = v128.load(wp);
      a0 = madd(va, wv, a0);
      b0 = madd(vb, wv, b0);
      if (G > 1) { wv = v128.load(wp, 16); a1 = madd(va, wv, a1); b1 = madd(vb, wv, b1); }
      if (G > 2) { wv = v128.load(wp, 32); a2 = madd(va, wv, a2); b2 = madd(vb, wv, b2); }
      if (G > 3) { wv = v128.load(wp, 48); a3 = madd(va, wv, a3); b3 = madd(vb, wv, b3); }
      xa += 4;
      wp += <usize>co << 4;
    }
  }
  emit(RELU, co, g, bias, oj, two, a0, b0);
  if (G > 1) emit(RELU, co, g + 1, bias, oj, two, a1, b1);
  if (G > 2) emit(RELU, co, g + 2, bias, oj, two, a2, b2);
  if (G > 3) emit(RELU, co, g + 3, bias, oj, two, a3, b3);
}

/** Channel k of two pooled pixels: lanes 0 and 2 of the max over both rows and neighbouring lanes. */
// @ts-ignore: decorator
@inline
function emit(RELU: bool, co: i32, k: i32, bias: usize, oj: usize, two: bool, a: v128, b: v128): void {
  const m = f32x4.max(a, b);
  let v = f32x4.max(m, v128.shuffle<f32>(m, m, 1, 0, 3, 2));
  if (bias != 0) v = f32x4.add(v, v128.load32_splat(bias + (<usize>k << 2)));
  // Clearing the lanes where v <= 0 zeroes those (-0 becomes +0) and keeps NaN, as biasAdd's ReLU.
  if (RELU) v = v128.andnot(v, f32x4.le(v, f32x4.splat(0)));
  const q = oj + (<usize>k << 2);
  v128.store32_lane(q, v, 0);
  if (two) v128.store32_lane(q + (<usize>co << 2), v, 2);
}
