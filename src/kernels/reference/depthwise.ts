import type { Conv2DInfo } from '../backend.js';
import type { FloatArray } from '../../tensor/dtype.js';

/*
 * Depthwise 2-D convolution (`tf.depthwiseConv2d`) over NHWC input with filters
 * [kh, kw, C, M]: output channel c·M + m sums x[.., c] · w[ky, kx, c, m] over the kernel taps
 * inside the image. info.outChannels is C·M. Each kernel overwrites its whole output.
 */

type Mode = 'forward' | 'input' | 'filter';

/**
 * The one loop nest of all three kernels: every output cell, every kernel tap inside the image,
 * then the channel block, where only the innermost statement depends on the mode:
 * forward y += x·w, input gradient dx += dy·w, filter gradient dw += dy·x. (One function with
 * a mode rather than three callbacks keeps the hot loop monomorphic for the JIT.)
 */
function depthwiseLoops(mode: Mode, info: Conv2DInfo, y: FloatArray, x: FloatArray, w: FloatArray): void {
  const { batch, inHeight, inWidth, inChannels: C, outHeight, outWidth } = info;
  const M = info.outChannels / C;
  for (let b = 0; b < batch; b++) {
    for (let oy = 0; oy < outHeight; oy++) {
      for (let ox = 0; ox < outWidth; ox++) {
        const o = ((b * outHeight + oy) * outWidth + ox) * C * M;
        for (let ky = 0; ky < info.kernelHeight; ky++) {
          const iy = oy * info.strideHeight - info.padTop + ky * info.dilationHeight;
          if (iy < 0 || iy >= inHeight) continue;
          for (let kx = 0; kx < info.kernelWidth; kx++) {
            const ix = ox * info.strideWidth - info.padLeft + kx * info.dilationWidth;
            if (ix < 0 || ix >= inWidth) continue;
            const i = ((b * inHeight + iy) * inWidth + ix) * C;
            const f = (ky * info.kernelWidth + kx) * C * M;
            if (M === 1) {
              // The common case (MobileNet): one filter per channel, a plain vector loop.
              if (mode === 'forward') for (let c = 0; c < C; c++) y[o + c] += x[i + c] * w[f + c];
              else if (mode === 'input') for (let c = 0; c < C; c++) x[i + c] += y[o + c] * w[f + c];
              else for (let c = 0; c < C; c++) w[f + c] += y[o + c] * x[i + c];
            } else if (mode === 'forward') {
              for (let c = 0; c < C; c++) {
                const v = x[i + c];
                for (let k = c * M; k < c * M + M; k++) y[o + k] += v * w[f + k];
              }
            } else if (mode === 'input') {
              for (let c = 0; c < C; c++) {
                let s = 0;
                for (let k = c * M; k < c * M + M; k++) s += y[o + k] * w[f + k];
                x[i + c] += s;
              }
            } else {
              for (let c = 0; c < C; c++) {
                const v = x[i + c];
                for (let k = c * M; k < c * M + M; k++) w[f + k] += y[o + k] * v;
              }
            }
          }
        }
      }
    }
  }
}

export function depthwiseConv2d(x: FloatArray, filter: FloatArray, out: FloatArray, info: Conv2DInfo): void {
  out.fill(0);
  depthwiseLoops('forward', info, out, x, filter);
}

export function depthwiseConv2dBackpropInput(dy: FloatArray, filter: FloatArray, dx: FloatArray, info: Conv2DInfo): void {
  dx.fill(0);
  depthwiseLoops('input', info, dy, dx, filter);
}

export function depthwiseConv2dBackpropFilter(x: FloatArray, dy: FloatArray, dFilter: FloatArray, info: Conv2DInfo): void {
  dFilter.fill(0);
  depthwiseLoops('filter', info, dy, x, dFilter);
}
