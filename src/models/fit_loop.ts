/**
 * The epoch and batch loop that every `fit` runs: tensors (training.ts), datasets
 * (batch_dataset.ts) and models with several inputs or outputs (multi_io_training.ts) differ only
 * in where a batch comes from, how a step trains on it and how validation is computed, which they
 * hand in; the callbacks' order, stopping, the NaN stop and yielding to the event loop live here.
 */
import type { CallbackList, Logs } from '../callbacks/callback.js';
import type { Optimizer } from '../optimizers/optimizer.js';
import type { LayersModel } from './layers_model.js';
import { moveWeightsToArena } from './resident.js';

/** One batch of an epoch: its sample count, and its training step, which returns the batch's loss. */
export interface FitBatch {
  size: number;
  train(): number;
}

export interface FitLoopArgs<E> {
  model: LayersModel;
  optimizer: Optimizer;
  list: CallbackList;
  epochs: number;
  initialEpoch: number;
  /** Batches an epoch, for the progress bar and the NaN message. */
  steps: number;
  yieldEvery?: 'auto' | 'batch' | 'epoch' | 'never';
  /** A fresh accumulator of the training loss and metrics, made after each epochBegin. */
  evaluator(): E;
  logs(ev: E): Logs;
  /** The epoch's batches in order; made after the evaluator, so a shuffle draws at the same point. */
  batches(epoch: number, ev: E): Iterable<FitBatch> | AsyncIterable<FitBatch>;
  /** The `val_` logs at the end of an epoch ({} without validation data). */
  validation(): Logs | Promise<Logs>;
  /** What the NaN stop suggests after "the loss became NaN at epoch E, batch B of S." */
  nanAdvice: string;
}

/**
 * Lets timers, I/O and the page run. Node's setImmediate does so without setTimeout's minimum
 * delay of a millisecond or more, which the 'auto' yields every 100 ms used to add to training.
 */
export function yieldToEventLoop(): Promise<void> {
  const immediate = (globalThis as { setImmediate?: (f: () => void) => unknown }).setImmediate;
  return new Promise((resolve) => (immediate ? immediate(resolve) : setTimeout(resolve, 0)));
}

export async function runFitLoop<E>(a: FitLoopArgs<E>): Promise<void> {
  const { model, list } = a;
  const yieldEvery = a.yieldEvery ?? 'auto';
  let lastYield = Date.now();
  model.stopTraining = false;
  // Weights and optimizer slots stay in the backend's arena until the last callback has run.
  const moveBack = moveWeightsToArena(model.weights, a.optimizer);
  try {
    await list.trainBegin();
    for (let epoch = a.initialEpoch; epoch < a.epochs && !model.stopTraining; epoch++) {
      await list.epochBegin(epoch);
      const ev = a.evaluator();
      let step = 0;
      // Leaving the loop early (a callback stops training, or the loss is NaN) closes the
      // batches' iterator, so a dataset's reader lets its prefetched batches go.
      for await (const batch of a.batches(epoch, ev)) {
        if (model.stopTraining) break;
        await list.batchBegin(step, { batch: step, size: batch.size });
        const loss = batch.train();
        if (!Number.isFinite(loss)) {
          model.stopTraining = true;
          await list.trainEnd(a.logs(ev));
          throw new Error(`Training stopped: the loss became ${loss} at epoch ${epoch + 1}, batch ${step + 1} of ${a.steps}. ${a.nanAdvice}`);
        }
        await list.batchEnd(step, { batch: step, size: batch.size, ...a.logs(ev) });
        step++;
        if (yieldEvery === 'batch' || (yieldEvery === 'auto' && Date.now() - lastYield > 100)) {
          await yieldToEventLoop();
          lastYield = Date.now();
        }
        if (model.stopTraining) break;
      }
      const logs = a.logs(ev);
      Object.assign(logs, await a.validation());
      await list.epochEnd(epoch, logs);
      if (yieldEvery === 'epoch') await yieldToEventLoop();
    }
    await list.trainEnd();
  } finally {
    moveBack?.();
  }
}
