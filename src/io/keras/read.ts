/**
 * Reading Python Keras files: `.keras` (Keras 3 zip: config.json, metadata.json,
 * model.weights.h5), `.h5` (Keras 2 HDF5: a model_config attribute and a model_weights group;
 * Keras 3 writes the same layout for '.h5') and weights-only files of both generations.
 * Files are recognised by their first bytes, not their names. A full model becomes TF.js-format
 * ModelArtifacts (topology + weights in convlab's weight order), so every loader, the converter
 * and the CLI share one path from there on.
 */
import { Functional } from '../../models/functional.js';
import { kerasOrderWithInputs } from '../../models/graph_order.js';
import { LayersModel } from '../../models/layers_model.js';
import type { LayerVariable } from '../../layers/layer.js';
import { checkUniqueWeightNames } from '../nested_topology.js';
import { AllocationBudget } from '../layer_configs.js';
import { type LoadLimits, ModelFormatError, describe, isPlainObject, parseJsonSafely } from '../limits.js';
import { topologyToModel } from '../topology.js';
import type { ModelArtifacts, WeightSpec } from '../types.js';
import type { OptimizerState } from '../../optimizers/index.js';
import { compileArgsFrom, normalizeTrainingConfig } from './compile.js';
import { readNamedOptimizerState, readOptimizerState } from './optimizer_state.js';
import { kerasMajor, looksLikeKeras3, readActivationsForVersion } from './activation_versions.js';
import { kerasConfigToTopology, type ConvertedConfig, type KerasLayerRef } from './config.js';
import { Hdf5Reader, isHdf5 } from './hdf5.js';
import { readKeras2Weights, readKeras3Weights, weightLayout, type TargetLayer, type WeightValues } from './weights_read.js';
import { isZip, readZip } from './zip.js';

export type KerasFileKind = 'zip' | 'hdf5';

/** 'zip' or 'hdf5' from a file's first bytes, or null for anything else. */
export function sniffKerasFile(bytes: Uint8Array): KerasFileKind | null {
  if (isZip(bytes)) return 'zip';
  if (isHdf5(bytes)) return 'hdf5';
  return null;
}

/** Loaded artifacts plus what the loader ignored or could not keep. */
export interface KerasArtifacts extends ModelArtifacts {
  notes: string[];
  /** The optimizer's slots and iteration count, when the file keeps them. */
  optimizerState?: OptimizerState;
}

function zipLimits(limits: LoadLimits) {
  return {
    entryBytes: { 'config.json': limits.maxJsonBytes, 'metadata.json': 1 << 20, 'model.weights.h5': limits.maxWeightBytes + (16 << 20) },
    maxEntries: 10_000,
    maxRatio: 200,
  };
}

/**
 * A nested model's weights in the order Keras 2 saves them in its one weight group
 * (`_legacy_weights`): the trainable ones, then the others.
 */
export function legacyWeightOrder(model: LayersModel): LayerVariable[] {
  return [...model.trainableWeights, ...model.nonTrainableWeights];
}

/** The layers of a built model in the order of the Keras config, with their variables. */
function targetLayers(model: LayersModel, refs: readonly KerasLayerRef[]): TargetLayer[] {
  const byName = new Map(model.layers.map((l) => [l.name, l]));
  return refs.map((r) => {
    const layer = byName.get(r.name);
    if (r.layers && layer instanceof LayersModel) return { ...r, weights: legacyWeightOrder(layer), layers: targetLayers(layer, r.layers) };
    return { ...r, layers: undefined, weights: layer?.weights ?? [] };
  });
}

/** The layers of a convlab model as Keras lists them (Functional models with their InputLayers); nested models with theirs. */
export function modelLayerRefs(model: LayersModel): TargetLayer[] {
  const ref = (l: LayersModel['layers'][number]): TargetLayer => (l instanceof LayersModel
    ? { name: l.name, className: l.className, weights: legacyWeightOrder(l), layers: modelLayerRefs(l) }
    : { name: l.name, className: l.className, weights: l.weights });
  if (model instanceof Functional) {
    // InputLayers where Keras lists them among the layers.
    return kerasOrderWithInputs(model.inputs, model.outputs).map((t) => {
      const layer = t.producer?.layer;
      return layer ? ref(layer) : { name: t.name, className: 'InputLayer', weights: [] };
    });
  }
  return model.layers.map(ref);
}

function parseConfigText(text: string, what: string, limits: LoadLimits): unknown {
  return parseJsonSafely(text, what, limits);
}

/** Weight values into TF.js-style artifacts, in the model's weight order. */
function toArtifacts(model: LayersModel, values: WeightValues, topology: Record<string, unknown>, what: string): ModelArtifacts {
  const specs: WeightSpec[] = [];
  let bytes = 0;
  for (const v of model.weights) {
    const dtype = v.value.dtype === 'float64' ? 'float64' : 'float32';
    specs.push({ name: v.name, shape: [...v.shape], dtype });
    bytes += v.value.size * (dtype === 'float64' ? 8 : 4);
  }
  const data = new Uint8Array(bytes);
  let at = 0;
  for (const [i, v] of model.weights.entries()) {
    const found = values.get(v.name);
    if (!found) throw new ModelFormatError(`${what}: no weights were found for '${v.name}'`);
    const typed = specs[i].dtype === 'float64' ? Float64Array.from(found) : found instanceof Float32Array ? found : Float32Array.from(found);
    data.set(new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength), at);
    at += typed.byteLength;
  }
  return { modelTopology: topology, weightSpecs: specs, weightData: data.buffer, format: 'layers-model', generatedBy: 'keras', convertedBy: 'convlab' };
}

/** Builds the model once (zeros, within a budget the weight bytes bound) to learn its weights' names and shapes. */
function buildAndRead(converted: ConvertedConfig, h5Bytes: number, what: string, limits: LoadLimits, read: (layers: TargetLayer[]) => WeightValues): { model: LayersModel; artifacts: ModelArtifacts } {
  const { topology, layers: refs } = converted;
  const budget = new AllocationBudget(Math.ceil(h5Bytes / 4), what);
  const model = topologyToModel(topology, { limits, budget, what });
  try {
    checkUniqueWeightNames(model, what);
  } catch (e) {
    throw new ModelFormatError((e as Error).message);
  }
  const values = read(targetLayers(model, refs));
  return { model, artifacts: toArtifacts(model, values, topology, what) };
}

/** The optimizer state a Keras 3 file keeps, read for the optimizer its compile config names. */
function optimizerState(model: LayersModel, training: Record<string, unknown> | undefined, read: (model: LayersModel) => OptimizerState | null): OptimizerState | null {
  if (!training) return null;
  const args = compileArgsFrom(training, []);
  if (!args) return null;
  model.compile(args);
  return read(model);
}

async function fromZip(bytes: Uint8Array, what: string, limits: LoadLimits): Promise<KerasArtifacts> {
  const entries = readZip(bytes, what, zipLimits(limits));
  const configBytes = entries.get('config.json');
  const weights = entries.get('model.weights.h5');
  if (!configBytes) throw new ModelFormatError(`${what} is a zip archive without config.json; a .keras file holds config.json, metadata.json and model.weights.h5`);
  if (!weights) {
    const npz = entries.size > 0 ? '' : '';
    throw new ModelFormatError(`${what} has no model.weights.h5${npz}; convlab reads .keras files saved with the default h5 weights format`);
  }
  const parsed = parseConfigText(new TextDecoder().decode(configBytes), `${what} (config.json)`, limits);
  const notes: string[] = [];
  const converted = kerasConfigToTopology(parsed, what, notes);
  // .keras is Keras 3's format: its 'hard_sigmoid' is relu6(x + 3) / 6.
  readActivationsForVersion(converted.topology, true);
  const reader = await Hdf5Reader.open(weights, `${what} (model.weights.h5)`);
  try {
    const { model, artifacts } = buildAndRead(converted, weights.length, what, limits, (layers) => readKeras3Weights(reader, layers));
    const training = isPlainObject(parsed) ? normalizeTrainingConfig(parsed.compile_config) : undefined;
    const state = optimizerState(model, training, (m) => readOptimizerState(m, reader, notes));
    return { ...artifacts, ...(training ? { trainingConfig: training } : {}), ...(state ? { optimizerState: state } : {}), notes };
  } finally {
    reader.close();
  }
}

async function fromHdf5(bytes: Uint8Array, what: string, limits: LoadLimits): Promise<KerasArtifacts> {
  const reader = await Hdf5Reader.open(bytes, what);
  try {
    const root = reader.group('')!;
    const modelConfig = reader.attr(root, 'model_config');
    if (modelConfig === undefined) {
      const kind = weightLayout(reader, '') ?? weightLayout(reader, 'model_weights');
      if (kind) throw new ModelFormatError(`${what} holds weights only (a ${kind === 'keras3' ? 'Keras 3 .weights.h5' : 'Keras 2 save_weights'} file), no architecture; build the model (or load its JSON with modelFromJSON) and call model.loadWeights('${what.replace(/^The model at '|'$/g, '')}')`);
      throw new ModelFormatError(`${what} is an HDF5 file without a Keras model_config attribute; it is not a Keras model`);
    }
    if (typeof modelConfig !== 'string') throw new ModelFormatError(`${what}: the model_config attribute must be JSON text, received ${describe(modelConfig)}`);
    const parsed = parseConfigText(modelConfig, `${what} (model_config)`, limits);
    const notes: string[] = [];
    const converted = kerasConfigToTopology(parsed, what, notes);
    // Keras 3 writes .h5 files too (keras_version '3.x'); their 'hard_sigmoid' is Keras 3's.
    const major = kerasMajor(reader.attr(root, 'keras_version'));
    readActivationsForVersion(converted.topology, major !== null ? major >= 3 : looksLikeKeras3(parsed));
    const layout = weightLayout(reader, 'model_weights');
    if (!layout) throw new ModelFormatError(`${what} has a model_config but no model_weights group with layer_names`);
    const { model, artifacts } = buildAndRead(converted, bytes.length, what, limits, (layers) => (layout === 'keras2' ? readKeras2Weights(reader, layers, 'model_weights') : readKeras3Weights(reader, layers, 'model_weights')));
    const rawTraining = reader.attr(root, 'training_config');
    let training: Record<string, unknown> | undefined;
    if (typeof rawTraining === 'string') training = normalizeTrainingConfig(parseConfigText(rawTraining, `${what} (training_config)`, limits));
    const state = optimizerState(model, training, (m) => readNamedOptimizerState(m, reader, notes));
    return { ...artifacts, ...(training ? { trainingConfig: training } : {}), ...(state ? { optimizerState: state } : {}), notes };
  } finally {
    reader.close();
  }
}

/** A Keras file's bytes (.keras zip or .h5) as model artifacts. */
export async function kerasBytesToArtifacts(bytes: Uint8Array, what: string, limits: LoadLimits): Promise<KerasArtifacts> {
  return asFormatError(what, () => readArtifacts(bytes, what, limits));
}

/** HDF5 or zip failures deep in a damaged file become ModelFormatErrors naming the file. */
async function asFormatError<T>(what: string, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (e) {
    // Layer-config errors name the layer; the file is named here.
    if (e instanceof ModelFormatError) throw e.message.includes(what) ? e : new ModelFormatError(`${what}: ${e.message}`);
    const message = String((e as Error)?.message ?? e).split('\n').find((l) => l.trim().length > 0) ?? 'unknown error';
    throw new ModelFormatError(`${what} is damaged or not a Keras file: ${message.trim().slice(0, 300)}`);
  }
}

async function readArtifacts(bytes: Uint8Array, what: string, limits: LoadLimits): Promise<KerasArtifacts> {
  if (bytes.length > limits.maxWeightBytes + limits.maxJsonBytes) {
    throw new ModelFormatError(`${what} is ${bytes.length} bytes, more than limits.maxWeightBytes + limits.maxJsonBytes`);
  }
  const kind = sniffKerasFile(bytes);
  if (kind === 'zip') return fromZip(bytes, what, limits);
  if (kind === 'hdf5') return fromHdf5(bytes, what, limits);
  throw new ModelFormatError(`${what} is neither a zip (.keras) nor an HDF5 (.h5) file`);
}

/** Weight values for an existing model from a Keras weights file (.weights.h5, Keras 2 save_weights, .h5 or .keras). */
export async function readKerasWeightsFor(model: LayersModel, bytes: Uint8Array, what: string, limits: LoadLimits): Promise<WeightValues> {
  return asFormatError(what, () => readWeightsFor(model, bytes, what, limits));
}

async function readWeightsFor(model: LayersModel, bytes: Uint8Array, what: string, limits: LoadLimits): Promise<WeightValues> {
  let h5 = bytes;
  if (isZip(bytes)) {
    const weights = readZip(bytes, what, zipLimits(limits)).get('model.weights.h5');
    if (!weights) throw new ModelFormatError(`${what} is a zip archive without model.weights.h5`);
    h5 = weights;
  }
  const reader = await Hdf5Reader.open(h5, what);
  try {
    const layers = modelLayerRefs(model);
    for (const root of ['', 'model_weights']) {
      const layout = weightLayout(reader, root);
      if (layout === 'keras2') return readKeras2Weights(reader, layers, root);
      if (layout === 'keras3') return readKeras3Weights(reader, layers, root);
    }
    throw new ModelFormatError(`${what} is an HDF5 file but holds no Keras weights (neither a layer_names attribute nor a 'layers' group)`);
  } finally {
    reader.close();
  }
}
