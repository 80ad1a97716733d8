import { record, type TapeNode } from '../autograd/tape.js';
import type { Pool2DInfo } from '../kernels/backend.js';
import { kernels } from '../kernels/registry.js';
import { allocateFloat, allocateKernelOutput, type FloatArray, type FloatDType } from '../tensor/dtype.js';
import { formatShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { batchNormTraining, checkOperands, type BatchNormResult } from './batchnorm.js';
import { normalizePadding, normalizePair, pool2dInfo, poolTilesExactly } from './conv_util.js';
import { maxPool, type Pool2DOptions } from './nn.js';

/*
 * maxPool(relu(batchNormTraining(x))) as one op, for the conv → BN → ReLU → pool stages of VGG-style
 * networks: where the pool's windows tile the input exactly, the kernels never write the
 * full-size ReLU output (the pool reads the normalised values as they are made) and the gradient
 * recomputes them, so a stage reads or writes a full-size tensor 2 times forward and 3 backward
 * instead of 6 and 10 (docs/performance.md). Other pool geometries run as the two ops.
 */

const data = (t: Tensor | null): FloatArray | null => (t ? (t.storage as FloatArray) : null);

/** Training mode: the pooled output, and the batch's statistics for the moving averages. */
export function batchNormReluMaxPool(x: Tensor, gamma: Tensor | null, beta: Tensor | null, epsilon: number, pool: Pool2DOptions): BatchNormResult {
  const { dtype, channels } = checkOperands('BatchNormReluMaxPool', x, [['gamma', gamma], ['beta', beta]]);
  if (x.rank !== 4) throw new Error(`BatchNormReluMaxPool: expected input of rank 4 [batch, height, width, channels], received shape ${formatShape(x.shape)}`);
  const poolSize = normalizePair(pool.poolSize, 'poolSize');
  const info = pool2dInfo(x.shape, poolSize, normalizePair(pool.strides ?? poolSize, 'strides'), normalizePadding(pool.padding ?? 'valid'));
  if (!poolTilesExactly(info)) {
    const r = batchNormTraining(x, gamma, beta, epsilon, 'relu');
    return { ...r, y: maxPool(r.y, pool) };
  }
  const out = allocateKernelOutput(dtype, info.batch * info.outHeight * info.outWidth * channels);
  const mean = allocateFloat(dtype, channels);
  const variance = allocateFloat(dtype, channels);
  const invStd = allocateFloat(dtype, channels);
  kernels().batchNormReluMaxPool(x.storage as FloatArray, data(gamma), data(beta), out, mean, variance, invStd, epsilon, info);
  const y = new Tensor(out, [info.batch, info.outHeight, info.outWidth, channels]);
  const inputs = [x, gamma, beta].filter((t): t is Tensor => t !== null);
  record('BatchNormReluMaxPool', inputs, y, { hasGamma: gamma !== null, hasBeta: beta !== null, mean, invStd, info });
  return { y, mean: new Tensor(mean, [channels]), variance: new Tensor(variance, [channels]) };
}

/** Gradient rule of 'BatchNormReluMaxPool': inputs are [x, gamma?, beta?]. */
export function batchNormReluMaxPoolGradient(dy: Tensor, { inputs, attrs, needsGrad }: TapeNode): (Tensor | null)[] {
  const x = inputs[0];
  const gamma = attrs.hasGamma ? inputs[1] : null;
  const beta = attrs.hasBeta ? inputs[attrs.hasGamma ? 2 : 1] : null;
  const channels = x.shape[x.rank - 1];
  const dtype = x.dtype as FloatDType;
  const dx = needsGrad[0] ? allocateKernelOutput(dtype, x.size) : null;
  const sumDy = allocateFloat(dtype, channels);
  const sumDyXhat = allocateFloat(dtype, channels);
  kernels().batchNormReluMaxPoolGrad(dy.storage as FloatArray, x.storage as FloatArray, attrs.mean as FloatArray, attrs.invStd as FloatArray,
    data(gamma), data(beta), dx, sumDy, sumDyXhat, attrs.info as Pool2DInfo);
  const grads: (Tensor | null)[] = [dx ? new Tensor(dx, x.shape) : null];
  if (attrs.hasGamma) grads.push(new Tensor(sumDyXhat, [channels]));
  if (attrs.hasBeta) grads.push(new Tensor(sumDy, [channels]));
  return grads;
}
