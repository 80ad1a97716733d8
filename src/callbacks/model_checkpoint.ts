import type { Sequential } from '../models/sequential.js';
import { Callback, type Logs } from './callback.js';

export interface ModelCheckpointArgs {
  /**
   * Directory to save into. May hold Keras-style placeholders filled from the epoch (1-based) and
   * the logs: 'runs/ckpt-{epoch:03d}-{val_loss:.4f}'.
   */
  filepath: string;
  /** The log value that decides what "best" is (default 'val_loss'). */
  monitor?: string;
  mode?: 'auto' | 'min' | 'max';
  /** Only save when the monitored value improves (a fixed filepath then always holds the best). */
  saveBestOnly?: boolean;
  /** Save only weights (weights.json + weights.bin) instead of the whole model. */
  saveWeightsOnly?: boolean;
  /** How often to save; only 'epoch' is supported. */
  saveFreq?: 'epoch';
  /**
   * Also save the optimizer state, epoch, random generator states and history, so that
   * `loadTrainingState(dir, model)` + `fit(..., { initialEpoch })` continues exactly.
   */
  trainingState?: boolean;
  /** With saveBestOnly, a value the monitored log must beat before the first save. */
  initialValueThreshold?: number;
  /** Anything JSON to store with the training state (e.g. the command line). */
  userData?: unknown;
  verbose?: 0 | 1;
}

const PLACEHOLDER = /\{(\w+)(?::([^}]*))?\}/g;

/** Fills '{epoch:02d}' / '{val_loss:.4f}' style placeholders, as Keras's filepath.format(). */
export function formatCheckpointPath(template: string, epoch: number, logs: Logs): string {
  return template.replace(PLACEHOLDER, (_m, key: string, spec: string | undefined) => {
    const value = key === 'epoch' ? epoch : logs[key];
    if (value === undefined) {
      throw new Error(`ModelCheckpoint: filepath '${template}' uses {${key}}, which is not in the logs; available: epoch, ${Object.keys(logs).join(', ')}`);
    }
    if (!spec) return String(value);
    const fixed = /^\.(\d+)f$/.exec(spec);
    if (fixed) return value.toFixed(Number(fixed[1]));
    const int = /^(0?)(\d+)d$/.exec(spec);
    if (int) return String(Math.round(value)).padStart(Number(int[2]), int[1] ? '0' : ' ');
    throw new Error(`ModelCheckpoint: unsupported format '{${key}:${spec}}' in filepath; use {${key}}, {${key}:03d} or {${key}:.4f}`);
  });
}

/**
 * Keras's ModelCheckpoint: saves the model (or the full training state) at the end of each epoch,
 * or only when the monitored value improves. Saves are atomic (temporary file + rename), so a run
 * killed during a save leaves the previous checkpoint intact.
 */
export class ModelCheckpoint extends Callback {
  readonly filepath: string;
  readonly monitor: string;
  readonly mode: 'min' | 'max';
  readonly saveBestOnly: boolean;
  readonly saveWeightsOnly: boolean;
  readonly trainingState: boolean;
  readonly verbose: number;
  readonly userData: unknown;
  best: number;
  /** Where the latest save went. */
  lastSaved: string | null = null;
  private record: { epoch: number[]; history: Record<string, number[]> } = { epoch: [], history: {} };

  constructor(args: ModelCheckpointArgs) {
    super();
    if (!args || typeof args.filepath !== 'string' || args.filepath.length === 0) {
      throw new Error('ModelCheckpoint: filepath is required, e.g. new ModelCheckpoint({ filepath: "runs/ckpt" })');
    }
    if (args.saveFreq !== undefined && args.saveFreq !== 'epoch') {
      throw new Error(`ModelCheckpoint: saveFreq must be 'epoch', received ${JSON.stringify(args.saveFreq)}`);
    }
    if (args.trainingState && args.saveWeightsOnly) throw new Error('ModelCheckpoint: trainingState and saveWeightsOnly cannot be combined; the training state includes the weights');
    const mode = args.mode ?? 'auto';
    if (mode !== 'auto' && mode !== 'min' && mode !== 'max') throw new Error(`ModelCheckpoint: mode must be 'auto', 'min' or 'max', received ${JSON.stringify(mode)}`);
    this.filepath = args.filepath;
    this.monitor = args.monitor ?? 'val_loss';
    this.mode = mode === 'auto' ? (/acc|auc|fmeasure/.test(this.monitor) ? 'max' : 'min') : mode;
    this.saveBestOnly = args.saveBestOnly ?? false;
    this.saveWeightsOnly = args.saveWeightsOnly ?? false;
    this.trainingState = args.trainingState ?? false;
    this.verbose = args.verbose ?? 0;
    this.userData = args.userData;
    this.best = args.initialValueThreshold ?? (this.mode === 'min' ? Infinity : -Infinity);
  }

  override async onTrainBegin(): Promise<void> {
    this.record = { epoch: [], history: {} };
    // A resumed run continues the history stored with the checkpoint it resumed from.
    if (this.trainingState && (this.params?.initialEpoch ?? 0) > 0 && !/\{/.test(this.filepath)) {
      const io = await import('../io/checkpoint.js');
      const previous = await io.readTrainingState(this.filepath).catch(() => null);
      if (previous) {
        const keep = previous.history.epoch.filter((e) => e < this.params.initialEpoch).length;
        this.record = { epoch: previous.history.epoch.slice(0, keep), history: Object.fromEntries(Object.entries(previous.history.history).map(([k, v]) => [k, v.slice(0, keep)])) };
      }
    }
  }

  override async onEpochEnd(epoch: number, logs: Logs = {}): Promise<void> {
    this.record.epoch.push(epoch);
    for (const [k, v] of Object.entries(logs)) (this.record.history[k] ??= []).push(v);
    if (this.saveBestOnly) {
      const current = logs[this.monitor];
      if (current === undefined) {
        console.warn(`ModelCheckpoint: can save the best model only with '${this.monitor}' in the logs; skipping (available: ${Object.keys(logs).join(', ')})`);
        return;
      }
      const improved = this.mode === 'min' ? current < this.best : current > this.best;
      if (!improved) {
        if (this.verbose > 0) console.log(`\nEpoch ${epoch + 1}: ${this.monitor} did not improve from ${this.best}`);
        return;
      }
      if (this.verbose > 0) console.log(`\nEpoch ${epoch + 1}: ${this.monitor} improved from ${this.best} to ${current}, saving model to ${this.filepath}`);
      this.best = current;
    }
    await this.save(formatCheckpointPath(this.filepath, epoch + 1, logs), epoch + 1);
  }

  private async save(path: string, completedEpochs: number): Promise<void> {
    const model = this.model as unknown as Sequential;
    if (typeof (model as { save?: unknown }).save !== 'function') throw new Error('ModelCheckpoint: the model being trained cannot be saved');
    const io = await import('../io/checkpoint.js');
    if (this.trainingState) {
      await io.saveTrainingState(path, model, { epoch: completedEpochs, history: this.record, userData: this.userData });
    } else if (this.saveWeightsOnly) {
      const weights = await import('../io/weights_io.js');
      await weights.saveWeights(model, path);
    } else {
      await model.save(path);
    }
    this.lastSaved = path;
    if (this.verbose > 0 && !this.saveBestOnly) console.log(`\nEpoch ${completedEpochs}: saving model to ${path}`);
  }
}
