/**
 * The model zoo: each entry builds a fresh, untrained Sequential model.
 *
 *   const model = zoo.lenet5();                  // 28x28x1 → 10 classes
 *   const other = zoo.create('cifar-cnn', { numClasses: 10 });
 *   zoo.names                                    // ['lab-mlp', 'lab-conv', ...]
 */
import { layers } from '../layers/index.js';
import type { Sequential } from '../models/sequential.js';
import { cifarCnn, cifarCnnBn } from './cifar.js';
import { labCnn, labConv, labConvPool, labMlp } from './lab.js';
import { lenet5, lenet5Classic } from './lenet.js';
import { cifarVgg, fashionVgg } from './recipes.js';
import type { TrainDefaults, ZooEntry, ZooOptions } from './types.js';

export type { TrainDefaults, ZooEntry, ZooOptions };

const LAB = 'lab08-cnn (university Keras CNN lab), Desafio 1 and 2';
const ADAM: Omit<TrainDefaults, 'epochs' | 'batchSize'> = { optimizer: 'adam', learningRate: 0.001, validationSplit: 0.1 };

const entries: ZooEntry[] = [
  {
    name: 'lab-mlp', description: 'Flatten(800x600) + Dense(100): the lab\'s MLP parameter count (48,000,100)',
    source: LAB, inputShape: [800, 600], adaptable: true, trainable: false, create: labMlp,
  },
  {
    name: 'lab-conv', description: 'Conv2D(100, 3x3) on 800x600x3: the lab\'s CNN parameter count (2,800)',
    source: LAB, inputShape: [800, 600, 3], adaptable: true, trainable: false, create: labConv,
  },
  {
    name: 'lab-conv-pool', description: 'lab-conv + MaxPooling2D(2, 2): (None, 798, 598, 100) → (None, 399, 299, 100)',
    source: LAB, inputShape: [800, 600, 3], adaptable: true, trainable: false, create: labConvPool,
  },
  {
    name: 'lab-cnn', description: 'the lab\'s Fashion-MNIST CNN: Conv2D(5) → MaxPool → Dense(120) → Dense(10), 118,980 params',
    source: 'lab08-cnn, "Exemplo prático - Fashion MNIST"', inputShape: [28, 28, 1], adaptable: true, trainable: true,
    dataset: 'fashion-mnist', train: { ...ADAM, epochs: 3, batchSize: 32, validationSplit: 0.2 }, create: labCnn,
  },
  {
    name: 'lenet5', description: 'LeNet-5 with ReLU and max pooling, 61,706 params (Desafio 3)',
    source: 'LeCun et al. 1998, "Gradient-based learning applied to document recognition", adapted to 28x28',
    inputShape: [28, 28, 1], adaptable: true, trainable: true, dataset: 'fashion-mnist',
    // The recipe past the published ~0.90 (docs/results.md): every training image, AdamW with a
    // one-cycle schedule and label smoothing; the architecture stays LeNet-5.
    train: { epochs: 10, batchSize: 64, optimizer: 'adamw', learningRate: 0.003, schedule: 'one-cycle', weightDecay: 1e-4, labelSmoothing: 0.1, validationSplit: 0 },
    create: lenet5,
  },
  {
    name: 'lenet5-classic', description: 'LeNet-5 with tanh and average pooling, as in the 1998 paper',
    source: 'LeCun et al. 1998, adapted to 28x28', inputShape: [28, 28, 1], adaptable: true, trainable: true,
    dataset: 'fashion-mnist', train: { ...ADAM, epochs: 2, batchSize: 32 }, create: lenet5Classic,
  },
  {
    name: 'cifar-cnn', description: 'the Keras example CIFAR-10 CNN (Conv32x2-Pool-Conv64x2-Pool-Dense512), 1,250,858 params',
    source: 'keras/examples/cifar10_cnn.py (Keras 2.x); lab08-cnn "Desafio Extra"', inputShape: [32, 32, 3], adaptable: true,
    trainable: true, dataset: 'cifar10', train: { ...ADAM, epochs: 10, batchSize: 64 }, create: cifarCnn,
  },
  {
    name: 'cifar-cnn-bn', description: 'cifar-cnn with BatchNormalization after each convolution',
    source: 'keras/examples/cifar10_cnn.py + BatchNormalization (Ioffe and Szegedy 2015)', inputShape: [32, 32, 3],
    adaptable: true, trainable: true, dataset: 'cifar10', train: { ...ADAM, epochs: 10, batchSize: 64 }, create: cifarCnnBn,
  },
  {
    name: 'fashion-vgg', description: 'recipe for Fashion-MNIST: conv-BN-ReLU stages of 32-64-128-256 filters, random flips, 391,850 params',
    source: 'VGG (Simonyan and Zisserman 2015) + BatchNormalization (Ioffe and Szegedy 2015), one-cycle schedule (Smith 2018)',
    inputShape: [28, 28, 1], adaptable: true, trainable: true, dataset: 'fashion-mnist',
    train: { epochs: 12, batchSize: 128, optimizer: 'adamw', learningRate: 0.005, schedule: 'one-cycle', weightDecay: 0.05, labelSmoothing: 0.1, flipAverage: true, validationSplit: 0 },
    create: fashionVgg,
  },
  {
    name: 'cifar-vgg', description: 'recipe for CIFAR-10: conv-BN-ReLU stages of 32-64-128-256 filters, flips and 4-pixel shifts, 392,426 params',
    source: 'VGG (Simonyan and Zisserman 2015) + BatchNormalization, standard CIFAR augmentation, one-cycle schedule (Smith 2018); lab08-cnn "Desafio Extra"',
    inputShape: [32, 32, 3], adaptable: true, trainable: true, dataset: 'cifar10',
    train: { epochs: 18, batchSize: 64, optimizer: 'adamw', learningRate: 0.004, schedule: 'one-cycle', weightDecay: 0.05, labelSmoothing: 0.1, flipAverage: true, validationSplit: 0.1 },
    create: cifarVgg,
  },
];

const byName = new Map(entries.map((e) => [e.name, e]));

/** The entry for a zoo name; the error lists the valid names. */
export function zooEntry(name: string): ZooEntry {
  const entry = byName.get(name);
  if (!entry) throw new Error(`Unknown model '${name}'; the zoo has: ${entries.map((e) => e.name).join(', ')}`);
  return entry;
}

function checkOptions(name: string, options: ZooOptions): void {
  const { inputShape, numClasses } = options;
  if (inputShape !== undefined && !(Array.isArray(inputShape) && inputShape.length >= 1 && inputShape.every((d) => Number.isInteger(d) && d > 0))) {
    throw new Error(`zoo.create('${name}'): inputShape must be positive integers such as [64, 64, 3], received ${JSON.stringify(inputShape)}`);
  }
  if (numClasses !== undefined && !(Number.isInteger(numClasses) && numClasses >= 2)) {
    throw new Error(`zoo.create('${name}'): numClasses must be an integer of at least 2, received ${JSON.stringify(numClasses)}`);
  }
}

/**
 * A fresh model from the zoo by name, e.g. create('lenet5', { inputShape: [32, 32, 3], numClasses: 4 }).
 * Every model takes both options. The lab's parameter examples (no classifier of their own) get
 * a classifier head for `numClasses`: global average pooling over images, then Dense softmax.
 */
export function create(name: string, options: ZooOptions = {}): Sequential {
  const entry = zooEntry(name);
  checkOptions(name, options);
  if (entry.trainable || options.numClasses === undefined) return entry.create(options);
  const model = entry.create({ ...options, numClasses: undefined });
  if (model.outputShape.length === 4) model.add(layers.globalAveragePooling2d());
  model.add(layers.dense({ units: options.numClasses, activation: 'softmax' }));
  return model;
}

export const zoo = {
  names: entries.map((e) => e.name) as readonly string[],
  entries: entries as readonly ZooEntry[],
  entry: zooEntry,
  create,
  labMlp,
  labConv,
  labConvPool,
  labCnn,
  lenet5,
  lenet5Classic,
  cifarCnn,
  cifarCnnBn,
  fashionVgg,
  cifarVgg,
} as const;

export { labMlp, labConv, labConvPool, labCnn, lenet5, lenet5Classic, cifarCnn, cifarCnnBn, fashionVgg, cifarVgg };
