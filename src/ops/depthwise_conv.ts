import { record } from '../autograd/tape.js';
import type { Conv2DInfo } from '../kernels/backend.js';
import { kernels } from '../kernels/registry.js';
import { allocateKernelOutput, type FloatArray, type FloatDType } from '../tensor/dtype.js';
import { formatShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { sameFloatDType } from './arithmetic.js';
import type { Conv2DOptions } from './nn.js';
import { conv2dInfo, normalizePadding, normalizePair } from './conv_util.js';

/**
 * Depthwise 2-D convolution (`tf.depthwiseConv2d`): each input channel c is convolved with its
 * own filters [kh, kw, c, m], giving output channel c·multiplier + m. The kernels are the
 * backend's (reference loops in src/kernels/reference/depthwise.ts, SIMD in assembly/depthwise.ts).
 */

export interface DepthwiseInfo extends Conv2DInfo {
  multiplier: number;
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
  const out = allocateKernelOutput(dtype, info.batch * info.outHeight * info.outWidth * info.outChannels);
  kernels().depthwiseConv2d(x.storage as FloatArray, filter.storage as FloatArray, out, info);
  const y = new Tensor(out, [info.batch, info.outHeight, info.outWidth, info.outChannels]);
  record('DepthwiseConv2D', [x, filter], y, { info });
  return y;
}

/** dL/dx and dL/dfilter, each only where asked for. */
export function depthwiseConv2dGrad(dy: Tensor, x: Tensor, filter: Tensor, info: DepthwiseInfo, needX: boolean, needFilter: boolean): [Tensor | null, Tensor | null] {
  let dx: Tensor | null = null;
  let dFilter: Tensor | null = null;
  if (needX) {
    dx = new Tensor(allocateKernelOutput(x.dtype as FloatDType, x.size), x.shape);
    kernels().depthwiseConv2dBackpropInput(dy.storage as FloatArray, filter.storage as FloatArray, dx.storage as FloatArray, info);
  }
  if (needFilter) {
    dFilter = new Tensor(allocateKernelOutput(filter.dtype as FloatDType, filter.size), filter.shape);
    kernels().depthwiseConv2dBackpropFilter(x.storage as FloatArray, dy.storage as FloatArray, dFilter.storage as FloatArray, info);
  }
  return [dx, dFilter];
}
