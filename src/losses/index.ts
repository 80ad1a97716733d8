import { abs, add, clipByValue, div, log, mean, mul, neg, square, sub, sum, cast } from '../ops/arithmetic.js';
import { checkedLabels, sparseSoftmaxCrossEntropy } from '../ops/nn.js';
import { logSoftmax } from '../ops/log_softmax.js';
import { formatShape } from '../tensor/shape.js';
import { Tensor, scalar } from '../tensor/tensor.js';
import { isFloat, type FloatDType } from '../tensor/dtype.js';

/** Keras clips probabilities to [epsilon, 1 - epsilon] before taking logs. */
export const EPSILON = 1e-7;

/** A loss returns one value per sample; the model averages them over the batch. */
export type LossFn = (yTrue: Tensor, yPred: Tensor) => Tensor;

function asFloat(y: Tensor, like: Tensor): Tensor {
  return isFloat(y.dtype) && y.dtype === like.dtype ? y : cast(y, like.dtype as FloatDType);
}

function checkSameShape(name: string, yTrue: Tensor, yPred: Tensor): void {
  if (yTrue.size !== yPred.size) {
    throw new Error(`${name}: labels of shape ${formatShape(yTrue.shape)} do not match predictions of shape ${formatShape(yPred.shape)}`);
  }
}

function oneHotOf(labels: Tensor, rows: number, classes: number, dtype: FloatDType): Tensor {
  checkedLabels(labels, rows, classes);
  const data = dtype === 'float64' ? new Float64Array(rows * classes) : new Float32Array(rows * classes);
  for (let r = 0; r < rows; r++) data[r * classes + labels.data[r]] = 1;
  return new Tensor(data, [rows, classes]);
}

/**
 * Targets softened as Keras's label_smoothing does: onehot * (1 - amount) + amount / classes.
 * Accepts integer labels [n] (sparse) or one-hot rows [n, classes].
 */
export function smoothLabels(yTrue: Tensor, classes: number, amount: number, dtype: FloatDType): Tensor {
  const rows = yTrue.size === yTrue.shape[0] ? yTrue.shape[0] : yTrue.size / classes;
  const dense = yTrue.size === rows && classes !== 1 ? oneHotOf(yTrue, rows, classes, dtype) : asFloatOf(yTrue, dtype).reshape([rows, classes]);
  const out = dtype === 'float64' ? new Float64Array(rows * classes) : new Float32Array(rows * classes);
  for (let i = 0; i < out.length; i++) out[i] = dense.data[i] * (1 - amount) + amount / classes;
  return new Tensor(out, [rows, classes]);
}

function asFloatOf(y: Tensor, dtype: FloatDType): Tensor {
  return y.dtype === dtype ? y : cast(y, dtype);
}

export function sparseCategoricalCrossentropy(yTrue: Tensor, yPred: Tensor): Tensor {
  const classes = yPred.shape[yPred.rank - 1];
  const rows = yPred.size / classes;
  const oneHot = oneHotOf(yTrue, rows, classes, yPred.dtype as FloatDType);
  const p = clipByValue(yPred.reshape([rows, classes]), EPSILON, 1 - EPSILON);
  return neg(sum(mul(oneHot, log(p)), -1));
}

export function categoricalCrossentropy(yTrue: Tensor, yPred: Tensor): Tensor {
  checkSameShape('categoricalCrossentropy', yTrue, yPred);
  const t = asFloat(yTrue, yPred);
  // Keras rescales predictions to sum to one before clipping.
  const p = clipByValue(div(yPred, sum(yPred, -1, true)), EPSILON, 1 - EPSILON);
  return neg(sum(mul(t, log(p)), -1));
}

export function binaryCrossentropy(yTrue: Tensor, yPred: Tensor): Tensor {
  checkSameShape('binaryCrossentropy', yTrue, yPred);
  const t = asFloat(yTrue, yPred).reshape(yPred.shape);
  const p = clipByValue(yPred, EPSILON, 1 - EPSILON);
  const one = scalar(1, yPred.dtype);
  const perElement = neg(add(mul(t, log(p)), mul(sub(one, t), log(sub(one, p)))));
  return mean(perElement, -1);
}

export function meanSquaredError(yTrue: Tensor, yPred: Tensor): Tensor {
  checkSameShape('meanSquaredError', yTrue, yPred);
  const t = asFloat(yTrue, yPred).reshape(yPred.shape);
  return mean(square(sub(yPred, t)), -1);
}

export function meanAbsoluteError(yTrue: Tensor, yPred: Tensor): Tensor {
  checkSameShape('meanAbsoluteError', yTrue, yPred);
  const t = asFloat(yTrue, yPred).reshape(yPred.shape);
  return mean(abs(sub(yPred, t)), -1);
}

/** Cross-entropies computed from the logits before a softmax: stable and cheaper. */
export const fromLogits = {
  sparseCategoricalCrossentropy: (yTrue: Tensor, logits: Tensor): Tensor => sparseSoftmaxCrossEntropy(logits, yTrue),
  categoricalCrossentropy: (yTrue: Tensor, logits: Tensor): Tensor => {
    checkSameShape('categoricalCrossentropy', yTrue, logits);
    return neg(sum(mul(asFloat(yTrue, logits).reshape(logits.shape), logSoftmax(logits)), -1));
  },
};

export type LossName = 'sparseCategoricalCrossentropy' | 'categoricalCrossentropy' | 'binaryCrossentropy' | 'meanSquaredError' | 'meanAbsoluteError';

export const losses: Record<LossName, LossFn> = {
  sparseCategoricalCrossentropy,
  categoricalCrossentropy,
  binaryCrossentropy,
  meanSquaredError,
  meanAbsoluteError,
};

const aliases: Record<string, LossName> = {
  sparsecategoricalcrossentropy: 'sparseCategoricalCrossentropy',
  categoricalcrossentropy: 'categoricalCrossentropy',
  binarycrossentropy: 'binaryCrossentropy',
  meansquarederror: 'meanSquaredError',
  mse: 'meanSquaredError',
  meanabsoluteerror: 'meanAbsoluteError',
  mae: 'meanAbsoluteError',
};

/** Accepts TF.js names ('sparseCategoricalCrossentropy') and Keras names ('sparse_categorical_crossentropy'). */
export function resolveLoss(id: string): LossName {
  const name = aliases[id.replace(/_/g, '').toLowerCase()];
  if (!name) {
    throw new Error(`Unknown loss '${id}'; expected one of ${Object.keys(losses).join(', ')} (or their snake_case Keras names, 'mse', 'mae')`);
  }
  return name;
}
