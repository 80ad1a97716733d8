import type { Sequential } from '../models/sequential.js';
import { Adam, AdamW, RMSprop, SGD, type Optimizer } from '../optimizers/index.js';
import { Tensor } from '../tensor/tensor.js';
import { Random, globalRandom } from '../utils/random.js';
import { type LoadLimits, ModelFormatError, checkDimension, describe, isPlainObject } from './limits.js';
import { weightsInSaveOrder } from './model_io.js';
import { encodeWeights, checkWeightSpecs, checkWeightDataLength, readWeight } from './weights.js';
import type { WeightSpec } from './types.js';

/**
 * Everything besides the weights that a training run needs to continue exactly where it stopped:
 * the optimizer's state (Adam's moments and step count), how many epochs are done, the random
 * generators' states (shuffling and dropout), the history so far, and how the model was compiled.
 * This module turns that into JSON + bytes and back; checkpoint.ts puts it on disk.
 */

export const TRAINING_STATE_FORMAT = 'convlab-training-state';

export interface HistoryRecord {
  epoch: number[];
  history: Record<string, number[]>;
}

export interface OptimizerRecord {
  className: string;
  config: Record<string, unknown>;
  iterations: number;
  learningRate: number;
  /** One entry per slot array, in the order of the optimizer shard; weight = index in model.weights. */
  slots: { weight: number; slot: string; spec: WeightSpec }[];
}

export interface TrainingStateRecord {
  epoch: number;
  optimizer: OptimizerRecord | null;
  compile: { loss: string; metrics: string[]; labelSmoothing?: number } | null;
  random: { global: (number | null)[]; layers: Record<string, (number | null)[]> };
  history: HistoryRecord;
  userData: unknown;
}

// The generators seeded per layer (Dropout({ seed })) are private; their state is read here
// through a narrow structural view so that resuming replays the same dropout masks.
function layerRandom(layer: unknown): Random | null {
  const rng = (layer as { rng?: unknown }).rng;
  return rng instanceof Random && rng !== globalRandom ? rng : null;
}

const toJsonState = (s: number[]): (number | null)[] => s.map((v) => (Number.isNaN(v) ? null : v));
const fromJsonState = (s: (number | null)[]): number[] => s.map((v) => (v === null ? NaN : v));

export function historyOf(source: { epoch: number[]; history: Record<string, number[]> } | null | undefined): HistoryRecord {
  if (!source) return { epoch: [], history: {} };
  return { epoch: [...source.epoch], history: Object.fromEntries(Object.entries(source.history).map(([k, v]) => [k, [...v]])) };
}

/** The optimizer state as a list of slot arrays (bytes) plus JSON, keyed by weight position. */
function collectOptimizer(model: Sequential): { record: OptimizerRecord; data: ArrayBuffer } | null {
  const optimizer = model.optimizer;
  if (!optimizer) return null;
  const state = optimizer.getState();
  const variables = model.weights;
  const index = new Map(variables.map((v, i) => [v.name, i]));
  const tensors: { name: string; tensor: Tensor }[] = [];
  const slots: OptimizerRecord['slots'] = [];
  for (const [variableName, byslot] of Object.entries(state.slots)) {
    const i = index.get(variableName);
    if (i === undefined) continue; // a weight no longer in the model
    for (const [slot, values] of Object.entries(byslot)) {
      const dtype = variables[i].value.dtype === 'float64' ? Float64Array : Float32Array;
      const tensor = new Tensor(dtype.from(values), variables[i].shape);
      tensors.push({ name: `${i}/${slot}`, tensor });
    }
  }
  const { specs, data } = encodeWeights(tensors);
  specs.forEach((spec) => {
    const [w, slot] = spec.name.split('/');
    slots.push({ weight: Number(w), slot, spec });
  });
  return { record: { className: optimizer.className, config: optimizer.getConfig(), iterations: state.iterations, learningRate: state.learningRate, slots }, data };
}

export function collectTrainingState(model: Sequential, epoch: number, history: HistoryRecord, userData: unknown): {
  record: TrainingStateRecord; weights: { specs: WeightSpec[]; data: ArrayBuffer }; optimizerData: ArrayBuffer | null;
} {
  if (!Number.isInteger(epoch) || epoch < 0) throw new Error(`saveTrainingState: epoch must be the number of completed epochs (an integer >= 0), received ${epoch}`);
  const weights = encodeWeights(weightsInSaveOrder(model).map((w) => ({ name: w.name, tensor: w.value })));
  const optimizer = collectOptimizer(model);
  const layers: Record<string, (number | null)[]> = {};
  model.layers.forEach((layer, i) => {
    const rng = layerRandom(layer);
    if (rng) layers[String(i)] = toJsonState(rng.getState());
  });
  const compiled = model.compiled;
  return {
    record: {
      epoch,
      optimizer: optimizer?.record ?? null,
      compile: compiled && compiled.lossName ? { loss: compiled.lossName, metrics: [...compiled.metricIds], ...(compiled.labelSmoothing > 0 ? { labelSmoothing: compiled.labelSmoothing } : {}) } : null,
      random: { global: toJsonState(globalRandom.getState()), layers },
      history,
      userData: userData ?? null,
    },
    weights: { specs: weights.specs, data: weights.data },
    optimizerData: optimizer?.data ?? null,
  };
}

const OPTIMIZERS: Record<string, (config: Record<string, unknown>) => Optimizer> = {
  SGD: (c) => new SGD(c), Adam: (c) => new Adam(c), AdamW: (c) => new AdamW(c), RMSprop: (c) => new RMSprop(c),
};

function checkRandomState(value: unknown, what: string): number[] {
  if (!Array.isArray(value) || value.length !== 5 || !value.every((v, i) => v === null ? i === 4 : typeof v === 'number' && Number.isFinite(v))) {
    throw new ModelFormatError(`${what} must be 5 numbers (the last may be null), received ${describe(value)}`);
  }
  return fromJsonState(value as (number | null)[]);
}

/** Validates the parsed JSON record; everything the resume uses is checked here. */
export function checkTrainingRecord(value: unknown, what: string, limits: LoadLimits): TrainingStateRecord {
  if (!isPlainObject(value)) throw new ModelFormatError(`${what} must be an object, received ${describe(value)}`);
  checkDimension(value.epoch, `${what}: epoch`, limits, true);
  const random = value.random;
  if (!isPlainObject(random) || !isPlainObject(random.layers)) throw new ModelFormatError(`${what}: random must be {global, layers}, received ${describe(random)}`);
  checkRandomState(random.global, `${what}: random.global`);
  for (const [k, v] of Object.entries(random.layers)) checkRandomState(v, `${what}: random.layers[${k}]`);
  const history = value.history;
  if (!isPlainObject(history) || !Array.isArray(history.epoch) || !isPlainObject(history.history)) {
    throw new ModelFormatError(`${what}: history must be {epoch: [...], history: {...}}, received ${describe(history)}`);
  }
  for (const [k, v] of Object.entries(history.history)) {
    if (!Array.isArray(v) || !v.every((n) => typeof n === 'number' || n === null)) throw new ModelFormatError(`${what}: history.${k} must be an array of numbers`);
  }
  const opt = value.optimizer;
  if (opt !== null) {
    if (!isPlainObject(opt) || typeof opt.className !== 'string' || !isPlainObject(opt.config) || !Array.isArray(opt.slots)) {
      throw new ModelFormatError(`${what}: optimizer must be {className, config, iterations, learningRate, slots}, received ${describe(opt)}`);
    }
    if (!Object.hasOwn(OPTIMIZERS, opt.className)) throw new ModelFormatError(`${what}: unknown optimizer '${opt.className}'; expected one of ${Object.keys(OPTIMIZERS).join(', ')}`);
    // Each slot is read as {weight, slot, spec}; its name becomes a key, so it must be a plain name.
    opt.slots.forEach((slot, k) => {
      if (!isPlainObject(slot) || typeof slot.slot !== 'string' || !/^[A-Za-z][A-Za-z0-9]*$/.test(slot.slot)) {
        throw new ModelFormatError(`${what}: optimizer.slots[${k}] must be {weight, slot, spec} with a slot name such as 'm', received ${describe(slot)}`);
      }
    });
    checkDimension(opt.iterations, `${what}: optimizer.iterations`, { ...limits, maxDimension: Number.MAX_SAFE_INTEGER }, true);
    if (typeof opt.learningRate !== 'number' || !(opt.learningRate > 0) || !Number.isFinite(opt.learningRate)) throw new ModelFormatError(`${what}: optimizer.learningRate must be a positive number, received ${describe(opt.learningRate)}`);
  }
  const compile = value.compile;
  if (compile !== null && (!isPlainObject(compile) || typeof compile.loss !== 'string' || !Array.isArray(compile.metrics) || !compile.metrics.every((m) => typeof m === 'string'))) {
    throw new ModelFormatError(`${what}: compile must be {loss, metrics} or null, received ${describe(compile)}`);
  }
  if (compile !== null && compile.labelSmoothing !== undefined && !(typeof compile.labelSmoothing === 'number' && compile.labelSmoothing >= 0 && compile.labelSmoothing < 1)) {
    throw new ModelFormatError(`${what}: compile.labelSmoothing must be a number in [0, 1), received ${describe(compile.labelSmoothing)}`);
  }
  return value as unknown as TrainingStateRecord;
}

/**
 * Puts the state into a model whose weights have been loaded: compiles it from the record when it
 * is not compiled, then restores the optimizer slots, the step count and the random generators.
 */
export function applyTrainingState(model: Sequential, record: TrainingStateRecord, optimizerData: ArrayBuffer | null, options: { restoreRandom: boolean; limits: LoadLimits; what: string }): void {
  const { what, limits } = options;
  const opt = record.optimizer;
  if (!model.compiled) {
    if (!record.compile) throw new ModelFormatError(`${what}: the run was compiled with a custom loss function, which cannot be saved; compile the model yourself and pass it to loadTrainingState`);
    const optimizer = opt ? OPTIMIZERS[opt.className](opt.config) : 'adam';
    model.compile({ optimizer, loss: record.compile.loss, metrics: record.compile.metrics, labelSmoothing: record.compile.labelSmoothing });
  }
  if (opt) {
    const optimizer = model.optimizer!;
    if (optimizer.className !== opt.className) {
      throw new ModelFormatError(`${what}: the checkpoint was trained with ${opt.className} but the model is compiled with ${optimizer.className}; compile it with ${opt.className} to resume`);
    }
    const variables = model.weights;
    const specs = checkWeightSpecs(opt.slots.map((s) => s.spec), `${what}: optimizer slots`, limits);
    checkWeightDataLength(specs.totalBytes, optimizerData ?? new ArrayBuffer(0), `${what}: optimizer state`);
    const slots: Record<string, Record<string, number[]>> = {};
    const slotDTypes: Record<string, 'float32' | 'float64'> = {};
    opt.slots.forEach((s, k) => {
      const variable = variables[s.weight];
      if (!Number.isInteger(s.weight) || !variable) throw new ModelFormatError(`${what}: optimizer slot '${s.slot}' refers to weight ${describe(s.weight)}, but the model has ${variables.length} weights`);
      const spec = specs.specs[k];
      if (spec.size !== variable.value.size) throw new ModelFormatError(`${what}: optimizer slot '${s.slot}' of weight '${variable.name}' has ${spec.size} values, the weight has ${variable.value.size}`);
      (slots[variable.name] ??= {})[s.slot] = Array.from(readWeight(spec, optimizerData!).data);
      slotDTypes[variable.name] = variable.value.dtype === 'float64' ? 'float64' : 'float32';
    });
    optimizer.setState({ iterations: opt.iterations, learningRate: opt.learningRate, slots, slotDTypes });
  }
  if (options.restoreRandom) {
    globalRandom.setState(fromJsonState(record.random.global));
    for (const [index, state] of Object.entries(record.random.layers)) {
      const rng = layerRandom(model.layers[Number(index)]);
      if (!rng) throw new ModelFormatError(`${what}: layer ${index} has a seeded random generator in the checkpoint but not in the model`);
      rng.setState(fromJsonState(state));
    }
  }
}
