/** The convlab models of the bench rows (the JS and Python runners build the same networks). */
import { layers, sequential, type Sequential } from '../src/index.js';
import { cifarCnn } from '../src/zoo/cifar.js';
import { cifarVgg, fashionVgg } from '../src/zoo/recipes.js';
import type { BigModel, ModelName } from './common.js';

export function buildModel(name: ModelName): Sequential {
  if (name === 'lab') {
    return sequential({
      layers: [
        layers.conv2d({ filters: 5, kernelSize: 3, activation: 'relu', padding: 'same', inputShape: [28, 28, 1] }),
        layers.maxPooling2d({ poolSize: 2 }),
        layers.flatten(),
        layers.dense({ units: 120, activation: 'relu' }),
        layers.dense({ units: 10, activation: 'softmax' }),
      ],
    });
  }
  return sequential({
    layers: [
      layers.conv2d({ filters: 6, kernelSize: 5, activation: 'relu', padding: 'same', inputShape: [28, 28, 1] }),
      layers.maxPooling2d({ poolSize: 2 }),
      layers.conv2d({ filters: 16, kernelSize: 5, activation: 'relu', padding: 'valid' }),
      layers.maxPooling2d({ poolSize: 2 }),
      layers.flatten(),
      layers.dense({ units: 120, activation: 'relu' }),
      layers.dense({ units: 84, activation: 'relu' }),
      layers.dense({ units: 10, activation: 'softmax' }),
    ],
  });
}

/** The zoo's model for a bench row; 'cifar-vgg-noaug' is cifar-vgg without its two augmentation layers. */
export function buildBigModel(name: BigModel): Sequential {
  if (name === 'cifar-cnn') return cifarCnn();
  if (name === 'fashion-vgg') return fashionVgg();
  if (name === 'cifar-vgg') return cifarVgg();
  // src/zoo/recipes.ts's vggStages without RandomFlip and RandomTranslation.
  const stage = (filters: number, first = false) => [
    layers.conv2d({ filters, kernelSize: 3, padding: 'same', useBias: false, ...(first ? { inputShape: [32, 32, 3] } : {}) }),
    layers.batchNormalization(),
    layers.activation({ activation: 'relu' }),
  ];
  return sequential({
    name: 'cifar_vgg_noaug',
    layers: [
      ...stage(32, true), layers.maxPooling2d({ poolSize: 2 }),
      ...stage(64), layers.maxPooling2d({ poolSize: 2 }),
      ...stage(128), layers.maxPooling2d({ poolSize: 2 }),
      ...stage(256),
      layers.globalAveragePooling2d(),
      layers.dense({ units: 10, activation: 'softmax' }),
    ],
  });
}

