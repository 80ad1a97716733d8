/**
 * Models as plain data, so the page, the builder and the training worker agree on one model
 * and can pass it in a message. `buildModel` turns a spec into a convlab Sequential.
 */
import { layers, sequential, type Layer, type Sequential } from '../../src/index.js';

export type Activation = 'relu' | 'tanh' | 'sigmoid' | 'softmax' | 'linear';
export type PaddingName = 'valid' | 'same';

export type LayerSpec =
  | { type: 'conv2d'; filters: number; kernelSize: number; strides: number; padding: PaddingName; activation: Activation }
  | { type: 'maxPooling2d' | 'averagePooling2d'; poolSize: number; strides: number; padding: PaddingName }
  | { type: 'globalAveragePooling2d' }
  | { type: 'flatten' }
  | { type: 'dense'; units: number; activation: Activation }
  | { type: 'dropout'; rate: number }
  | { type: 'batchNormalization' };

export type LayerType = LayerSpec['type'];

export interface ModelSpec {
  inputShape: [number, number, number];
  layers: LayerSpec[];
}

/** A new layer of each type with Keras-like defaults, for the builder's "add layer" menu. */
export function defaultLayer(type: LayerType): LayerSpec {
  switch (type) {
    case 'conv2d': return { type, filters: 8, kernelSize: 3, strides: 1, padding: 'same', activation: 'relu' };
    case 'maxPooling2d':
    case 'averagePooling2d': return { type, poolSize: 2, strides: 2, padding: 'valid' };
    case 'dense': return { type, units: 64, activation: 'relu' };
    case 'dropout': return { type, rate: 0.25 };
    default: return { type };
  }
}

export const LAYER_TYPES: { type: LayerType; label: string }[] = [
  { type: 'conv2d', label: 'Conv2D' },
  { type: 'maxPooling2d', label: 'MaxPooling2D' },
  { type: 'averagePooling2d', label: 'AveragePooling2D' },
  { type: 'globalAveragePooling2d', label: 'GlobalAveragePooling2D' },
  { type: 'flatten', label: 'Flatten' },
  { type: 'dense', label: 'Dense' },
  { type: 'dropout', label: 'Dropout' },
  { type: 'batchNormalization', label: 'BatchNormalization' },
];

const FASHION: [number, number, number] = [28, 28, 1];

/** The presets of the builder. 'lab' is the CNN of the Keras lab (lab08-cnn). */
export const PRESETS: Record<string, { label: string; spec: ModelSpec }> = {
  lab: {
    label: "The lab's CNN",
    spec: {
      inputShape: FASHION,
      layers: [
        { type: 'conv2d', filters: 5, kernelSize: 3, strides: 1, padding: 'same', activation: 'relu' },
        { type: 'maxPooling2d', poolSize: 2, strides: 2, padding: 'valid' },
        { type: 'flatten' },
        { type: 'dense', units: 120, activation: 'relu' },
        { type: 'dense', units: 10, activation: 'softmax' },
      ],
    },
  },
  lenet5: {
    label: 'LeNet-5',
    spec: {
      inputShape: FASHION,
      // LeCun et al. 1998 with 28x28 inputs: 'same' padding on the first convolution gives the
      // 32x32-equivalent 28x28 maps, average pooling as the original subsampling.
      layers: [
        { type: 'conv2d', filters: 6, kernelSize: 5, strides: 1, padding: 'same', activation: 'tanh' },
        { type: 'averagePooling2d', poolSize: 2, strides: 2, padding: 'valid' },
        { type: 'conv2d', filters: 16, kernelSize: 5, strides: 1, padding: 'valid', activation: 'tanh' },
        { type: 'averagePooling2d', poolSize: 2, strides: 2, padding: 'valid' },
        { type: 'flatten' },
        { type: 'dense', units: 120, activation: 'tanh' },
        { type: 'dense', units: 84, activation: 'tanh' },
        { type: 'dense', units: 10, activation: 'softmax' },
      ],
    },
  },
  mlp: {
    label: 'MLP (no convolution)',
    spec: {
      inputShape: FASHION,
      layers: [
        { type: 'flatten' },
        { type: 'dense', units: 128, activation: 'relu' },
        { type: 'dense', units: 10, activation: 'softmax' },
      ],
    },
  },
};

export function cloneSpec(spec: ModelSpec): ModelSpec {
  return { inputShape: [...spec.inputShape], layers: spec.layers.map((l) => ({ ...l })) };
}

function makeLayer(spec: LayerSpec, first: { inputShape: number[] } | undefined): Layer {
  const a = first ?? {};
  switch (spec.type) {
    case 'conv2d': return layers.conv2d({ ...a, filters: spec.filters, kernelSize: spec.kernelSize, strides: spec.strides, padding: spec.padding, activation: spec.activation });
    case 'maxPooling2d': return layers.maxPooling2d({ ...a, poolSize: spec.poolSize, strides: spec.strides, padding: spec.padding });
    case 'averagePooling2d': return layers.averagePooling2d({ ...a, poolSize: spec.poolSize, strides: spec.strides, padding: spec.padding });
    case 'globalAveragePooling2d': return layers.globalAveragePooling2d(a);
    case 'flatten': return layers.flatten(a);
    case 'dense': return layers.dense({ ...a, units: spec.units, activation: spec.activation });
    case 'dropout': return layers.dropout({ ...a, rate: spec.rate });
    case 'batchNormalization': return layers.batchNormalization(a);
    default: throw new Error(`Unknown layer type ${JSON.stringify((spec as { type: unknown }).type)}; expected one of ${LAYER_TYPES.map((t) => t.type).join(', ')}`);
  }
}

/** Builds the model; the library's errors (e.g. a kernel that does not fit) name the layer. */
export function buildModel(spec: ModelSpec): Sequential {
  if (spec.layers.length === 0) throw new Error('The model has no layers: add at least one (e.g. Flatten then Dense with 10 units and softmax)');
  const model = sequential();
  spec.layers.forEach((l, i) => model.add(makeLayer(l, i === 0 ? { inputShape: [...spec.inputShape] } : undefined)));
  return model;
}

/** Why a model cannot be trained on Fashion-MNIST by the page, or null when it can. */
export function trainability(spec: ModelSpec, model: Sequential, numClasses: number): string | null {
  const [h, w, c] = spec.inputShape;
  if (h !== 28 || w !== 28 || c !== 1) return `Training needs input shape (28, 28, 1) for Fashion-MNIST; this model takes (${h}, ${w}, ${c})`;
  const out = model.outputShape;
  const last = spec.layers[spec.layers.length - 1];
  if (out.length !== 2 || out[1] !== numClasses) return `Training needs an output of shape (None, ${numClasses}), one unit per class; this model outputs (${out.map((d) => d ?? 'None').join(', ')})`;
  if (last.type !== 'dense' || last.activation !== 'softmax') return 'Training needs a last Dense layer with softmax activation (the loss is sparse categorical cross-entropy on probabilities)';
  return null;
}
