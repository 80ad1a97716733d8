import type { Conv2DInfo } from '../backend.js';
import type { FloatArray } from '../../tensor/dtype.js';

/*
 * Direct convolution over NHWC input and HWIO filters. Every kernel walks the same list of
 * "taps" — (output pixel, input pixel, filter position) triples that fall inside the input —
 * so padding, strides and dilation are handled once, in convolutionTaps, and the loops below
 * only multiply and add. The innermost loops run over channels, contiguous in memory.
 */

/** Flat triples [outPixel, inPixel, filterTap] for one image; padded positions are left out. */
export function convolutionTaps(c: Conv2DInfo): Int32Array {
  const taps: number[] = [];
  for (let oh = 0; oh < c.outHeight; oh++) {
    for (let ow = 0; ow < c.outWidth; ow++) {
      for (let kh = 0; kh < c.kernelHeight; kh++) {
        const ih = oh * c.strideHeight - c.padTop + kh * c.dilationHeight;
        if (ih < 0 || ih >= c.inHeight) continue;
        for (let kw = 0; kw < c.kernelWidth; kw++) {
          const iw = ow * c.strideWidth - c.padLeft + kw * c.dilationWidth;
          if (iw < 0 || iw >= c.inWidth) continue;
          taps.push(oh * c.outWidth + ow, ih * c.inWidth + iw, kh * c.kernelWidth + kw);
        }
      }
    }
  }
  return Int32Array.from(taps);
}

export function conv2d(x: FloatArray, w: FloatArray, out: FloatArray, c: Conv2DInfo): void {
  const { inChannels: CI, outChannels: CO } = c;
  const taps = convolutionTaps(c);
  const inPixels = c.inHeight * c.inWidth;
  const outPixels = c.outHeight * c.outWidth;
  out.fill(0);
  for (let b = 0; b < c.batch; b++) {
    for (let t = 0; t < taps.length; t += 3) {
      const o = (b * outPixels + taps[t]) * CO;
      const xi = (b * inPixels + taps[t + 1]) * CI;
      const wi = taps[t + 2] * CI * CO;
      for (let ci = 0; ci < CI; ci++) {
        const xv = x[xi + ci];
        if (xv === 0) continue;
        const wr = wi + ci * CO;
        for (let co = 0; co < CO; co++) out[o + co] += xv * w[wr + co];
      }
    }
  }
}

export function conv2dBackpropInput(dy: FloatArray, w: FloatArray, dx: FloatArray, c: Conv2DInfo): void {
  const { inChannels: CI, outChannels: CO } = c;
  const taps = convolutionTaps(c);
  const inPixels = c.inHeight * c.inWidth;
  const outPixels = c.outHeight * c.outWidth;
  dx.fill(0);
  for (let b = 0; b < c.batch; b++) {
    for (let t = 0; t < taps.length; t += 3) {
      const o = (b * outPixels + taps[t]) * CO;
      const xi = (b * inPixels + taps[t + 1]) * CI;
      const wi = taps[t + 2] * CI * CO;
      for (let ci = 0; ci < CI; ci++) {
        const wr = wi + ci * CO;
        let s = 0;
        for (let co = 0; co < CO; co++) s += dy[o + co] * w[wr + co];
        dx[xi + ci] += s;
      }
    }
  }
}

export function conv2dBackpropFilter(x: FloatArray, dy: FloatArray, dw: FloatArray, c: Conv2DInfo): void {
  const { inChannels: CI, outChannels: CO } = c;
  const taps = convolutionTaps(c);
  const inPixels = c.inHeight * c.inWidth;
  const outPixels = c.outHeight * c.outWidth;
  dw.fill(0);
  for (let b = 0; b < c.batch; b++) {
    for (let t = 0; t < taps.length; t += 3) {
      const o = (b * outPixels + taps[t]) * CO;
      const xi = (b * inPixels + taps[t + 1]) * CI;
      const wi = taps[t + 2] * CI * CO;
      for (let ci = 0; ci < CI; ci++) {
        const xv = x[xi + ci];
        if (xv === 0) continue;
        const wr = wi + ci * CO;
        for (let co = 0; co < CO; co++) dw[wr + co] += xv * dy[o + co];
      }
    }
  }
}
