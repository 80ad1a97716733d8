import { layers, type Layer, type LayerArgs } from '../../src/index.js';

/**
 * One configuration of each layer added for Keras files, shared by the tests: a factory taking
 * the base arguments (inputShape, dtype, name), the sample shape it runs on, and what to check.
 */
export interface LayerCase {
  name: string;
  make: (base: LayerArgs) => Layer;
  shape: number[];
  /** Integers in [0, vocab) instead of uniform floats (Embedding). */
  vocab?: number;
  /** Why TF.js cannot be the judge here (null: TF.js loads the saved file and must agree). */
  notTfjs?: string;
  /** Skip the float64 gradient check (random in training; checked otherwise). */
  noGradcheck?: string;
}

export const layerCases: LayerCase[] = [
  { name: 'ZeroPadding2D int', make: (b) => layers.zeroPadding2d({ ...b, padding: 1 }), shape: [3, 4, 2] },
  { name: 'ZeroPadding2D [[t,b],[l,r]]', make: (b) => layers.zeroPadding2d({ ...b, padding: [[1, 2], [0, 3]] }), shape: [3, 4, 2] },
  { name: 'Cropping2D', make: (b) => layers.cropping2d({ ...b, cropping: [[1, 0], [2, 1]] }), shape: [5, 6, 2] },
  { name: 'UpSampling2D nearest', make: (b) => layers.upSampling2d({ ...b, size: [2, 3] }), shape: [3, 2, 2] },
  { name: 'UpSampling2D bilinear', make: (b) => layers.upSampling2d({ ...b, size: 2, interpolation: 'bilinear' }), shape: [3, 4, 2], notTfjs: 'TF.js resizes with corner-aligned sampling, Keras (tf.image.resize) with half-pixel centres' },
  { name: 'Reshape', make: (b) => layers.reshape({ ...b, targetShape: [-1, 4] }), shape: [3, 4, 2] },
  { name: 'Permute', make: (b) => layers.permute({ ...b, dims: [3, 1, 2] }), shape: [3, 4, 2] },
  { name: 'ReLU', make: (b) => layers.reLU(b), shape: [3, 4, 2] },
  { name: 'ReLU maxValue 6 (ReLU6)', make: (b) => layers.reLU({ ...b, maxValue: 6 }), shape: [3, 4, 2] },
  { name: 'ReLU negativeSlope, threshold, maxValue', make: (b) => layers.reLU({ ...b, maxValue: 0.8, negativeSlope: 0.1, threshold: -0.2 }), shape: [3, 4, 2], notTfjs: 'TF.js ReLU has maxValue only' },
  { name: 'LeakyReLU', make: (b) => layers.leakyReLU({ ...b, alpha: 0.2 }), shape: [3, 4, 2] },
  { name: 'PReLU shared over space', make: (b) => layers.prelu({ ...b, sharedAxes: [1, 2] }), shape: [3, 4, 2] },
  { name: 'PReLU per cell', make: (b) => layers.prelu(b), shape: [5, 3] },
  { name: 'ELU', make: (b) => layers.elu(b), shape: [3, 4, 2] },
  { name: 'ELU alpha 0.5', make: (b) => layers.elu({ ...b, alpha: 0.5 }), shape: [6], notTfjs: 'TF.js ELU refuses alpha other than 1' },
  { name: 'Softmax last axis', make: (b) => layers.softmax(b), shape: [3, 4] },
  { name: 'Softmax axis 1', make: (b) => layers.softmax({ ...b, axis: 1 }), shape: [3, 4], notTfjs: 'TF.js softmax supports the last axis only' },
  { name: 'DepthwiseConv2D same, multiplier 2', make: (b) => layers.depthwiseConv2d({ ...b, kernelSize: 3, padding: 'same', depthMultiplier: 2, activation: 'relu6' }), shape: [5, 5, 3] },
  { name: 'DepthwiseConv2D strides 2, no bias', make: (b) => layers.depthwiseConv2d({ ...b, kernelSize: [3, 2], strides: 2, useBias: false }), shape: [6, 5, 2] },
  { name: 'DepthwiseConv2D dilation 2', make: (b) => layers.depthwiseConv2d({ ...b, kernelSize: 2, dilationRate: 2, padding: 'same' }), shape: [5, 5, 2], notTfjs: "TF.js 4.22's DepthwiseConv2D layer ignores dilationRate (passes null, 'TODO(cais): Add support for dilation'); reference_loops.test.ts checks it" },
  { name: 'SeparableConv2D', make: (b) => layers.separableConv2d({ ...b, filters: 4, kernelSize: 3, padding: 'same', depthMultiplier: 2, activation: 'relu' }), shape: [5, 4, 3] },
  { name: 'SeparableConv2D strides 2 valid', make: (b) => layers.separableConv2d({ ...b, filters: 3, kernelSize: 2, strides: 2 }), shape: [6, 5, 2] },
  { name: 'Conv2DTranspose valid', make: (b) => layers.conv2dTranspose({ ...b, filters: 3, kernelSize: 3 }), shape: [3, 4, 2] },
  { name: 'Conv2DTranspose same, strides 2', make: (b) => layers.conv2dTranspose({ ...b, filters: 2, kernelSize: [3, 2], strides: 2, padding: 'same', activation: 'tanh' }), shape: [3, 4, 2] },
  { name: 'Conv2DTranspose valid, strides 2, kernel 3', make: (b) => layers.conv2dTranspose({ ...b, filters: 2, kernelSize: 3, strides: 2 }), shape: [3, 2, 2] },
  // TF.js's Conv2DTranspose layer has neither option; test/layers/conv2d_transpose_options.test.ts compares with TF.js's ops instead.
  { name: 'Conv2DTranspose valid, dilationRate 2', make: (b) => layers.conv2dTranspose({ ...b, filters: 2, kernelSize: 3, dilationRate: 2 }), shape: [3, 4, 2], notTfjs: 'TF.js Conv2DTranspose has no dilationRate' },
  { name: 'Conv2DTranspose same, dilationRate [2, 3]', make: (b) => layers.conv2dTranspose({ ...b, filters: 3, kernelSize: [3, 2], dilationRate: [2, 3], padding: 'same', activation: 'tanh' }), shape: [4, 3, 2], notTfjs: 'TF.js Conv2DTranspose has no dilationRate' },
  { name: 'Conv2DTranspose same, strides 2, outputPadding 1', make: (b) => layers.conv2dTranspose({ ...b, filters: 2, kernelSize: 3, strides: 2, padding: 'same', outputPadding: 1 }), shape: [3, 4, 2], notTfjs: 'TF.js Conv2DTranspose has no outputPadding' },
  { name: 'Conv2DTranspose valid, strides [3, 2], outputPadding [2, 0]', make: (b) => layers.conv2dTranspose({ ...b, filters: 2, kernelSize: [2, 3], strides: [3, 2], outputPadding: [2, 0] }), shape: [3, 2, 3], notTfjs: 'TF.js Conv2DTranspose has no outputPadding' },
  { name: 'Conv1D valid', make: (b) => layers.conv1d({ ...b, filters: 3, kernelSize: 3 }), shape: [7, 2] },
  { name: 'Conv1D same, strides 2', make: (b) => layers.conv1d({ ...b, filters: 2, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }), shape: [7, 3] },
  { name: 'Conv1D causal, dilation 2', make: (b) => layers.conv1d({ ...b, filters: 2, kernelSize: 2, padding: 'causal', dilationRate: 2 }), shape: [6, 2], notTfjs: 'TF.js does not implement causal padding' },
  { name: 'MaxPooling1D', make: (b) => layers.maxPooling1d({ ...b, poolSize: 2 }), shape: [7, 3] },
  { name: 'AveragePooling1D same', make: (b) => layers.averagePooling1d({ ...b, poolSize: 3, strides: 2, padding: 'same' }), shape: [7, 3] },
  { name: 'GlobalAveragePooling1D', make: (b) => layers.globalAveragePooling1d(b), shape: [5, 3] },
  { name: 'GlobalMaxPooling1D', make: (b) => layers.globalMaxPooling1d(b), shape: [5, 3] },
  { name: 'GlobalMaxPooling2D', make: (b) => layers.globalMaxPooling2d(b), shape: [4, 3, 2] },
  { name: 'Embedding', make: (b) => layers.embedding({ ...b, inputDim: 7, outputDim: 3 }), shape: [5], vocab: 7 },
  { name: 'SpatialDropout2D', make: (b) => layers.spatialDropout2d({ ...b, rate: 0.5, seed: 1 }), shape: [3, 3, 2], notTfjs: 'TF.js has SpatialDropout1D only', noGradcheck: 'random in training, the identity otherwise' },
  { name: 'GaussianNoise', make: (b) => layers.gaussianNoise({ ...b, stddev: 0.3, seed: 1 }), shape: [3, 3, 2], noGradcheck: 'random in training, the identity otherwise' },
  { name: 'LayerNormalization', make: (b) => layers.layerNormalization(b), shape: [3, 4] },
  { name: 'LayerNormalization over [1, 2, 3], no center', make: (b) => layers.layerNormalization({ ...b, axis: [1, 2, 3], center: false, epsilon: 1e-5 }), shape: [2, 3, 2] },
  { name: 'Resizing bilinear', make: (b) => layers.resizing({ ...b, height: 5, width: 3 }), shape: [3, 4, 2], notTfjs: 'TF.js 4.22 Resizing reports a rank-3 output shape and samples corner-aligned' },
  { name: 'Resizing nearest, cropToAspectRatio', make: (b) => layers.resizing({ ...b, height: 2, width: 4, interpolation: 'nearest', cropToAspectRatio: true }), shape: [5, 4, 2], notTfjs: 'TF.js 4.22 Resizing reports a rank-3 output shape' },
  { name: 'CenterCrop', make: (b) => layers.centerCrop({ ...b, height: 2, width: 3 }), shape: [5, 6, 2], notTfjs: 'TF.js 4.22 CenterCrop reports its output shape as its input shape' },
  { name: 'Normalization given mean and variance', make: (b) => layers.normalization({ ...b, mean: [0.5, -1], variance: [2, 0.25] }), shape: [3, 2], notTfjs: 'TF.js has no Normalization layer' },
  { name: 'Normalization with mean/variance weights', make: (b) => layers.normalization({ ...b, axis: -1 }), shape: [4, 3], notTfjs: 'TF.js has no Normalization layer' },
];

/** Activations as Dense's activation, each compared with TF.js where it has the same name. */
export const activationCases: { name: string; tfjs: boolean; kerasFormats?: ('keras' | 'h5')[] }[] = [
  { name: 'relu6', tfjs: true },
  { name: 'swish', tfjs: true },
  { name: 'silu', tfjs: false },
  { name: 'gelu', tfjs: true },
  // TF.js writes 'gelu_new' and reads it back as 'geluNew', which it does not know: it cannot load its own file.
  { name: 'gelu_new', tfjs: false },
  // clip(0.2x + 0.5): Keras 2's hard_sigmoid, which Keras 3 lacks (.keras refuses it); relu6(x + 3) / 6 is Keras 3's, which Keras 2 lacks.
  { name: 'hardSigmoid', tfjs: true, kerasFormats: ['h5'] },
  { name: 'hard_sigmoid', tfjs: false, kerasFormats: ['h5'] },
  { name: 'hardSigmoidKeras3', tfjs: false, kerasFormats: ['keras'] },
  { name: 'selu', tfjs: true },
  { name: 'softplus', tfjs: true },
  { name: 'softsign', tfjs: true },
  { name: 'exponential', tfjs: false },
];
