import { layerClasses, type Layer } from '../layers/index.js';
import { Sequential } from '../models/sequential.js';
import { layerArgs, type AllocationBudget, type ConfigContext } from './layer_configs.js';
import { type LoadLimits, ModelFormatError, checkDimension, describe, isPlainObject } from './limits.js';
import { fromPythonic, toPythonic } from './pythonic.js';

export const CONVLAB_VERSION = '0.1.0';
export const GENERATED_BY = `convlab ${CONVLAB_VERSION}`;

/** The Keras/TF.js JSON description of a Sequential model, as model.json's `modelTopology`. */
export function modelToTopology(model: Sequential): Record<string, unknown> {
  const config = model.getConfig();
  return {
    class_name: 'Sequential',
    config: toPythonic({ name: config.name, layers: config.layers }),
    keras_version: `convlab ${CONVLAB_VERSION}`,
    backend: 'convlab',
  };
}

export interface TopologyContext {
  limits: LoadLimits;
  budget: AllocationBudget;
  what: string;
}

function layerList(topology: unknown, what: string): { name: string | undefined; layers: unknown[] } {
  let top = topology;
  // Files converted from Keras .h5 wrap the model in { model_config: ... }.
  if (isPlainObject(top) && isPlainObject(top.model_config)) top = top.model_config;
  if (!isPlainObject(top)) throw new ModelFormatError(`${what}: modelTopology must be an object, received ${describe(top)}`);
  const className = top.class_name ?? top.className;
  if (className !== 'Sequential') {
    const found = typeof className === 'string' ? `'${className}'` : describe(className);
    throw new ModelFormatError(`${what}: convlab loads Sequential models only; the topology's class_name is ${found}`);
  }
  const config = top.config;
  // Keras 2.0-2.1 wrote a Sequential's config as the bare list of layers.
  if (Array.isArray(config)) return { name: undefined, layers: config };
  if (!isPlainObject(config) || !Array.isArray(config.layers)) {
    throw new ModelFormatError(`${what}: modelTopology.config must be {name, layers: [...]}, received ${describe(config)}`);
  }
  if (config.name !== undefined && typeof config.name !== 'string') throw new ModelFormatError(`${what}: the model name must be a string, received ${describe(config.name)}`);
  return { name: config.name as string | undefined, layers: config.layers };
}

function batchShape(value: unknown, what: string, limits: LoadLimits): (number | null)[] {
  if (!Array.isArray(value) || value.length < 2 || value.length > 6) {
    throw new ModelFormatError(`${what} must be an array such as [null, 28, 28, 1] (rank 2 to 6), received ${describe(value)}`);
  }
  return value.map((d, i) => (d === null ? null : checkDimension(d, `${what}[${i}]`, limits)));
}

/**
 * Builds a Sequential model from a topology, validating every layer. Weights are created as
 * zeros within ctx.budget; the caller then fills them from the weight data.
 */
export function topologyToModel(topology: unknown, ctx: TopologyContext): Sequential {
  const { name, layers } = layerList(topology, ctx.what);
  if (layers.length > ctx.limits.maxLayers) {
    throw new ModelFormatError(`${ctx.what}: the model has ${layers.length} layers, more than the limit of ${ctx.limits.maxLayers} (limits.maxLayers)`);
  }
  const built: Layer[] = [];
  const names = new Set<string>();
  let pendingInputShape: (number | null)[] | null = null;
  let modelDType: 'float32' | 'float64' | undefined;
  layers.forEach((entry, index) => {
    const at = `${ctx.what}: layer ${index}`;
    if (!isPlainObject(entry)) throw new ModelFormatError(`${at} must be {class_name, config}, received ${describe(entry)}`);
    const className = entry.class_name ?? entry.className;
    if (typeof className !== 'string') throw new ModelFormatError(`${at}: class_name must be a string, received ${describe(className)}`);
    if (!isPlainObject(entry.config)) throw new ModelFormatError(`${at} (${className}): config must be an object, received ${describe(entry.config)}`);
    const config = fromPythonic(entry.config) as Record<string, unknown>;
    const layerName = config.name;
    if (typeof layerName !== 'string' || layerName.length === 0 || layerName.length > 256 || layerName.includes('/')) {
      throw new ModelFormatError(`${at} (${className}): name must be a non-empty string of at most 256 characters without '/', received ${describe(layerName)}`);
    }
    if (names.has(layerName)) throw new ModelFormatError(`${at}: two layers are named '${layerName}'; weight names would collide`);
    names.add(layerName);
    const dtype = config.dtype;
    if (dtype !== undefined && dtype !== null && dtype !== 'float32' && dtype !== 'float64') {
      throw new ModelFormatError(`${at} ('${layerName}'): dtype must be 'float32' or 'float64', received ${describe(dtype)}`);
    }
    modelDType ??= (dtype as 'float32' | 'float64' | undefined) ?? undefined;
    const inputShapeKey = config.batchInputShape !== undefined ? 'batchInputShape' : config.batchShape !== undefined ? 'batchShape' : null;
    const inputShape = inputShapeKey && config[inputShapeKey] !== null ? batchShape(config[inputShapeKey], `${at} ('${layerName}'): ${inputShapeKey}`, ctx.limits) : null;
    if (className === 'InputLayer') {
      if (built.length > 0 || index !== 0) throw new ModelFormatError(`${at}: an InputLayer may only come first`);
      if (!inputShape) throw new ModelFormatError(`${at}: InputLayer '${layerName}' has no batch_input_shape`);
      pendingInputShape = inputShape;
      return;
    }
    // Own-property checks: 'constructor' or 'toString' must not find Object.prototype's members.
    const known = Object.hasOwn(layerArgs, className) && Object.hasOwn(layerClasses, className);
    const Ctor = known ? layerClasses[className] : null;
    if (!Ctor) {
      throw new ModelFormatError(`${at}: unknown layer class '${className.slice(0, 80)}'; convlab can load ${Object.keys(layerArgs).join(', ')} (and InputLayer)`);
    }
    if (inputShape && built.length > 0) throw new ModelFormatError(`${at} ('${layerName}'): only the first layer may have a batch_input_shape`);
    const trainable = config.trainable;
    if (trainable !== undefined && trainable !== null && typeof trainable !== 'boolean') {
      throw new ModelFormatError(`${at} ('${layerName}'): trainable must be true or false, received ${describe(trainable)}`);
    }
    const layerCtx: ConfigContext = { layer: layerName, className, limits: ctx.limits, budget: ctx.budget };
    const args: Record<string, unknown> = {
      ...layerArgs[className](config, layerCtx),
      name: layerName,
      trainable: trainable ?? undefined,
      dtype: dtype ?? modelDType,
    };
    const shape = inputShape ?? (built.length === 0 ? pendingInputShape : null);
    if (shape) args.batchInputShape = shape;
    for (const key of Object.keys(args)) if (args[key] === undefined) delete args[key];
    try {
      built.push(new Ctor(args as never));
    } catch (e) {
      throw new ModelFormatError(`${at} ('${layerName}', ${className}): ${(e as Error).message}`);
    }
  });
  try {
    return new Sequential({ name, layers: built });
  } catch (e) {
    if (e instanceof ModelFormatError) throw e;
    throw new ModelFormatError(`${ctx.what}: the layers do not fit together: ${(e as Error).message}`);
  }
}
