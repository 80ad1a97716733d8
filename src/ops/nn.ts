import { record } from '../autograd/tape.js';
import type { Conv2DInfo } from '../kernels/backend.js';
import { kernels } from '../kernels/registry.js';
import { allocateFloat, allocateKernelOutput, type FloatArray, type FloatDType } from '../tensor/dtype.js';
import { formatShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { floatStorage, sameFloatDType, unaryOp } from './arithmetic.js';
import { conv2dInfo, normalizePadding, normalizePair, pool2dInfo, type Padding } from './conv_util.js';

export const relu = (x: Tensor): Tensor => unaryOp('relu', 'Relu', x);
export const tanh = (x: Tensor): Tensor => unaryOp('tanh', 'Tanh', x);
export const sigmoid = (x: Tensor): Tensor => unaryOp('sigmoid', 'Sigmoid', x);
export const elu = (x: Tensor, alpha = 1): Tensor => unaryOp('elu', 'Elu', x, alpha);
export const leakyRelu = (x: Tensor, alpha = 0.3): Tensor => unaryOp('leakyRelu', 'LeakyRelu', x, alpha);

function rowsCols(x: Tensor): [number, number] {
  const cols = x.shape[x.rank - 1] ?? 1;
  return [cols === 0 ? 0 : x.size / cols, cols];
}

/** Softmax over the last axis. */
export function softmax(x: Tensor): Tensor {
  const data = floatStorage(x, 'Softmax');
  const [rows, cols] = rowsCols(x);
  const out = allocateKernelOutput(x.dtype as FloatDType, x.size);
  kernels().softmax(data, out, rows, cols);
  const y = new Tensor(out, x.shape);
  record('Softmax', [x], y);
  return y;
}

/** 2-D matrix product with optional transposes, as `tf.matMul`. */
export function matMul(a: Tensor, b: Tensor, transposeA = false, transposeB = false): Tensor {
  const dtype = sameFloatDType(a, b, 'MatMul');
  if (a.rank !== 2 || b.rank !== 2) {
    throw new Error(`MatMul: expected two rank-2 tensors, received shapes ${formatShape(a.shape)} and ${formatShape(b.shape)}`);
  }
  const [m, ka] = transposeA ? [a.shape[1], a.shape[0]] : [a.shape[0], a.shape[1]];
  const [kb, n] = transposeB ? [b.shape[1], b.shape[0]] : [b.shape[0], b.shape[1]];
  if (ka !== kb) {
    throw new Error(`MatMul: inner dimensions differ: ${formatShape(a.shape)}${transposeA ? 'ᵀ' : ''} · ${formatShape(b.shape)}${transposeB ? 'ᵀ' : ''}`);
  }
  const out = allocateKernelOutput(dtype, m * n);
  kernels().matMul(a.storage as FloatArray, b.storage as FloatArray, out, m, ka, n, transposeA, transposeB);
  const y = new Tensor(out, [m, n]);
  record('MatMul', [a, b], y, { transposeA, transposeB });
  return y;
}

/** Adds a bias vector along the last axis. */
/**
 * x + bias along the last axis. With activation 'relu', max(x + bias, 0) in one kernel: the same
 * values as relu(biasAdd(x, bias)), with one pass over the activations instead of two.
 */
export function biasAdd(x: Tensor, bias: Tensor, activation?: 'relu'): Tensor {
  const dtype = sameFloatDType(x, bias, 'BiasAdd');
  const channels = x.shape[x.rank - 1];
  if (bias.rank !== 1 || bias.shape[0] !== channels) {
    throw new Error(`BiasAdd: bias of shape ${formatShape(bias.shape)} does not match the last axis of ${formatShape(x.shape)}`);
  }
  const out = allocateKernelOutput(dtype, x.size);
  const relu = activation === 'relu';
  kernels().biasAdd(x.storage as FloatArray, bias.storage as FloatArray, out, relu);
  const y = new Tensor(out, x.shape);
  record(relu ? 'BiasAddRelu' : 'BiasAdd', [x, bias], y);
  return y;
}

export interface Conv2DOptions {
  strides?: number | [number, number];
  padding?: Padding;
  dilations?: number | [number, number];
}

/** 2-D convolution of NHWC input with an HWIO filter, as `tf.conv2d`. */
export function conv2d(x: Tensor, filter: Tensor, options: Conv2DOptions = {}): Tensor {
  const dtype = sameFloatDType(x, filter, 'Conv2D');
  const info = checkedConv2dInfo(x, filter, options);
  const out = allocateKernelOutput(dtype, info.batch * info.outHeight * info.outWidth * info.outChannels);
  kernels().conv2d(x.storage as FloatArray, filter.storage as FloatArray, out, info);
  const y = new Tensor(out, [info.batch, info.outHeight, info.outWidth, info.outChannels]);
  record('Conv2D', [x, filter], y, { info });
  return y;
}

/** The geometry of conv2d(x, filter, options), after checking the operands' shapes. */
export function checkedConv2dInfo(x: Tensor, filter: Tensor, options: Conv2DOptions): Conv2DInfo {
  if (x.rank !== 4) throw new Error(`Conv2D: expected input of rank 4 [batch, height, width, channels], received shape ${formatShape(x.shape)}`);
  if (filter.rank !== 4) throw new Error(`Conv2D: expected a filter of rank 4 [height, width, inChannels, outChannels], received shape ${formatShape(filter.shape)}`);
  if (x.shape[3] !== filter.shape[2]) {
    throw new Error(`Conv2D: input has ${x.shape[3]} channels but the filter expects ${filter.shape[2]} (input ${formatShape(x.shape)}, filter ${formatShape(filter.shape)})`);
  }
  const strides = normalizePair(options.strides ?? 1, 'strides');
  const dilations = normalizePair(options.dilations ?? 1, 'dilations');
  if ((strides[0] > 1 || strides[1] > 1) && (dilations[0] > 1 || dilations[1] > 1)) {
    throw new Error('Conv2D: strides > 1 together with dilations > 1 is not supported (as in TensorFlow)');
  }
  const info = conv2dInfo(x.shape, filter.shape, strides, normalizePadding(options.padding ?? 'valid'), dilations);
  if (info.outHeight <= 0 || info.outWidth <= 0) {
    throw new Error(`Conv2D: a ${filter.shape[0]}x${filter.shape[1]} kernel does not fit input ${formatShape(x.shape)} with 'valid' padding`);
  }
  return info;
}

export interface Pool2DOptions {
  poolSize: number | [number, number];
  strides?: number | [number, number];
  padding?: Padding;
}

function pool(kind: 'MaxPool' | 'AvgPool', x: Tensor, options: Pool2DOptions): Tensor {
  const data = floatStorage(x, kind);
  if (x.rank !== 4) throw new Error(`${kind}: expected input of rank 4 [batch, height, width, channels], received shape ${formatShape(x.shape)}`);
  const poolSize = normalizePair(options.poolSize, 'poolSize');
  const strides = normalizePair(options.strides ?? poolSize, 'strides');
  const info = pool2dInfo(x.shape, poolSize, strides, normalizePadding(options.padding ?? 'valid'));
  if (info.outHeight <= 0 || info.outWidth <= 0) {
    throw new Error(`${kind}: a ${poolSize[0]}x${poolSize[1]} pool does not fit input ${formatShape(x.shape)} with 'valid' padding`);
  }
  const out = allocateKernelOutput(x.dtype as FloatDType, info.batch * info.outHeight * info.outWidth * info.channels);
  if (kind === 'MaxPool') kernels().maxPool(data, out, info);
  else kernels().avgPool(data, out, info);
  const y = new Tensor(out, [info.batch, info.outHeight, info.outWidth, info.channels]);
  record(kind, [x], y, { info });
  return y;
}

export const maxPool = (x: Tensor, options: Pool2DOptions): Tensor => pool('MaxPool', x, options);
export const avgPool = (x: Tensor, options: Pool2DOptions): Tensor => pool('AvgPool', x, options);

/** Integer class labels as a flat array, validated against the number of classes. */
export function checkedLabels(labels: Tensor, rows: number, classes: number): Tensor {
  if (labels.size !== rows) {
    throw new Error(`Sparse labels: expected ${rows} labels (one per sample), received shape ${formatShape(labels.shape)}`);
  }
  const data = labels.data;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (!(v >= 0 && v < classes && Number.isInteger(v))) {
      throw new Error(`Sparse labels: label ${v} at index ${i} is out of range; expected integers in [0, ${classes - 1}]`);
    }
  }
  return labels;
}

/**
 * Per-sample cross-entropy of softmax(logits) against integer labels, fused so that it stays
 * finite for confident predictions and its gradient is simply softmax - onehot.
 */
export function sparseSoftmaxCrossEntropy(logits: Tensor, labels: Tensor): Tensor {
  const data = floatStorage(logits, 'SparseSoftmaxCrossEntropy');
  const [rows, cols] = rowsCols(logits);
  checkedLabels(labels, rows, cols);
  const dtype = logits.dtype as FloatDType;
  const losses = allocateFloat(dtype, rows);
  const probs = allocateFloat(dtype, logits.size);
  kernels().sparseSoftmaxCrossEntropy(data, labels.data, losses, probs, rows, cols);
  const y = new Tensor(losses, logits.shape.slice(0, -1));
  record('SparseSoftmaxCrossEntropy', [logits], y, { probs: new Tensor(probs, logits.shape), labels });
  return y;
}
