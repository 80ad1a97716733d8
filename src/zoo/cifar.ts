/**
 * The classic Keras CIFAR-10 CNN (keras/examples/cifar10_cnn.py, Keras 2.x):
 *
 *   Conv2D(32, 3x3, same) relu → Conv2D(32, 3x3) relu → MaxPooling2D(2) → Dropout(0.25)
 *   Conv2D(64, 3x3, same) relu → Conv2D(64, 3x3) relu → MaxPooling2D(2) → Dropout(0.25)
 *   Flatten → Dense(512) relu → Dropout(0.5) → Dense(10) softmax
 *
 * 1,250,858 parameters on 32x32x3. The example trains it with RMSprop (learning rate 1e-4);
 * `cifarCnnBn` adds BatchNormalization after each convolution, which lets Adam at 1e-3 train it
 * in far fewer epochs, the usual modern variant.
 */
import { layers } from '../layers/index.js';
import type { Layer } from '../layers/layer.js';
import { Sequential } from '../models/sequential.js';
import type { ZooOptions } from './types.js';

function cifar(options: ZooOptions, batchNorm: boolean, name: string): Sequential {
  const conv = (filters: number, padding: 'same' | 'valid', first = false): Layer[] => {
    const args = { filters, kernelSize: 3, padding, ...(first ? { inputShape: options.inputShape ?? [32, 32, 3] } : {}) };
    if (!batchNorm) return [layers.conv2d({ ...args, activation: 'relu' })];
    return [layers.conv2d({ ...args, useBias: false }), layers.batchNormalization(), layers.activation({ activation: 'relu' })];
  };
  return new Sequential({
    name: options.name ?? name,
    layers: [
      ...conv(32, 'same', true),
      ...conv(32, 'valid'),
      layers.maxPooling2d({ poolSize: 2 }),
      layers.dropout({ rate: 0.25 }),
      ...conv(64, 'same'),
      ...conv(64, 'valid'),
      layers.maxPooling2d({ poolSize: 2 }),
      layers.dropout({ rate: 0.25 }),
      layers.flatten(),
      layers.dense({ units: 512, activation: 'relu' }),
      layers.dropout({ rate: 0.5 }),
      layers.dense({ units: options.numClasses ?? 10, activation: 'softmax' }),
    ],
  });
}

/** The Keras example's CIFAR-10 CNN, unchanged. */
export function cifarCnn(options: ZooOptions = {}): Sequential {
  return cifar(options, false, 'cifar_cnn');
}

/** The same CNN with BatchNormalization after each convolution (convolutions without bias). */
export function cifarCnnBn(options: ZooOptions = {}): Sequential {
  return cifar(options, true, 'cifar_cnn_bn');
}
