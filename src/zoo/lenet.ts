/**
 * LeNet-5 (LeCun, Bottou, Bengio and Haffner, "Gradient-based learning applied to document
 * recognition", Proc. IEEE 86(11), 1998), as it is usually adapted to 28x28 inputs:
 *
 *   C1 6@5x5 'same' (28x28 in → 28x28, standing in for the paper's 32x32 padded input)
 *   S2 2x2 pooling → 14x14
 *   C3 16@5x5 → 10x10 (every C3 map sees all six S2 maps; the paper's sparse table is dropped)
 *   S4 2x2 pooling → 5x5
 *   C5 120@5x5 → 1x1, a convolution as in the paper (equal to a Dense(120) on the flattened S4)
 *   F6 Dense(84), output Dense(10) softmax (the paper's Euclidean RBF output is dropped)
 *
 * `lenet5` uses ReLU and max pooling, which train faster and reach higher accuracy with Adam;
 * `lenet5Classic` keeps the paper's squashing tanh and plain average pooling (the paper's
 * subsampling layers also had a trainable coefficient and bias, dropped here as usual).
 * Both have 61,706 parameters on 28x28x1.
 */
import { layers } from '../layers/index.js';
import { Sequential } from '../models/sequential.js';
import type { ZooOptions } from './types.js';

function lenet(options: ZooOptions, activation: 'relu' | 'tanh', pooling: 'max' | 'average', name: string): Sequential {
  const pool = () => (pooling === 'max' ? layers.maxPooling2d({ poolSize: 2 }) : layers.averagePooling2d({ poolSize: 2 }));
  return new Sequential({
    name: options.name ?? name,
    layers: [
      layers.conv2d({ filters: 6, kernelSize: 5, padding: 'same', activation, inputShape: options.inputShape ?? [28, 28, 1], name: 'c1' }),
      pool(),
      layers.conv2d({ filters: 16, kernelSize: 5, activation, name: 'c3' }),
      pool(),
      layers.conv2d({ filters: 120, kernelSize: 5, activation, name: 'c5' }),
      layers.flatten(),
      layers.dense({ units: 84, activation, name: 'f6' }),
      layers.dense({ units: options.numClasses ?? 10, activation: 'softmax', name: 'output' }),
    ],
  });
}

/** LeNet-5 with ReLU and max pooling (the modern default). */
export function lenet5(options: ZooOptions = {}): Sequential {
  return lenet(options, 'relu', 'max', 'lenet5');
}

/** LeNet-5 with tanh and average pooling, closer to the 1998 paper. */
export function lenet5Classic(options: ZooOptions = {}): Sequential {
  return lenet(options, 'tanh', 'average', 'lenet5_classic');
}
