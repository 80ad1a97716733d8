import { layers, sequential, type Sequential } from '../../../src/index.js';
import type { FloatDType } from '../../../src/tensor/dtype.js';
import { noGrad } from '../../../src/autograd/tape.js';
import { Tensor } from '../../../src/tensor/tensor.js';

/**
 * Small models that together use every layer type and option convlab has (padding, strides,
 * dilation, every activation, pooling kinds, batch norm, dropout, rescaling), all on 28x28x1 so
 * they run on real Fashion-MNIST images.
 */
export const testModels: Record<string, (dtype?: FloatDType) => Sequential> = {
  'lab-cnn': (dtype) => sequential({ layers: [
    layers.conv2d({ filters: 5, kernelSize: 3, activation: 'relu', padding: 'same', inputShape: [28, 28, 1], dtype }),
    layers.maxPooling2d({ poolSize: 2 }),
    layers.flatten(),
    layers.dense({ units: 120, activation: 'relu' }),
    layers.dense({ units: 10, activation: 'softmax' }),
  ] }),
  'lenet5-classic': (dtype) => sequential({ layers: [
    layers.rescaling({ scale: 1 / 255, inputShape: [28, 28, 1], dtype }),
    layers.conv2d({ filters: 6, kernelSize: 5, padding: 'same', activation: 'tanh' }),
    layers.averagePooling2d({ poolSize: 2 }),
    layers.conv2d({ filters: 16, kernelSize: 5, activation: 'tanh' }),
    layers.averagePooling2d({ poolSize: 2, strides: 2 }),
    layers.flatten(),
    layers.dense({ units: 120, activation: 'tanh' }),
    layers.dense({ units: 84, activation: 'tanh' }),
    layers.dense({ units: 10, activation: 'softmax' }),
  ] }),
  'bn-dropout': (dtype) => sequential({ layers: [
    layers.rescaling({ scale: 1 / 127.5, offset: -1, inputShape: [28, 28, 1], dtype }),
    layers.conv2d({ filters: 8, kernelSize: [3, 5], strides: [2, 1], padding: 'valid', useBias: false, kernelInitializer: 'heNormal' }),
    layers.batchNormalization({ momentum: 0.9, epsilon: 1e-3 }),
    layers.activation({ activation: 'elu' }),
    layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same' }),
    layers.dropout({ rate: 0.25 }),
    layers.conv2d({ filters: 6, kernelSize: 3, dilationRate: 2, padding: 'same', activation: 'sigmoid' }),
    layers.globalAveragePooling2d(),
    layers.dense({ units: 16 }),
    layers.batchNormalization({ center: false }),
    layers.activation({ activation: 'relu' }),
    layers.dense({ units: 10, activation: 'softmax' }),
  ] }),
  'pool-same': (dtype) => sequential({ layers: [
    layers.rescaling({ scale: 1 / 255, inputShape: [28, 28, 1], dtype }),
    layers.averagePooling2d({ poolSize: 3, strides: 2, padding: 'same' }),
    layers.conv2d({ filters: 4, kernelSize: 3, strides: 2, padding: 'same', activation: 'tanh', biasInitializer: 'randomNormal' }),
    layers.flatten(),
    layers.dense({ units: 10, activation: 'sigmoid', biasInitializer: 'randomUniform' }),
  ] }),
};

/**
 * Gives every weight (including batch-norm moving statistics) distinct non-trivial values, so a
 * weight loaded into the wrong place changes the predictions.
 */
export function perturbWeights(model: Sequential, seed = 7): void {
  let s = seed;
  for (const w of model.weights) {
    const d = w.value.data;
    const isVariance = w.name.endsWith('moving_variance');
    for (let i = 0; i < d.length; i++) {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      const r = (s >>> 8) / 16777216;
      d[i] = isVariance ? 0.5 + r : w.name.endsWith('gamma') ? 0.5 + r : d[i] + (r - 0.5) * 0.1;
    }
  }
}

export function predictData(model: Sequential, x: Tensor): Float32Array | Float64Array {
  return noGrad(() => model.predict(x).data as Float32Array | Float64Array);
}
