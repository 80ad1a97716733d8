import type { Sequential } from '../models/sequential.js';

/** What every zoo function accepts. */
export interface ZooOptions {
  /** Shape of one sample, without the batch axis, e.g. [28, 28, 1]. Defaults to the model's own. */
  inputShape?: number[];
  /** Units of the softmax output (classifiers only). Default 10. */
  numClasses?: number;
  /** Model name; defaults to the zoo name with underscores. */
  name?: string;
}

/** Suggested training settings, used by `convlab train` unless overridden. */
export interface TrainDefaults {
  epochs: number;
  batchSize: number;
  optimizer: 'adam' | 'sgd' | 'rmsprop' | 'adamw';
  learningRate: number;
  validationSplit: number;
  /**
   * 'one-cycle': warm up linearly to `learningRate` over the first quarter of the batches, then
   * anneal it by a cosine towards zero (stepSchedules.oneCycle). Default 'constant'.
   */
  schedule?: 'constant' | 'one-cycle';
  /** Decoupled weight decay of AdamW, or L2-style decay of SGD. */
  weightDecay?: number;
  /** compile's labelSmoothing. */
  labelSmoothing?: number;
  /** Evaluate with test-time augmentation: average each prediction with the mirrored image's. */
  flipAverage?: boolean;
}

export interface ZooEntry {
  /** The name used on the command line, e.g. 'lenet5'. */
  name: string;
  /** One line for listings. */
  description: string;
  /** Where the architecture comes from. */
  source: string;
  /** The input shape the model is defined for. */
  inputShape: number[];
  /**
   * Whether the model can be built for another input shape and class count: every model can
   * (the lab's parameter examples get a softmax head for numClasses).
   */
  adaptable: boolean;
  /** Whether the model ends in a softmax classifier that `train` can fit. */
  trainable: boolean;
  /** Dataset the model was designed for, if any. */
  dataset?: 'fashion-mnist' | 'mnist' | 'cifar10';
  train?: TrainDefaults;
  create(options?: ZooOptions): Sequential;
}
