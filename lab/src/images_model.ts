/**
 * Models for "Your images", in the builder's layer language (model_spec.ts) so the training
 * worker builds them as it builds the builder's. With a few dozen pictures per class a small
 * network learns fastest: three convolutions and global average pooling keep the parameters
 * independent of the image size.
 */
import { cloneSpec, type LayerSpec, type ModelSpec } from './model_spec.js';
import { CHANNELS } from './images_data.js';

export type ImageModelKind = 'small-cnn' | 'lab-cnn' | 'builder';

export const IMAGE_MODELS: { kind: ImageModelKind; label: string }[] = [
  { kind: 'small-cnn', label: 'Small CNN (3 convolutions + global pooling)' },
  { kind: 'lab-cnn', label: "The lab's CNN (Conv2D 5 → pool → Dense 120)" },
  { kind: 'builder', label: 'The layers of section 3 (Model)' },
];

function smallCnn(numClasses: number): LayerSpec[] {
  const conv = (filters: number): LayerSpec => ({ type: 'conv2d', filters, kernelSize: 3, strides: 1, padding: 'same', activation: 'relu' });
  const pool: LayerSpec = { type: 'maxPooling2d', poolSize: 2, strides: 2, padding: 'valid' };
  return [conv(16), pool, conv(32), pool, conv(64), { type: 'globalAveragePooling2d' }, { type: 'dropout', rate: 0.2 }, { type: 'dense', units: numClasses, activation: 'softmax' }];
}

function labCnn(numClasses: number): LayerSpec[] {
  return [
    { type: 'conv2d', filters: 5, kernelSize: 3, strides: 1, padding: 'same', activation: 'relu' },
    { type: 'maxPooling2d', poolSize: 2, strides: 2, padding: 'valid' },
    { type: 'flatten' },
    { type: 'dense', units: 120, activation: 'relu' },
    { type: 'dense', units: numClasses, activation: 'softmax' },
  ];
}

/**
 * The spec to train: `size`×`size` RGB in, one softmax unit per class out. The builder's
 * layers get that input, and their last Dense layer one unit per class with softmax.
 */
export function imageModelSpec(kind: ImageModelKind, size: number, numClasses: number, builder?: ModelSpec): ModelSpec {
  const inputShape: [number, number, number] = [size, size, CHANNELS];
  if (kind === 'small-cnn') return { inputShape, layers: smallCnn(numClasses) };
  if (kind === 'lab-cnn') return { inputShape, layers: labCnn(numClasses) };
  if (!builder) throw new Error('The Model section has no layers to use');
  const spec = cloneSpec(builder);
  spec.inputShape = inputShape;
  const last = spec.layers[spec.layers.length - 1];
  if (last?.type !== 'dense') throw new Error('The Model section\'s layers must end with a Dense layer to be used here (it gets one unit per class and softmax)');
  spec.layers[spec.layers.length - 1] = { ...last, units: numClasses, activation: 'softmax' };
  return spec;
}
