/**
 * The models of the university lab this project grew out of (lab08-cnn, "Redes Neurais - CNN").
 * Their parameter counts and output shapes are the ones the lab prints with `model.summary()`.
 */
import { layers } from '../layers/index.js';
import { Sequential } from '../models/sequential.js';
import type { ZooOptions } from './types.js';

/**
 * The lab's MLP parameter example: one 800x600 image flattened into a Dense layer of 100 units,
 * 480,000 x 100 + 100 = 48,000,100 parameters. Built to be counted, not trained (no classifier
 * head); the kernel alone takes 192 MB of float32.
 */
export function labMlp(options: ZooOptions = {}): Sequential {
  return new Sequential({
    name: options.name ?? 'lab_mlp',
    layers: [layers.flatten({ inputShape: options.inputShape ?? [800, 600] }), layers.dense({ units: 100 })],
  });
}

/** The lab's Conv2D(100, (3, 3)) over an 800x600 RGB image: 3*3*3*100 + 100 = 2,800 parameters. */
export function labConv(options: ZooOptions = {}): Sequential {
  return new Sequential({
    name: options.name ?? 'lab_conv',
    layers: [layers.conv2d({ filters: 100, kernelSize: 3, inputShape: options.inputShape ?? [800, 600, 3] })],
  });
}

/** lab-conv followed by MaxPooling2D((2, 2), strides=2): (None, 798, 598, 100) → (None, 399, 299, 100). */
export function labConvPool(options: ZooOptions = {}): Sequential {
  return new Sequential({
    name: options.name ?? 'lab_conv_pool',
    layers: [
      layers.conv2d({ filters: 100, kernelSize: 3, inputShape: options.inputShape ?? [800, 600, 3] }),
      layers.maxPooling2d({ poolSize: 2, strides: 2 }),
    ],
  });
}

/**
 * The lab's Fashion-MNIST CNN: Conv2D(5, 3x3, relu, same) → MaxPooling2D(2) → Flatten →
 * Dense(120, relu) → Dense(10, softmax); 118,980 parameters on 28x28x1.
 */
export function labCnn(options: ZooOptions = {}): Sequential {
  return new Sequential({
    name: options.name ?? 'lab_cnn',
    layers: [
      layers.conv2d({ filters: 5, kernelSize: 3, activation: 'relu', padding: 'same', inputShape: options.inputShape ?? [28, 28, 1] }),
      layers.maxPooling2d({ poolSize: 2 }),
      layers.flatten(),
      layers.dense({ units: 120, activation: 'relu' }),
      layers.dense({ units: options.numClasses ?? 10, activation: 'softmax' }),
    ],
  });
}
