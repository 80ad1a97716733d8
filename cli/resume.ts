/**
 * `train --resume DIR`: after every epoch `train` writes a checkpoint (weights, optimizer
 * state, random generators, history, and the command's own settings) to DIR/checkpoint with
 * src/io's saveTrainingState; `--resume` reads it back and continues with the next epoch.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import type { CallbackHooks, Logs } from '../src/callbacks/callback.js';
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
 */
export function checkpointCallback(runDir: string, model: Sequential, settings: RunSettings, before: History): CallbackHooks {
  const record = mergeHistory(before, { epoch: [], history: {} });
  return {
    onEpochEnd: async (epoch: number, logs: Logs = {}) => {
      record.epoch.push(epoch);
      for (const [k, v] of Object.entries(logs)) (record.history[k] ??= []).push(v);
      await saveTrainingState(checkpointDir(runDir), model, { epoch: epoch + 1, history: record, userData: settings });
    },
  };
}
