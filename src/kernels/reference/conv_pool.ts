import type { Conv2DInfo, Pool2DInfo } from '../backend.js';
import type { FloatArray } from '../../tensor/dtype.js';
import { conv2d } from './conv.js';
import { biasAdd } from './elementwise.js';
import { maxPool } from './pool.js';

/*
 * Conv2D (+ bias, + ReLU) then max pooling, in inference, as the three kernels one after the
 * other: the oracle of the fused kernel (assembly/conv_pool.ts).
 */
export function conv2dMaxPool(
  x: FloatArray, filter: FloatArray, bias: FloatArray | null, out: FloatArray, conv: Conv2DInfo, pool: Pool2DInfo, relu: boolean,
): void {
  const make = (n: number): FloatArray => new (x.constructor as Float32ArrayConstructor)(n);
  const y = make(conv.batch * conv.outHeight * conv.outWidth * conv.outChannels);
  conv2d(x, filter, y, conv);
  if (bias) biasAdd(y, bias, y, relu);
  else if (relu) for (let i = 0; i < y.length; i++) y[i] = y[i] <= 0 ? 0 : y[i];
  maxPool(y, out, pool);
}
