/**
 * Saving and loading trained models: the TF.js Layers format (model.json + weights.bin, by
 * src/io) plus `convlab.json`, the CLI's notes on how the model was trained (dataset, class
 * names, pixel scaling), which `evaluate`, `predict` and `plot` read back.
 */
import { existsSync, promises as fsp, statSync } from 'node:fs';
import * as path from 'node:path';
import { isKerasFile, loadLayersModel, loadNotes, saveModel as saveLayersModel } from '../src/io/index.js';
import type { Sequential } from '../src/models/sequential.js';
import { writeFileAtomic } from '../src/plots/index.js';
import { CliError } from './context.js';
import { DATASET_NAMES, PIXEL_SCALE, type DatasetName } from './data.js';
import type { ImageFolderRecord } from './image_folder.js';

export const METADATA_FILE = 'convlab.json';

export interface RunMetadata {
  format: 'convlab-run';
  version: 1;
  /** Zoo name the model was built from. */
  model: string;
  /** A built-in dataset, or 'folder' for class folders (then imageFolder says how images were read). */
  dataset: DatasetName | 'folder';
  imageFolder?: ImageFolderRecord;
  classNames: string[];
  /** [h, w, c] */
  inputShape: number[];
  /** Input pixels are multiplied by this (uint8 → [0, 1]). */
  pixelScale: number;
  training?: Record<string, unknown>;
  test?: { loss: number; accuracy: number; samples: number };
  createdAt: string;
}

/** The directory of a saved model, given the directory or its model.json. */
export function modelDir(arg: string): string {
  const resolved = path.resolve(arg);
  if (!existsSync(resolved)) {
    throw new CliError(`No saved model at '${arg}': expected a directory holding model.json (as written by 'convlab train --out DIR'), or a Keras .keras / .h5 file`);
  }
  const dir = statSync(resolved).isDirectory() ? resolved : path.dirname(resolved);
  if (!existsSync(path.join(dir, 'model.json'))) {
    throw new CliError(`'${arg}' holds no model.json and is not a Keras .keras or .h5 file; expected a saved model directory (as written by 'convlab train --out DIR') or a Keras file`);
  }
  return dir;
}

export async function saveModel(model: Sequential, dir: string): Promise<void> {
  await fsp.mkdir(dir, { recursive: true });
  await saveLayersModel(model, path.resolve(dir));
}

export async function loadModel(arg: string): Promise<{ model: Sequential; dir: string; metadata: RunMetadata | null; keras?: boolean; notes?: string[] }> {
  // A Python Keras file (.keras zip or .h5 HDF5), recognised by its first bytes.
  if (existsSync(arg) && statSync(arg).isFile() && (await isKerasFile(arg))) {
    try {
      const model = await loadLayersModel(path.resolve(arg));
      return { model, dir: path.dirname(path.resolve(arg)), metadata: null, keras: true, notes: loadNotes(model) };
    } catch (e) {
      throw new CliError(`Could not load the Keras file '${arg}': ${(e as Error).message.split('\n')[0]}`);
    }
  }
  // A TF.js model.json under any name (a browser download may be 'model (1).json'), or a directory.
  const resolved = path.resolve(arg);
  const jsonFile = existsSync(resolved) && statSync(resolved).isFile() && /\.json$/i.test(resolved) ? resolved : null;
  const dir = jsonFile ? path.dirname(jsonFile) : modelDir(arg);
  const modelJson = jsonFile ?? path.join(dir, 'model.json');
  let model: Sequential;
  try {
    model = await loadLayersModel(modelJson);
  } catch (e) {
    throw new CliError(`Could not load the model in '${arg}': ${(e as Error).message.split('\n')[0]}`);
  }
  return { model, dir, metadata: (await embeddedMetadata(modelJson)) ?? (await readMetadata(dir)) };
}

/**
 * The run description a model.json may carry in TF.js's `userDefinedMetadata.convlab` (the
 * browser lab's "Your images" download does), so the TF.js files alone are enough for predict.
 */
export async function embeddedMetadata(modelJson: string): Promise<RunMetadata | null> {
  let parsed: { userDefinedMetadata?: { convlab?: unknown } };
  try {
    parsed = JSON.parse(await fsp.readFile(modelJson, 'utf8')) as typeof parsed;
  } catch {
    return null; // loadLayersModel has read it already; nothing more to say here
  }
  const m = parsed?.userDefinedMetadata?.convlab;
  return m === undefined ? null : checkMetadata(m, `${modelJson} (userDefinedMetadata.convlab)`);
}

export async function readMetadata(dir: string): Promise<RunMetadata | null> {
  const file = path.join(dir, METADATA_FILE);
  if (!existsSync(file)) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(await fsp.readFile(file, 'utf8'));
  } catch (e) {
    throw new CliError(`${file} is not valid JSON (${(e as Error).message}); delete it or pass --dataset`);
  }
  return checkMetadata(parsed, file);
}

function checkMetadata(parsed: unknown, where: string): RunMetadata {
  const m = parsed as Partial<RunMetadata>;
  const folderRun = m?.dataset === 'folder' && typeof m.imageFolder?.preprocessing === 'object';
  if (m?.format !== 'convlab-run' || (!DATASET_NAMES.includes(m.dataset as DatasetName) && !folderRun) || !Array.isArray(m.classNames) || typeof m.pixelScale !== 'number') {
    throw new CliError(`${where} is not a convlab run description (expected format 'convlab-run' with dataset, classNames and pixelScale)`);
  }
  return m as RunMetadata;
}

export async function writeMetadata(dir: string, metadata: Omit<RunMetadata, 'format' | 'version' | 'createdAt' | 'pixelScale'>): Promise<void> {
  const full: RunMetadata = { format: 'convlab-run', version: 1, pixelScale: PIXEL_SCALE, ...metadata, createdAt: new Date().toISOString() };
  await writeFileAtomic(path.join(dir, METADATA_FILE), `${JSON.stringify(full, null, 2)}\n`);
}
