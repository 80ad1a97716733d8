/** Writes the pictures of a run: the ones `train` writes, `evaluate` writes and `plot` redraws. */
import * as path from 'node:path';
import type { Sequential } from '../src/models/sequential.js';
import {
  argmaxRow,
  confusionMatrix,
  plotConfusionMatrix,
  plotFeatureMaps,
  plotHistory,
  plotKernels,
  plotPredictionGrid,
  writePicture,
} from '../src/plots/index.js';
import { Tensor } from '../src/tensor/tensor.js';

export const PICTURE_FILES = {
  loss: 'loss.png',
  accuracy: 'accuracy.png',
  predictions: 'predictions.png',
  confusion: 'confusion_matrix.png',
  kernels: 'kernels.png',
  featureMaps: 'feature_maps.png',
} as const;

export type PictureName = keyof typeof PICTURE_FILES;

export async function writeHistoryPictures(dir: string, history: Record<string, number[]>, modelName: string): Promise<string[]> {
  const files: string[] = [];
  if (history.loss) {
    files.push(await writePicture(path.join(dir, PICTURE_FILES.loss), plotHistory(history, { keys: ['loss', 'val_loss'], title: `${modelName}: loss per epoch`, yLabel: 'loss (cross-entropy)' })));
  }
  if (history.accuracy || history.acc) {
    const keys = history.accuracy ? ['accuracy', 'val_accuracy'] : ['acc', 'val_acc'];
    files.push(await writePicture(path.join(dir, PICTURE_FILES.accuracy), plotHistory(history, { keys, title: `${modelName}: accuracy per epoch`, yLabel: 'accuracy' })));
  }
  return files;
}

export interface TestResults {
  /** float [n, k] */
  probabilities: Float32Array | Float64Array;
  predicted: Int32Array;
  confusion: Int32Array;
}

export function testResults(probabilities: Tensor, labels: ArrayLike<number>, numClasses: number): TestResults {
  const n = probabilities.shape[0];
  const p = probabilities.data as Float32Array;
  const predicted = new Int32Array(n);
  for (let i = 0; i < n; i++) predicted[i] = argmaxRow(p, i, numClasses);
  return { probabilities: p, predicted, confusion: confusionMatrix(labels, predicted, numClasses) };
}

export interface EvaluationPictureInput {
  raw: Tensor;
  labels: ArrayLike<number>;
  classNames: readonly string[];
  results: TestResults;
  modelName: string;
}

export async function writeEvaluationPictures(dir: string, input: EvaluationPictureInput, which = { predictions: true, confusion: true }): Promise<string[]> {
  const { raw, labels, classNames, results } = input;
  const n = raw.shape[0];
  const count = Math.min(n, 15);
  // Show the mistakes among the first images too: take the first 15, or fewer if data is small.
  const grid = plotPredictionGrid({
    images: raw,
    probabilities: results.probabilities,
    labels,
    classNames,
    indices: Array.from({ length: count }, (_, i) => i),
    rows: Math.ceil(count / 3),
    cols: Math.min(3, count),
    title: `${input.modelName}: first ${count} test images`,
  });
  const files: string[] = [];
  if (which.predictions) files.push(await writePicture(path.join(dir, PICTURE_FILES.predictions), grid));
  if (which.confusion) files.push(await writePicture(path.join(dir, PICTURE_FILES.confusion), plotConfusionMatrix(results.confusion, classNames, {})));
  return files;
}

/** Kernels of the first convolution and the feature maps for one image (sample 0 of x). */
export async function writeModelPictures(dir: string, model: Sequential, x: Tensor, caption: string, which = { kernels: true, featureMaps: true }): Promise<string[]> {
  const files: string[] = [];
  const row = x.shape.slice(1).reduce((a, b) => a * b, 1);
  const one = new Tensor(x.data.subarray(0, row), [1, ...x.shape.slice(1)]);
  if (model.layers.some((l) => l.className === 'Conv2D')) {
    if (which.kernels) files.push(await writePicture(path.join(dir, PICTURE_FILES.kernels), plotKernels(model)));
    if (which.featureMaps) files.push(await writePicture(path.join(dir, PICTURE_FILES.featureMaps), plotFeatureMaps(model, one, { caption })));
  }
  return files;
}
