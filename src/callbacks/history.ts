import { Callback, type Logs } from './callback.js';

/**
 * Records every epoch's logs. `history.history.loss` is Keras's and TF.js's spelling;
 * `history.loss`, `history.accuracy`, `history.val_loss` ... are shortcuts to the same arrays.
 */
export class History extends Callback {
  epoch: number[] = [];
  history: Record<string, number[]> = {};
  // Shortcuts defined per metric as training logs them; typed here for the common Keras names.
  declare readonly loss?: number[];
  declare readonly accuracy?: number[];
  declare readonly val_loss?: number[];
  declare readonly val_accuracy?: number[];
  [metric: string]: unknown;

  override onTrainBegin(): void {
    if (this.params?.initialEpoch === 0 || this.epoch.length === 0) {
      this.epoch = [];
      this.history = {};
    }
  }

  override onEpochEnd(epoch: number, logs: Logs = {}): void {
    this.epoch.push(epoch);
    for (const [key, value] of Object.entries(logs)) {
      if (!this.history[key]) {
        this.history[key] = [];
        // Own-property shortcuts, so `history.val_accuracy` reads like a Keras user expects.
        if (!(key in this)) Object.defineProperty(this, key, { get: () => this.history[key], enumerable: false, configurable: true });
      }
      this.history[key].push(value);
    }
  }
}
