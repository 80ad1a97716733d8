import type { LayersModel } from '../models/layers_model.js';
import type { Sequential } from '../models/sequential.js';
import type { LayerVariable } from '../layers/layer.js';
import { AllocationBudget } from './layer_configs.js';
import { type LoadLimits, ModelFormatError, checkNoForbiddenKeys, isPlainObject, resolveLimits } from './limits.js';
import { compileArgsFrom } from './keras/compile.js';
import type { OptimizerState } from '../optimizers/index.js';
import { kerasSaveFormat, saveKerasFile, setLoadNotes } from './keras/handler.js';
import { resolveHandler } from './router.js';
import { GENERATED_BY, modelToTopology, topologyToModel } from './topology.js';
import { artifactsInfo, concatWeightData, LAYERS_MODEL_FORMAT, type IOHandler, type ModelArtifacts, type SaveResult } from './types.js';
import { checkWeightDataLength, checkWeightSpecs, encodeWeights, readWeight } from './weights.js';

/** Weights in the order TF.js writes them: all trainable weights first, then the rest. */
export function weightsInSaveOrder(model: LayersModel): LayerVariable[] {
  const trainable = model.trainableWeights;
  const rest = model.weights.filter((w) => !trainable.includes(w));
  return [...trainable, ...rest];
}

/** Everything `model.save` writes, without deciding where it goes. */
export function modelToArtifacts(model: LayersModel): ModelArtifacts {
  const { specs, data } = encodeWeights(weightsInSaveOrder(model).map((w) => ({ name: w.name, tensor: w.value })));
  return {
    modelTopology: modelToTopology(model),
    format: LAYERS_MODEL_FORMAT,
    generatedBy: GENERATED_BY,
    convertedBy: null,
    weightSpecs: specs,
    weightData: data,
  };
}

/** As TF.js's `model.save(handlerOrUrl)`: 'file://dir' or a plain directory in Node, or any IOHandler; a path ending in .keras or .h5 writes a Python Keras file. */
export async function saveModel(model: LayersModel, handlerOrUrl: string | IOHandler): Promise<SaveResult> {
  // 'model.keras' and 'model.h5' are Python Keras files (Keras 3 zip, Keras 2 HDF5).
  const kerasFormat = typeof handlerOrUrl === 'string' ? kerasSaveFormat(handlerOrUrl) : null;
  if (kerasFormat) return saveKerasFile(model, handlerOrUrl as string, kerasFormat);
  const handler = resolveHandler(handlerOrUrl, 'save');
  const artifacts = modelToArtifacts(model);
  const result = await handler.save!(artifacts);
  return result ?? { modelArtifactsInfo: artifactsInfo(artifacts) };
}

export interface LoadOptions {
  limits?: Partial<LoadLimits>;
}

/**
 * Builds a model from artifacts. Sizes are validated before allocation: the weight specs must
 * describe exactly the bytes present, and the topology may not create more weight values than
 * the specs hold. Every weight of the model must be found by name with the same shape.
 */
export function artifactsToModel(artifacts: ModelArtifacts, options: LoadOptions = {}, what = 'The saved model'): LayersModel {
  const limits = resolveLimits(options.limits);
  if (artifacts === null || typeof artifacts !== 'object') throw new ModelFormatError(`${what}: the IO handler's load() returned ${artifacts === null ? 'null' : typeof artifacts} instead of model artifacts`);
  if (artifacts.modelTopology === undefined || artifacts.modelTopology instanceof ArrayBuffer) {
    throw new ModelFormatError(`${what} has no JSON modelTopology; convlab loads TF.js Layers models (model.json with modelTopology)`);
  }
  checkNoForbiddenKeys(artifacts.modelTopology, what, limits);
  const { specs, totalBytes } = checkWeightSpecs(artifacts.weightSpecs ?? [], what, limits);
  const data = concatWeightData(artifacts.weightData);
  checkWeightDataLength(totalBytes, data, what);
  const totalValues = specs.reduce((n, s) => n + s.size, 0);
  const model = topologyToModel(artifacts.modelTopology, { limits, budget: new AllocationBudget(totalValues, what), what });
  const byName = new Map(specs.map((s) => [s.name, s]));
  for (const variable of model.weights) {
    const spec = byName.get(variable.name);
    if (!spec) {
      const listed = specs.map((s) => s.name).slice(0, 12).join(', ');
      throw new ModelFormatError(`${what}: weight '${variable.name}' of the topology is missing from the weights manifest (which lists ${listed || 'nothing'})`);
    }
    const same = spec.shape.length === variable.shape.length && spec.shape.every((d, i) => d === variable.shape[i]);
    if (!same) {
      throw new ModelFormatError(`${what}: weight '${variable.name}' has shape ${JSON.stringify(spec.shape)} in the weights manifest but the topology needs ${JSON.stringify(variable.shape)}`);
    }
    if (spec.dtype !== 'float32' && spec.dtype !== 'float64') {
      throw new ModelFormatError(`${what}: weight '${variable.name}' has dtype '${spec.dtype}'; layer weights must be float32 or float64`);
    }
    const target = variable.value.data;
    if (spec.dtype === variable.value.dtype) {
      // Same dtype: copy the bytes straight into the weight, without an intermediate tensor.
      new Uint8Array(target.buffer, target.byteOffset, target.byteLength).set(new Uint8Array(data, spec.byteOffset, spec.byteLength));
    } else {
      variable.assign(readWeight(spec, data));
    }
    byName.delete(variable.name);
  }
  if (byName.size > 0) {
    throw new ModelFormatError(`${what}: the weights manifest has ${byName.size} weight(s) that no layer uses: ${[...byName.keys()].slice(0, 8).join(', ')}`);
  }
  compileFromArtifacts(model, artifacts);
  return model;
}

/**
 * As TF.js (and Keras): a model saved with its training configuration comes back compiled, so
 * fit() continues; what convlab cannot compile is kept as a load note (io.loadNotes(model)).
 */
function compileFromArtifacts(model: LayersModel, artifacts: ModelArtifacts): void {
  const notes = [...((artifacts as { notes?: string[] }).notes ?? [])];
  if (isPlainObject(artifacts.trainingConfig)) {
    const args = compileArgsFrom(artifacts.trainingConfig, notes);
    if (args) {
      try {
        model.compile(args);
        const state = (artifacts as { optimizerState?: OptimizerState }).optimizerState;
        if (state) model.optimizer!.setState(state);
      } catch (e) {
        notes.push(`the training configuration could not be compiled: ${(e as Error).message}`);
      }
    }
  }
  setLoadNotes(model, notes);
}

/**
 * As TF.js's `tf.loadLayersModel(pathOrIOHandler)`: 'file://dir', a plain path in Node, or any
 * IOHandler. Resolves to a Sequential or a Functional model, as the file says; the type parameter
 * (Sequential by default, as most saved models are) only narrows the static type.
 */
export async function loadLayersModel<T extends LayersModel = Sequential>(handlerOrUrl: string | IOHandler, options: LoadOptions = {}): Promise<T> {
  const handler = resolveHandler(handlerOrUrl, 'load', options.limits);
  const what = typeof handlerOrUrl === 'string' ? `The model at '${handlerOrUrl}'` : 'The loaded model';
  const artifacts = await handler.load!();
  return artifactsToModel(artifacts, options, what) as T;
}
