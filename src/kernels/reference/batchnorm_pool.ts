import type { Pool2DInfo } from '../backend.js';
import type { FloatArray } from '../../tensor/dtype.js';
import { batchNormApply, batchNormReluGrad, batchNormTrain } from './batchnorm.js';
import { maxPool, maxPoolGrad } from './pool.js';

/*
 * Batch normalization + ReLU + max pooling in training mode, as the three kernels one after the
 * other: the oracle of the fused kernels (assembly/batchnorm_relu_pool.ts).
 */

function like(a: FloatArray, length: number): FloatArray {
  return new (a.constructor as Float32ArrayConstructor)(length);
}

export function batchNormReluMaxPool(
  x: FloatArray, gamma: FloatArray | null, beta: FloatArray | null, out: FloatArray,
  mean: FloatArray, variance: FloatArray, invStd: FloatArray, epsilon: number, info: Pool2DInfo,
): void {
  const c = info.channels;
  const y = like(x, x.length);
  batchNormTrain(x, gamma, beta, y, mean, variance, invStd, c === 0 ? 0 : x.length / c, c, epsilon, true);
  maxPool(y, out, info);
}

export function batchNormReluMaxPoolGrad(
  dy: FloatArray, x: FloatArray, mean: FloatArray, invStd: FloatArray, gamma: FloatArray | null, beta: FloatArray | null,
  dx: FloatArray | null, sumDy: FloatArray, sumDyXhat: FloatArray, info: Pool2DInfo,
): void {
  const c = info.channels;
  const rows = c === 0 ? 0 : x.length / c;
  // The forward's ReLU output again: batchNormTrain wrote it with batchNormApply and these statistics.
  const y = like(x, x.length);
  batchNormApply(x, mean, invStd, gamma, beta, y, rows, c, true);
  const dyFull = like(x, x.length);
  maxPoolGrad(dy, y, dyFull, info);
  batchNormReluGrad(dyFull, x, y, mean, invStd, gamma, beta, dx, sumDy, sumDyXhat, rows, c);
}
