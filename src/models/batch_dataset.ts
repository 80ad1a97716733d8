/**
 * Training from datasets that arrive batch by batch (TF.js's `fitDataset`), such as
 * `imageDatasetFromDirectory`'s: `model.fit(ds, { epochs, validationData: valDs })`,
 * `await model.evaluate(ds)`, `await model.predict(ds)`. Each batch is converted to floats inside
 * its training step, as the tensor path does; the dataset decides the batch size and the order.
 */
import { runStep, toHeap } from '../kernels/arena.js';
import { noGrad } from '../autograd/tape.js';
import type { History } from '../callbacks/history.js';
import { Progbar, defaultSink } from '../callbacks/progbar.js';
import { ready as backendReady } from '../kernels/registry.js';
import { allocate } from '../tensor/dtype.js';
import { Tensor } from '../tensor/tensor.js';
import { batchOf, inputFloatDType, targetBatchOf } from './data.js';
import type { Compiled, LayersModel } from './layers_model.js';
import { runFitLoop } from './fit_loop.js';
import { checkLabels, evaluateBatch, fitCallbacks, fusedLoss, logsOf, makeEvaluator, requireCompiled, trainStep, type EvaluateArgs, type FitArgs } from './training.js';

export interface DatasetBatch {
  xs: Tensor;
  ys: Tensor | null;
}

/** What fit, evaluate and predict accept in place of tensors. */
export interface BatchDataset {
  /** Samples per epoch (may shrink while reading when files turn out unreadable). */
  readonly count: number;
  readonly batchSize: number;
  /** The batches of one epoch, in that epoch's order. */
  batches(epoch?: number): AsyncIterable<DatasetBatch>;
}

export function isBatchDataset(value: unknown): value is BatchDataset {
  return typeof value === 'object' && value !== null && !(value instanceof Tensor) && typeof (value as BatchDataset).batches === 'function';
}

function labelsOf(batch: DatasetBatch, what: string): Tensor {
  if (!batch.ys) throw new Error(`${what}: the dataset has no labels (labelMode null); fit and evaluate need labelled batches`);
  if (batch.ys.shape[0] !== batch.xs.shape[0]) throw new Error(`${what}: a batch has ${batch.xs.shape[0]} images but ${batch.ys.shape[0]} labels`);
  return batch.ys;
}

/** Loss and metrics over every batch of `ds`, as logs named with `prefix`. */
export async function evaluateDatasetInto(model: LayersModel, compiled: Compiled, ds: BatchDataset, prefix = '', bar: Progbar | null = null): Promise<Record<string, number>> {
  const ev = makeEvaluator(model, compiled, prefix);
  const fused = fusedLoss(model, compiled);
  let step = 0;
  for await (const batch of ds.batches(0)) {
    const ys = labelsOf(batch, 'evaluate');
    model.checkInput(batch.xs);
    checkLabels(model, compiled, ys, 'evaluate');
    const floatDType = inputFloatDType(batch.xs);
    const n = batch.xs.shape[0];
    noGrad(() => runStep(() => evaluateBatch(model, compiled, batchOf(batch.xs, null, 0, n, floatDType), targetBatchOf(ys, null, 0, n), ev, fused)));
    bar?.update(++step, logsOf(ev, prefix));
  }
  return logsOf(ev, prefix);
}

export async function evaluateDataset(model: LayersModel, ds: BatchDataset, args: EvaluateArgs = {}): Promise<number[]> {
  const compiled = requireCompiled(model, 'evaluate');
  await backendReady();
  const verbose = args.verbose ?? 1;
  const bar = verbose > 0 ? new Progbar(Math.ceil(ds.count / ds.batchSize), verbose, args.progressSink ?? defaultSink()) : null;
  const logs = await evaluateDatasetInto(model, compiled, ds, '', bar);
  // The logs hold the loss, then each metric in compile's order.
  return Object.values(logs);
}

/** Predictions for every batch, in the dataset's order for epoch 0. */
export async function predictDataset(model: LayersModel, ds: BatchDataset): Promise<Tensor> {
  const rows: Float32Array[] = [];
  let outShape: number[] | null = null;
  for await (const batch of ds.batches(0)) {
    model.checkInput(batch.xs);
    const n = batch.xs.shape[0];
    const y = noGrad(() => runStep(() => {
      const out = model.call(batchOf(batch.xs, null, 0, n, inputFloatDType(batch.xs)), false);
      return new Tensor(toHeap(out.data as Float32Array), out.shape);
    }));
    outShape = y.shape.slice(1);
    rows.push(y.data as Float32Array);
  }
  const rowSize = (outShape ?? (model.outputShape.slice(1) as number[])).reduce((a, b) => a * b, 1);
  const total = rows.reduce((s, r) => s + r.length, 0);
  const out = allocate('float32', total) as Float32Array;
  let at = 0;
  for (const r of rows) {
    out.set(r, at);
    at += r.length;
  }
  return new Tensor(out, [total / rowSize, ...(outShape ?? (model.outputShape.slice(1) as number[]))]);
}

export async function fitDataset(model: LayersModel, ds: BatchDataset, args: FitArgs = {}): Promise<History> {
  const compiled = requireCompiled(model, 'fit');
  if (args.validationSplit) throw new Error('fit: validationSplit applies to tensors; for a dataset, pass validationData (e.g. imageDatasetFromDirectory(dir, { validationSplit, subset: "both", seed }))');
  if (args.batchSize !== undefined && args.batchSize !== ds.batchSize) throw new Error(`fit: the dataset sets the batch size (${ds.batchSize}); batchSize ${args.batchSize} cannot change it`);
  if (Array.isArray(args.validationData)) throw new Error('fit: with a dataset, validationData must be a dataset too');
  await backendReady();
  const epochs = args.epochs ?? 1;
  const initialEpoch = args.initialEpoch ?? 0;
  const verbose = args.verbose ?? 1;
  if (!Number.isInteger(epochs) || epochs < 0) throw new Error(`fit: epochs must be a non-negative integer, received ${epochs}`);
  const val = args.validationData ?? null;
  const steps = Math.ceil(ds.count / ds.batchSize);

  const { history, list } = fitCallbacks(model, compiled, args, { epochs, initialEpoch, steps, samples: ds.count, batchSize: ds.batchSize, verbose, validating: val !== null });
  await runFitLoop({
    model, optimizer: compiled.optimizer, list, epochs, initialEpoch, steps, yieldEvery: args.yieldEvery,
    evaluator: () => makeEvaluator(model, compiled),
    logs: (ev) => logsOf(ev),
    async *batches(epoch, ev) {
      let step = 0;
      for await (const batch of ds.batches(epoch)) {
        const { xs } = batch;
        const ys = labelsOf(batch, 'fit');
        if (step++ === 0 && epoch === initialEpoch) model.checkInput(xs);
        checkLabels(model, compiled, ys, 'fit');
        const n = xs.shape[0];
        const floatDType = inputFloatDType(xs);
        yield { size: n, train: () => runStep(() => trainStep(model, compiled, batchOf(xs, null, 0, n, floatDType), targetBatchOf(ys, null, 0, n), ev), n, true).loss };
      }
    },
    validation: async () => (val ? evaluateDatasetInto(model, compiled, val, 'val_') : {}),
    nanAdvice: 'Try a lower learning rate, or check the images and labels.',
  });
  return history;
}
