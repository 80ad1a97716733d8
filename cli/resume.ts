/**
 * `train --resume DIR`: after every epoch `train` writes a checkpoint (weights, optimizer
 * state, random generators, history, and the command's own settings) to DIR/checkpoint with
 * src/io's saveTrainingState; `--resume` reads it back and continues with the next epoch.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { Callback, type Logs } from '../src/callbacks/callback.js';
import { loadTrainingState, readTrainingState, saveTrainingState } from '../src/io/index.js';
import type { Sequential } from '../src/models/sequential.js';
import { CliError } from './context.js';

export const CHECKPOINT_DIR = 'checkpoint';

/** The settings of a run, kept with its checkpoint so that --resume needs nothing else. */
export interface RunSettings {
  model: string;
  dataset: string;
  epochs: number;
  batchSize: number;
  validationSplit: number;
  optimizer: string;
  learningRate: number;
  /** Absent in checkpoints written before recipes had these settings. */
  schedule?: string;
  weightDecay?: number | null;
  labelSmoothing?: number;
  flipAverage?: boolean;
  seed: number | null;
  limit: number | null;
  testLimit: number | null;
  dataDir: string | null;
}

export interface History {
  epoch: number[];
  history: Record<string, number[]>;
}

export function checkpointDir(runDir: string): string {
  return path.join(runDir, CHECKPOINT_DIR);
}

/** The settings saved with the checkpoint of `runDir`. */
export async function readRunSettings(runDir: string): Promise<{ settings: RunSettings; epoch: number }> {
  const dir = checkpointDir(runDir);
  if (!existsSync(path.join(dir, 'training_state.json'))) {
    throw new CliError(`Nothing to resume in '${runDir}': no ${CHECKPOINT_DIR}/training_state.json (written after each epoch by 'convlab train --out DIR')`);
  }
  let state;
  try {
    state = await readTrainingState(dir);
  } catch (e) {
    throw new CliError(`Cannot resume from '${runDir}': ${(e as Error).message.split('\n')[0]}`);
  }
  const s = state.userData as Partial<RunSettings> | null;
  if (!s || typeof s.model !== 'string' || typeof s.dataset !== 'string' || typeof s.epochs !== 'number') {
    throw new CliError(`Cannot resume from '${runDir}': its checkpoint was not written by 'convlab train' (no run settings)`);
  }
  return { settings: s as RunSettings, epoch: state.epoch };
}

/** Restores weights, optimizer state and random generators into `model`; returns epochs done and history. */
export async function restoreCheckpoint(runDir: string, model: Sequential): Promise<{ epoch: number; history: History }> {
  try {
    const loaded = await loadTrainingState(checkpointDir(runDir), model);
    return { epoch: loaded.epoch, history: loaded.history };
  } catch (e) {
    throw new CliError(`Cannot resume from '${runDir}': ${(e as Error).message.split('\n')[0]}`);
  }
}

/** Joins the history before the resume with the epochs trained since. */
export function mergeHistory(before: History, after: { epoch: number[]; history: Record<string, number[]> }): History {
  const keys = new Set([...Object.keys(before.history), ...Object.keys(after.history)]);
  const history: Record<string, number[]> = {};
  for (const k of keys) history[k] = [...(before.history[k] ?? []), ...(after.history[k] ?? [])];
  return { epoch: [...before.epoch, ...after.epoch], history };
}

/**
 * A callback writing the checkpoint at the end of every epoch. It keeps its own copy of the
 * history from the epoch logs, so it does not depend on running after the History callback.
 *
 * When training stops part-way through an epoch (Ctrl-C, `interrupted()` true), fit still ends
 * the epoch; the checkpoint then holds the weights of that moment but counts, and records the
 * history of, the whole epochs only, so `--resume` runs the interrupted epoch again in full.
 */
export class CheckpointCallback extends Callback {
  private readonly record: History;
  private batches = 0;
  /** Epochs completed and saved so far (including those before a resume). */
  completedEpochs: number;
  /** Set when the last checkpoint was written part-way through an epoch. */
  partial: { epoch: number; batches: number; steps: number } | null = null;

  constructor(
    private readonly runDir: string,
    private readonly target: Sequential,
    private readonly settings: RunSettings,
    before: History,
    private readonly interrupted: () => boolean = () => false,
  ) {
    super();
    this.record = mergeHistory(before, { epoch: [], history: {} });
    this.completedEpochs = before.epoch.length;
  }

  override onEpochBegin(): void {
    this.batches = 0;
  }

  override onBatchEnd(): void {
    this.batches++;
  }

  override async onEpochEnd(epoch: number, logs: Logs = {}): Promise<void> {
    if (this.interrupted() && this.batches < this.params.steps) {
      this.partial = { epoch, batches: this.batches, steps: this.params.steps };
      await saveTrainingState(checkpointDir(this.runDir), this.target, { epoch, history: this.record, userData: this.settings });
      return;
    }
    this.record.epoch.push(epoch);
    for (const [k, v] of Object.entries(logs)) (this.record.history[k] ??= []).push(v);
    await saveTrainingState(checkpointDir(this.runDir), this.target, { epoch: epoch + 1, history: this.record, userData: this.settings });
    this.completedEpochs = epoch + 1;
  }
}

export function checkpointCallback(runDir: string, model: Sequential, settings: RunSettings, before: History, interrupted?: () => boolean): CheckpointCallback {
  return new CheckpointCallback(runDir, model, settings, before, interrupted);
}
