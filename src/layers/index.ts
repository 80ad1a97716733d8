import { BatchNormalization, type BatchNormalizationArgs } from './batch_normalization.js';
import { Conv2D, type Conv2DArgs } from './conv2d.js';
import { Activation, Dense, Dropout, Flatten, Rescaling, type DenseArgs, type DropoutArgs } from './core.js';
import type { LayerArgs } from './layer.js';
import { AveragePooling2D, GlobalAveragePooling2D, MaxPooling2D, type Pooling2DArgs } from './pooling.js';
import { RandomFlip, RandomTranslation, type RandomFlipArgs, type RandomTranslationArgs } from './augmentation.js';
import { RandomErasing, type RandomErasingArgs } from './random_erasing.js';
import { Add, Concatenate } from './merge.js';
import { ELU, LeakyReLU, PReLU, ReLU, Softmax, type LeakyReLUArgs, type PReLUArgs, type ReLUArgs } from './advanced_activations.js';
import { Conv1D, type Conv1DArgs } from './conv1d.js';
import { Conv2DTranspose, type Conv2DTransposeArgs } from './conv2d_transpose.js';
import { DepthwiseConv2D, SeparableConv2D, type DepthwiseConv2DArgs, type SeparableConv2DArgs } from './depthwise_conv.js';
import { Embedding, type EmbeddingArgs } from './embedding.js';
import { CenterCrop, Normalization, Resizing, type NormalizationArgs, type ResizingArgs } from './image_preprocessing.js';
import { InputLayer } from './input_layer.js';
import { LayerNormalization, type LayerNormalizationArgs } from './layer_normalization.js';
import { Average, Maximum, Minimum, Multiply, Subtract } from './merge_elementwise.js';
import { GaussianNoise, SpatialDropout2D } from './noise.js';
import { AveragePooling1D, GlobalAveragePooling1D, GlobalMaxPooling1D, GlobalMaxPooling2D, MaxPooling1D, type Pooling1DArgs } from './pooling_1d.js';
import { Cropping2D, Permute, Reshape, UpSampling2D, ZeroPadding2D, type PairSpec } from './reshaping.js';
import type { Interpolation } from '../ops/resize.js';

export { Layer, LayerVariable, type LayerArgs, type SymbolicShape } from './layer.js';
export { BatchNormalization, Conv2D, Activation, Dense, Dropout, Flatten, Rescaling, AveragePooling2D, GlobalAveragePooling2D, MaxPooling2D, RandomFlip, RandomTranslation, RandomErasing, Add, Concatenate };
export { SymbolicTensor } from './symbolic.js';
export {
  ELU, LeakyReLU, PReLU, ReLU, Softmax, Conv1D, Conv2DTranspose, DepthwiseConv2D, SeparableConv2D, Embedding, CenterCrop, Normalization, Resizing,
  InputLayer, LayerNormalization, Average, Maximum, Minimum, Multiply, Subtract, GaussianNoise, SpatialDropout2D,
  AveragePooling1D, GlobalAveragePooling1D, GlobalMaxPooling1D, GlobalMaxPooling2D, MaxPooling1D, Cropping2D, Permute, Reshape, UpSampling2D, ZeroPadding2D,
};

/** Layer factories, named as in TF.js (`tf.layers.conv2d({...})`). */
export const layers = {
  conv2d: (args: Conv2DArgs) => new Conv2D(args),
  maxPooling2d: (args?: Pooling2DArgs) => new MaxPooling2D(args),
  maxPool2d: (args?: Pooling2DArgs) => new MaxPooling2D(args),
  averagePooling2d: (args?: Pooling2DArgs) => new AveragePooling2D(args),
  avgPool2d: (args?: Pooling2DArgs) => new AveragePooling2D(args),
  globalAveragePooling2d: (args?: LayerArgs) => new GlobalAveragePooling2D(args),
  flatten: (args?: LayerArgs) => new Flatten(args),
  dense: (args: DenseArgs) => new Dense(args),
  dropout: (args: DropoutArgs) => new Dropout(args),
  activation: (args: LayerArgs & { activation: string }) => new Activation(args),
  batchNormalization: (args?: BatchNormalizationArgs) => new BatchNormalization(args),
  rescaling: (args: LayerArgs & { scale: number; offset?: number }) => new Rescaling(args),
  randomFlip: (args?: RandomFlipArgs) => new RandomFlip(args),
  randomTranslation: (args: RandomTranslationArgs) => new RandomTranslation(args),
  randomErasing: (args?: RandomErasingArgs) => new RandomErasing(args),
  add: (args?: LayerArgs) => new Add(args),
  concatenate: (args?: LayerArgs & { axis?: -1 }) => new Concatenate(args),
  // Layers that real Keras CNN files use (issue 20).
  inputLayer: (args: LayerArgs & { batchShape?: (number | null)[]; shape?: number[] }) => new InputLayer(args),
  zeroPadding2d: (args?: LayerArgs & { padding?: PairSpec }) => new ZeroPadding2D(args),
  cropping2d: (args?: LayerArgs & { cropping?: PairSpec }) => new Cropping2D(args),
  upSampling2d: (args?: LayerArgs & { size?: number | [number, number]; interpolation?: Interpolation }) => new UpSampling2D(args),
  reshape: (args: LayerArgs & { targetShape: number[] }) => new Reshape(args),
  permute: (args: LayerArgs & { dims: number[] }) => new Permute(args),
  reLU: (args?: ReLUArgs) => new ReLU(args),
  leakyReLU: (args?: LeakyReLUArgs) => new LeakyReLU(args),
  prelu: (args?: PReLUArgs) => new PReLU(args),
  elu: (args?: LayerArgs & { alpha?: number }) => new ELU(args),
  softmax: (args?: LayerArgs & { axis?: number | number[] }) => new Softmax(args),
  depthwiseConv2d: (args: DepthwiseConv2DArgs) => new DepthwiseConv2D(args),
  separableConv2d: (args: SeparableConv2DArgs) => new SeparableConv2D(args),
  conv2dTranspose: (args: Conv2DTransposeArgs) => new Conv2DTranspose(args),
  conv1d: (args: Conv1DArgs) => new Conv1D(args),
  maxPooling1d: (args?: Pooling1DArgs) => new MaxPooling1D(args),
  averagePooling1d: (args?: Pooling1DArgs) => new AveragePooling1D(args),
  globalAveragePooling1d: (args?: LayerArgs) => new GlobalAveragePooling1D(args),
  globalMaxPooling1d: (args?: LayerArgs) => new GlobalMaxPooling1D(args),
  globalMaxPooling2d: (args?: LayerArgs) => new GlobalMaxPooling2D(args),
  embedding: (args: EmbeddingArgs) => new Embedding(args),
  multiply: (args?: LayerArgs) => new Multiply(args),
  subtract: (args?: LayerArgs) => new Subtract(args),
  average: (args?: LayerArgs) => new Average(args),
  maximum: (args?: LayerArgs) => new Maximum(args),
  minimum: (args?: LayerArgs) => new Minimum(args),
  spatialDropout2d: (args: LayerArgs & { rate: number; seed?: number }) => new SpatialDropout2D(args),
  gaussianNoise: (args: LayerArgs & { stddev: number; seed?: number }) => new GaussianNoise(args),
  layerNormalization: (args?: LayerNormalizationArgs) => new LayerNormalization(args),
  resizing: (args: ResizingArgs) => new Resizing(args),
  centerCrop: (args: LayerArgs & { height: number; width: number }) => new CenterCrop(args),
  normalization: (args?: NormalizationArgs) => new Normalization(args),
};

/** Constructors by class name, for loading saved models. */
export const layerClasses: Record<string, new (config: never) => import('./layer.js').Layer> = {
  Conv2D, MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D, Flatten, Dense, Dropout, Activation, BatchNormalization, Rescaling, RandomFlip, RandomTranslation, RandomErasing, Add, Concatenate,
  ZeroPadding2D, Cropping2D, UpSampling2D, Reshape, Permute, ReLU, LeakyReLU, PReLU, ELU, Softmax, DepthwiseConv2D, SeparableConv2D, Conv2DTranspose,
  Conv1D, MaxPooling1D, AveragePooling1D, GlobalAveragePooling1D, GlobalMaxPooling1D, GlobalMaxPooling2D, Embedding, Multiply, Subtract, Average, Maximum, Minimum,
  SpatialDropout2D, GaussianNoise, LayerNormalization, Resizing, CenterCrop, Normalization,
};
