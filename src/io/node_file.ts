import { readFileLimited, removeStaleTempFiles, writeFileAtomic } from './atomic_file.js';
import { type LoadLimits, ModelFormatError, resolveLimits } from './limits.js';
import { artifactsToModelJson, flattenGroups, parseModelJson } from './model_json.js';
import { nodeFs, nodePath } from './platform.js';
import { artifactsInfo, concatWeightData, type IOHandler, type ModelArtifacts, type SaveResult } from './types.js';
import { loadKerasFile } from './keras/handler.js';

export const MODEL_JSON = 'model.json';
export const WEIGHTS_BIN = 'weights.bin';

/** 'file:///abs/dir' or 'file://./rel' (TF.js's spelling) or a plain path, as a file system path. */
export function filePathOf(url: string): string {
  return url.startsWith('file://') ? url.slice('file://'.length) : url;
}

/** Where model.json and its shard go for a save target: a directory, or a path ending in .json. */
async function saveLocation(target: string): Promise<{ dir: string; modelFile: string; shard: string }> {
  const path = await nodePath('Saving a model');
  if (target.toLowerCase().endsWith('.json')) {
    const stem = path.basename(target).slice(0, -'.json'.length);
    return { dir: path.dirname(target), modelFile: target, shard: stem === 'model' ? WEIGHTS_BIN : `${stem}.weights.bin` };
  }
  return { dir: target, modelFile: path.join(target, MODEL_JSON), shard: WEIGHTS_BIN };
}

/**
 * Writes model.json and weights.bin into a directory, each to a temporary name first and then
 * renamed, weights before model.json: model.json never points at weights that are not on disk.
 */
export async function saveArtifactsToFiles(target: string, artifacts: ModelArtifacts, shardName?: string): Promise<SaveResult> {
  const fs = await nodeFs('Saving a model');
  const location = await saveLocation(target);
  const shard = shardName ?? location.shard;
  await fs.mkdir(location.dir, { recursive: true });
  await removeStaleTempFiles(location.dir);
  const path = await nodePath('Saving a model');
  const data = new Uint8Array(concatWeightData(artifacts.weightData));
  if (data.byteLength > 0 || (artifacts.weightSpecs?.length ?? 0) > 0) await writeFileAtomic(path.join(location.dir, shard), data);
  const json = artifactsToModelJson(artifacts, shard);
  await writeFileAtomic(location.modelFile, JSON.stringify(json));
  return { modelArtifactsInfo: artifactsInfo(artifacts) };
}

/** Finds model.json for a load target: the file itself, or model.json inside a directory. */
async function modelFileOf(target: string): Promise<string> {
  const fs = await nodeFs('Loading a model');
  const path = await nodePath('Loading a model');
  let stat;
  try {
    stat = await fs.stat(target);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new ModelFormatError(`No saved model at '${target}': the path does not exist (expected a directory holding model.json, or the model.json file)`);
    throw e;
  }
  if (!stat.isDirectory()) return target;
  const file = path.join(target, MODEL_JSON);
  try {
    await fs.access(file);
  } catch {
    throw new ModelFormatError(`No saved model in directory '${target}': it has no ${MODEL_JSON}`);
  }
  return file;
}

/** Reads model.json and every shard, checking sizes before reading anything large. */
export async function loadArtifactsFromFiles(target: string, limits: LoadLimits): Promise<ModelArtifacts> {
  const fs = await nodeFs('Loading a model');
  const path = await nodePath('Loading a model');
  const modelFile = await modelFileOf(target);
  const text = new TextDecoder().decode(await readFileLimited(modelFile, limits.maxJsonBytes, 'Loading a model'));
  const { json, groups } = parseModelJson(text, `'${modelFile}'`, limits);
  const dir = path.dirname(modelFile);
  const total = groups.reduce((n, g) => n + g.totalBytes, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const [g, group] of groups.entries()) {
    const files = group.paths.map((p) => path.join(dir, p));
    const sizes: number[] = [];
    for (const file of files) {
      try {
        const stat = await fs.stat(file);
        if (!stat.isFile()) throw new ModelFormatError(`Weight shard '${file}' is not a regular file`);
        sizes.push(stat.size);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
          throw new ModelFormatError(`Weight shard '${file}' is missing; '${modelFile}' lists it in weightsManifest[${g}]`);
        }
        throw e;
      }
    }
    const groupBytes = sizes.reduce((a, b) => a + b, 0);
    if (groupBytes !== group.totalBytes) {
      const kind = groupBytes < group.totalBytes ? 'truncated' : 'oversized';
      const shards = files.length === 1 ? `'${files[0]}'` : `the ${files.length} shards of weightsManifest[${g}]`;
      throw new ModelFormatError(`Weight data is ${kind}: ${shards} ${files.length === 1 ? 'holds' : 'hold'} ${groupBytes} bytes but the manifest in '${modelFile}' describes ${group.totalBytes} bytes`);
    }
    for (const [i, file] of files.entries()) {
      const bytes = await readFileLimited(file, group.totalBytes, 'Loading weights', sizes[i], { buffer: out, offset: at });
      at += bytes.byteLength;
    }
  }
  const artifacts: ModelArtifacts = {
    modelTopology: json.modelTopology,
    weightSpecs: flattenGroups(groups),
    weightData: out.buffer,
    format: json.format,
    generatedBy: json.generatedBy,
    convertedBy: json.convertedBy,
  };
  if (json.trainingConfig) artifacts.trainingConfig = json.trainingConfig;
  if (json.userDefinedMetadata) artifacts.userDefinedMetadata = json.userDefinedMetadata;
  return artifacts;
}

/** A TF.js-style IOHandler for a directory (or model.json path) on the local file system. */
export function fileSystem(target: string, options: { limits?: Partial<LoadLimits> } = {}): IOHandler {
  const path = filePathOf(target);
  if (path.length === 0) throw new Error(`Expected a directory path after 'file://', received '${target}'`);
  return {
    save: (artifacts) => saveArtifactsToFiles(path, artifacts),
    // A Keras .keras or .h5 file is recognised by its first bytes; anything else is TF.js format.
    load: async () => (await loadKerasFile(path, resolveLimits(options.limits))) ?? loadArtifactsFromFiles(path, resolveLimits(options.limits)),
  };
}
