import type { Conv2DInfo } from '../backend.js';
import type { FloatArray } from '../../tensor/dtype.js';

/*
 * Direct convolution over NHWC input and HWIO filters. The innermost loop runs over output
 * channels, which are contiguous in both the filter and the output, so it vectorises well in
 * V8 and needs no im2col scratch memory. Padding is expressed by the (possibly negative)
 * top-left input coordinate of each window.
 */

export function conv2d(x: FloatArray, w: FloatArray, out: FloatArray, c: Conv2DInfo): void {
  const { inHeight: H, inWidth: W, inChannels: CI, outHeight: OH, outWidth: OW, outChannels: CO } = c;
  out.fill(0);
  for (let b = 0; b < c.batch; b++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        const o = ((b * OH + oh) * OW + ow) * CO;
        for (let kh = 0; kh < c.kernelHeight; kh++) {
          const ih = oh * c.strideHeight - c.padTop + kh * c.dilationHeight;
          if (ih < 0 || ih >= H) continue;
          for (let kw = 0; kw < c.kernelWidth; kw++) {
            const iw = ow * c.strideWidth - c.padLeft + kw * c.dilationWidth;
            if (iw < 0 || iw >= W) continue;
            const xi = ((b * H + ih) * W + iw) * CI;
            const wi = (kh * c.kernelWidth + kw) * CI * CO;
            for (let ci = 0; ci < CI; ci++) {
              const xv = x[xi + ci];
              if (xv === 0) continue;
              const wr = wi + ci * CO;
              for (let co = 0; co < CO; co++) out[o + co] += xv * w[wr + co];
            }
          }
        }
      }
    }
  }
}

export function conv2dBackpropInput(dy: FloatArray, w: FloatArray, dx: FloatArray, c: Conv2DInfo): void {
  const { inHeight: H, inWidth: W, inChannels: CI, outHeight: OH, outWidth: OW, outChannels: CO } = c;
  dx.fill(0);
  for (let b = 0; b < c.batch; b++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        const o = ((b * OH + oh) * OW + ow) * CO;
        for (let kh = 0; kh < c.kernelHeight; kh++) {
          const ih = oh * c.strideHeight - c.padTop + kh * c.dilationHeight;
          if (ih < 0 || ih >= H) continue;
          for (let kw = 0; kw < c.kernelWidth; kw++) {
            const iw = ow * c.strideWidth - c.padLeft + kw * c.dilationWidth;
            if (iw < 0 || iw >= W) continue;
            const xi = ((b * H + ih) * W + iw) * CI;
            const wi = (kh * c.kernelWidth + kw) * CI * CO;
            for (let ci = 0; ci < CI; ci++) {
              const wr = wi + ci * CO;
              let s = 0;
              for (let co = 0; co < CO; co++) s += dy[o + co] * w[wr + co];
              dx[xi + ci] += s;
            }
          }
        }
      }
    }
  }
}

export function conv2dBackpropFilter(x: FloatArray, dy: FloatArray, dw: FloatArray, c: Conv2DInfo): void {
  const { inHeight: H, inWidth: W, inChannels: CI, outHeight: OH, outWidth: OW, outChannels: CO } = c;
  dw.fill(0);
  for (let b = 0; b < c.batch; b++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        const o = ((b * OH + oh) * OW + ow) * CO;
        for (let kh = 0; kh < c.kernelHeight; kh++) {
          const ih = oh * c.strideHeight - c.padTop + kh * c.dilationHeight;
          if (ih < 0 || ih >= H) continue;
          for (let kw = 0; kw < c.kernelWidth; kw++) {
            const iw = ow * c.strideWidth - c.padLeft + kw * c.dilationWidth;
            if (iw < 0 || iw >= W) continue;
            const xi = ((b * H + ih) * W + iw) * CI;
            const wi = (kh * c.kernelWidth + kw) * CI * CO;
            for (let ci = 0; ci < CI; ci++) {
              const xv = x[xi + ci];
              if (xv === 0) continue;
              const wr = wi + ci * CO;
              for (let co = 0; co < CO; co++) dw[wr + co] += xv * dy[o + co];
            }
          }
        }
      }
    }
  }
}
