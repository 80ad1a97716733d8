import { Sequential } from '../models/sequential.js';
import { readFileLimited, removeStaleTempFiles, writeFileAtomic } from './atomic_file.js';
import { type LoadLimits, ModelFormatError, describe, isPlainObject, parseJsonSafely, resolveLimits } from './limits.js';
import { artifactsToModel } from './model_io.js';
import { checkManifest, checkShardPath } from './model_json.js';
import { MODEL_JSON, filePathOf } from './node_file.js';
import { nodeFs, nodePath } from './platform.js';
import { GENERATED_BY, modelToTopology } from './topology.js';
import {
  TRAINING_STATE_FORMAT, applyTrainingState, checkTrainingRecord, collectTrainingState, historyOf,
  type HistoryRecord, type TrainingStateRecord,
} from './training_state.js';
import { LAYERS_MODEL_FORMAT, type ModelJSON } from './types.js';

/**
 * A checkpoint directory holds model.json (a normal TF.js Layers model, loadable on its own)
 * and training_state.json, each pointing at generation-numbered binaries (weights-7.bin,
 * optimizer-7.bin). A save writes the new generation's binaries, then model.json, then
 * training_state.json, each to a temporary name and renamed. training_state.json is the commit
 * point: a crash at any moment leaves it naming a complete, consistent earlier generation, and
 * the previous generation's files are kept so that a reader that opened the old JSON just
 * before the rename can still read its binaries.
 */
export const TRAINING_STATE_JSON = 'training_state.json';

export interface TrainingStateFile extends TrainingStateRecord {
  format: typeof TRAINING_STATE_FORMAT;
  version: 1;
  generation: number;
  savedAt: string;
  generatedBy: string;
  model: ModelJSON;
  optimizerManifest: { paths: string[] } | null;
}

export interface SaveTrainingStateArgs {
  /** Completed epochs: the `initialEpoch` to pass to fit when resuming. */
  epoch: number;
  /** The history so far (a History callback or {epoch, history}). */
  history?: { epoch: number[]; history: Record<string, number[]> } | null;
  /** Anything JSON the caller wants back on resume (e.g. the CLI's arguments). */
  userData?: unknown;
}

const GENERATION = /^(?:weights|optimizer)-(\d+)\.bin$/;

async function nextGeneration(dir: string): Promise<number> {
  const fs = await nodeFs('saveTrainingState');
  const names = await fs.readdir(dir);
  let max = 0;
  for (const n of names) {
    const m = GENERATION.exec(n);
    if (m) max = Math.max(max, Number(m[1]));
  }
  return max + 1;
}

/** Writes a checkpoint that `loadTrainingState` resumes exactly; returns its generation number. */
export async function saveTrainingState(target: string, model: Sequential, args: SaveTrainingStateArgs): Promise<{ generation: number; dir: string }> {
  const fs = await nodeFs('saveTrainingState');
  const path = await nodePath('saveTrainingState');
  const dir = filePathOf(target);
  if (!model.built) throw new Error(`saveTrainingState: model '${model.name}' is not built yet; nothing to save`);
  await fs.mkdir(dir, { recursive: true });
  await removeStaleTempFiles(dir);
  const generation = await nextGeneration(dir);
  const { record, weights, optimizerData } = collectTrainingState(model, args.epoch, historyOf(args.history), args.userData);
  const weightsFile = `weights-${generation}.bin`;
  const optimizerFile = `optimizer-${generation}.bin`;
  await writeFileAtomic(path.join(dir, weightsFile), new Uint8Array(weights.data));
  if (optimizerData) await writeFileAtomic(path.join(dir, optimizerFile), new Uint8Array(optimizerData));
  const modelJson: ModelJSON = {
    modelTopology: modelToTopology(model),
    format: LAYERS_MODEL_FORMAT,
    generatedBy: GENERATED_BY,
    convertedBy: null,
    weightsManifest: [{ paths: [weightsFile], weights: weights.specs }],
  };
  await writeFileAtomic(path.join(dir, MODEL_JSON), JSON.stringify(modelJson));
  const state: TrainingStateFile = {
    format: TRAINING_STATE_FORMAT,
    version: 1,
    generation,
    savedAt: new Date().toISOString(),
    generatedBy: GENERATED_BY,
    ...record,
    model: modelJson,
    optimizerManifest: optimizerData ? { paths: [optimizerFile] } : null,
  };
  await writeFileAtomic(path.join(dir, TRAINING_STATE_JSON), JSON.stringify(state));
  await removeOldGenerations(dir, generation);
  return { generation, dir };
}

async function removeOldGenerations(dir: string, current: number): Promise<void> {
  const fs = await nodeFs('saveTrainingState');
  const path = await nodePath('saveTrainingState');
  for (const name of await fs.readdir(dir)) {
    const m = GENERATION.exec(name);
    if (m && Number(m[1]) < current - 1) await fs.rm(path.join(dir, name), { force: true });
  }
}

/** Reads and validates training_state.json without touching any model (e.g. to find the epoch). */
export async function readTrainingState(target: string, options: { limits?: Partial<LoadLimits> } = {}): Promise<TrainingStateFile> {
  const limits = resolveLimits(options.limits);
  const path = await nodePath('readTrainingState');
  const file = path.join(filePathOf(target), TRAINING_STATE_JSON);
  const text = new TextDecoder().decode(await readFileLimited(file, limits.maxJsonBytes, 'Loading a training state'));
  const parsed = parseJsonSafely(text, `'${file}'`, limits);
  if (!isPlainObject(parsed) || parsed.format !== TRAINING_STATE_FORMAT) {
    throw new ModelFormatError(`'${file}' is not a convlab training state (format ${describe(isPlainObject(parsed) ? parsed.format : parsed)})`);
  }
  if (parsed.version !== 1) throw new ModelFormatError(`'${file}' has version ${describe(parsed.version)}; this convlab reads version 1`);
  checkTrainingRecord(parsed, `'${file}'`, limits);
  if (!isPlainObject(parsed.model) || !Array.isArray(parsed.model.weightsManifest)) throw new ModelFormatError(`'${file}': model must be a model.json object`);
  return parsed as unknown as TrainingStateFile;
}

export interface LoadedTrainingState {
  model: Sequential;
  /** Completed epochs: pass as `initialEpoch` to fit. */
  epoch: number;
  history: HistoryRecord;
  userData: unknown;
  generation: number;
}

/**
 * Restores a checkpoint. With a model, its weights, optimizer state and random generators are
 * replaced (the architecture must match; an uncompiled model is compiled as saved). Without one,
 * the model is rebuilt from the checkpoint's topology and compiled as it was.
 */
export async function loadTrainingState(target: string, model?: Sequential | null, options: { limits?: Partial<LoadLimits>; restoreRandom?: boolean } = {}): Promise<LoadedTrainingState> {
  const limits = resolveLimits(options.limits);
  const path = await nodePath('loadTrainingState');
  const dir = filePathOf(target);
  const state = await readTrainingState(dir, options);
  const what = `The checkpoint in '${dir}'`;
  const [group] = checkManifest(state.model.weightsManifest, what, limits);
  if (!group || group.paths.length !== 1) throw new ModelFormatError(`${what}: expected one weights shard`);
  const weightBytes = await readFileLimited(path.join(dir, group.paths[0]), group.totalBytes, 'Loading a checkpoint', group.totalBytes);
  let optimizerData: ArrayBuffer | null = null;
  if (state.optimizerManifest) {
    const file = checkShardPath(state.optimizerManifest.paths?.[0], what);
    const bytes = await readFileLimited(path.join(dir, file), limits.maxWeightBytes, 'Loading a checkpoint');
    optimizerData = bytes.slice().buffer;
  }
  const weightData = weightBytes.slice().buffer;
  const restored = artifactsToModel({ modelTopology: state.model.modelTopology, weightSpecs: group.specs.map(({ name, shape, dtype }) => ({ name, shape, dtype })), weightData }, { limits }, what);
  if (!(restored instanceof Sequential)) throw new ModelFormatError(`${what} holds a ${restored.className} model; training checkpoints support Sequential models only`);
  const target_ = model ?? restored;
  if (model) copyWeightsInto(model, restored, what);
  applyTrainingState(target_, state, optimizerData, { restoreRandom: options.restoreRandom ?? true, limits, what });
  return { model: target_, epoch: state.epoch, history: historyOf(state.history), userData: state.userData, generation: state.generation };
}

/** Copies weights layer by layer into a model built separately, checking it is the same architecture. */
function copyWeightsInto(model: Sequential, source: Sequential, what: string): void {
  const a = source.layers.map((l) => l.className).join(', ');
  const b = model.layers.map((l) => l.className).join(', ');
  if (a !== b) throw new ModelFormatError(`${what} is for layers [${a}], but the model given has [${b}]`);
  if (!model.built) model.build(source.inputShape);
  source.layers.forEach((layer, i) => {
    const from = layer.weights;
    const to = model.layers[i].weights;
    if (from.length !== to.length || from.some((w, k) => w.shape.join('x') !== to[k].shape.join('x'))) {
      throw new ModelFormatError(`${what}: layer ${i} ('${layer.name}') has weights ${from.map((w) => `[${w.shape}]`).join(' ')} in the checkpoint but ${to.map((w) => `[${w.shape}]`).join(' ')} in the model given`);
    }
    to.forEach((w, k) => w.assign(from[k].value));
  });
}
