import { isRecording, record, type TapeNode } from '../autograd/tape.js';
import { kernels } from '../kernels/registry.js';
import { allocateFloat, allocateKernelOutput, type FloatArray, type FloatDType } from '../tensor/dtype.js';
import { formatShape } from '../tensor/shape.js';
import { Tensor, scalar } from '../tensor/tensor.js';
import { floatStorage, mul } from './arithmetic.js';
import { relu as reluOp } from './nn.js';

/*
 * Fused batch normalization over the last (channel) axis. One kernel computes the statistics and
 * the output, and one the gradient of every input, instead of the dozen full-size intermediates
 * that composing mean, sub, square, sqrt, div, mul and add would create. gamma and beta are
 * optional (Keras's scale=false and center=false).
 */

export interface BatchNormResult {
  y: Tensor;
  /** The batch's per-channel mean and biased variance, for the moving averages. */
  mean: Tensor;
  variance: Tensor;
}

export function checkOperands(name: string, x: Tensor, vectors: [string, Tensor | null][]): { dtype: FloatDType; channels: number; rows: number } {
  floatStorage(x, name);
  if (x.rank < 1) throw new Error(`${name}: expected an input of rank 1 or more with channels last, received a scalar`);
  const channels = x.shape[x.rank - 1];
  for (const [what, v] of vectors) {
    if (!v) continue;
    if (v.dtype !== x.dtype) throw new Error(`${name}: ${what} is ${v.dtype} but the input is ${x.dtype}; cast one of them first`);
    if (v.rank !== 1 || v.shape[0] !== channels) {
      throw new Error(`${name}: ${what} of shape ${formatShape(v.shape)} does not match the last axis of input ${formatShape(x.shape)}; expected [${channels}]`);
    }
  }
  return { dtype: x.dtype as FloatDType, channels, rows: channels === 0 ? 0 : x.size / channels };
}

const data = (t: Tensor | null): FloatArray | null => (t ? (t.storage as FloatArray) : null);

/**
 * Training mode: normalizes with the batch's own mean and biased variance over all but the last
 * axis. With activation 'relu', relu of that in the same kernel, and a gradient that masks and
 * normalizes in two passes (the same values as relu(batchNormTraining(...).y), with fewer passes
 * over the activations and no intermediate tensor).
 */
export function batchNormTraining(x: Tensor, gamma: Tensor | null, beta: Tensor | null, epsilon: number, activation?: 'relu'): BatchNormResult {
  const relu = activation === 'relu';
  const { dtype, channels, rows } = checkOperands(relu ? 'BatchNormRelu' : 'BatchNorm', x, [['gamma', gamma], ['beta', beta]]);
  const out = allocateKernelOutput(dtype, x.size);
  const mean = allocateFloat(dtype, channels);
  const variance = allocateFloat(dtype, channels);
  const invStd = allocateFloat(dtype, channels);
  kernels().batchNormTrain(x.storage as FloatArray, data(gamma), data(beta), out, mean, variance, invStd, rows, channels, epsilon, relu);
  const y = new Tensor(out, x.shape);
  const inputs = [x, gamma, beta].filter((t): t is Tensor => t !== null);
  record(relu ? 'BatchNormRelu' : 'BatchNorm', inputs, y, { hasGamma: gamma !== null, hasBeta: beta !== null, mean, invStd });
  return { y, mean: new Tensor(mean, [channels]), variance: new Tensor(variance, [channels]) };
}

/**
 * moving ← moving·momentum + batch·(1 − momentum), in place, as kernels: a queued training step
 * then goes on without waiting for the batch statistics (reading them from JavaScript would).
 */
export function updateMovingAverage(moving: Tensor, batch: Tensor, momentum: number): void {
  const dtype = moving.dtype as FloatDType;
  const shape = moving.shape;
  const k = kernels();
  const kept = allocateKernelOutput(dtype, moving.size);
  const added = allocateKernelOutput(dtype, moving.size);
  k.binary('mul', moving.storage as FloatArray, shape, scalar(momentum, dtype).storage as FloatArray, [], kept, shape);
  k.binary('mul', batch.storage as FloatArray, shape, scalar(1 - momentum, dtype).storage as FloatArray, [], added, shape);
  k.binary('add', kept, shape, added, shape, moving.storage as FloatArray, shape);
}

/**
 * Inference mode: normalizes with given statistics (the moving averages); differentiable in all
 * of them. With activation 'relu', relu of that in the same kernel (and a relu node on the tape).
 */
export function batchNormInference(x: Tensor, mean: Tensor, variance: Tensor, gamma: Tensor | null, beta: Tensor | null, epsilon: number, activation?: 'relu'): Tensor {
  // While a tape records (a frozen layer being fine-tuned), two ops, each with its gradient rule.
  const relu = activation === 'relu';
  if (relu && isRecording()) return reluOp(batchNormInference(x, mean, variance, gamma, beta, epsilon));
  const { dtype, channels, rows } = checkOperands('BatchNormInference', x, [['mean', mean], ['variance', variance], ['gamma', gamma], ['beta', beta]]);
  const invStd = allocateFloat(dtype, channels);
  const v = variance.data as FloatArray;
  for (let j = 0; j < channels; j++) invStd[j] = 1 / Math.sqrt(v[j] + epsilon);
  const out = allocateKernelOutput(dtype, x.size);
  kernels().batchNormApply(x.storage as FloatArray, mean.storage as FloatArray, invStd, data(gamma), data(beta), out, rows, channels, relu);
  const y = new Tensor(out, x.shape);
  const inputs = [x, mean, variance, gamma, beta].filter((t): t is Tensor => t !== null);
  record('BatchNormInference', inputs, y, { hasGamma: gamma !== null, hasBeta: beta !== null, invStd });
  return y;
}

interface GradParts {
  dx: Tensor | null;
  sumDy: Tensor;
  sumDyXhat: Tensor;
  gamma: Tensor | null;
  invStd: FloatArray;
}

function gradParts(dy: Tensor, x: Tensor, mean: FloatArray, gamma: Tensor | null, invStd: FloatArray, wantDx: boolean, training: boolean): GradParts {
  const channels = x.shape[x.rank - 1];
  const rows = channels === 0 ? 0 : x.size / channels;
  const dtype = x.dtype as FloatDType;
  const dx = wantDx ? allocateKernelOutput(dtype, x.size) : null;
  const sumDy = allocateFloat(dtype, channels);
  const sumDyXhat = allocateFloat(dtype, channels);
  kernels().batchNormGrad(dy.storage as FloatArray, x.storage as FloatArray, mean, invStd, data(gamma), dx, sumDy, sumDyXhat, rows, channels, training);
  return {
    dx: dx ? new Tensor(dx, x.shape) : null,
    sumDy: new Tensor(sumDy, [channels]),
    sumDyXhat: new Tensor(sumDyXhat, [channels]),
    gamma,
    invStd,
  };
}

/** Gradient rule of 'BatchNorm': inputs are [x, gamma?, beta?]. */
export function batchNormGradient(dy: Tensor, { inputs, attrs, needsGrad }: TapeNode): (Tensor | null)[] {
  const gamma = attrs.hasGamma ? inputs[1] : null;
  const p = gradParts(dy, inputs[0], attrs.mean as FloatArray, gamma, attrs.invStd as FloatArray, needsGrad[0], true);
  const grads: (Tensor | null)[] = [p.dx];
  if (attrs.hasGamma) grads.push(p.sumDyXhat);
  if (attrs.hasBeta) grads.push(p.sumDy);
  return grads;
}

/** Gradient rule of 'BatchNormRelu' (batchNormTraining with relu): inputs are [x, gamma?, beta?]. */
export function batchNormReluGradient(dy: Tensor, { inputs, output, attrs, needsGrad }: TapeNode): (Tensor | null)[] {
  const x = inputs[0];
  const gamma = attrs.hasGamma ? inputs[1] : null;
  const beta = attrs.hasBeta ? inputs[attrs.hasGamma ? 2 : 1] : null;
  const channels = x.shape[x.rank - 1];
  const rows = channels === 0 ? 0 : x.size / channels;
  const dtype = x.dtype as FloatDType;
  const dx = needsGrad[0] ? allocateKernelOutput(dtype, x.size) : null;
  const sumDy = allocateFloat(dtype, channels);
  const sumDyXhat = allocateFloat(dtype, channels);
  kernels().batchNormReluGrad(dy.storage as FloatArray, x.storage as FloatArray, output.storage as FloatArray, attrs.mean as FloatArray,
    attrs.invStd as FloatArray, data(gamma), data(beta), dx, sumDy, sumDyXhat, rows, channels);
  const grads: (Tensor | null)[] = [dx ? new Tensor(dx, x.shape) : null];
  if (attrs.hasGamma) grads.push(new Tensor(sumDyXhat, [channels]));
  if (attrs.hasBeta) grads.push(new Tensor(sumDy, [channels]));
  return grads;
}

/** Gradient rule of 'BatchNormInference': inputs are [x, mean, variance, gamma?, beta?]. */
export function batchNormInferenceGradient(dy: Tensor, { inputs, attrs, needsGrad }: TapeNode): (Tensor | null)[] {
  const [x, mean] = inputs;
  const gamma = attrs.hasGamma ? inputs[3] : null;
  const invStd = attrs.invStd as FloatArray;
  const p = gradParts(dy, x, mean.storage as FloatArray, gamma, invStd, needsGrad[0], false);
  let dMean: Tensor | null = null;
  let dVariance: Tensor | null = null;
  if (needsGrad[1] || needsGrad[2]) {
    // y = (x - mean)·gamma·s + beta with s = (variance + eps)^-1/2, so per channel
    // dL/dmean = -gamma·s·Σdy and dL/dvariance = -gamma·s²/2 · Σ dy·xhat.
    const dtype = x.dtype as FloatDType;
    const channels = invStd.length;
    const gs = allocateFloat(dtype, channels);
    const halfGs2 = allocateFloat(dtype, channels);
    for (let j = 0; j < channels; j++) {
      const g = gamma ? gamma.data[j] : 1;
      gs[j] = -g * invStd[j];
      halfGs2[j] = -0.5 * g * invStd[j] * invStd[j];
    }
    dMean = needsGrad[1] ? mul(p.sumDy, new Tensor(gs, [channels])) : null;
    dVariance = needsGrad[2] ? mul(p.sumDyXhat, new Tensor(halfGs2, [channels])) : null;
  }
  const grads: (Tensor | null)[] = [p.dx, dMean, dVariance];
  if (attrs.hasGamma) grads.push(p.sumDyXhat);
  if (attrs.hasBeta) grads.push(p.sumDy);
  return grads;
}
