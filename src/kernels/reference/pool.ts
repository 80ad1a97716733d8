import type { Pool2DInfo } from '../backend.js';
import type { FloatArray } from '../../tensor/dtype.js';

/*
 * Pooling over NHWC input. Padded cells never take part, as in TensorFlow: max ignores them and
 * average divides by the number of real cells in each window.
 */

function windowStart(o: number, stride: number, pad: number): number {
  return o * stride - pad;
}

export function maxPool(x: FloatArray, out: FloatArray, p: Pool2DInfo): void {
  const { inHeight: H, inWidth: W, channels: C, outHeight: OH, outWidth: OW } = p;
  for (let b = 0; b < p.batch; b++) {
    for (let oh = 0; oh < OH; oh++) {
      const h0 = Math.max(windowStart(oh, p.strideHeight, p.padTop), 0);
      const h1 = Math.min(windowStart(oh, p.strideHeight, p.padTop) + p.poolHeight, H);
      for (let ow = 0; ow < OW; ow++) {
        const w0 = Math.max(windowStart(ow, p.strideWidth, p.padLeft), 0);
        const w1 = Math.min(windowStart(ow, p.strideWidth, p.padLeft) + p.poolWidth, W);
        const o = ((b * OH + oh) * OW + ow) * C;
        for (let c = 0; c < C; c++) {
          let best = -Infinity;
          for (let ih = h0; ih < h1; ih++) {
            for (let iw = w0; iw < w1; iw++) {
              const v = x[((b * H + ih) * W + iw) * C + c];
              if (v > best) best = v;
            }
          }
          out[o + c] = best;
        }
      }
    }
  }
}

/** Routes each output gradient to the first cell holding the window's maximum. */
export function maxPoolGrad(dy: FloatArray, x: FloatArray, dx: FloatArray, p: Pool2DInfo): void {
  const { inHeight: H, inWidth: W, channels: C, outHeight: OH, outWidth: OW } = p;
  dx.fill(0);
  for (let b = 0; b < p.batch; b++) {
    for (let oh = 0; oh < OH; oh++) {
      const h0 = Math.max(windowStart(oh, p.strideHeight, p.padTop), 0);
      const h1 = Math.min(windowStart(oh, p.strideHeight, p.padTop) + p.poolHeight, H);
      for (let ow = 0; ow < OW; ow++) {
        const w0 = Math.max(windowStart(ow, p.strideWidth, p.padLeft), 0);
        const w1 = Math.min(windowStart(ow, p.strideWidth, p.padLeft) + p.poolWidth, W);
        const o = ((b * OH + oh) * OW + ow) * C;
        for (let c = 0; c < C; c++) {
          let best = -Infinity;
          let bestIndex = -1;
          for (let ih = h0; ih < h1; ih++) {
            for (let iw = w0; iw < w1; iw++) {
              const i = ((b * H + ih) * W + iw) * C + c;
              if (x[i] > best) {
                best = x[i];
                bestIndex = i;
              }
            }
          }
          if (bestIndex >= 0) dx[bestIndex] += dy[o + c];
        }
      }
    }
  }
}

export function avgPool(x: FloatArray, out: FloatArray, p: Pool2DInfo): void {
  const { inHeight: H, inWidth: W, channels: C, outHeight: OH, outWidth: OW } = p;
  for (let b = 0; b < p.batch; b++) {
    for (let oh = 0; oh < OH; oh++) {
      const h0 = Math.max(windowStart(oh, p.strideHeight, p.padTop), 0);
      const h1 = Math.min(windowStart(oh, p.strideHeight, p.padTop) + p.poolHeight, H);
      for (let ow = 0; ow < OW; ow++) {
        const w0 = Math.max(windowStart(ow, p.strideWidth, p.padLeft), 0);
        const w1 = Math.min(windowStart(ow, p.strideWidth, p.padLeft) + p.poolWidth, W);
        const count = (h1 - h0) * (w1 - w0);
        const o = ((b * OH + oh) * OW + ow) * C;
        for (let c = 0; c < C; c++) {
          let s = 0;
          for (let ih = h0; ih < h1; ih++) {
            for (let iw = w0; iw < w1; iw++) s += x[((b * H + ih) * W + iw) * C + c];
          }
          out[o + c] = s / count;
        }
      }
    }
  }
}

export function avgPoolGrad(dy: FloatArray, dx: FloatArray, p: Pool2DInfo): void {
  const { inHeight: H, inWidth: W, channels: C, outHeight: OH, outWidth: OW } = p;
  dx.fill(0);
  for (let b = 0; b < p.batch; b++) {
    for (let oh = 0; oh < OH; oh++) {
      const h0 = Math.max(windowStart(oh, p.strideHeight, p.padTop), 0);
      const h1 = Math.min(windowStart(oh, p.strideHeight, p.padTop) + p.poolHeight, H);
      for (let ow = 0; ow < OW; ow++) {
        const w0 = Math.max(windowStart(ow, p.strideWidth, p.padLeft), 0);
        const w1 = Math.min(windowStart(ow, p.strideWidth, p.padLeft) + p.poolWidth, W);
        const count = (h1 - h0) * (w1 - w0);
        const o = ((b * OH + oh) * OW + ow) * C;
        for (let c = 0; c < C; c++) {
          const g = dy[o + c] / count;
          for (let ih = h0; ih < h1; ih++) {
            for (let iw = w0; iw < w1; iw++) dx[((b * H + ih) * W + iw) * C + c] += g;
          }
        }
      }
    }
  }
}
