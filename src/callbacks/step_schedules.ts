import type { Optimizer } from '../optimizers/optimizer.js';
import { Callback, type Logs } from './callback.js';

/**
 * Learning rates that change every batch, as Keras's `LearningRateSchedule` objects passed to an
 * optimizer (CosineDecay with warm-up) and the one-cycle policy of fast-training recipes. They
 * depend only on the global step, so a run resumed at an epoch boundary continues the same curve.
 */

/** Maps (global step from 0, total steps of the run) to the learning rate for that step. */
export type StepSchedule = (step: number, totalSteps: number) => number;

export interface OneCycleArgs {
  /** Fraction of the run spent warming up linearly from maxLr * startFactor to maxLr. Default 0.25. */
  warmup?: number;
  /** Starting rate as a fraction of maxLr. Default 0.04 (1/25, as PyTorch's OneCycleLR). */
  startFactor?: number;
  /** Final rate as a fraction of maxLr, reached by cosine annealing. Default 0.001. */
  endFactor?: number;
}

export const stepSchedules = {
  /** Linear warm-up to `maxLr`, then cosine annealing to maxLr * endFactor (Smith's one-cycle). */
  oneCycle(maxLr: number, args: OneCycleArgs = {}): StepSchedule {
    const warmup = args.warmup ?? 0.25;
    const start = maxLr * (args.startFactor ?? 0.04);
    const end = maxLr * (args.endFactor ?? 0.001);
    if (!(maxLr > 0)) throw new Error(`oneCycle: maxLr must be a positive number, received ${maxLr}`);
    if (!(warmup >= 0 && warmup < 1)) throw new Error(`oneCycle: warmup must be a fraction in [0, 1), received ${warmup}`);
    return (step, total) => {
      const warmSteps = Math.round(warmup * total);
      if (step < warmSteps) return start + ((maxLr - start) * step) / warmSteps;
      const progress = Math.min((step - warmSteps) / Math.max(total - warmSteps - 1, 1), 1);
      return end + (maxLr - end) * 0.5 * (1 + Math.cos(Math.PI * progress));
    };
  },

  /** Keras's CosineDecay(initial, decaySteps = the whole run, alpha, warmupTarget, warmupSteps). */
  cosineDecay(initial: number, args: { alpha?: number; warmupSteps?: number; warmupTarget?: number } = {}): StepSchedule {
    const alpha = args.alpha ?? 0;
    const warmupSteps = args.warmupSteps ?? 0;
    const target = args.warmupTarget ?? initial;
    return (step, total) => {
      if (step < warmupSteps) return initial + ((target - initial) * step) / warmupSteps;
      const progress = Math.min((step - warmupSteps) / Math.max(total - warmupSteps, 1), 1);
      return target * ((1 - alpha) * 0.5 * (1 + Math.cos(Math.PI * progress)) + alpha);
    };
  },
};

/**
 * Sets the optimizer's learning rate before every batch from a StepSchedule over the whole fit
 * (epochs x steps per epoch), and records the last epoch's rate in the logs as `lr`.
 */
export class BatchLearningRateScheduler extends Callback {
  private epoch = 0;

  constructor(private readonly schedule: StepSchedule) {
    super();
  }

  private get optimizer(): Optimizer {
    const optimizer = (this.model as unknown as { optimizer: Optimizer | null }).optimizer;
    if (!optimizer) throw new Error('BatchLearningRateScheduler: the model must be compiled with an optimizer first');
    return optimizer;
  }

  override onEpochBegin(epoch: number): void {
    this.epoch = epoch;
  }

  override onBatchBegin(batch: number): void {
    const { steps, epochs } = this.params;
    const lr = this.schedule(this.epoch * steps + batch, epochs * steps);
    if (!(lr > 0) || !Number.isFinite(lr)) {
      throw new Error(`BatchLearningRateScheduler: the schedule returned ${lr} at epoch ${this.epoch + 1}, batch ${batch + 1}; expected a positive number`);
    }
    this.optimizer.learningRate = lr;
  }

  override onEpochEnd(_epoch: number, logs: Logs = {}): void {
    logs.lr = this.optimizer.learningRate;
  }
}
