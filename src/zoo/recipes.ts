/**
 * Models of the training recipes (issue #7): what the lab's "we can do better" leads to once
 * batch normalization, augmentation and a one-cycle schedule are available, sized so that a
 * 2-core laptop CPU trains them within the recipe's time budget (see docs/results.md).
 *
 * Both are VGG-style stacks (Simonyan and Zisserman 2015) of 3x3 convolution → BatchNormalization
 * → ReLU, with pooling between stages. Augmentation runs inside the model, as Keras's
 * preprocessing layers do: RandomFlip and RandomTranslation change each training batch and pass
 * images through unchanged at inference, so a saved model predicts on plain images.
 */
import { layers } from '../layers/index.js';
import type { Layer } from '../layers/layer.js';
import { Sequential } from '../models/sequential.js';
import type { ZooOptions } from './types.js';

/** conv (no bias: BN's beta replaces it) → BN → ReLU. */
function convBnRelu(filters: number, extra: { inputShape?: number[] } = {}): Layer[] {
  return [
    layers.conv2d({ filters, kernelSize: 3, padding: 'same', useBias: false, ...extra }),
    layers.batchNormalization(),
    layers.activation({ activation: 'relu' }),
  ];
}

/** Left-right flips, and shifts of up to `shift` of the size (borders filled with zeros) unless 0. */
function augmentation(inputShape: number[], shift: number): Layer[] {
  const flip = layers.randomFlip({ mode: 'horizontal', inputShape });
  return shift > 0 ? [flip, layers.randomTranslation({ heightFactor: shift, widthFactor: shift, fillMode: 'constant' })] : [flip];
}

/**
 * Four conv-BN-ReLU stages of doubling width (32, 64, 128, 256), max pooling between them,
 * global average pooling and the classifier.
 */
function vggStages(options: ZooOptions, inputShape: number[], shift: number, name: string): Sequential {
  return new Sequential({
    name: options.name ?? name,
    layers: [
      ...augmentation(options.inputShape ?? inputShape, shift),
      ...convBnRelu(32), layers.maxPooling2d({ poolSize: 2 }),
      ...convBnRelu(64), layers.maxPooling2d({ poolSize: 2 }),
      ...convBnRelu(128), layers.maxPooling2d({ poolSize: 2 }),
      ...convBnRelu(256),
      layers.globalAveragePooling2d(),
      layers.dense({ units: options.numClasses ?? 10, activation: 'softmax' }),
    ],
  });
}

/**
 * Fashion-MNIST: the four stages on 28x28x1 (28 → 14 → 7 → 3), flips only: 391,850 parameters.
 * Fashion-MNIST's items are centred, and shifts of 2 pixels left this net underfitting in a
 * 30-minute budget (0.9355 test accuracy with them).
 */
export function fashionVgg(options: ZooOptions = {}): Sequential {
  return vggStages(options, [28, 28, 1], 0, 'fashion_vgg');
}

/** CIFAR-10: the four stages on 32x32x3, with the standard shifts of up to 4 pixels (1/8): 392,426 parameters. */
export function cifarVgg(options: ZooOptions = {}): Sequential {
  return vggStages(options, [32, 32, 3], 0.125, 'cifar_vgg');
}
