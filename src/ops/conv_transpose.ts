import { record } from '../autograd/tape.js';
import type { Conv2DInfo } from '../kernels/backend.js';
import { kernels } from '../kernels/registry.js';
import { allocateKernelOutput, allocateFloat, type FloatArray, type FloatDType } from '../tensor/dtype.js';
import { formatShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { sameFloatDType } from './arithmetic.js';
import { conv2dInfo, normalizePadding, normalizePair, type Padding } from './conv_util.js';

/**
 * Transposed 2-D convolution (`tf.conv2dTranspose`, Keras's Conv2DTranspose): the gradient of
 * a convolution with respect to its input, run forward. So it runs on the backends' conv kernels
 * (wasm included): forward is conv2dBackpropInput, its input gradient is conv2d, its filter
 * gradient conv2dBackpropFilter with the roles of x and dy swapped.
 */

/** Output length along one axis, as Keras's deconv_output_length with output_padding None. */
export function deconvLength(inLength: number, kernel: number, stride: number, dilation: number, padding: Padding): number {
  const effective = (kernel - 1) * dilation + 1;
  return padding === 'valid' ? inLength * stride + Math.max(effective - stride, 0) : inLength * stride;
}

export interface Conv2DTransposeOptions {
  strides?: number | [number, number];
  padding?: Padding;
  dilations?: number | [number, number];
}

/** x [n, h, w, in], filter [kh, kw, out, in] (Keras's kernel layout) → [n, h', w', out]. */
export function conv2dTranspose(x: Tensor, filter: Tensor, options: Conv2DTransposeOptions = {}): Tensor {
  const dtype = sameFloatDType(x, filter, 'Conv2DTranspose');
  if (x.rank !== 4) throw new Error(`Conv2DTranspose: expected input of rank 4 [batch, height, width, channels], received shape ${formatShape(x.shape)}`);
  if (filter.rank !== 4 || filter.shape[3] !== x.shape[3]) {
    throw new Error(`Conv2DTranspose: expected a filter [height, width, filters, ${x.shape[3]}] for input ${formatShape(x.shape)}, received ${formatShape(filter.shape)}`);
  }
  const strides = normalizePair(options.strides ?? 1, 'strides');
  const dilations = normalizePair(options.dilations ?? 1, 'dilations');
  if ((strides[0] > 1 || strides[1] > 1) && (dilations[0] > 1 || dilations[1] > 1)) {
    throw new Error('Conv2DTranspose: strides > 1 together with dilations > 1 is not supported (as in TensorFlow)');
  }
  const padding = normalizePadding(options.padding ?? 'valid');
  const [n, h, w] = x.shape;
  const outShape = [n, deconvLength(h, filter.shape[0], strides[0], dilations[0], padding), deconvLength(w, filter.shape[1], strides[1], dilations[1], padding), filter.shape[2]];
  // The convolution whose input gradient this is: from outShape back to x's shape.
  const info = conv2dInfo(outShape, filter.shape, strides, padding, dilations);
  if (info.outHeight !== h || info.outWidth !== w) {
    throw new Error(`Conv2DTranspose: internal error: output ${formatShape(outShape)} does not convolve back to ${formatShape(x.shape)}`);
  }
  const out = allocateKernelOutput(dtype, outShape.reduce((p, d) => p * d, 1));
  kernels().conv2dBackpropInput(x.storage as FloatArray, filter.storage as FloatArray, out, info);
  const y = new Tensor(out, outShape);
  record('Conv2DTranspose', [x, filter], y, { info });
  return y;
}

export function conv2dTransposeGrad(dy: Tensor, x: Tensor, filter: Tensor, info: Conv2DInfo, needX: boolean, needFilter: boolean): [Tensor | null, Tensor | null] {
  let dx: Tensor | null = null;
  let dFilter: Tensor | null = null;
  if (needX) {
    const out = allocateKernelOutput(x.dtype as FloatDType, x.size);
    kernels().conv2d(dy.storage as FloatArray, filter.storage as FloatArray, out, info);
    dx = new Tensor(out, x.shape);
  }
  if (needFilter) {
    const out = allocateFloat(filter.dtype as FloatDType, filter.size);
    kernels().conv2dBackpropFilter(dy.storage as FloatArray, x.storage as FloatArray, out, info);
    dFilter = new Tensor(out, filter.shape);
  }
  return [dx, dFilter];
}
