import type { LayersModel } from '../models/layers_model.js';
import { Tensor } from '../tensor/tensor.js';
import { isKerasFile } from './keras/handler.js';
import { readKerasWeightsFor } from './keras/read.js';
import { readFileLimited, writeFileAtomic } from './atomic_file.js';
import { type LoadLimits, ModelFormatError, describe, isPlainObject, parseJsonSafely, resolveLimits } from './limits.js';
import { weightsInSaveOrder } from './model_io.js';
import { checkManifest, checkShardPath } from './model_json.js';
import { MODEL_JSON, filePathOf, loadArtifactsFromFiles } from './node_file.js';
import { isNode, nodeFs, nodePath } from './platform.js';
import { resolveHandler } from './router.js';
import { artifactsInfo, concatWeightData, type IOHandler, type ModelArtifacts, type SaveResult } from './types.js';
import { checkWeightDataLength, checkWeightSpecs, encodeWeights, readWeight } from './weights.js';

/**
 * Weights without a topology, for moving trained weights between models (Keras's
 * save_weights/load_weights). On disk: weights.json (a TF.js weights manifest) + weights.bin.
 * loadWeights also reads the weights of a saved model directory (model.json).
 */
export const WEIGHTS_JSON = 'weights.json';
const WEIGHTS_SHARD = 'weights.bin';

export async function saveWeights(model: LayersModel, target: string | IOHandler): Promise<SaveResult> {
  const { specs, data } = encodeWeights(weightsInSaveOrder(model).map((w) => ({ name: w.name, tensor: w.value })));
  const artifacts: ModelArtifacts = { weightSpecs: specs, weightData: data, format: 'weights-manifest' };
  if (typeof target !== 'string' || (/^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(target) && !target.startsWith('file://'))) {
    return resolveHandler(target, 'save').save!(artifacts);
  }
  if (!isNode()) throw new Error(`saveWeights('${target}'): file paths work only in Node`);
  const fs = await nodeFs('saveWeights');
  const path = await nodePath('saveWeights');
  const dir = filePathOf(target);
  await fs.mkdir(dir, { recursive: true });
  await writeFileAtomic(path.join(dir, WEIGHTS_SHARD), new Uint8Array(data));
  const manifest = { format: 'weights-manifest', weightsManifest: [{ paths: [WEIGHTS_SHARD], weights: specs }] };
  await writeFileAtomic(path.join(dir, WEIGHTS_JSON), JSON.stringify(manifest));
  return { modelArtifactsInfo: artifactsInfo(artifacts) };
}

async function readWeightFiles(dir: string, limits: LoadLimits): Promise<ModelArtifacts> {
  const fs = await nodeFs('loadWeights');
  const path = await nodePath('loadWeights');
  const file = path.join(dir, WEIGHTS_JSON);
  const exists = await fs.stat(file).then(() => true, () => false);
  if (!exists) {
    const hasModel = await fs.stat(path.join(dir, MODEL_JSON)).then(() => true, () => false);
    if (hasModel) return loadArtifactsFromFiles(dir, limits);
    throw new ModelFormatError(`loadWeights: '${dir}' holds neither ${WEIGHTS_JSON} nor ${MODEL_JSON}`);
  }
  const text = new TextDecoder().decode(await readFileLimited(file, limits.maxJsonBytes, 'loadWeights'));
  const parsed = parseJsonSafely(text, `'${file}'`, limits);
  if (!isPlainObject(parsed) || !Array.isArray(parsed.weightsManifest)) {
    throw new ModelFormatError(`'${file}' must hold {weightsManifest: [...]}, received ${describe(parsed)}`);
  }
  const groups = checkManifest(parsed.weightsManifest, `'${file}'`, limits);
  const total = groups.reduce((n, g) => n + g.totalBytes, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const group of groups) {
    if (group.paths.length !== 1) throw new ModelFormatError(`'${file}': weights.json groups must have exactly one shard, found ${group.paths.length}`);
    const bytes = await readFileLimited(path.join(dir, checkShardPath(group.paths[0], file)), group.totalBytes, 'loadWeights', group.totalBytes);
    out.set(bytes, at);
    at += bytes.byteLength;
  }
  return { weightSpecs: groups.flatMap((g) => g.specs.map(({ name, shape, dtype }) => ({ name, shape, dtype }))), weightData: out.buffer };
}

export interface LoadWeightsOptions {
  /** Match weights by name (default) or by position in TF.js save order (trainable first). */
  by?: 'name' | 'order';
  /** Skip weights whose shape differs instead of failing (Keras's skip_mismatch). */
  skipMismatch?: boolean;
  /** Fail when a model weight is not in the file, or a file weight is not used (default true). */
  strict?: boolean;
  limits?: Partial<LoadLimits>;
}

export interface LoadWeightsReport {
  loaded: string[];
  skipped: { name: string; reason: string }[];
  unused: string[];
}

/** A Keras weights file (.weights.h5, Keras 2 save_weights, .h5, .keras) given as a path or bytes, else null. */
async function kerasWeightsSource(source: string | IOHandler | Uint8Array, limits: LoadLimits): Promise<{ bytes: Uint8Array; what: string } | null> {
  if (source instanceof Uint8Array) return { bytes: source, what: 'loadWeights: the Keras file' };
  if (typeof source !== 'string' || (/^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(source) && !source.startsWith('file://'))) return null;
  const path = filePathOf(source);
  if (!isNode() || !(await isKerasFile(path))) return null;
  return { bytes: await readFileLimited(path, limits.maxWeightBytes + limits.maxJsonBytes, 'loadWeights'), what: `loadWeights: '${path}'` };
}

/**
 * Reads weights into an existing, built model; nothing is changed unless every check passes.
 * Python Keras weight files are recognised by content and matched as Keras matches them (by layer
 * order, or by Keras 3's layer paths); `by`, `strict` and `skipMismatch` apply to TF.js-format weights.
 */
export async function loadWeights(model: LayersModel, source: string | IOHandler | Uint8Array, options: LoadWeightsOptions = {}): Promise<LoadWeightsReport> {
  const limits = resolveLimits(options.limits);
  const keras = await kerasWeightsSource(source, limits);
  if (keras) {
    if ((model as { built?: boolean }).built === false) throw new Error(`loadWeights: model '${model.name}' is not built; give its first layer an inputShape or call build() first`);
    const values = await readKerasWeightsFor(model, keras.bytes, keras.what, limits);
    const variables = model.weights;
    for (const v of variables) if (!values.has(v.name)) throw new ModelFormatError(`${keras.what}: no weights for '${v.name}'`);
    for (const v of variables) v.assign(new Tensor(Float32Array.from(values.get(v.name)!), [...v.shape]));
    return { loaded: variables.map((v) => v.name), skipped: [], unused: [] };
  }
  if (source instanceof Uint8Array) throw new ModelFormatError('loadWeights: the bytes given are not a Keras weights file (zip or HDF5)');
  let artifacts: ModelArtifacts;
  if (typeof source === 'string' && (source.startsWith('file://') || !/^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(source))) {
    const fs = await nodeFs('loadWeights');
    const dir = filePathOf(source);
    const stat = await fs.stat(dir).catch(() => null);
    if (!stat) throw new ModelFormatError(`loadWeights: '${dir}' does not exist`);
    artifacts = stat.isDirectory() ? await readWeightFiles(dir, limits) : await loadArtifactsFromFiles(dir, limits);
  } else {
    artifacts = await resolveHandler(source, 'load', limits).load!();
  }
  const { specs, totalBytes } = checkWeightSpecs(artifacts.weightSpecs ?? [], 'loadWeights', limits);
  const data = concatWeightData(artifacts.weightData);
  checkWeightDataLength(totalBytes, data, 'loadWeights');
  if ((model as { built?: boolean }).built === false) throw new Error(`loadWeights: model '${model.name}' is not built; give its first layer an inputShape or call build() first`);
  const variables = weightsInSaveOrder(model);
  const byOrder = options.by === 'order';
  const strict = options.strict ?? true;
  const report: LoadWeightsReport = { loaded: [], skipped: [], unused: [] };
  const assignments: [typeof variables[number], Tensor][] = [];
  const used = new Set<string>();
  variables.forEach((variable, i) => {
    const spec = byOrder ? specs[i] : specs.find((s) => s.name === variable.name);
    if (!spec) {
      if (strict) throw new ModelFormatError(`loadWeights: the file has no weight for '${variable.name}'${byOrder ? ` (position ${i})` : ''}; pass strict: false to leave it unchanged`);
      report.skipped.push({ name: variable.name, reason: 'not in the file' });
      return;
    }
    used.add(spec.name);
    const same = spec.shape.length === variable.shape.length && spec.shape.every((d, k) => d === variable.shape[k]);
    if (!same || (spec.dtype !== 'float32' && spec.dtype !== 'float64')) {
      const reason = same ? `dtype '${spec.dtype}' is not a float type` : `shape ${JSON.stringify(spec.shape)} in the file, ${JSON.stringify(variable.shape)} in the model`;
      if (!options.skipMismatch) throw new ModelFormatError(`loadWeights: weight '${variable.name}' (file: '${spec.name}') does not fit: ${reason}; pass skipMismatch: true to skip it`);
      report.skipped.push({ name: variable.name, reason });
      return;
    }
    assignments.push([variable, readWeight(spec, data)]);
  });
  report.unused = specs.filter((s) => !used.has(s.name)).map((s) => s.name);
  if (strict && report.unused.length > 0) {
    throw new ModelFormatError(`loadWeights: ${report.unused.length} weight(s) in the file match no weight of model '${model.name}': ${report.unused.slice(0, 8).join(', ')}; pass strict: false to ignore them`);
  }
  for (const [variable, value] of assignments) {
    variable.assign(value);
    report.loaded.push(variable.name);
  }
  return report;
}
