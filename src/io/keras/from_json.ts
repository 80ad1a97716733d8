/**
 * `modelFromJSON(text)`: a model from Keras's `model.to_json()` (or a TF.js model.json's
 * topology), with freshly initialised weights, as Keras's `model_from_json`. Load trained weights
 * into it with `model.loadWeights(...)`.
 */
import type { LayersModel } from '../../models/layers_model.js';
import type { Sequential } from '../../models/sequential.js';
import { AllocationBudget } from '../layer_configs.js';
import { type LoadLimits, ModelFormatError, isPlainObject, parseJsonSafely, resolveLimits } from '../limits.js';
import { topologyToModel } from '../topology.js';
import { compileArgsFrom, normalizeTrainingConfig } from './compile.js';
import { kerasConfigToTopology } from './config.js';
import { kerasMajor, looksLikeKeras3, readActivationsForVersion } from './activation_versions.js';
import { setLoadNotes } from './handler.js';

export interface ModelFromJsonOptions {
  limits?: Partial<LoadLimits>;
  /** Compile with the JSON's compile_config, when it has one (default true). */
  compile?: boolean;
}

export function modelFromJSON<T extends LayersModel = Sequential>(json: string | Record<string, unknown>, options: ModelFromJsonOptions = {}): T {
  const limits = resolveLimits(options.limits);
  const what = 'modelFromJSON';
  let parsed: unknown = typeof json === 'string' ? parseJsonSafely(json, `${what}: the JSON text`, limits) : json;
  if (typeof json !== 'string' && !isPlainObject(json)) throw new ModelFormatError(`${what}: expected JSON text or an object, received ${json === null ? 'null' : typeof json}`);
  // A TF.js model.json (or its artifacts) holds the Keras config under modelTopology.
  if (isPlainObject(parsed) && isPlainObject(parsed.modelTopology)) parsed = parsed.modelTopology;
  if (isPlainObject(parsed) && isPlainObject(parsed.model_config)) parsed = parsed.model_config;
  const notes: string[] = [];
  const converted = kerasConfigToTopology(parsed, what, notes);
  // tf.keras 2's to_json() says which Keras wrote it; Keras 3's has no version but its own spelling.
  const major = isPlainObject(parsed) ? kerasMajor(parsed.keras_version) : null;
  readActivationsForVersion(converted.topology, major !== null ? major >= 3 : looksLikeKeras3(parsed));
  const budget = new AllocationBudget(Math.floor(limits.maxWeightBytes / 4), what, true);
  const model = topologyToModel(converted.topology, { limits, budget, what });
  if (options.compile !== false && isPlainObject(parsed)) {
    const training = normalizeTrainingConfig(parsed.compile_config ?? parsed.training_config);
    const args = training ? compileArgsFrom(training, notes) : null;
    if (args) model.compile(args);
  }
  setLoadNotes(model, notes);
  return model as T;
}

/** TF.js's spelling: `models.modelFromJSON(json)`. */
export const models = { modelFromJSON };
