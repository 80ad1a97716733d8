import type { Optimizer } from '../optimizers/optimizer.js';
import { Callback, type Logs } from './callback.js';

/** A schedule maps (epoch, current learning rate) to the learning rate for that epoch. */
export type Schedule = (epoch: number, lr: number) => number;

function optimizerOf(callback: Callback): Optimizer {
  const optimizer = (callback.model as unknown as { optimizer: Optimizer | null }).optimizer;
  if (!optimizer) throw new Error(`${callback.constructor.name}: the model must be compiled with an optimizer first`);
  return optimizer;
}

/** Keras's LearningRateScheduler: sets the learning rate at the start of every epoch. */
export class LearningRateScheduler extends Callback {
  constructor(private readonly schedule: Schedule, private readonly verbose = 0) {
    super();
  }

  override onEpochBegin(epoch: number): void {
    const optimizer = optimizerOf(this);
    const lr = this.schedule(epoch, optimizer.learningRate);
    if (!(lr > 0) || !Number.isFinite(lr)) throw new Error(`LearningRateScheduler: the schedule returned ${lr} for epoch ${epoch}; expected a positive number`);
    optimizer.learningRate = lr;
    if (this.verbose > 0) console.log(`\nEpoch ${epoch + 1}: LearningRateScheduler setting learning rate to ${lr}.`);
  }

  override onEpochEnd(_epoch: number, logs: Logs = {}): void {
    logs.lr = optimizerOf(this).learningRate;
  }
}

export interface ReduceLROnPlateauArgs {
  monitor?: string;
  factor?: number;
  patience?: number;
  mode?: 'auto' | 'min' | 'max';
  minDelta?: number;
  cooldown?: number;
  minLr?: number;
  verbose?: number;
}

/** Keras's ReduceLROnPlateau: multiplies the learning rate by `factor` when `monitor` stalls. */
export class ReduceLROnPlateau extends Callback {
  readonly monitor: string;
  readonly factor: number;
  readonly patience: number;
  readonly mode: 'min' | 'max';
  readonly minDelta: number;
  readonly cooldown: number;
  readonly minLr: number;
  readonly verbose: number;
  private best = Infinity;
  private wait = 0;
  private cooldownLeft = 0;

  constructor(args: ReduceLROnPlateauArgs = {}) {
    super();
    this.monitor = args.monitor ?? 'val_loss';
    this.factor = args.factor ?? 0.1;
    if (!(this.factor < 1 && this.factor > 0)) throw new Error(`ReduceLROnPlateau: factor must be in (0, 1), received ${this.factor}`);
    this.patience = args.patience ?? 10;
    const mode = args.mode ?? 'auto';
    this.mode = mode === 'auto' ? (/acc/.test(this.monitor) ? 'max' : 'min') : mode;
    this.minDelta = args.minDelta ?? 1e-4;
    this.cooldown = args.cooldown ?? 0;
    this.minLr = args.minLr ?? 0;
    this.verbose = args.verbose ?? 0;
  }

  override onTrainBegin(): void {
    this.best = this.mode === 'min' ? Infinity : -Infinity;
    this.wait = 0;
    this.cooldownLeft = 0;
  }

  override onEpochEnd(epoch: number, logs: Logs = {}): void {
    const optimizer = optimizerOf(this);
    logs.lr = optimizer.learningRate;
    const current = logs[this.monitor];
    if (current === undefined) {
      console.warn(`ReduceLROnPlateau: metric '${this.monitor}' is not in the logs; available: ${Object.keys(logs).join(', ')}`);
      return;
    }
    if (this.cooldownLeft > 0) {
      this.cooldownLeft--;
      this.wait = 0;
    }
    const improved = this.mode === 'min' ? current < this.best - this.minDelta : current > this.best + this.minDelta;
    if (improved) {
      this.best = current;
      this.wait = 0;
      return;
    }
    if (this.cooldownLeft > 0) return;
    this.wait++;
    if (this.wait >= this.patience && optimizer.learningRate > this.minLr) {
      optimizer.learningRate = Math.max(optimizer.learningRate * this.factor, this.minLr);
      if (this.verbose > 0) console.log(`\nEpoch ${epoch + 1}: ReduceLROnPlateau reducing learning rate to ${optimizer.learningRate}.`);
      this.cooldownLeft = this.cooldown;
      this.wait = 0;
    }
  }
}

/** Ready-made schedules for LearningRateScheduler. */
export const schedules = {
  /** Multiplies the initial rate by `gamma` every `stepSize` epochs. */
  step: (initial: number, stepSize: number, gamma = 0.1): Schedule => (epoch) => initial * Math.pow(gamma, Math.floor(epoch / stepSize)),
  /** Cosine decay from `initial` to `initial * alpha` over `epochs`, after `warmup` linear epochs. */
  cosine: (initial: number, epochs: number, alpha = 0, warmup = 0): Schedule => (epoch) => {
    if (epoch < warmup) return (initial * (epoch + 1)) / (warmup + 1);
    const progress = Math.min((epoch - warmup) / Math.max(epochs - warmup, 1), 1);
    return initial * (alpha + (1 - alpha) * 0.5 * (1 + Math.cos(Math.PI * progress)));
  },
};
