import { valueAndGrads } from '../autograd/backprop.js';
import { queuePoint, runStep, scalarQueuedBefore } from '../kernels/arena.js';
import { ready as backendReady } from '../kernels/registry.js';
import { noGrad } from '../autograd/tape.js';
import { CallbackList, toCallback, type Callback, type CallbackHooks, type Logs } from '../callbacks/callback.js';
import { History } from '../callbacks/history.js';
import { Progbar, ProgbarLogger, defaultSink, type ProgressSink } from '../callbacks/progbar.js';
import { fromLogits, smoothLabels } from '../losses/index.js';
import type { FloatDType } from '../tensor/dtype.js';
import { MeanMetric, resolveMetric, type Metric } from '../metrics/index.js';
import { mean } from '../ops/arithmetic.js';
import { softmax } from '../ops/nn.js';
import { formatShape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { globalRandom } from '../utils/random.js';
import { batchOf, checkSameLength, inputFloatDType, targetBatchOf } from './data.js';
import { checkInputs } from './input_checks.js';
import { runFitLoop } from './fit_loop.js';
import type { Compiled, LayersModel } from './layers_model.js';
import type { TensorSet } from './multi_io.js';
import { evaluateDatasetInto, isBatchDataset, type BatchDataset } from './batch_dataset.js';

export interface FitArgs {
  epochs?: number;
  batchSize?: number;
  verbose?: 0 | 1 | 2;
  validationSplit?: number;
  /**
   * [x, y] tensors, or a dataset such as imageDatasetFromDirectory's (evaluated each epoch); for
   * several inputs or outputs, [xs, ys] with arrays or {name: tensor} objects.
   */
  validationData?: [Tensor, Tensor] | [TensorSet, TensorSet] | BatchDataset;
  shuffle?: boolean;
  callbacks?: (Callback | CallbackHooks)[] | Callback | CallbackHooks;
  initialEpoch?: number;
  /** Where the progress bar goes (default: stdout in Node, console in browsers). */
  progressSink?: ProgressSink;
  /** How often fit yields to the event loop so a page or worker stays responsive. */
  yieldEvery?: 'auto' | 'batch' | 'epoch' | 'never';
  /** Check float inputs and targets for NaN and ±Infinity once before training (default true). */
  checkFinite?: boolean;
}

export interface EvaluateArgs {
  batchSize?: number;
  verbose?: 0 | 1 | 2;
  progressSink?: ProgressSink;
  /** Check float inputs and targets for NaN and ±Infinity once before evaluating (default true). */
  checkFinite?: boolean;
}

interface StepResult {
  loss: number;
}

export function requireCompiled(model: LayersModel, what: string): Compiled {
  if (!model.compiled) throw new Error(`${what}: model '${model.name}' must be compiled first: model.compile({ optimizer, loss, metrics })`);
  return model.compiled;
}

function outputUnits(model: LayersModel): number {
  const shape = model.outputShape;
  return (shape[shape.length - 1] as number) ?? 1;
}

/** Checks labels against the loss once, before any work, so mistakes fail fast with context. */
export function checkLabels(model: LayersModel, compiled: Compiled, y: Tensor, what: string): void {
  checkLabelsFor(compiled.lossName, outputUnits(model), y, what, `model '${model.name}'`);
}

/** checkLabels for one output of `units` units; `owner` names it in messages ("model 'm'"). */
export function checkLabelsFor(lossName: string | null, units: number, y: Tensor, what: string, owner: string): void {
  if (lossName === 'sparseCategoricalCrossentropy') {
    if (!(y.rank === 1 || (y.rank === 2 && y.shape[1] === 1))) {
      throw new Error(`${what}: sparseCategoricalCrossentropy expects integer labels of shape [n] or [n, 1], received ${formatShape(y.shape)}; for one-hot labels use categoricalCrossentropy`);
    }
    for (let i = 0; i < y.size; i++) {
      const v = y.data[i];
      if (!(Number.isInteger(v) && v >= 0 && v < units)) {
        throw new Error(`${what}: label ${v} at index ${i} is out of range; ${owner} has ${units} output units, so labels must be integers in [0, ${units - 1}]`);
      }
    }
  } else if (lossName !== null && y.size !== y.shape[0] * units) {
    throw new Error(`${what}: ${lossName} expects labels shaped like the ${owner.startsWith('model') ? 'model output' : owner} ${formatShape([y.shape[0], units])}, received ${formatShape(y.shape)}`);
  }
}

export interface Evaluator {
  metrics: Metric[];
  lossMean: MeanMetric;
}

export function makeEvaluator(model: LayersModel, compiled: Compiled, prefix = ''): Evaluator {
  const context = { lossName: compiled.lossName ?? '', outputUnits: outputUnits(model) };
  return { lossMean: new MeanMetric(`${prefix}loss`), metrics: compiled.metricIds.map((id) => resolveMetric(id, context)) };
}

export function fusedLoss(model: LayersModel, compiled: Compiled): ((yTrue: Tensor, logits: Tensor) => Tensor) | null {
  if (!model.endsInSoftmax()) return null;
  const smoothing = compiled.labelSmoothing;
  if (smoothing > 0) {
    return (yTrue, logits) => fromLogits.categoricalCrossentropy(smoothLabels(yTrue, logits.shape[logits.rank - 1], smoothing, logits.dtype as FloatDType), logits);
  }
  if (compiled.lossName === 'sparseCategoricalCrossentropy') return fromLogits.sparseCategoricalCrossentropy;
  if (compiled.lossName === 'categoricalCrossentropy') return fromLogits.categoricalCrossentropy;
  return null;
}

/**
 * Forward, loss and backward for one batch, then one optimizer update. Runs as one step of the
 * backend's arena (src/kernels/arena.ts): only numbers leave it; weights, optimizer slots and
 * metric totals are updated in place on the heap.
 */
export function trainStep(model: LayersModel, compiled: Compiled, x: Tensor, y: Tensor, ev: Evaluator): StepResult {
  const fused = fusedLoss(model, compiled);
  const variables = model.trainableWeights;
  let predictions: Tensor | null = null;
  let lossQueued = 0;
  const { value, grads } = valueAndGrads(() => {
    const out = model.call(x, true, fused !== null);
    predictions = out;
    const perSample = fused ? fused(y, out) : compiled.lossFn(y, out);
    const lossTensor = mean(perSample);
    lossQueued = queuePoint();
    return lossTensor;
  }, variables.map((v) => v.value));
  // The loss waits for the forward pass only, and the update is queued last: the backward pass and
  // the update run on while this thread goes on to the next step (runStep's overlap). Metrics
  // read their operands' data, which waits for every kernel queued so far.
  const loss = scalarQueuedBefore(value, lossQueued);
  if (ev.metrics.length > 0) {
    noGrad(() => {
      const probs = fused ? softmax(predictions!) : predictions!;
      for (const m of ev.metrics) m.update(y, probs);
    });
  }
  compiled.optimizer.applyGradients(variables.map((variable, i) => ({ variable, grad: grads[i] })));
  ev.lossMean.add(loss, x.shape[0]);
  return { loss };
}

export function logsOf(ev: Evaluator, prefix = ''): Logs {
  const logs: Logs = { [`${prefix}loss`]: ev.lossMean.result() };
  for (const m of ev.metrics) logs[`${prefix}${m.name}`] = m.result();
  return logs;
}

/** Adds one batch's loss and metrics to `ev`, in inference mode; call inside runStep and noGrad. */
export function evaluateBatch(model: LayersModel, compiled: Compiled, xb: Tensor, yb: Tensor, ev: Evaluator, fused = fusedLoss(model, compiled)): void {
  const out = model.call(xb, false, fused !== null);
  const loss = mean(fused ? fused(yb, out) : compiled.lossFn(yb, out)).data[0];
  ev.lossMean.add(loss, xb.shape[0]);
  const probs = fused ? softmax(out) : out;
  for (const m of ev.metrics) m.update(yb, probs);
}

/** Loss and metrics over a dataset in inference mode. */
function runEvaluation(model: LayersModel, compiled: Compiled, x: Tensor, y: Tensor, batchSize: number, ev: Evaluator, bar: Progbar | null): void {
  const fused = fusedLoss(model, compiled);
  const n = x.shape[0];
  const floatDType = inputFloatDType(x);
  const steps = Math.ceil(n / batchSize);
  noGrad(() => {
    for (let step = 0; step < steps; step++) {
      const start = step * batchSize;
      const end = Math.min(start + batchSize, n);
      // One arena step per batch; the loss and metric totals it leaves behind are numbers.
      runStep(() => evaluateBatch(model, compiled, batchOf(x, null, start, end, floatDType), targetBatchOf(y, null, start, end), ev, fused));
      bar?.update(step + 1, logsOf(ev), step + 1 === steps);
    }
  });
}

export function evaluateModel(model: LayersModel, x: Tensor, y: Tensor, args: EvaluateArgs = {}): number[] {
  const compiled = requireCompiled(model, 'evaluate');
  checkSameLength(x, y, 'evaluate');
  checkInputs([[x, 'x'], [y, 'y']], 'evaluate', args.checkFinite);
  model.checkInput(x);
  checkLabels(model, compiled, y, 'evaluate');
  const batchSize = args.batchSize ?? 32;
  const ev = makeEvaluator(model, compiled);
  const verbose = args.verbose ?? 1;
  const bar = verbose > 0 ? new Progbar(Math.ceil(x.shape[0] / batchSize), verbose, args.progressSink ?? defaultSink()) : null;
  runEvaluation(model, compiled, x, y, batchSize, ev, bar);
  return [ev.lossMean.result(), ...ev.metrics.map((m) => m.result())];
}

function splitValidation(x: Tensor, y: Tensor, args: FitArgs): { x: Tensor; y: Tensor; val: [Tensor, Tensor] | null } {
  if (isBatchDataset(args.validationData)) return { x, y, val: null };
  if (args.validationData) {
    const [vx, vy] = args.validationData as [Tensor, Tensor];
    checkSameLength(vx, vy, 'fit (validationData)');
    checkInputs([[vx, 'x'], [vy, 'y']], 'fit (validationData)', args.checkFinite);
    return { x, y, val: [vx, vy] };
  }
  const split = args.validationSplit ?? 0;
  if (!(split >= 0 && split < 1)) throw new Error(`fit: validationSplit must be in [0, 1), received ${split}`);
  if (split === 0) return { x, y, val: null };
  // As Keras: the last fraction of the samples, taken before any shuffling.
  const at = Math.floor(x.shape[0] * (1 - split));
  if (at === 0 || at === x.shape[0]) throw new Error(`fit: validationSplit ${split} leaves no ${at === 0 ? 'training' : 'validation'} samples out of ${x.shape[0]}`);
  return {
    x: batchOf(x, null, 0, at, null),
    y: batchOf(y, null, 0, at, null),
    val: [batchOf(x, null, at, x.shape[0], null), batchOf(y, null, at, y.shape[0], null)],
  };
}

/**
 * The History and callback list of one fit, tensors or dataset alike: Keras's order (the progress
 * bar first, the History last, so it records what callbacks add, such as lr), with fit's params.
 */
export function fitCallbacks(
  model: LayersModel,
  compiled: Compiled,
  args: FitArgs,
  p: { epochs: number; initialEpoch: number; steps: number; samples: number; batchSize: number; verbose: 0 | 1 | 2; validating: boolean },
  /** The log keys after 'loss' (default: the compiled metrics); several outputs name theirs. */
  metricNames: readonly string[] = compiled.metricIds,
): { history: History; list: CallbackList } {
  const history = new History();
  model.history = history;
  const user = args.callbacks === undefined ? [] : Array.isArray(args.callbacks) ? args.callbacks : [args.callbacks];
  const progbar = p.verbose > 0 ? [new ProgbarLogger(p.verbose, args.progressSink ?? defaultSink())] : [];
  const list = new CallbackList([...progbar, ...user.map(toCallback), history]);
  list.setModel(model);
  const metrics = ['loss', ...metricNames, ...(p.validating ? ['val_loss', ...metricNames.map((m) => `val_${m}`)] : [])];
  const { validating: _, ...params } = p;
  list.setParams({ ...params, metrics });
  return { history, list };
}

export { yieldToEventLoop } from './fit_loop.js';

/** fit's epochs, batch size, first epoch and verbosity, with Keras's defaults, checked. */
export function fitSettings(args: FitArgs): { epochs: number; batchSize: number; initialEpoch: number; verbose: 0 | 1 | 2 } {
  const epochs = args.epochs ?? 1;
  const batchSize = args.batchSize ?? 32;
  if (!Number.isInteger(batchSize) || batchSize <= 0) throw new Error(`fit: batchSize must be a positive integer, received ${batchSize}`);
  if (!Number.isInteger(epochs) || epochs < 0) throw new Error(`fit: epochs must be a non-negative integer, received ${epochs}`);
  return { epochs, batchSize, initialEpoch: args.initialEpoch ?? 0, verbose: args.verbose ?? 1 };
}

export async function fitModel(model: LayersModel, xAll: Tensor, yAll: Tensor, args: FitArgs = {}): Promise<History> {
  const compiled = requireCompiled(model, 'fit');
  checkSameLength(xAll, yAll, 'fit');
  checkInputs([[xAll, 'x'], [yAll, 'y']], 'fit', args.checkFinite);
  model.checkInput(xAll);
  checkLabels(model, compiled, yAll, 'fit');
  // The default backend's start (workers) completes first: a run keeps one thread count, which
  // makes it reproducible.
  await backendReady();
  const { epochs, batchSize, initialEpoch, verbose } = fitSettings(args);
  const { x, y, val } = splitValidation(xAll, yAll, args);
  if (val) {
    model.checkInput(val[0]);
    checkLabels(model, compiled, val[1], 'fit (validation)');
  }
  const n = x.shape[0];
  const steps = Math.ceil(n / batchSize);
  const floatDType = inputFloatDType(x);

  const valDataset = isBatchDataset(args.validationData) ? args.validationData : null;
  const { history, list } = fitCallbacks(model, compiled, args, { epochs, initialEpoch, steps, samples: n, batchSize, verbose, validating: Boolean(val || valDataset) });

  await runFitLoop({
    model, optimizer: compiled.optimizer, list, epochs, initialEpoch, steps, yieldEvery: args.yieldEvery,
    evaluator: () => makeEvaluator(model, compiled),
    logs: (ev) => logsOf(ev),
    *batches(_epoch, ev) {
      const order = args.shuffle === false ? null : globalRandom.permutation(n);
      for (let step = 0; step < steps; step++) {
        const start = step * batchSize;
        const end = Math.min(start + batchSize, n);
        yield { size: end - start, train: () => runStep(() => trainStep(model, compiled, batchOf(x, order, start, end, floatDType), targetBatchOf(y, order, start, end), ev), end - start, true).loss };
      }
    },
    async validation() {
      const logs: Logs = {};
      if (val) {
        const valEv = makeEvaluator(model, compiled, 'val_');
        runEvaluation(model, compiled, val[0], val[1], batchSize, valEv, null);
        Object.assign(logs, logsOf(valEv, 'val_'));
      }
      if (valDataset) Object.assign(logs, await evaluateDatasetInto(model, compiled, valDataset, 'val_'));
      return logs;
    },
    nanAdvice: 'Try a lower learning rate, check the inputs for NaN/Infinity, or normalise them (e.g. divide pixels by 255).',
  });
  return history;
}
