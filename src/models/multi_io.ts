/**
 * Models with several inputs or several outputs (Keras's and TF.js's multi-input / multi-output
 * functional models): how compile() reads per-output losses, loss weights and metrics, and how
 * predict, fit and evaluate take one tensor per input and per output, as an array in the model's
 * order or as an object keyed by input / output name. The training loop itself is in
 * multi_io_training.ts; single-input, single-output models keep the path in training.ts.
 */
import { losses, resolveLoss, smoothLabels, type LossFn, type LossName } from '../losses/index.js';
import { resolveMetric } from '../metrics/index.js';
import type { FloatDType } from '../tensor/dtype.js';
import { formatShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import type { SymbolicTensor } from '../layers/symbolic.js';
import type { CompileArgs, LayersModel } from './layers_model.js';

/** What a graph model (Functional) offers beyond LayersModel; duck-typed to avoid an import cycle. */
export interface GraphModel extends LayersModel {
  readonly inputs: SymbolicTensor[];
  readonly outputs: SymbolicTensor[];
  readonly inputNames: string[];
  readonly outputNames: string[];
  readonly multiIO: boolean;
  callAll(xs: Tensor[], training?: boolean, logits?: readonly boolean[]): Tensor[];
  checkInputAt(x: Tensor, index: number, label?: string): void;
  outputEndsInSoftmax(k: number): boolean;
}

export function isGraphModel(model: LayersModel): model is GraphModel {
  return typeof (model as Partial<GraphModel>).callAll === 'function' && Array.isArray((model as Partial<GraphModel>).outputs);
}

/** One tensor, an array of them in the model's order, or an object keyed by input / output name. */
export type TensorSet = Tensor | Tensor[] | Record<string, Tensor>;

/** How one output of a model is trained and measured. */
export interface OutputCompiled {
  name: string;
  lossName: LossName | null;
  lossFn: LossFn;
  /** Its factor in the total loss (Keras's loss_weights; 1 by default). */
  weight: number;
  metricIds: string[];
  labelSmoothing: number;
}

function isPlainRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Tensor) && Object.getPrototypeOf(value) === Object.prototype;
}

function describeValue(value: unknown): string {
  if (value instanceof Tensor) return `a Tensor of shape ${formatShape(value.shape)}`;
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (value === null) return 'null';
  if (isPlainRecord(value)) return `an object with keys ${JSON.stringify(Object.keys(value))}`;
  return typeof value;
}

/**
 * A per-output setting given once for all outputs, as an array in output order or as an object
 * keyed by output name, spread to one entry per output. Unknown names and wrong lengths throw.
 */
function perOutput<T>(value: T | T[] | Record<string, T>, names: string[], what: string, isSingle: (v: unknown) => v is T, missing: (name: string) => T): T[] {
  if (isSingle(value)) return names.map(() => value);
  if (Array.isArray(value)) {
    if (value.length !== names.length) throw new Error(`compile: ${what} has ${value.length} entries, but the model has ${names.length} outputs (${names.join(', ')}); give one per output, or an object keyed by output name`);
    return value;
  }
  if (isPlainRecord(value)) {
    for (const key of Object.keys(value)) {
      if (!names.includes(key)) throw new Error(`compile: ${what} names output '${key}', which the model does not have; its outputs are ${names.join(', ')}`);
    }
    return names.map((n) => (Object.hasOwn(value, n) ? (value as Record<string, T>)[n] : missing(n)));
  }
  throw new Error(`compile: ${what} must be given once, as an array with one entry per output or as an object keyed by output name (${names.join(', ')}); received ${describeValue(value)}`);
}

/** The loss function of a named loss, with Keras's label smoothing for the cross-entropies. */
export function namedLoss(lossName: LossName, labelSmoothing: number): LossFn {
  if (labelSmoothing === 0) return losses[lossName];
  return (yTrue, yPred) => {
    const classes = yPred.shape[yPred.rank - 1];
    return losses.categoricalCrossentropy(smoothLabels(yTrue, classes, labelSmoothing, yPred.dtype as FloatDType), yPred.reshape([-1, classes]));
  };
}

/**
 * compile() for a model with several outputs (or a loss weight): one OutputCompiled per output.
 * `loss`, `metrics` and `lossWeights` may each be given once for every output, per output as an
 * array, or per output name as an object, as Keras and TF.js accept them.
 */
export function compileOutputs(model: GraphModel, args: CompileArgs): OutputCompiled[] {
  const names = model.outputNames;
  const isLoss = (v: unknown): v is string | LossFn => typeof v === 'string' || typeof v === 'function';
  const lossList = perOutput(args.loss, names, 'loss', isLoss, (n) => {
    throw new Error(`compile: loss has no entry for output '${n}'; give every output a loss (${names.join(', ')})`);
  });
  const isWeight = (v: unknown): v is number => typeof v === 'number';
  const weights = args.lossWeights === undefined ? names.map(() => 1) : perOutput(args.lossWeights, names, 'lossWeights', isWeight, () => 1);
  weights.forEach((w, k) => {
    if (!(typeof w === 'number' && Number.isFinite(w) && w >= 0)) throw new Error(`compile: lossWeights for output '${names[k]}' must be a finite number >= 0, received ${JSON.stringify(w)}`);
  });
  const metricsArg = args.metrics ?? [];
  // A flat list applies to every output (tf.keras 2, TF.js); a list of lists or an object, per output.
  const isFlat = (v: unknown): v is string[] => typeof v === 'string' || (Array.isArray(v) && v.every((m) => typeof m === 'string'));
  const metricLists = perOutput<string | string[]>(metricsArg as string[], names, 'metrics', isFlat as (v: unknown) => v is string[], () => []).map((m) => (typeof m === 'string' ? [m] : [...m]));
  const labelSmoothing = args.labelSmoothing ?? 0;
  if (!(labelSmoothing >= 0 && labelSmoothing < 1)) throw new Error(`compile: labelSmoothing must be in [0, 1), received ${args.labelSmoothing}`);
  return names.map((name, k) => {
    const loss = lossList[k];
    if (!isLoss(loss)) throw new Error(`compile: the loss for output '${name}' must be a name or a function (yTrue, yPred) => Tensor, received ${describeValue(loss)}`);
    const lossName = typeof loss === 'string' ? resolveLoss(loss) : null;
    // Label smoothing applies to the cross-entropy outputs only, as a per-output setting would.
    const smoothing = lossName === 'sparseCategoricalCrossentropy' || lossName === 'categoricalCrossentropy' ? labelSmoothing : 0;
    const units = (model.outputs[k].shape[model.outputs[k].shape.length - 1] as number) ?? 1;
    for (const id of metricLists[k]) {
      if (typeof id !== 'string') throw new Error(`compile: the metrics for output '${name}' must be names such as 'accuracy', received ${describeValue(id)}`);
      resolveMetric(id, { lossName: lossName ?? '', outputUnits: units });
    }
    return { name, lossName, lossFn: typeof loss === 'string' ? namedLoss(lossName!, smoothing) : loss, weight: weights[k], metricIds: metricLists[k], labelSmoothing: smoothing };
  });
}

/**
 * The tensors of `value` in the order of `names` (the model's inputs or outputs): one Tensor
 * when there is one name, an array of one tensor per name, or an object keyed by name.
 */
export function tensorsFor(value: unknown, names: string[], what: string, label: 'x' | 'y', kind: 'input' | 'output'): Tensor[] {
  const expected = names.length === 1 ? `a Tensor (or [tensor], or {${names[0]}: tensor})` : `an array of ${names.length} tensors or an object {${names.join(', ')}}`;
  const owner = `the model has ${names.length} ${kind}${names.length === 1 ? '' : 's'} (${names.join(', ')})`;
  let list: unknown[];
  if (value instanceof Tensor) {
    if (names.length !== 1) throw new Error(`${what}: ${label} is one Tensor, but ${owner}; expected ${expected}`);
    list = [value];
  } else if (Array.isArray(value)) {
    if (value.length !== names.length) throw new Error(`${what}: ${label} holds ${value.length} tensor${value.length === 1 ? '' : 's'}, but ${owner}; expected ${expected}`);
    list = value;
  } else if (isPlainRecord(value)) {
    const extra = Object.keys(value).filter((k) => !names.includes(k));
    if (extra.length > 0) throw new Error(`${what}: ${label} names ${kind} '${extra[0]}', which the model does not have; ${owner}`);
    const missing = names.filter((n) => !Object.hasOwn(value, n));
    if (missing.length > 0) throw new Error(`${what}: ${label} has no tensor for ${kind} '${missing[0]}'; ${owner}`);
    list = names.map((n) => value[n]);
  } else {
    throw new Error(`${what}: expected ${label} to be ${expected}, received ${describeValue(value)}`);
  }
  list.forEach((t, i) => {
    if (!(t instanceof Tensor)) throw new Error(`${what}: ${label} for ${kind} '${names[i]}' must be a Tensor, received ${describeValue(t)}; wrap values with tensor(values, shape)`);
    if (t.rank === 0) throw new Error(`${what}: ${label} for ${kind} '${names[i]}' needs a batch axis, received a scalar`);
  });
  return list as Tensor[];
}

/** Every input and target must hold the same number of samples. */
export function checkSameSamples(tensors: Array<[Tensor, string]>, what: string): number {
  const [first, firstName] = tensors[0];
  const n = first.shape[0];
  for (const [t, name] of tensors) {
    if (t.shape[0] !== n) {
      throw new Error(`${what}: ${name} has ${t.shape[0]} samples (shape ${formatShape(t.shape)}) but ${firstName} has ${n} (shape ${formatShape(first.shape)}); every input and target needs the same number of samples`);
    }
  }
  return n;
}

/** 'input 'name'' / 'target 'name'' labels for the data checks. */
export function labelled(tensors: Tensor[], names: string[], kind: 'input' | 'target'): Array<[Tensor, string]> {
  return tensors.map((t, i) => [t, `${kind} '${names[i]}'`]);
}
