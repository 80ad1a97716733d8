/**
 * Keras model configs (tf.keras 2.x and Keras 3, as `model.to_json()`, an .h5 file's
 * `model_config` attribute or a .keras file's config.json) turned into the TF.js Layers topology
 * that src/io/topology.ts builds models from. TF.js's own converter does the same: the two formats
 * share Keras's snake_case layer configs, so any layer convlab registers in layer_configs.ts
 * loads from Keras files too. What differs is handled here:
 * - Keras 3 wraps every object as {module, class_name, config, registered_name};
 * - dtype policies ({class_name: 'DTypePolicy', config: {name: 'float32'}}) instead of 'float32';
 * - Keras 3 inbound nodes ({args: [keras tensors], kwargs}) and unnested input_layers;
 * - regularizers and constraints, which convlab does not apply: dropped with a note.
 * A model nested as a layer (a Sequential data-augmentation block, a pretrained base) is
 * converted the same way, recursively, and becomes a nested convlab model with its weights.
 * Lambda layers, custom layer classes and subclassed models hold Python code and are refused.
 */
import { layerClasses } from '../../layers/index.js';
import { layerArgs } from '../layer_configs.js';
// The Keras layers registered beside the original ones (ZeroPadding2D, ReLU, ...).
import '../layer_configs_keras.js';
import { ModelFormatError, describe, isPlainObject } from '../limits.js';
import { uniqueNestedNames } from './nested_names.js';

const MODEL_CLASSES = new Set(['Sequential', 'Functional', 'Model']);

/** Keras layer classes convlab can build: those with both a config reader and a class. */
export function supportedKerasLayers(): string[] {
  return ['InputLayer', ...Object.keys(layerArgs).filter((c) => Object.hasOwn(layerClasses, c))];
}

/** A Keras layer of the converted config, in the order Keras lists (and saves) its layers. */
export interface KerasLayerRef {
  name: string;
  className: string;
  /** A nested model's own layers, as Keras lists them. */
  layers?: KerasLayerRef[];
}

export interface ConvertedConfig {
  topology: Record<string, unknown>;
  functional: boolean;
  /** The model's own layers as Keras lists them (a nested model is one entry, with its layers). */
  layers: KerasLayerRef[];
}

/** Deepest nesting of models in models read from a Keras config. */
const MAX_NESTING = 16;

/** Keras 3's {module, class_name, config, registered_name} wrapper, recursively reduced to {class_name, config}. */
export function unwrapKeras3(value: unknown, depth = 0): unknown {
  if (depth > 200) throw new ModelFormatError('The Keras config nests objects more than 200 levels deep');
  if (Array.isArray(value)) return value.map((v) => unwrapKeras3(v, depth + 1));
  if (!isPlainObject(value)) return value;
  if (typeof value.class_name === 'string' && /^(DTypePolicy|FloatDTypePolicy|Policy|QuantizedDTypePolicy)$/.test(value.class_name)) {
    const config = value.config;
    return isPlainObject(config) && typeof config.name === 'string' ? config.name : 'float32';
  }
  if (value.class_name === 'function' && value.module === 'builtins' && typeof value.config === 'string') return value.config;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (key === 'module' || key === 'registered_name' || key === 'build_config' || key === 'shared_object_id') continue;
    out[key] = unwrapKeras3(v, depth + 1);
  }
  return out;
}

function pythonCodeMessage(what: string, name: string, className: string, kind: string): string {
  return `${what}: layer '${name}' is ${kind} (class '${className}'), which holds Python code that convlab cannot run. ` +
    `convlab loads models built from these Keras layers: ${supportedKerasLayers().join(', ')}. ` +
    'Rebuild the model from standard layers in Python, or load its weights into a convlab model built to the same architecture (model.loadWeights).';
}

/** Refuses a layer whose class convlab lacks, saying why and what it supports. */
function checkLayerClass(entry: Record<string, unknown>, index: number, what: string): void {
  const className = entry.class_name;
  const config = isPlainObject(entry.config) ? entry.config : {};
  const name = typeof config.name === 'string' ? config.name : typeof entry.name === 'string' ? entry.name : `#${index}`;
  if (typeof className !== 'string') throw new ModelFormatError(`${what}: layer ${index} has no class_name (received ${describe(className)})`);
  const cls = className.slice(0, 80);
  if (className === 'Lambda') throw new ModelFormatError(pythonCodeMessage(what, name, cls, 'a Lambda layer'));
  if (className === 'TFOpLambda' || className === 'SlicingOpLambda') throw new ModelFormatError(pythonCodeMessage(what, name, cls, 'a TensorFlow operation recorded as a layer'));
  const module = entry.module;
  const registered = entry.registered_name;
  const custom = (typeof module === 'string' && !module.startsWith('keras')) || (typeof registered === 'string' && registered.includes('>') && !registered.startsWith('Custom>'));
  // A nested model's layers are checked when its own config is converted.
  if (MODEL_CLASSES.has(className)) return;
  if (className === 'InputLayer' || (Object.hasOwn(layerArgs, className) && Object.hasOwn(layerClasses, className))) return;
  if (custom) throw new ModelFormatError(pythonCodeMessage(what, name, cls, `a custom layer${typeof module === 'string' ? ` from the Python module '${module.slice(0, 80)}'` : ''}`));
  throw new ModelFormatError(`${what}: layer '${name}' is a Keras ${cls} layer, which convlab does not support yet. convlab loads: ${supportedKerasLayers().join(', ')}.`);
}

/** One layer's config: regularizers and constraints dropped with a note, a mixed dtype policy read as float32. */
function cleanLayerConfig(config: Record<string, unknown>, layerName: string, notes: string[], dropped: Map<string, string[]>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...config };
  for (const [key, v] of Object.entries(config)) {
    if ((key.endsWith('_regularizer') || key.endsWith('_constraint')) && v !== null && v !== undefined) {
      const kind = isPlainObject(v) && typeof v.class_name === 'string' ? v.class_name : JSON.stringify(v).slice(0, 40);
      const what = `${key} ${kind}`;
      dropped.set(what, [...(dropped.get(what) ?? []), layerName]);
      out[key] = null;
    }
  }
  if (typeof out.dtype === 'string' && out.dtype !== 'float32' && out.dtype !== 'float64') {
    notes.push(`layer '${layerName}': dtype policy '${String(out.dtype).slice(0, 40)}' read as float32`);
    out.dtype = 'float32';
  }
  return out;
}

/** Keras 3 inbound nodes ({args, kwargs} holding keras tensors) as Keras 2's [[[layer, node, tensor, {}], ...]]. */
function inboundNodes(nodes: unknown, what: string): unknown {
  if (!Array.isArray(nodes)) return nodes;
  return nodes.map((node, n) => {
    if (Array.isArray(node)) return node;
    if (!isPlainObject(node) || !Array.isArray(node.args)) throw new ModelFormatError(`${what}: inbound node ${n} must be a list or {args, kwargs}, received ${describe(node)}`);
    const refs: unknown[] = [];
    // `base(x, training=False)` keeps its training argument; other call arguments do not matter here.
    const training = isPlainObject(node.kwargs) ? node.kwargs.training : undefined;
    const kwargs = typeof training === 'boolean' ? { training } : {};
    const collect = (arg: unknown, depth: number): void => {
      if (depth > 4) return;
      if (Array.isArray(arg)) {
        for (const a of arg) collect(a, depth + 1);
        return;
      }
      if (isPlainObject(arg) && arg.class_name === '__keras_tensor__' && isPlainObject(arg.config) && Array.isArray(arg.config.keras_history)) {
        const [layer, nodeIndex, tensorIndex] = arg.config.keras_history as unknown[];
        refs.push([layer, nodeIndex, tensorIndex, kwargs]);
      }
    };
    collect(node.args, 0);
    if (refs.length === 0) throw new ModelFormatError(`${what}: inbound node ${n} names no input tensor`);
    return refs;
  });
}

/**
 * ['name', 0, 0] (Keras 3, one tensor) or [['name', 0, 0], ...] as the latter. Keras 3 writes the
 * inputs or outputs of a model built with a dict as {key: ['name', 0, 0]}: in sorted key order, the
 * order Keras flattens them in.
 */
function tensorRefs(value: unknown): unknown {
  if (isPlainObject(value)) return Object.keys(value).sort().map((k) => value[k]);
  return Array.isArray(value) && typeof value[0] === 'string' ? [value] : value;
}

/**
 * Converts a parsed Keras model config into a TF.js topology, collecting notes about what was
 * ignored. `what` names the file in errors.
 */
export function kerasConfigToTopology(parsed: unknown, what: string, notes: string[], depth = 0): ConvertedConfig {
  if (depth > MAX_NESTING) throw new ModelFormatError(`${what}: models are nested more than ${MAX_NESTING} levels deep`);
  if (!isPlainObject(parsed)) throw new ModelFormatError(`${what}: the model config must be a JSON object with class_name and config, received ${describe(parsed)}`);
  const top = parsed;
  const className = top.class_name;
  if (typeof className !== 'string') throw new ModelFormatError(`${what}: the model config has no class_name (received ${describe(className)})`);
  if (!MODEL_CLASSES.has(className)) {
    const module = typeof top.module === 'string' ? ` from the Python module '${top.module.slice(0, 80)}'` : '';
    throw new ModelFormatError(`${what}: the model is a subclassed Keras model (class '${className.slice(0, 80)}'${module}); its forward pass is Python code (a call method), which convlab cannot run. convlab loads Sequential and Functional models ('Model' in Keras 2).`);
  }
  const rawConfig = top.config;
  const rawLayers = Array.isArray(rawConfig) ? rawConfig : isPlainObject(rawConfig) ? rawConfig.layers : undefined;
  if (!Array.isArray(rawLayers)) throw new ModelFormatError(`${what}: the ${className} config has no layers list (received ${describe(rawConfig)})`);
  rawLayers.forEach((entry, i) => {
    if (!isPlainObject(entry)) throw new ModelFormatError(`${what}: layer ${i} must be {class_name, config}, received ${describe(entry)}`);
    checkLayerClass(entry, i, what);
  });
  const functional = className !== 'Sequential';
  const refs: KerasLayerRef[] = [];
  const dropped = new Map<string, string[]>();
  const layers: Record<string, unknown>[] = [];
  rawLayers.forEach((entry, i) => {
    const e = unwrapKeras3(entry) as Record<string, unknown>;
    const config = isPlainObject(e.config) ? e.config : {};
    const name = typeof config.name === 'string' ? config.name : typeof e.name === 'string' ? e.name : `layer_${i}`;
    if (MODEL_CLASSES.has(e.class_name as string)) {
      // A nested model: its config (the raw one: Keras 3 keeps its input shape in build_config) read the same way.
      const inner = kerasConfigToTopology(entry, `${what}: nested model '${name}'`, notes, depth + 1);
      refs.push({ name, className: e.class_name as string, layers: inner.layers });
      const innerConfig: Record<string, unknown> = { ...(inner.topology.config as Record<string, unknown>), name };
      if ((config as Record<string, unknown>).trainable === false) innerConfig.trainable = false;
      const out: Record<string, unknown> = { class_name: inner.functional ? 'Model' : 'Sequential', config: innerConfig };
      if (functional) {
        out.name = name;
        out.inbound_nodes = inboundNodes(e.inbound_nodes, `${what}: layer '${name}'`);
      }
      layers.push(out);
      return;
    }
    refs.push({ name, className: e.class_name as string });
    const out: Record<string, unknown> = { class_name: e.class_name, config: cleanLayerConfig({ ...config, name }, name, notes, dropped) };
    if (functional) {
      out.name = name;
      out.inbound_nodes = inboundNodes(e.inbound_nodes, `${what}: layer '${name}'`);
    }
    layers.push(out);
  });
  for (const [what, names] of dropped) {
    const where = names.length === 1 ? `layer '${names[0]}'` : `${names.length} layers (${names.slice(0, 4).join(', ')}${names.length > 4 ? ', ...' : ''})`;
    notes.push(`${what} ignored on ${where}: convlab does not apply regularizers or constraints; predictions are unaffected, further training is not regularized`);
  }
  const cfg = isPlainObject(rawConfig) ? rawConfig : {};
  if (!functional && layers.length > 0) {
    // Keras 3 may keep the input shape only in build_config; tf.keras 2 in config.build_input_shape.
    const first = layers[0].config as Record<string, unknown>;
    const buildShape = isPlainObject(top.build_config) ? top.build_config.input_shape : cfg.build_input_shape;
    if (layers[0].class_name !== 'InputLayer' && first.batch_input_shape == null && first.batch_shape == null && Array.isArray(buildShape)) {
      first.batch_input_shape = buildShape;
    }
  }
  const modelName = typeof cfg.name === 'string' ? cfg.name : undefined;
  const config: Record<string, unknown> = { name: modelName, layers };
  if (functional) {
    config.input_layers = tensorRefs(cfg.input_layers);
    config.output_layers = tensorRefs(cfg.output_layers);
  }
  // Once, from the outermost model: nested layers named like their parent's are renamed.
  if (depth === 0) uniqueNestedNames(config, refs, notes);
  return { topology: { class_name: className, config }, functional, layers: refs };
}
