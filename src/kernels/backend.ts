import type { FloatArray, TypedArray } from '../tensor/dtype.js';
import type { StepArena } from './arena.js';

/**
 * The kernels an engine needs, forward and backward. Each kernel reads plain typed arrays and
 * writes into an output the caller allocated, so a backend never owns tensor lifetimes. A backend
 * may implement a subset: anything missing is taken from the reference backend.
 */
export type UnaryOp = 'neg' | 'exp' | 'log' | 'sqrt' | 'square' | 'abs' | 'relu' | 'tanh' | 'sigmoid' | 'elu' | 'leakyRelu' | 'reciprocal';
export type BinaryOp = 'add' | 'sub' | 'mul' | 'div' | 'maximum' | 'minimum';
/** Activations whose gradient is computed from the forward output (y) or input (x). */
export type ActivationGradOp = 'relu' | 'tanh' | 'sigmoid' | 'elu' | 'leakyRelu';

/** Geometry of a 2-D convolution over NHWC input and HWIO filters. */
export interface Conv2DInfo {
  batch: number;
  inHeight: number;
  inWidth: number;
  inChannels: number;
  outHeight: number;
  outWidth: number;
  outChannels: number;
  kernelHeight: number;
  kernelWidth: number;
  strideHeight: number;
  strideWidth: number;
  dilationHeight: number;
  dilationWidth: number;
  padTop: number;
  padLeft: number;
}

/** Geometry of a 2-D pooling over NHWC input. */
export interface Pool2DInfo {
  batch: number;
  inHeight: number;
  inWidth: number;
  channels: number;
  outHeight: number;
  outWidth: number;
  poolHeight: number;
  poolWidth: number;
  strideHeight: number;
  strideWidth: number;
  padTop: number;
  padLeft: number;
}

export interface AdamState {
  lr: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  /** 1-based step count, for bias correction. */
  step: number;
  /** Decoupled weight decay (AdamW); 0 for Adam. */
  weightDecay: number;
}

/** One variable's operands of an Adam update: its values and slots change in place. */
export interface AdamOperands {
  param: FloatArray;
  grad: FloatArray;
  m: FloatArray;
  v: FloatArray;
}

export interface Backend {
  readonly name: string;
  /** Memory the backend lends to training and inference steps (src/kernels/arena.ts), if any. */
  readonly arena?: StepArena;

  unary(op: UnaryOp, x: FloatArray, out: FloatArray, alpha: number): void;
  /** out = dy * f'(.), where f' is evaluated from y (relu, tanh, sigmoid, elu) or x (leakyRelu). */
  activationGrad(op: ActivationGradOp, dy: FloatArray, yOrX: FloatArray, out: FloatArray, alpha: number): void;
  /** Elementwise with NumPy broadcasting; shapes are already broadcast-compatible. */
  binary(op: BinaryOp, a: FloatArray, aShape: readonly number[], b: FloatArray, bShape: readonly number[], out: FloatArray, outShape: readonly number[]): void;
  /** Sums x into out, where outShape has x's rank with 1 on every reduced axis. */
  reduceSum(x: FloatArray, xShape: readonly number[], out: FloatArray, outShape: readonly number[]): void;
  /** The index of the first NaN or ±Infinity in x, or -1 when every value is finite. */
  firstNonFinite(x: FloatArray): number;
  /** out[m,n] = op(a) · op(b), with op(a) of shape [m,k] and op(b) of shape [k,n]. */
  matMul(a: FloatArray, b: FloatArray, out: FloatArray, m: number, k: number, n: number, transposeA: boolean, transposeB: boolean): void;
  /** out = x + bias along the last axis; with relu, max(x + bias, 0) in the same pass (NaN stays NaN). */
  biasAdd(x: FloatArray, bias: FloatArray, out: FloatArray, relu?: boolean): void;

  conv2d(x: FloatArray, filter: FloatArray, out: FloatArray, info: Conv2DInfo): void;
  conv2dBackpropInput(dy: FloatArray, filter: FloatArray, dx: FloatArray, info: Conv2DInfo): void;
  conv2dBackpropFilter(x: FloatArray, dy: FloatArray, dFilter: FloatArray, info: Conv2DInfo): void;
  /**
   * Inference of conv → bias (when given) → ReLU (when relu) → max pooling, into out (pooled,
   * `pool`'s output; `pool`'s input is the convolution's output). The pool's windows do not
   * overlap: stride = window, no padding. A backend may skip the full-size intermediates.
   */
  conv2dMaxPool(x: FloatArray, filter: FloatArray, bias: FloatArray | null, out: FloatArray, conv: Conv2DInfo, pool: Pool2DInfo, relu: boolean): void;
  /** Depthwise convolution, filter [kh, kw, C, M], info.outChannels = C·M; each overwrites its output. */
  depthwiseConv2d(x: FloatArray, filter: FloatArray, out: FloatArray, info: Conv2DInfo): void;
  depthwiseConv2dBackpropInput(dy: FloatArray, filter: FloatArray, dx: FloatArray, info: Conv2DInfo): void;
  depthwiseConv2dBackpropFilter(x: FloatArray, dy: FloatArray, dFilter: FloatArray, info: Conv2DInfo): void;

  maxPool(x: FloatArray, out: FloatArray, info: Pool2DInfo): void;
  maxPoolGrad(dy: FloatArray, x: FloatArray, dx: FloatArray, info: Pool2DInfo): void;
  avgPool(x: FloatArray, out: FloatArray, info: Pool2DInfo): void;
  avgPoolGrad(dy: FloatArray, dx: FloatArray, info: Pool2DInfo): void;

  /** Row-wise softmax of a [rows, cols] matrix. */
  softmax(x: FloatArray, out: FloatArray, rows: number, cols: number): void;
  softmaxGrad(dy: FloatArray, y: FloatArray, out: FloatArray, rows: number, cols: number): void;
  /**
   * Fused softmax + sparse cross-entropy from logits: writes each row's loss into losses and the
   * softmax into probs (kept for the gradient, which is probs - onehot(labels)).
   */
  sparseSoftmaxCrossEntropy(logits: FloatArray, labels: TypedArray, losses: FloatArray, probs: FloatArray, rows: number, cols: number): void;

  /**
   * Batch normalization over the last axis of x viewed as [rows, channels], training mode: writes
   * each channel's mean, biased variance and invStd = 1/sqrt(variance + epsilon), and
   * out = (x - mean) * invStd * gamma + beta (gamma 1 and beta 0 where null); with relu,
   * relu(out) in the same pass (v <= 0 ? 0 : v, NaN stays NaN), as a separate relu would give it.
   */
  batchNormTrain(x: FloatArray, gamma: FloatArray | null, beta: FloatArray | null, out: FloatArray, mean: FloatArray, variance: FloatArray, invStd: FloatArray, rows: number, channels: number, epsilon: number, relu?: boolean): void;
  /** out = (x - mean) * invStd * gamma + beta with given per-channel statistics (inference mode), relu'd with relu. */
  batchNormApply(x: FloatArray, mean: FloatArray, invStd: FloatArray, gamma: FloatArray | null, beta: FloatArray | null, out: FloatArray, rows: number, channels: number, relu?: boolean): void;
  /**
   * Gradient of batch normalization: sumDy = Σ dy and sumDyXhat = Σ dy·xhat per channel (dbeta and
   * dgamma), and dx where given: gamma·invStd/N·(N·dy − sumDy − xhat·sumDyXhat) in training mode
   * (the statistics depend on x), dy·gamma·invStd in inference mode.
   */
  batchNormGrad(dy: FloatArray, x: FloatArray, mean: FloatArray, invStd: FloatArray, gamma: FloatArray | null, dx: FloatArray | null, sumDy: FloatArray, sumDyXhat: FloatArray, rows: number, channels: number, training: boolean): void;
  /**
   * Gradient of y = relu(batch normalization) in training mode (batchNormTrain with relu): as
   * batchNormGrad in training mode of dy masked to zero where y <= 0. beta is the forward's (a
   * backend may recompute the mask from x, mean, invStd, gamma and beta rather than read y).
   */
  /**
   * maxPool(relu(batch normalization in training mode)) of x [batch, h, w, c] into out (pooled),
   * with the statistics written as batchNormTrain writes them; the full-size ReLU output need not
   * exist. Any pool geometry (a backend may fuse only some).
   */
  batchNormReluMaxPool(x: FloatArray, gamma: FloatArray | null, beta: FloatArray | null, out: FloatArray, mean: FloatArray, variance: FloatArray, invStd: FloatArray, epsilon: number, info: Pool2DInfo): void;
  /**
   * Gradient of batchNormReluMaxPool: dy is the pooled output's gradient; the ReLU output is
   * recomputed from x, mean, invStd, gamma and beta. Writes dx (where given), sumDy and sumDyXhat
   * as batchNormReluGrad does.
   */
  batchNormReluMaxPoolGrad(dy: FloatArray, x: FloatArray, mean: FloatArray, invStd: FloatArray, gamma: FloatArray | null, beta: FloatArray | null, dx: FloatArray | null, sumDy: FloatArray, sumDyXhat: FloatArray, info: Pool2DInfo): void;
  batchNormReluGrad(dy: FloatArray, x: FloatArray, y: FloatArray, mean: FloatArray, invStd: FloatArray, gamma: FloatArray | null, beta: FloatArray | null, dx: FloatArray | null, sumDy: FloatArray, sumDyXhat: FloatArray, rows: number, channels: number): void;

  /** In-place Adam/AdamW update of one variable. */
  adamUpdate(param: FloatArray, grad: FloatArray, m: FloatArray, v: FloatArray, s: AdamState): void;
  /**
   * adamUpdate for every variable at once, with the same results, where a backend does better in
   * one call (optional: the optimizer otherwise calls adamUpdate per variable).
   */
  adamUpdateMany?(variables: AdamOperands[], s: AdamState): void;
  /** In-place SGD update with optional (Nesterov) momentum, as Keras's SGD. */
  sgdUpdate(param: FloatArray, grad: FloatArray, velocity: FloatArray | null, lr: number, momentum: number, nesterov: boolean, weightDecay: number): void;
  /** In-place RMSprop update, as Keras's RMSprop (rho, epsilon, momentum). */
  rmspropUpdate(param: FloatArray, grad: FloatArray, meanSquare: FloatArray, velocity: FloatArray | null, lr: number, rho: number, momentum: number, epsilon: number): void;
}
