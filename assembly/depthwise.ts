import { ConvInfo } from './conv_info';
import { at, madd, sliceEnd, sliceStart } from './simd';

/*
 * Depthwise 2-D convolution over NHWC input with filters [kh, kw, C, M]: output channel c·M + m
 * of a cell is the sum over the kernel taps inside the image of x[.., c] · w[ky, kx, c, m]
 * (ConvInfo's co is C·M). Forward and input gradient split the batch across threads, the
 * filter gradient splits the channels, so no two threads write the same value; each thread
 * zeroes its own part of the output first. Channels run four at a time in SIMD when M is 1,
 * the MobileNet case; other multipliers take the scalar loop.
 */

@inline function tapRow(p: ConvInfo, oh: i32, ky: i32): i32 {
  return oh * p.sh - p.pt + ky * p.dh;
}

@inline function tapCol(p: ConvInfo, ow: i32, kx: i32): i32 {
  return ow * p.sw - p.pl + kx * p.dw;
}

export function depthwiseConv2d(x: usize, w: usize, out: usize, m: i32, p: ConvInfo, tid: i32, nt: i32): void {
  const C = p.ci;
  const CM = p.co;
  const b0 = sliceStart(p.batch, 1, tid, nt);
  const b1 = sliceEnd(p.batch, 1, tid, nt);
  const cells = p.oh * p.ow * CM;
  memory.fill(at(out, b0 * cells), 0, <usize>((b1 - b0) * cells) << 2);
  for (let b = b0; b < b1; b++) {
    for (let oh = 0; oh < p.oh; oh++) {
      for (let ow = 0; ow < p.ow; ow++) {
        const o = ((b * p.oh + oh) * p.ow + ow) * CM;
        for (let ky = 0; ky < p.kh; ky++) {
          const ih = tapRow(p, oh, ky);
          if (ih < 0 || ih >= p.h) continue;
          for (let kx = 0; kx < p.kw; kx++) {
            const iw = tapCol(p, ow, kx);
            if (iw < 0 || iw >= p.w) continue;
            const i = ((b * p.h + ih) * p.w + iw) * C;
            const f = (ky * p.kw + kx) * CM;
            if (m == 1) {
              let c = 0;
              for (; c + 4 <= C; c += 4) {
                v128.store(at(out, o + c), madd(v128.load(at(x, i + c)), v128.load(at(w, f + c)), v128.load(at(out, o + c))));
              }
              for (; c < C; c++) store<f32>(at(out, o + c), load<f32>(at(out, o + c)) + load<f32>(at(x, i + c)) * load<f32>(at(w, f + c)));
            } else {
              for (let c = 0; c < C; c++) {
                const v = load<f32>(at(x, i + c));
                for (let k = c * m; k < c * m + m; k++) store<f32>(at(out, o + k), load<f32>(at(out, o + k)) + v * load<f32>(at(w, f + k)));
              }
            }
          }
        }
      }
    }
  }
}

export function depthwiseConv2dBackpropInput(dy: usize, w: usize, dx: usize, m: i32, p: ConvInfo, tid: i32, nt: i32): void {
  const C = p.ci;
  const CM = p.co;
  const b0 = sliceStart(p.batch, 1, tid, nt);
  const b1 = sliceEnd(p.batch, 1, tid, nt);
  const cells = p.h * p.w * C;
  memory.fill(at(dx, b0 * cells), 0, <usize>((b1 - b0) * cells) << 2);
  for (let b = b0; b < b1; b++) {
    for (let oh = 0; oh < p.oh; oh++) {
      for (let ow = 0; ow < p.ow; ow++) {
        const o = ((b * p.oh + oh) * p.ow + ow) * CM;
        for (let ky = 0; ky < p.kh; ky++) {
          const ih = tapRow(p, oh, ky);
          if (ih < 0 || ih >= p.h) continue;
          for (let kx = 0; kx < p.kw; kx++) {
            const iw = tapCol(p, ow, kx);
            if (iw < 0 || iw >= p.w) continue;
            const i = ((b * p.h + ih) * p.w + iw) * C;
            const f = (ky * p.kw + kx) * CM;
            if (m == 1) {
              let c = 0;
              for (; c + 4 <= C; c += 4) {
                v128.store(at(dx, i + c), madd(v128.load(at(dy, o + c)), v128.load(at(w, f + c)), v128.load(at(dx, i + c))));
              }
              for (; c < C; c++) store<f32>(at(dx, i + c), load<f32>(at(dx, i + c)) + load<f32>(at(dy, o + c)) * load<f32>(at(w, f + c)));
            } else {
              for (let c = 0; c < C; c++) {
                let s: f32 = 0;
                for (let k = c * m; k < c * m + m; k++) s += load<f32>(at(dy, o + k)) * load<f32>(at(w, f + k));
                store<f32>(at(dx, i + c), load<f32>(at(dx, i + c)) + s);
              }
            }
          }
        }
      }
    }
  }
}

export function depthwiseConv2dBackpropFilter(x: usize, dy: usize, dw: usize, m: i32, p: ConvInfo, tid: i32, nt: i32): void {
  const C = p.ci;
  const CM = p.co;
  const c0 = sliceStart(C, 4, tid, nt);
  const c1 = sliceEnd(C, 4, tid, nt);
  if (c0 >= c1) return;
  for (let t = 0; t < p.kh * p.kw; t++) memory.fill(at(dw, t * CM + c0 * m), 0, <usize>((c1 - c0) * m) << 2);
  for (let b = 0; b < p.batch; b++) {
    for (let oh = 0; oh < p.oh; oh++) {
      for (let ow = 0; ow < p.ow; ow++) {
        const o = ((b * p.oh + oh) * p.ow + ow) * CM;
        for (let ky = 0; ky < p.kh; ky++) {
          const ih = tapRow(p, oh, ky);
          if (ih < 0 || ih >= p.h) continue;
          for (let kx = 0; kx < p.kw; kx++) {
            const iw = tapCol(p, ow, kx);
            if (iw < 0 || iw >= p.w) continue;
            const i = ((b * p.h + ih) * p.w + iw) * C;
            const f = (ky * p.kw + kx) * CM;
            if (m == 1) {
              let c = c0;
              for (; c + 4 <= c1; c += 4) {
                v128.store(at(dw, f + c), madd(v128.load(at(dy, o + c)), v128.load(at(x, i + c)), v128.load(at(dw, f + c))));
              }
              for (; c < c1; c++) store<f32>(at(dw, f + c), load<f32>(at(dw, f + c)) + load<f32>(at(dy, o + c)) * load<f32>(at(x, i + c)));
            } else {
              for (let c = c0; c < c1; c++) {
                const v = load<f32>(at(x, i + c));
                for (let k = c * m; k < c * m + m; k++) store<f32>(at(dw, f + k), load<f32>(at(dw, f + k)) + load<f32>(at(dy, o + k)) * v);
              }
            }
          }
        }
      }
    }
  }
}
