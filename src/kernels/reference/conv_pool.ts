import type { Backend, Conv2DInfo, Pool2DInfo } from '../backend.js';
import type { FloatArray } from '../../tensor/dtype.js';
import { conv2d } from './conv.js';
import { biasAdd, unary } from './elementwise.js';
import { maxPool } from './pool.js';

/*
 * Conv2D (+ bias, + ReLU) then max pooling, in inference, as the three kernels one after the
 * other: the oracle of the fused kernel (assembly/conv_pool.ts), and what a backend runs where
 * it does not fuse.
 */

/** The kernels of `k` one after the other; y (the convolution's output) is a temporary. */
export function convThenMaxPool(
  k: Pick<Backend, 'conv2d' | 'biasAdd' | 'unary' | 'maxPool'>, y: FloatArray,
  x: FloatArray, filter: FloatArray, bias: FloatArray | null, out: FloatArray, conv: Conv2DInfo, pool: Pool2DInfo, relu: boolean,
): void {
  k.conv2d(x, filter, y, conv);
  if (bias) k.biasAdd(y, bias, y, relu);
  else if (relu) k.unary('relu', y, y, 0);
  k.maxPool(y, out, pool);
}

export function conv2dMaxPool(
  x: FloatArray, filter: FloatArray, bias: FloatArray | null, out: FloatArray, conv: Conv2DInfo, pool: Pool2DInfo, relu: boolean,
): void {
  const y = new (x.constructor as Float32ArrayConstructor)(conv.batch * conv.outHeight * conv.outWidth * conv.outChannels);
  convThenMaxPool({ conv2d, biasAdd, unary, maxPool }, y, x, filter, bias, out, conv, pool, relu);
}
