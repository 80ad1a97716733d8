/** Messages between the page and the training worker. */
import type { ModelSpec } from './model_spec.js';

export interface TrainParams {
  epochs: number;
  batchSize: number;
  learningRate: number;
  optimizer: 'adam' | 'sgd' | 'rmsprop';
  /** Fraction of the training subset held out for validation (Keras's validation_split). */
  validationSplit: number;
  seed: number;
}

export interface SplitData {
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
}

export type ToWorker =
  | { type: 'init' }
  | {
      type: 'train';
      spec: ModelSpec;
      params: TrainParams;
      train: SplitData;
      /** Images to evaluate after training; count 0 skips the evaluation (testLoss is then NaN). */
      test: SplitData;
      rows: number;
      cols: number;
      /** Channels per pixel: 1 (Fashion-MNIST, the default) or 3 (RGB, "Your images"). */
      channels?: number;
      /** Validation data chosen by the page (a seeded split); then params.validationSplit is not used. */
      validation?: SplitData;
    }
  | { type: 'stop' }
  | { type: 'backend'; name: string };

export interface BackendInfo {
  backend: string;
  available: string[];
  crossOriginIsolated: boolean;
  threads: number;
  /** How the active backend runs, e.g. '2 threads, relaxed SIMD'. */
  detail: string;
  /** Why a faster backend was not used, if one was tried. */
  note: string;
}

export interface Timing {
  steps: number;
  samples: number;
  trainMs: number;
  msPerStep: number;
  samplesPerSec: number;
}

export type FromWorker =
  | ({ type: 'ready' } & BackendInfo)
  | { type: 'progress'; epoch: number; epochs: number; batch: number; steps: number; loss: number; accuracy: number; elapsedMs: number }
  | { type: 'epoch'; epoch: number; loss: number; accuracy: number; valLoss?: number; valAccuracy?: number }
  | { type: 'evaluating' }
  | {
      type: 'done';
      stopped: boolean;
      weights: { shape: number[]; data: Float32Array }[];
      testLoss: number;
      testAccuracy: number;
      /** Class probabilities for every test image, row-major [count, classes]. */
      testProbs: Float32Array;
      timing: Timing;
    }
  | { type: 'error'; message: string };
