import { record } from '../autograd/tape.js';
import type { Conv2DInfo } from '../kernels/backend.js';
import { allocateFloat, type FloatArray, type FloatDType } from '../tensor/dtype.js';
import { formatShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { sameFloatDType } from './arithmetic.js';
import type { Conv2DOptions } from './nn.js';
import { conv2dInfo, normalizePadding, normalizePair } from './conv_util.js';

/**
 * Depthwise 2-D convolution (`tf.depthwiseConv2d`): each input channel c is convolved with its
 * own filters [kh, kw, c, m], giving output channel c·multiplier + m. Reference loops; MobileNet
 * spends little of its time here next to the 1x1 convolutions, which run on the conv2d kernels.
 */

export interface DepthwiseInfo extends Conv2DInfo {
  multiplier: number;
}

type Mode = 'forward' | 'input' | 'filter';

/**
 * The one loop nest of all three kernels: every output cell, every kernel tap inside the image,
 * then the channel block, where only the innermost statement depends on the mode:
 * forward y += x·w, input gradient dx += dy·w, filter gradient dw += dy·x. (One function with
 * a mode rather than three callbacks keeps the hot loop monomorphic for the JIT.)
 */
function depthwiseLoops(mode: Mode, info: DepthwiseInfo, y: FloatArray, x: FloatArray, w: FloatArray): void {
  const { batch, inHeight, inWidth, inChannels: C, outHeight, outWidth, multiplier: M } = info;
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

export function depthwiseConv2d(x: Tensor, filter: Tensor, options: Conv2DOptions = {}): Tensor {
  const dtype = sameFloatDType(x, filter, 'DepthwiseConv2D');
  if (x.rank !== 4) throw new Error(`DepthwiseConv2D: expected input of rank 4 [batch, height, width, channels], received shape ${formatShape(x.shape)}`);
  if (filter.rank !== 4 || filter.shape[2] !== x.shape[3]) {
    throw new Error(`DepthwiseConv2D: expected a filter [height, width, ${x.shape[3]}, multiplier] for input ${formatShape(x.shape)}, received ${formatShape(filter.shape)}`);
  }
  const strides = normalizePair(options.strides ?? 1, 'strides');
  const dilations = normalizePair(options.dilations ?? 1, 'dilations');
  if ((strides[0] > 1 || strides[1] > 1) && (dilations[0] > 1 || dilations[1] > 1)) {
    throw new Error('DepthwiseConv2D: strides > 1 together with dilations > 1 is not supported (as in TensorFlow)');
  }
  const multiplier = filter.shape[3];
  const base = conv2dInfo(x.shape, [filter.shape[0], filter.shape[1], x.shape[3], x.shape[3] * multiplier], strides, normalizePadding(options.padding ?? 'valid'), dilations);
  const info: DepthwiseInfo = { ...base, multiplier };
  if (info.outHeight <= 0 || info.outWidth <= 0) {
    throw new Error(`DepthwiseConv2D: a ${filter.shape[0]}x${filter.shape[1]} kernel does not fit input ${formatShape(x.shape)} with 'valid' padding`);
  }
  const xs = x.data;
  const fs = filter.data;
  const out = allocateFloat(dtype, info.batch * info.outHeight * info.outWidth * info.outChannels);
  depthwiseLoops('forward', info, out, xs as FloatArray, fs as FloatArray);
  const y = new Tensor(out, [info.batch, info.outHeight, info.outWidth, info.outChannels]);
  record('DepthwiseConv2D', [x, filter], y, { info });
  return y;
}

/** dL/dx and dL/dfilter, each only where asked for. */
export function depthwiseConv2dGrad(dy: Tensor, x: Tensor, filter: Tensor, info: DepthwiseInfo, needX: boolean, needFilter: boolean): [Tensor | null, Tensor | null] {
  const g = dy.data;
  const xs = x.data;
  const fs = filter.data;
  const dx = needX ? allocateFloat(x.dtype as FloatDType, x.size) : null;
  const df = needFilter ? allocateFloat(filter.dtype as FloatDType, filter.size) : null;
  if (dx) depthwiseLoops('input', info, g as FloatArray, dx, fs as FloatArray);
  if (df) depthwiseLoops('filter', info, g as FloatArray, xs as FloatArray, df);
  return [dx ? new Tensor(dx, x.shape) : null, df ? new Tensor(df, filter.shape) : null];
}
