import { at, madd } from './simd';
import { ConvInfo } from './conv_info';

/*
 * Direct convolution for few input channels (a first layer's RGB, LeNet's second layer's 6),
 * output channels in groups of 16. im2col + GEMM spends its time there building and packing 27-wide rows for a
 * product with a depth of 27; here two output pixels keep 16 channels each in eight v128
 * accumulators, and every tap adds splat(x) · w-row for both (two broadcasts and four filter
 * loads per eight multiply-adds). The filter is read in place (HWIO: a tap's output channels are
 * contiguous). Taps outside the image read as zero, so any padding, stride or dilation works.
 */

// Up to 8: LeNet's 14x14x6 -> 16 5x5 layer runs 1.34x faster here than as im2col + GEMM (whose
// packing copies its 150-wide rows twice; bench/few_channels_ab.ts); Winograd takes 16 channels or more.
export const FEW_MAX_CI: i32 = 8;

/** Whether the kernel takes this geometry. */
@inline export function fewChannels(c: ConvInfo): bool {
  return c.ci <= FEW_MAX_CI && (c.co & 15) == 0 && c.co <= 256;
}

/** The output pixel r's top-left input row, column and image, or (-1 << 20) past the end. */
@inline function origin(c: ConvInfo, r: i32, ohw: i32): i64 {
  const b = r / ohw;
  const rem = r - b * ohw;
  const oh = rem / c.ow;
  const ow = rem - oh * c.ow;
  return (<i64>b << 40) | (<i64>((oh * c.sh - c.pt) & 0xfffff) << 20) | <i64>((ow * c.sw - c.pl) & 0xfffff);
}

/** Sign-extends a 20-bit field. */
@inline function field(v: i64, shift: i32): i32 {
  return (<i32>((v >> shift) & 0xfffff) << 12) >> 12;
}

/** Output pixels [r0, r1) (flattened batch, row, column). */
export function fewConv2d(x: usize, w: usize, out: usize, c: ConvInfo, r0: i32, r1: i32): void {
  const ci = c.ci, co = c.co;
  const ohw = c.oh * c.ow;
  const zero = f32x4.splat(0);
  const tapBytes = <usize>co << 2;
  for (let r = r0; r < r1; r += 2) {
    const two = r + 1 < r1;
    const oa = origin(c, r, ohw);
    const ob = two ? origin(c, r + 1, ohw) : oa;
    const ba = <i32>(oa >> 40), bb = <i32>(ob >> 40);
    const iha = field(oa, 20), iwa = field(oa, 0);
    const ihb = field(ob, 20), iwb = field(ob, 0);
    // Both pixels with every tap inside the image (most of a 'same' layer): no bounds checks,
    // and with dilation 1 along the width a kernel row's taps are one contiguous run.
    const spanH = (c.kh - 1) * c.dh;
    const spanW = (c.kw - 1) * c.dw;
    const interior = iha >= 0 && iha + spanH < c.h && iwa >= 0 && iwa + spanW < c.w
      && ihb >= 0 && ihb + spanH < c.h && iwb >= 0 && iwb + spanW < c.w;
    for (let g = 0; g < co; g += 16) {
      let a0 = zero, a1 = zero, a2 = zero, a3 = zero;
      let b0 = zero, b1 = zero, b2 = zero, b3 = zero;
      let wr = w + (<usize>g << 2);
      if (interior && c.dw == 1) {
        const run = c.kw * ci;
        let pa = at(x, ((ba * c.h + iha) * c.w + iwa) * ci);
        let pb = at(x, ((bb * c.h + ihb) * c.w + iwb) * ci);
        const rowStep = <usize>(c.dh * c.w * ci) << 2;
        for (let kh = 0; kh < c.kh; kh++) {
          for (let j = 0; j < run; j++) {
            const o = <usize>j << 2;
            const va = v128.load32_splat(pa + o);
            const vb = v128.load32_splat(pb + o);
            const w0 = v128.load(wr);
            const w1 = v128.load(wr, 16);
            const w2 = v128.load(wr, 32);
            const w3 = v128.load(wr, 48);
            a0 = madd(va, w0, a0);
            a1 = madd(va, w1, a1);
            a2 = madd(va, w2, a2);
            a3 = madd(va, w3, a3);
            b0 = madd(vb, w0, b0);
            b1 = madd(vb, w1, b1);
            b2 = madd(vb, w2, b2);
            b3 = madd(vb, w3, b3);
            wr += tapBytes;
          }
          pa += rowStep;
          pb += rowStep;
        }
      } else {
      for (let kh = 0; kh < c.kh; kh++) {
        const ya = iha + kh * c.dh;
        const yb = ihb + kh * c.dh;
        const rowA = ya >= 0 && ya < c.h;
        const rowB = yb >= 0 && yb < c.h;
        for (let kw = 0; kw < c.kw; kw++) {
          const xa = iwa + kw * c.dw;
          const xb = iwb + kw * c.dw;
          const inA = rowA && xa >= 0 && xa < c.w;
          const inB = rowB && xb >= 0 && xb < c.w;
          // Addresses of taps outside the image are never formed (x stands in).
          const pa = inA ? at(x, ((ba * c.h + ya) * c.w + xa) * ci) : x;
          const pb = inB ? at(x, ((bb * c.h + yb) * c.w + xb) * ci) : x;
          for (let k = 0; k < ci; k++) {
            const va = inA ? v128.load32_splat(pa + (<usize>k << 2)) : zero;
            const vb = inB ? v128.load32_splat(pb + (<usize>k << 2)) : zero;
            const w0 = v128.load(wr);
            const w1 = v128.load(wr, 16);
            const w2 = v128.load(wr, 32);
            const w3 = v128.load(wr, 48);
            a0 = madd(va, w0, a0);
            a1 = madd(va, w1, a1);
            a2 = madd(va, w2, a2);
            a3 = madd(va, w3, a3);
            b0 = madd(vb, w0, b0);
            b1 = madd(vb, w1, b1);
            b2 = madd(vb, w2, b2);
            b3 = madd(vb, w3, b3);
            wr += tapBytes;
          }
        }
      }
      }
      const o = at(out, r * co + g);
      v128.store(o, a0);
      v128.store(o, a1, 16);
      v128.store(o, a2, 32);
      v128.store(o, a3, 48);
      if (two) {
        const q = o + tapBytes;
        v128.store(q, b0);
        v128.store(q, b1, 16);
        v128.store(q, b2, 32);
        v128.store(q, b3, 48);
      }
    }
  }
}
