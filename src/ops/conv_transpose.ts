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

/**
 * Output length along one axis, as Keras's compute_conv_transpose_output_length: without
 * output_padding it follows from strides and padding; with it, (in - 1) * stride + dilated
 * kernel - 2 * pad + output_padding, pad being half the dilated kernel for 'same'.
 */
export function deconvLength(inLength: number, kernel: number, stride: number, dilation: number, padding: Padding, outputPadding: number | null = null): number {
  const effective = (kernel - 1) * dilation + 1;
  if (outputPadding === null) return padding === 'valid' ? inLength * stride + Math.max(effective - stride, 0) : inLength * stride;
  const pad = padding === 'same' ? Math.floor(effective / 2) : 0;
  return (inLength - 1) * stride + effective - 2 * pad + outputPadding;
}

export interface Conv2DTransposeOptions {
  strides?: number | [number, number];
  padding?: Padding;
  dilations?: number | [number, number];
  /** Extra rows and columns at the end of the output (Keras's output_padding); each below its stride. */
  outputPadding?: number | [number, number] | null;
}

/** Keras's output_padding: null, or a non-negative integer (pair) below the stride on each axis. */
export function normalizeOutputPadding(value: number | readonly number[] | null | undefined, strides: [number, number], what: string): [number, number] | null {
  if (value === undefined || value === null) return null;
  const pair = typeof value === 'number' ? [value, value] : Array.isArray(value) && value.length === 2 ? [...value] : null;
  if (!pair || pair.some((v) => !Number.isInteger(v) || v < 0)) throw new Error(`${what}: outputPadding must be null, a non-negative integer or a pair of them, received ${JSON.stringify(value)}`);
  if (pair.some((v, i) => v >= strides[i])) {
    throw new Error(`${what}: outputPadding ${JSON.stringify(value)} must be less than the strides ${JSON.stringify(strides)} on each axis (as in Keras)`);
  }
  return [pair[0], pair[1]];
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
  const outputPadding = normalizeOutputPadding(options.outputPadding, strides, 'Conv2DTranspose');
  const [n, h, w] = x.shape;
  const length = (axis: 0 | 1) => deconvLength(x.shape[axis + 1], filter.shape[axis], strides[axis], dilations[axis], padding, outputPadding?.[axis] ?? null);
  const outShape = [n, length(0), length(1), filter.shape[2]];
  // The convolution whose input gradient this is: from outShape back to x's shape.
  const info = conv2dInfo(outShape, filter.shape, strides, padding, dilations);
  if (info.outHeight !== h || info.outWidth !== w || outShape[1] < 1 || outShape[2] < 1) {
    // Keras's output length with an even kernel, 'same' padding and no output padding, for one.
    throw new Error(`Conv2DTranspose: an output of ${formatShape(outShape)} (kernel ${filter.shape[0]}x${filter.shape[1]}, strides ${strides}, dilations ${dilations}, padding '${padding}', outputPadding ${JSON.stringify(outputPadding)}) does not convolve back to the input ${formatShape(x.shape)}; TensorFlow refuses this too. Change outputPadding or the kernel size`);
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
