/**
 * predict, fit and evaluate for models with several inputs or outputs. The same loop as
 * training.ts (one arena step per batch, callbacks in Keras's order, the same data checks), with
 * one tensor per input and per output. The total loss is the loss-weighted sum of each output's
 * mean loss; logs name each output's loss and metrics as Keras does: `loss`, `<output>_loss`,
 * `<output>_<metric>`, and `val_` before each when validating. A model with one output keeps
 * Keras's plain names (`loss`, `accuracy`).
 */
import { valueAndGrads } from '../autograd/backprop.js';
import { noGrad } from '../autograd/tape.js';
import type { Logs } from '../callbacks/callback.js';
import type { History } from '../callbacks/history.js';
import { Progbar, defaultSink } from '../callbacks/progbar.js';
import { runStep } from '../kernels/arena.js';
import { ready as backendReady } from '../kernels/registry.js';
import { fromLogits, smoothLabels } from '../losses/index.js';
import { MeanMetric, resolveMetric, type Metric } from '../metrics/index.js';
import { add, mean, mul } from '../ops/arithmetic.js';
import { softmax } from '../ops/nn.js';
import { allocate, type FloatDType } from '../tensor/dtype.js';
import { Tensor } from '../tensor/tensor.js';
import { globalRandom } from '../utils/random.js';
import { batchOf, inputFloatDType, targetBatchOf } from './data.js';
import { checkInputs } from './input_checks.js';
import type { LayersModel, PredictArgs } from './layers_model.js';
import { checkSameSamples, isGraphModel, labelled, tensorsFor, type GraphModel, type OutputCompiled } from './multi_io.js';
import { runFitLoop } from './fit_loop.js';
import { checkLabelsFor, fitCallbacks, fitSettings, requireCompiled, type EvaluateArgs, type FitArgs } from './training.js';

/** Whether a call goes the multi-input / multi-output way: a graph model with several, or given arrays / objects. */
export function usesMultiPath(model: LayersModel, x: unknown, y?: unknown): model is GraphModel {
  if (!isGraphModel(model)) return false;
  if (model.multiIO || model.compiled?.perOutput) return true;
  return !(x instanceof Tensor) || (y !== undefined && !(y instanceof Tensor));
}

/** Refuses a dataset for a model with several inputs or outputs (datasets yield one x and one y). */
export function checkDatasetModel(model: LayersModel, what: string): void {
  if (isGraphModel(model) && model.multiIO) {
    throw new Error(`${what}: model '${model.name}' has ${model.inputs.length} inputs and ${model.outputs.length} outputs; datasets give one input and one target per batch, so pass tensors: ${what}(xs, ys) with one per input and per output`);
  }
}

function outputsOf(model: GraphModel): OutputCompiled[] {
  const c = requireCompiled(model, 'fit');
  if (c.perOutput) return c.perOutput;
  return [{ name: model.outputNames[0], lossName: c.lossName, lossFn: c.lossFn, weight: 1, metricIds: c.metricIds, labelSmoothing: c.labelSmoothing }];
}

function units(model: GraphModel, k: number): number {
  const shape = model.outputs[k].shape;
  return (shape[shape.length - 1] as number) ?? 1;
}

/** The fused softmax + cross-entropy for output k, when it ends in a softmax and uses one. */
function fusedFor(model: GraphModel, o: OutputCompiled, k: number): ((yTrue: Tensor, logits: Tensor) => Tensor) | null {
  if (!model.outputEndsInSoftmax(k)) return null;
  if (o.labelSmoothing > 0) return (yTrue, logits) => fromLogits.categoricalCrossentropy(smoothLabels(yTrue, logits.shape[logits.rank - 1], o.labelSmoothing, logits.dtype as FloatDType), logits);
  if (o.lossName === 'sparseCategoricalCrossentropy') return fromLogits.sparseCategoricalCrossentropy;
  if (o.lossName === 'categoricalCrossentropy') return fromLogits.categoricalCrossentropy;
  return null;
}

interface MultiEvaluator {
  total: MeanMetric;
  losses: MeanMetric[];
  metrics: Metric[][];
}

function makeEvaluator(model: GraphModel, outs: OutputCompiled[]): MultiEvaluator {
  return {
    total: new MeanMetric('loss'),
    losses: outs.map((o) => new MeanMetric(`${o.name}_loss`)),
    metrics: outs.map((o, k) => o.metricIds.map((id) => resolveMetric(id, { lossName: o.lossName ?? '', outputUnits: units(model, k) }))),
  };
}

/** The log keys after 'loss', in Keras's order: each output's loss, then each output's metrics. */
function metricNames(outs: OutputCompiled[]): string[] {
  if (outs.length === 1) return [...outs[0].metricIds];
  return [...outs.map((o) => `${o.name}_loss`), ...outs.flatMap((o) => o.metricIds.map((m) => `${o.name}_${m}`))];
}

function logsOf(ev: MultiEvaluator, outs: OutputCompiled[], prefix = ''): Logs {
  const logs: Logs = { [`${prefix}loss`]: ev.total.result() };
  const several = outs.length > 1;
  if (several) outs.forEach((o, k) => (logs[`${prefix}${o.name}_loss`] = ev.losses[k].result()));
  outs.forEach((o, k) => ev.metrics[k].forEach((m) => (logs[`${prefix}${several ? `${o.name}_` : ''}${m.name}`] = m.result())));
  return logs;
}

/** Forward, the weighted losses, and (training) backward and one update, for one batch. */
function step(model: GraphModel, outs: OutputCompiled[], xs: Tensor[], ys: Tensor[], ev: MultiEvaluator, training: boolean): number {
  const fused = outs.map((o, k) => fusedFor(model, o, k));
  const logits = fused.map((f) => f !== null);
  let predictions: Tensor[] = [];
  const parts: Tensor[] = [];
  const forward = (): Tensor => {
    predictions = model.callAll(xs, training, logits);
    let total: Tensor | null = null;
    outs.forEach((o, k) => {
      const f = fused[k];
      const part = mean(f ? f(ys[k], predictions[k]) : o.lossFn(ys[k], predictions[k]));
      parts.push(part);
      const term = o.weight === 1 ? part : mul(part, o.weight);
      total = total === null ? term : add(total, term);
    });
    return total!;
  };
  let loss: number;
  if (training) {
    const variables = model.trainableWeights;
    const { value, grads } = valueAndGrads(forward, variables.map((v) => v.value));
    model.compiled!.optimizer.applyGradients(variables.map((variable, i) => ({ variable, grad: grads[i] })));
    loss = value.data[0];
  } else {
    loss = forward().data[0];
  }
  const n = xs[0].shape[0];
  noGrad(() => {
    outs.forEach((_, k) => {
      ev.losses[k].add(parts[k].data[0], n);
      if (ev.metrics[k].length === 0) return;
      const probs = fused[k] ? softmax(predictions[k]) : predictions[k];
      for (const m of ev.metrics[k]) m.update(ys[k], probs);
    });
  });
  ev.total.add(loss, n);
  return loss;
}

interface Prepared {
  xs: Tensor[];
  ys: Tensor[];
  n: number;
}

/** The data of one call as lists in the model's order, checked once before any work. */
function prepare(model: GraphModel, outs: OutputCompiled[], x: unknown, y: unknown, what: string, checkFinite: boolean | undefined): Prepared {
  const xs = tensorsFor(x, model.inputNames, what, 'x', 'input');
  const ys = tensorsFor(y, model.outputNames, what, 'y', 'output');
  const tensors = [...labelled(xs, model.inputNames, 'input'), ...labelled(ys, model.outputNames, 'target')];
  const n = checkSameSamples(tensors, what);
  checkInputs(tensors, what, checkFinite);
  xs.forEach((t, i) => model.checkInputAt(t, i));
  const several = model.outputs.length > 1;
  ys.forEach((t, k) => checkLabelsFor(outs[k].lossName, units(model, k), t, what, several ? `output '${outs[k].name}' of model '${model.name}'` : `model '${model.name}'`));
  return { xs, ys, n };
}

function run(model: GraphModel, outs: OutputCompiled[], data: Prepared, batchSize: number, ev: MultiEvaluator, order: Int32Array | null, training: boolean, onBatch?: (step: number, loss: number) => void): void {
  const steps = Math.ceil(data.n / batchSize);
  const floats = data.xs.map(inputFloatDType);
  for (let s = 0; s < steps; s++) {
    const start = s * batchSize;
    const end = Math.min(start + batchSize, data.n);
    const loss = runStep(() => step(model, outs, data.xs.map((x, i) => batchOf(x, order, start, end, floats[i])), data.ys.map((y) => targetBatchOf(y, order, start, end)), ev, training));
    onBatch?.(s, loss);
  }
}

/** [total loss, each output's loss (several outputs), each output's metrics], as Keras's evaluate. */
export function evaluateMulti(model: GraphModel, x: unknown, y: unknown, args: EvaluateArgs = {}): number[] {
  requireCompiled(model, 'evaluate');
  const outs = outputsOf(model);
  const data = prepare(model, outs, x, y, 'evaluate', args.checkFinite);
  const batchSize = args.batchSize ?? 32;
  const ev = makeEvaluator(model, outs);
  const steps = Math.ceil(data.n / batchSize);
  const bar = (args.verbose ?? 1) > 0 ? new Progbar(steps, args.verbose ?? 1, args.progressSink ?? defaultSink()) : null;
  noGrad(() => run(model, outs, data, batchSize, ev, null, false, (s) => bar?.update(s + 1, logsOf(ev, outs), s + 1 === steps)));
  return Object.values(logsOf(ev, outs));
}

/** The last `split` of every tensor, as Keras takes validationSplit (before shuffling). */
function split(data: Prepared, fraction: number): { train: Prepared; val: Prepared } {
  if (!(fraction > 0 && fraction < 1)) throw new Error(`fit: validationSplit must be in [0, 1), received ${fraction}`);
  const at = Math.floor(data.n * (1 - fraction));
  if (at === 0 || at === data.n) throw new Error(`fit: validationSplit ${fraction} leaves no ${at === 0 ? 'training' : 'validation'} samples out of ${data.n}`);
  const part = (t: Tensor, a: number, b: number) => batchOf(t, null, a, b, null);
  return {
    train: { xs: data.xs.map((t) => part(t, 0, at)), ys: data.ys.map((t) => part(t, 0, at)), n: at },
    val: { xs: data.xs.map((t) => part(t, at, data.n)), ys: data.ys.map((t) => part(t, at, data.n)), n: data.n - at },
  };
}

export async function fitMulti(model: GraphModel, x: unknown, y: unknown, args: FitArgs = {}): Promise<History> {
  const compiled = requireCompiled(model, 'fit');
  const outs = outputsOf(model);
  const all = prepare(model, outs, x, y, 'fit', args.checkFinite);
  await backendReady();
  const { epochs, batchSize, initialEpoch, verbose } = fitSettings(args);
  let data = all;
  let val: Prepared | null = null;
  if (args.validationData !== undefined) {
    const vd = args.validationData as unknown;
    if (!Array.isArray(vd) || vd.length !== 2) throw new Error(`fit: validationData for model '${model.name}' must be [xs, ys] with one tensor per input and per output (datasets are not supported for several inputs or outputs)`);
    val = prepare(model, outs, vd[0], vd[1], 'fit (validationData)', args.checkFinite);
  } else if ((args.validationSplit ?? 0) !== 0) {
    ({ train: data, val } = split(all, args.validationSplit!));
  }
  const steps = Math.ceil(data.n / batchSize);
  const { history, list } = fitCallbacks(model, compiled, args, { epochs, initialEpoch, steps, samples: data.n, batchSize, verbose, validating: val !== null }, metricNames(outs));
  const trainData = data;
  await runFitLoop({
    model, optimizer: compiled.optimizer, list, epochs, initialEpoch, steps, yieldEvery: args.yieldEvery,
    evaluator: () => makeEvaluator(model, outs),
    logs: (ev) => logsOf(ev, outs),
    *batches(_epoch, ev) {
      const order = args.shuffle === false ? null : globalRandom.permutation(trainData.n);
      const floats = trainData.xs.map(inputFloatDType);
      for (let s = 0; s < steps; s++) {
        const start = s * batchSize;
        const end = Math.min(start + batchSize, trainData.n);
        yield { size: end - start, train: () => runStep(() => step(model, outs, trainData.xs.map((t, i) => batchOf(t, order, start, end, floats[i])), trainData.ys.map((t) => targetBatchOf(t, order, start, end)), ev, true)) };
      }
    },
    validation() {
      if (!val) return {};
      const valEv = makeEvaluator(model, outs);
      noGrad(() => run(model, outs, val!, batchSize, valEv, null, false));
      return logsOf(valEv, outs, 'val_');
    },
    nanAdvice: 'Try a lower learning rate, check the inputs for NaN/Infinity, or normalise them (e.g. divide pixels by 255).',
  });
  return history;
}

/** One tensor per output (a single Tensor when the model has one), computed in batches. */
export function predictMulti(model: GraphModel, x: unknown, args: PredictArgs = {}): Tensor | Tensor[] {
  const xs = tensorsFor(x, model.inputNames, 'predict', 'x', 'input');
  const tensors = labelled(xs, model.inputNames, 'input');
  const n = checkSameSamples(tensors, 'predict');
  checkInputs(tensors, 'predict', args.checkFinite);
  xs.forEach((t, i) => model.checkInputAt(t, i));
  if (args.flipAverage) throw new Error(`predict: flipAverage is for models with one image input; model '${model.name}' has ${model.inputs.length} inputs and ${model.outputs.length} outputs`);
  const batchSize = args.batchSize ?? 32;
  const floats = xs.map(inputFloatDType);
  const rows = model.outputs.map((t) => t.shape.slice(1) as number[]);
  const rowSizes = rows.map((r) => r.reduce((p, d) => p * d, 1));
  const outs = rows.map((_, k) => allocate(floats[0], n * rowSizes[k]));
  const steps = Math.ceil(n / batchSize);
  const bar = (args.verbose ?? 0) > 0 ? new Progbar(steps, args.verbose) : null;
  noGrad(() => {
    for (let s = 0; s < steps; s++) {
      const start = s * batchSize;
      const end = Math.min(start + batchSize, n);
      runStep(() => {
        const ys = model.callAll(xs.map((t, i) => batchOf(t, null, start, end, floats[i])), false);
        ys.forEach((y, k) => outs[k].set(y.data as Float32Array, start * rowSizes[k]));
      });
      bar?.update(s + 1);
    }
  });
  const result = outs.map((data, k) => new Tensor(data, [n, ...rows[k]]));
  return result.length === 1 ? result[0] : result;
}
