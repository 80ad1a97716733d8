import { formatShape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';

/** A streaming metric: updated batch by batch, its result covers everything seen since reset. */
export interface Metric {
  readonly name: string;
  update(yTrue: Tensor, yPred: Tensor): void;
  result(): number;
  reset(): void;
}

type Counter = (yTrue: Tensor, yPred: Tensor) => [correct: number, count: number];

function argmaxRow(data: ArrayLike<number>, base: number, cols: number): number {
  let best = 0;
  for (let j = 1; j < cols; j++) if (data[base + j] > data[base + best]) best = j;
  return best;
}

const sparseCategorical: Counter = (yTrue, yPred) => {
  const cols = yPred.shape[yPred.rank - 1];
  const rows = yPred.size / cols;
  if (yTrue.size !== rows) throw new Error(`sparseCategoricalAccuracy: expected ${rows} labels, received shape ${formatShape(yTrue.shape)}`);
  let correct = 0;
  for (let r = 0; r < rows; r++) if (argmaxRow(yPred.data, r * cols, cols) === yTrue.data[r]) correct++;
  return [correct, rows];
};

const categorical: Counter = (yTrue, yPred) => {
  const cols = yPred.shape[yPred.rank - 1];
  const rows = yPred.size / cols;
  if (yTrue.size !== yPred.size) throw new Error(`categoricalAccuracy: labels of shape ${formatShape(yTrue.shape)} do not match predictions ${formatShape(yPred.shape)}`);
  let correct = 0;
  for (let r = 0; r < rows; r++) if (argmaxRow(yPred.data, r * cols, cols) === argmaxRow(yTrue.data, r * cols, cols)) correct++;
  return [correct, rows];
};

const binary: Counter = (yTrue, yPred) => {
  if (yTrue.size !== yPred.size) throw new Error(`binaryAccuracy: labels of shape ${formatShape(yTrue.shape)} do not match predictions ${formatShape(yPred.shape)}`);
  let correct = 0;
  for (let i = 0; i < yPred.size; i++) if ((yPred.data[i] > 0.5 ? 1 : 0) === (yTrue.data[i] > 0.5 ? 1 : 0)) correct++;
  return [correct, yPred.size];
};

class MeanCounter implements Metric {
  private correct = 0;
  private count = 0;
  constructor(readonly name: string, private readonly counter: Counter) {}
  update(yTrue: Tensor, yPred: Tensor): void {
    const [c, n] = this.counter(yTrue, yPred);
    this.correct += c;
    this.count += n;
  }
  result(): number {
    return this.count === 0 ? 0 : this.correct / this.count;
  }
  reset(): void {
    this.correct = 0;
    this.count = 0;
  }
}

/** Weighted running mean, used for the loss shown in the progress bar. */
export class MeanMetric {
  private total = 0;
  private count = 0;
  constructor(readonly name: string) {}
  add(value: number, weight: number): void {
    this.total += value * weight;
    this.count += weight;
  }
  result(): number {
    return this.count === 0 ? 0 : this.total / this.count;
  }
  reset(): void {
    this.total = 0;
    this.count = 0;
  }
}

const counters: Record<string, Counter> = {
  sparsecategoricalaccuracy: sparseCategorical,
  categoricalaccuracy: categorical,
  binaryaccuracy: binary,
};

export interface MetricContext {
  lossName: string;
  outputUnits: number;
}

/**
 * Resolves a metric identifier as Keras does. 'accuracy' (or 'acc') picks binary accuracy for a
 * single output unit or binary cross-entropy, sparse accuracy for sparse labels, and categorical
 * accuracy otherwise. The metric keeps the name the user typed, so history keys match Keras.
 */
export function resolveMetric(id: string, context: MetricContext): Metric {
  const key = id.replace(/_/g, '').toLowerCase();
  if (key === 'accuracy' || key === 'acc') {
    let counter: Counter;
    if (context.outputUnits === 1 || context.lossName === 'binaryCrossentropy') counter = binary;
    else if (context.lossName === 'sparseCategoricalCrossentropy') counter = sparseCategorical;
    else counter = categorical;
    return new MeanCounter(id, counter);
  }
  const counter = counters[key];
  if (!counter) {
    throw new Error(`Unknown metric '${id}'; expected one of accuracy, acc, sparseCategoricalAccuracy, categoricalAccuracy, binaryAccuracy (snake_case also accepted)`);
  }
  return new MeanCounter(id, counter);
}

export const metrics = {
  sparseCategoricalAccuracy: (yTrue: Tensor, yPred: Tensor): number => { const [c, n] = sparseCategorical(yTrue, yPred); return c / n; },
  categoricalAccuracy: (yTrue: Tensor, yPred: Tensor): number => { const [c, n] = categorical(yTrue, yPred); return c / n; },
  binaryAccuracy: (yTrue: Tensor, yPred: Tensor): number => { const [c, n] = binary(yTrue, yPred); return c / n; },
};
