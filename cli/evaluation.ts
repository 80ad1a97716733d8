/** Test-set evaluation shared by `train` and `evaluate`: loss, accuracy, per class, confusion. */
import type { Sequential } from '../src/models/sequential.js';
import { Tensor } from '../src/tensor/tensor.js';
import { CliError, type Context } from './context.js';
import type { Data, Split } from './data.js';
import { formatShape } from './options.js';
import { testResults, type TestResults } from './pictures.js';

export interface Evaluation {
  loss: number;
  accuracy: number;
  samples: number;
  perClass: { className: string; accuracy: number; count: number }[];
  /** confusion[t][p] */
  confusion: number[][];
  results: TestResults;
  /** With flipAverage: the figures of the images as they are. */
  withoutFlipAverage?: { loss: number; accuracy: number };
}

/** Refuses a model whose input or output does not fit the dataset, naming both shapes. */
export function checkModelFits(model: Sequential, data: { name: string; imageShape: number[]; classNames: string[] }, what: string): void {
  const input = model.inputShape;
  const expected = [null, ...data.imageShape];
  if (input.length !== expected.length || input.some((d, i) => i > 0 && d !== null && d !== expected[i])) {
    throw new CliError(`${what} expects input ${formatShape(input)}, but ${data.name} images are ${formatShape(expected)}; use a model trained on ${data.name} or another --dataset`);
  }
  const out = model.outputShape;
  const units = out[out.length - 1];
  if (out.length !== 2 || units !== data.classNames.length) {
    throw new CliError(`${what} outputs ${formatShape(out)}, but ${data.name} has ${data.classNames.length} classes; expected (None, ${data.classNames.length})`);
  }
}

export interface EvaluateOptions {
  batchSize: number;
  quiet: boolean;
  /** Test-time augmentation: loss and accuracy of the predictions averaged with the mirrored images'. */
  flipAverage?: boolean;
}

export function evaluateSplit(model: Sequential, split: Split, classNames: string[], ctx: Context, options: EvaluateOptions): Evaluation {
  model.compile({ optimizer: model.optimizer ?? 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  let [loss, accuracy] = model.evaluate(split.x, split.y, { batchSize: options.batchSize, verbose: options.quiet ? 0 : 1, progressSink: ctx.progress });
  const probabilities = model.predict(split.x, { batchSize: options.batchSize, flipAverage: options.flipAverage });
  const k = classNames.length;
  const results = testResults(probabilities, split.y.data, k);
  const plain = { loss, accuracy };
  if (options.flipAverage) ({ loss, accuracy } = lossAndAccuracy(probabilities.data, split.y.data, k));
  const confusion = Array.from({ length: k }, (_, t) => Array.from(results.confusion.subarray(t * k, (t + 1) * k)));
  const perClass = classNames.map((className, t) => {
    const count = confusion[t].reduce((a, b) => a + b, 0);
    return { className, count, accuracy: count ? confusion[t][t] / count : NaN };
  });
  return { loss, accuracy, samples: split.x.shape[0], perClass, confusion, results, ...(options.flipAverage ? { withoutFlipAverage: plain } : {}) };
}

/** Cross-entropy and accuracy of class probabilities against sparse labels. */
export function lossAndAccuracy(probabilities: ArrayLike<number>, labels: ArrayLike<number>, k: number): { loss: number; accuracy: number } {
  let loss = 0;
  let right = 0;
  for (let i = 0; i < labels.length; i++) {
    let best = 0;
    for (let c = 1; c < k; c++) if (probabilities[i * k + c] > probabilities[i * k + best]) best = c;
    if (best === labels[i]) right++;
    loss -= Math.log(Math.max(probabilities[i * k + labels[i]], 1e-7));
  }
  return { loss: loss / labels.length, accuracy: right / labels.length };
}

/**
 * Loss and accuracy on the images `fit` held out with validationSplit (the last fraction of the
 * training set, as Keras), evaluated the way the test set is.
 */
export function heldOutEvaluation(model: Sequential, data: Data, validationSplit: number, ctx: Context, options: EvaluateOptions): { loss: number; accuracy: number; samples: number; flipAverage: boolean } {
  const n = data.train.x.shape[0];
  const at = Math.floor(n * (1 - validationSplit));
  const rows = (t: Split['x']): Split['x'] => {
    const row = t.size / t.shape[0];
    return new Tensor(t.data.subarray(at * row, n * row), [n - at, ...t.shape.slice(1)]);
  };
  const ev = evaluateSplit(model, { x: rows(data.train.x), y: rows(data.train.y), raw: rows(data.train.raw) }, data.classNames, ctx, { ...options, quiet: true });
  if (!options.quiet) ctx.out(`Held-out validation (last ${n - at} training images): loss ${ev.loss.toFixed(4)} - accuracy ${ev.accuracy.toFixed(4)}${options.flipAverage ? ' (flip-averaged)' : ''}`);
  return { loss: ev.loss, accuracy: ev.accuracy, samples: n - at, flipAverage: Boolean(options.flipAverage) };
}

export function printEvaluation(ev: Evaluation, classNames: string[], ctx: Context, what: 'test' | 'validation' = 'test'): void {
  const flip = ev.withoutFlipAverage ? `, averaged with mirrored images; without: ${ev.withoutFlipAverage.accuracy.toFixed(4)}` : '';
  ctx.out(`${what === 'test' ? 'Test' : 'Validation'} loss: ${ev.loss.toFixed(4)} - ${what} accuracy: ${ev.accuracy.toFixed(4)} (${ev.samples} images${flip})`);
  const w = Math.max(12, ...classNames.map((c) => c.length)) + 2;
  ctx.out('');
  ctx.out(`${'class'.padEnd(w)}accuracy  images`);
  for (const c of ev.perClass) ctx.out(`${c.className.padEnd(w)}${Number.isNaN(c.accuracy) ? '     n/a' : c.accuracy.toFixed(4).padStart(8)}  ${String(c.count).padStart(6)}`);
  ctx.out('');
  ctx.out('Confusion matrix (rows: true class, columns: predicted class):');
  const cw = Math.max(5, ...ev.confusion.flat().map((v) => String(v).length + 1));
  ctx.out(`${''.padEnd(w)}${classNames.map((_, j) => String(j).padStart(cw)).join('')}`);
  ev.confusion.forEach((row, t) => ctx.out(`${`${t} ${classNames[t]}`.padEnd(w)}${row.map((v) => String(v).padStart(cw)).join('')}`));
}

export function evaluationJson(ev: Evaluation): Record<string, unknown> {
  return {
    loss: ev.loss,
    accuracy: ev.accuracy,
    samples: ev.samples,
    flipAverage: ev.withoutFlipAverage !== undefined,
    ...(ev.withoutFlipAverage ? { withoutFlipAverage: ev.withoutFlipAverage } : {}),
    perClass: ev.perClass.map((c) => ({ ...c, accuracy: Number.isNaN(c.accuracy) ? null : c.accuracy })),
    confusion: ev.confusion,
  };
}
