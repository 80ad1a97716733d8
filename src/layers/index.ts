import { BatchNormalization, type BatchNormalizationArgs } from './batch_normalization.js';
import { Conv2D, type Conv2DArgs } from './conv2d.js';
import { Activation, Dense, Dropout, Flatten, Rescaling, type DenseArgs, type DropoutArgs } from './core.js';
import type { LayerArgs } from './layer.js';
import { AveragePooling2D, GlobalAveragePooling2D, MaxPooling2D, type Pooling2DArgs } from './pooling.js';
import { RandomFlip, RandomTranslation, type RandomFlipArgs, type RandomTranslationArgs } from './augmentation.js';
import { RandomErasing, type RandomErasingArgs } from './random_erasing.js';
import { Add, Concatenate } from './merge.js';

export { Layer, LayerVariable, type LayerArgs, type SymbolicShape } from './layer.js';
export { BatchNormalization, Conv2D, Activation, Dense, Dropout, Flatten, Rescaling, AveragePooling2D, GlobalAveragePooling2D, MaxPooling2D, RandomFlip, RandomTranslation, RandomErasing, Add, Concatenate };
export { SymbolicTensor } from './symbolic.js';

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
};

/** Constructors by class name, for loading saved models. */
export const layerClasses: Record<string, new (config: never) => import('./layer.js').Layer> = {
  Conv2D, MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D, Flatten, Dense, Dropout, Activation, BatchNormalization, Rescaling, RandomFlip, RandomTranslation, RandomErasing, Add, Concatenate,
};
