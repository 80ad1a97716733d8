export type Logs = Record<string, number>;

/** What a callback may touch on the model it is attached to. */
export interface TrainableModel {
  stopTraining: boolean;
  getWeights(): import('../tensor/tensor.js').Tensor[];
  setWeights(weights: import('../tensor/tensor.js').Tensor[]): void;
}

export interface TrainingParams {
  epochs: number;
  initialEpoch: number;
  steps: number;
  samples: number;
  batchSize: number;
  verbose: number;
  metrics: string[];
}

/**
 * Keras's Callback: override the hooks you need. Hooks may return a promise, which fit awaits.
 * Stop training from any hook with `this.model.stopTraining = true`.
 */
export class Callback {
  model!: TrainableModel;
  params!: TrainingParams;

  setModel(model: TrainableModel): void {
    this.model = model;
  }
  setParams(params: TrainingParams): void {
    this.params = params;
  }
  onTrainBegin(_logs?: Logs): void | Promise<void> {}
  onTrainEnd(_logs?: Logs): void | Promise<void> {}
  onEpochBegin(_epoch: number, _logs?: Logs): void | Promise<void> {}
  onEpochEnd(_epoch: number, _logs?: Logs): void | Promise<void> {}
  onBatchBegin(_batch: number, _logs?: Logs): void | Promise<void> {}
  onBatchEnd(_batch: number, _logs?: Logs): void | Promise<void> {}
}

/** The plain-object form TF.js accepts: `{ onEpochEnd: async (epoch, logs) => ... }`. */
export interface CallbackHooks {
  onTrainBegin?: (logs?: Logs) => void | Promise<void>;
  onTrainEnd?: (logs?: Logs) => void | Promise<void>;
  onEpochBegin?: (epoch: number, logs?: Logs) => void | Promise<void>;
  onEpochEnd?: (epoch: number, logs?: Logs) => void | Promise<void>;
  onBatchBegin?: (batch: number, logs?: Logs) => void | Promise<void>;
  onBatchEnd?: (batch: number, logs?: Logs) => void | Promise<void>;
}

class HooksCallback extends Callback {
  constructor(private readonly hooks: CallbackHooks) {
    super();
  }
  override onTrainBegin(logs?: Logs) { return this.hooks.onTrainBegin?.(logs); }
  override onTrainEnd(logs?: Logs) { return this.hooks.onTrainEnd?.(logs); }
  override onEpochBegin(epoch: number, logs?: Logs) { return this.hooks.onEpochBegin?.(epoch, logs); }
  override onEpochEnd(epoch: number, logs?: Logs) { return this.hooks.onEpochEnd?.(epoch, logs); }
  override onBatchBegin(batch: number, logs?: Logs) { return this.hooks.onBatchBegin?.(batch, logs); }
  override onBatchEnd(batch: number, logs?: Logs) { return this.hooks.onBatchEnd?.(batch, logs); }
}

export function toCallback(c: Callback | CallbackHooks): Callback {
  return c instanceof Callback ? c : new HooksCallback(c);
}

/** Dispatches each hook to every callback in order, awaiting each. */
export class CallbackList {
  constructor(readonly callbacks: Callback[]) {}

  setModel(model: TrainableModel): void {
    for (const c of this.callbacks) c.setModel(model);
  }
  setParams(params: TrainingParams): void {
    for (const c of this.callbacks) c.setParams(params);
  }
  async trainBegin(logs: Logs = {}) { for (const c of this.callbacks) await c.onTrainBegin(logs); }
  async trainEnd(logs: Logs = {}) { for (const c of this.callbacks) await c.onTrainEnd(logs); }
  async epochBegin(epoch: number, logs: Logs = {}) { for (const c of this.callbacks) await c.onEpochBegin(epoch, logs); }
  async epochEnd(epoch: number, logs: Logs) { for (const c of this.callbacks) await c.onEpochEnd(epoch, logs); }
  async batchBegin(batch: number, logs: Logs = {}) { for (const c of this.callbacks) await c.onBatchBegin(batch, logs); }
  async batchEnd(batch: number, logs: Logs) { for (const c of this.callbacks) await c.onBatchEnd(batch, logs); }
}
