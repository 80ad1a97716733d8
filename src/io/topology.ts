import { layerClasses, type Layer } from '../layers/index.js';
import type { SymbolicTensor } from '../layers/symbolic.js';
import { Functional, input } from '../models/functional.js';
import { kerasOrderWithInputs } from '../models/graph_order.js';
import { LayersModel } from '../models/layers_model.js';
import { Sequential } from '../models/sequential.js';
import { layerArgs, type AllocationBudget, type ConfigContext } from './layer_configs.js';
// Registers the config readers of the layers added for Keras files in layerArgs.
import './layer_configs_keras.js';
import { type LoadLimits, ModelFormatError, checkDimension, describe, isPlainObject } from './limits.js';
import { fromPythonic, toPythonic } from './pythonic.js';
import { MAX_MODEL_NESTING, MODEL_CLASS_NAMES, checkUniqueWeightNames, firstNodeIndex, savedClassName } from './nested_topology.js';

export const CONVLAB_VERSION = '0.1.0';
export const GENERATED_BY = `convlab ${CONVLAB_VERSION}`;

/** The Keras/TF.js JSON description of a model, as model.json's `modelTopology`. */
export function modelToTopology(model: LayersModel): Record<string, unknown> {
  checkUniqueWeightNames(model, `Cannot save model '${model.name}'`);
  if (model instanceof Functional) return functionalToTopology(model);
  if (!(model instanceof Sequential)) throw new Error(`Cannot save a ${model.className} model: convlab saves Sequential and functional models`);
  const config = model.getConfig();
  const layers = toPythonic(config.layers) as Record<string, unknown>[];
  // A model nested as a layer is written with its own config, as TF.js and Keras write it.
  model.layers.forEach((l, i) => {
    if (l instanceof LayersModel) layers[i] = nestedEntry(l);
  });
  return {
    class_name: 'Sequential',
    config: { name: config.name, layers },
    keras_version: `convlab ${CONVLAB_VERSION}`,
    backend: 'convlab',
  };
}

/**
 * A functional model as TF.js and Keras write one: every layer with its `inbound_nodes`
 * ([[[source layer, node index, tensor index, {}], ...]]), then the input and output layers.
 */
function functionalToTopology(model: Functional): Record<string, unknown> {
  const nodes = model.graph();
  const seen = new Set<string>();
  const byOutput = new Map(nodes.map((n) => [n.output.id, n]));
  const layers: Record<string, unknown>[] = [];
  // Layers in Keras's order, InputLayers where Keras lists them (as TF.js and Keras write configs).
  for (const t of kerasOrderWithInputs(model.inputs, model.outputs)) {
    const node = byOutput.get(t.id);
    if (!node) {
      layers.push({ class_name: 'InputLayer', name: t.name, config: toPythonic({ batchInputShape: t.shape, dtype: 'float32', sparse: false, name: t.name }), inbound_nodes: [] });
      continue;
    }
    if (seen.has(node.layer.name)) throw new Error(`Cannot save model '${model.name}': layer '${node.layer.name}' is applied more than once (shared layers are not saved yet)`);
    seen.add(node.layer.name);
    // Call arguments ride on each input reference, as Keras 2 and TF.js write them.
    const kwargs = node.training === undefined ? {} : { training: node.training };
    const sources = node.inputs.map((t) => [t.producer ? t.producer.layer.name : t.name, t.producer ? firstNodeIndex(t.producer.layer, 'keras2') : 0, 0, kwargs]);
    const entry = node.layer instanceof LayersModel ? nestedEntry(node.layer) : { class_name: node.layer.className, config: toPythonic(node.layer.getConfig()) };
    layers.push({ ...entry, name: node.layer.name, inbound_nodes: [sources] });
  }
  return {
    class_name: 'Model',
    config: {
      name: model.name,
      layers,
      input_layers: model.inputs.map((t) => [t.name, 0, 0]),
      output_layers: model.outputs.map((t) => [t.producer!.layer.name, firstNodeIndex(t.producer!.layer, 'keras2'), 0]),
    },
    keras_version: `convlab ${CONVLAB_VERSION}`,
    backend: 'convlab',
  };
}

/** A model nested as a layer: {class_name, config} with its own topology's config and its trainable flag. */
function nestedEntry(model: LayersModel): Record<string, unknown> {
  const topology = modelToTopology(model) as { config: Record<string, unknown> };
  return { class_name: savedClassName(model), config: { ...topology.config, trainable: model.trainable } };
}

export interface TopologyContext {
  limits: LoadLimits;
  budget: AllocationBudget;
  what: string;
  /** How many models this one is nested in (0 for the saved model itself). */
  depth?: number;
}

function layerList(topology: unknown, what: string): { name: string | undefined; layers: unknown[]; functional: boolean; config: Record<string, unknown> } {
  let top = topology;
  // Files converted from Keras .h5 wrap the model in { model_config: ... }.
  if (isPlainObject(top) && isPlainObject(top.model_config)) top = top.model_config;
  if (!isPlainObject(top)) throw new ModelFormatError(`${what}: modelTopology must be an object, received ${describe(top)}`);
  const className = top.class_name ?? top.className;
  if (className !== 'Sequential' && className !== 'Model' && className !== 'Functional') {
    const found = typeof className === 'string' ? `'${className}'` : describe(className);
    throw new ModelFormatError(`${what}: convlab loads Sequential and functional ('Model', 'Functional') models; the topology's class_name is ${found}`);
  }
  const config = top.config;
  // Keras 2.0-2.1 wrote a Sequential's config as the bare list of layers.
  if (Array.isArray(config)) return { name: undefined, layers: config, functional: false, config: {} };
  if (!isPlainObject(config) || !Array.isArray(config.layers)) {
    throw new ModelFormatError(`${what}: modelTopology.config must be {name, layers: [...]}, received ${describe(config)}`);
  }
  if (config.name !== undefined && typeof config.name !== 'string') throw new ModelFormatError(`${what}: the model name must be a string, received ${describe(config.name)}`);
  return { name: config.name as string | undefined, layers: config.layers, functional: className !== 'Sequential', config };
}

function batchShape(value: unknown, what: string, limits: LoadLimits): (number | null)[] {
  if (!Array.isArray(value) || value.length < 2 || value.length > 6) {
    throw new ModelFormatError(`${what} must be an array such as [null, 28, 28, 1] (rank 2 to 6), received ${describe(value)}`);
  }
  return value.map((d, i) => (d === null ? null : checkDimension(d, `${what}[${i}]`, limits)));
}

interface ParsedLayer {
  at: string;
  className: string;
  layerName: string;
  config: Record<string, unknown>;
  dtype: 'float32' | 'float64' | undefined;
  inputShape: (number | null)[] | null;
  trainable: boolean | undefined;
  /** The entry as saved, for a nested model, which is read as a topology of its own. */
  entry: Record<string, unknown>;
}

/** Validates one entry of the topology's layer list (everything but how it connects). */
function parseLayer(entry: unknown, index: number, ctx: TopologyContext, names: Set<string>): ParsedLayer {
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
  const inputShapeKey = config.batchInputShape !== undefined ? 'batchInputShape' : config.batchShape !== undefined ? 'batchShape' : null;
  const inputShape = inputShapeKey && config[inputShapeKey] !== null ? batchShape(config[inputShapeKey], `${at} ('${layerName}'): ${inputShapeKey}`, ctx.limits) : null;
  if (className !== 'InputLayer' && !MODEL_CLASS_NAMES.has(className)) {
    // Own-property checks: 'constructor' or 'toString' must not find Object.prototype's members.
    const known = Object.hasOwn(layerArgs, className) && Object.hasOwn(layerClasses, className);
    if (!known) {
      throw new ModelFormatError(`${at}: unknown layer class '${className.slice(0, 80)}'; convlab can load ${Object.keys(layerArgs).join(', ')} (and InputLayer)`);
    }
  }
  const trainable = config.trainable;
  if (trainable !== undefined && trainable !== null && typeof trainable !== 'boolean') {
    throw new ModelFormatError(`${at} ('${layerName}'): trainable must be true or false, received ${describe(trainable)}`);
  }
  return { at, className, layerName, config, dtype: (dtype as 'float32' | 'float64' | undefined) ?? undefined, inputShape, trainable: (trainable as boolean | null) ?? undefined, entry };
}

function constructLayer(p: ParsedLayer, ctx: TopologyContext, modelDType: 'float32' | 'float64' | undefined, batchInputShape: (number | null)[] | null): Layer {
  if (MODEL_CLASS_NAMES.has(p.className)) return nestedModel(p, ctx, batchInputShape);
  const layerCtx: ConfigContext = { layer: p.layerName, className: p.className, limits: ctx.limits, budget: ctx.budget };
  const args: Record<string, unknown> = {
    ...layerArgs[p.className](p.config, layerCtx),
    name: p.layerName,
    trainable: p.trainable,
    dtype: p.dtype ?? modelDType,
  };
  if (batchInputShape) args.batchInputShape = batchInputShape;
  for (const key of Object.keys(args)) if (args[key] === undefined) delete args[key];
  try {
    return new layerClasses[p.className](args as never);
  } catch (e) {
    throw new ModelFormatError(`${p.at} ('${p.layerName}', ${p.className}): ${(e as Error).message}`);
  }
}

/** A model saved as a layer of another: read as a topology of its own, one level deeper. */
function nestedModel(p: ParsedLayer, ctx: TopologyContext, batchInputShape: (number | null)[] | null): LayersModel {
  const depth = (ctx.depth ?? 0) + 1;
  if (depth > MAX_MODEL_NESTING) throw new ModelFormatError(`${p.at} ('${p.layerName}'): models are nested more than ${MAX_MODEL_NESTING} levels deep`);
  const inner = topologyToModel({ class_name: p.className, config: p.entry.config }, { ...ctx, depth, what: `${ctx.what}: nested model '${p.layerName}'` });
  // A Sequential saved without its input shape takes the one its parent declares.
  if (batchInputShape && inner instanceof Sequential && !inner.built) inner.build(batchInputShape);
  // As Keras: a model saved frozen comes back frozen (its layers say so too).
  if (p.trainable === false) inner.trainable = false;
  return inner;
}

/**
 * Builds a model from a topology, validating every layer. Weights are created as zeros within
 * ctx.budget; the caller then fills them from the weight data.
 */
export function topologyToModel(topology: unknown, ctx: TopologyContext): LayersModel {
  const list = layerList(topology, ctx.what);
  if (list.layers.length > ctx.limits.maxLayers) {
    throw new ModelFormatError(`${ctx.what}: the model has ${list.layers.length} layers, more than the limit of ${ctx.limits.maxLayers} (limits.maxLayers)`);
  }
  return list.functional ? functionalFromTopology(list, ctx) : sequentialFromTopology(list, ctx);
}

function sequentialFromTopology({ name, layers }: { name: string | undefined; layers: unknown[] }, ctx: TopologyContext): Sequential {
  const built: Layer[] = [];
  const names = new Set<string>();
  let pendingInputShape: (number | null)[] | null = null;
  let modelDType: 'float32' | 'float64' | undefined;
  layers.forEach((entry, index) => {
    const p = parseLayer(entry, index, ctx, names);
    modelDType ??= p.dtype;
    if (p.className === 'InputLayer') {
      if (built.length > 0 || index !== 0) throw new ModelFormatError(`${p.at}: an InputLayer may only come first`);
      if (!p.inputShape) throw new ModelFormatError(`${p.at}: InputLayer '${p.layerName}' has no batch_input_shape`);
      pendingInputShape = p.inputShape;
      return;
    }
    if (p.inputShape && built.length > 0) throw new ModelFormatError(`${p.at} ('${p.layerName}'): only the first layer may have a batch_input_shape`);
    built.push(constructLayer(p, ctx, modelDType, p.inputShape ?? (built.length === 0 ? pendingInputShape : null)));
  });
  try {
    return new Sequential({ name, layers: built });
  } catch (e) {
    if (e instanceof ModelFormatError) throw e;
    throw new ModelFormatError(`${ctx.what}: the layers do not fit together: ${(e as Error).message}`);
  }
}

/** [[name, nodeIndex, tensorIndex], ...] as in input_layers / output_layers and inbound nodes. */
function layerRefs(value: unknown, what: string): string[] {
  if (!Array.isArray(value) || value.length === 0) throw new ModelFormatError(`${what} must be a non-empty list of [layer name, node index, tensor index], received ${describe(value)}`);
  return value.map((ref, i) => {
    // Node index 1 names the first call of a nested model (its node 0 is internal); shared layers,
    // whose later calls would be nodes 1, 2, ..., are refused by the one-node check.
    if (!Array.isArray(ref) || typeof ref[0] !== 'string' || (ref[1] !== 0 && ref[1] !== 1) || ref[2] !== 0) {
      throw new ModelFormatError(`${what}[${i}] must be [layer name, node index 0 or 1, 0] (shared layers are not supported), received ${describe(ref)}`);
    }
    return ref[0];
  });
}

/** The call arguments of an inbound node (the fourth item of its references): only `training` matters. */
function callArgs(node: unknown, what: string): { training?: boolean } {
  const first = Array.isArray(node) && Array.isArray(node[0]) ? node[0][3] : undefined;
  if (!isPlainObject(first) || first.training === undefined || first.training === null) return {};
  if (typeof first.training !== 'boolean') throw new ModelFormatError(`${what}: the call argument training must be true or false, received ${describe(first.training)}`);
  return { training: first.training };
}

function functionalFromTopology(list: { name: string | undefined; layers: unknown[]; config: Record<string, unknown> }, ctx: TopologyContext): Functional {
  const names = new Set<string>();
  const tensors = new Map<string, SymbolicTensor>();
  const inputLayers = new Map<string, SymbolicTensor>();
  let modelDType: 'float32' | 'float64' | undefined;
  list.layers.forEach((entry, index) => {
    const p = parseLayer(entry, index, ctx, names);
    modelDType ??= p.dtype;
    if (p.className === 'InputLayer') {
      if (!p.inputShape || p.inputShape.slice(1).some((d) => d === null)) throw new ModelFormatError(`${p.at}: InputLayer '${p.layerName}' needs a batch_input_shape with known sizes, received ${describe(p.inputShape)}`);
      const t = input({ shape: p.inputShape.slice(1) as number[], name: p.layerName });
      inputLayers.set(p.layerName, t);
      tensors.set(p.layerName, t);
      return;
    }
    const inbound = (entry as Record<string, unknown>).inbound_nodes;
    if (!Array.isArray(inbound) || inbound.length !== 1) {
      throw new ModelFormatError(`${p.at} ('${p.layerName}'): inbound_nodes must hold exactly one node (shared layers are not supported), received ${describe(inbound)}`);
    }
    const sources = layerRefs(inbound[0], `${p.at} ('${p.layerName}'): inbound_nodes[0]`).map((source, k) => {
      const t = tensors.get(source);
      if (!t) throw new ModelFormatError(`${p.at} ('${p.layerName}'): its input '${source}' is not a layer listed before it`);
      // Node 1 is a nested model's first call; of a plain layer, a second call (a shared layer).
      if ((inbound[0] as unknown[][])[k][1] === 1 && !(t.producer?.layer instanceof LayersModel)) throw new ModelFormatError(`${p.at} ('${p.layerName}'): its input is node 1 of layer '${source}', a second call of that layer (shared layers are not supported)`);
      return t;
    });
    const layer = constructLayer(p, ctx, modelDType, null);
    const kwargs = callArgs(inbound[0], `${p.at} ('${p.layerName}')`);
    try {
      tensors.set(p.layerName, sources.length === 1 ? layer.apply(sources[0], kwargs) : layer.apply(sources, kwargs));
    } catch (e) {
      throw new ModelFormatError(`${p.at} ('${p.layerName}', ${p.className}): the layer does not fit its inputs: ${(e as Error).message}`);
    }
  });
  const inputNames = layerRefs(list.config.input_layers, `${ctx.what}: input_layers`);
  const outputNames = layerRefs(list.config.output_layers, `${ctx.what}: output_layers`);
  const inputTensors = inputNames.map((name) => {
    const t = inputLayers.get(name);
    if (!t) throw new ModelFormatError(`${ctx.what}: input layer '${name}' is not an InputLayer of the model${inputLayers.size > 0 ? ` (its InputLayers: ${[...inputLayers.keys()].join(', ')})` : ''}`);
    return t;
  });
  const unlisted = [...inputLayers.keys()].filter((name) => !inputNames.includes(name));
  if (unlisted.length > 0) throw new ModelFormatError(`${ctx.what}: InputLayer '${unlisted[0]}' is not listed in input_layers (${inputNames.join(', ')})`);
  const outputTensors = outputNames.map((name) => {
    const t = tensors.get(name);
    if (!t) throw new ModelFormatError(`${ctx.what}: output layer '${name}' is not in the layer list`);
    return t;
  });
  try {
    return new Functional({ inputs: inputTensors, outputs: outputTensors, name: list.name });
  } catch (e) {
    throw new ModelFormatError(`${ctx.what}: ${(e as Error).message}`);
  }
}
