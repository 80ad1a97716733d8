/**
 * Writing Python Keras files, laid out as Keras lays them out:
 * - `.keras` (Keras 3, saving_lib): a zip of metadata.json, config.json (every object as
 *   {module, class_name, config, registered_name}) and model.weights.h5, whose weights sit at
 *   layers/<class_name_n>/vars/<i>, the optimizer's at optimizer/vars/<i>, plus an empty
 *   top-level vars group for the model itself.
 * - `.h5` (Keras 2, legacy_h5_format): root attributes keras_version, backend, model_config and
 *   training_config; a model_weights group listing layer_names, one group per layer listing its
 *   weight_names, each weight a dataset at <layer>/<layer>/<weight>:0.
 * Both start from the TF.js topology convlab already writes, which is Keras 2's config format.
 */
import type { Group } from 'h5wasm';
import { Functional } from '../../models/functional.js';
import { LayersModel } from '../../models/layers_model.js';
import type { Layer } from '../../layers/layer.js';
import { firstNodeIndex } from '../nested_topology.js';
import { isPlainObject } from '../limits.js';
import { toSnakeCase } from '../pythonic.js';
import { CONVLAB_VERSION, modelToTopology } from '../topology.js';
import { writeHdf5 } from './hdf5.js';
import { keras3LayerPaths, type TargetLayer } from './weights_read.js';
import { legacyWeightOrder, modelLayerRefs } from './read.js';
import { writeZip } from './zip.js';
import { namedOptimizerWeights, optimizerVariables } from './optimizer_state.js';
import { writeActivationsForVersion } from './activation_versions.js';
import { kerasPerOutputCompile } from './multi_io.js';

export const WRITER_VERSION = `convlab ${CONVLAB_VERSION}`;

const POLICY = (name: unknown) => ({ module: 'keras', class_name: 'DTypePolicy', config: { name: typeof name === 'string' ? name : 'float32' }, registered_name: null });

/** Keras 3's constructor arguments that Keras writes as null when unused. */
const NULL_KEYS: Record<string, string[]> = {
  Dense: ['kernel_regularizer', 'bias_regularizer', 'kernel_constraint', 'bias_constraint'],
  Conv2D: ['kernel_regularizer', 'bias_regularizer', 'activity_regularizer', 'kernel_constraint', 'bias_constraint'],
  BatchNormalization: ['beta_regularizer', 'gamma_regularizer', 'beta_constraint', 'gamma_constraint'],
};

/** One layer config in Keras 3's spelling: dtype policies, wrapped initializers, no batch_input_shape. */
function keras3LayerConfig(className: string, config: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(config)) {
    if (key === 'batch_input_shape') continue;
    if (key === 'dtype') out.dtype = POLICY(v);
    else if (key.endsWith('_initializer') && isPlainObject(v)) out[key] = { module: 'keras.initializers', class_name: v.class_name, config: v.config ?? {}, registered_name: null };
    else out[key] = v;
  }
  for (const key of NULL_KEYS[className] ?? []) if (!(key in out)) out[key] = null;
  return out;
}

function inputLayer(name: string, shape: unknown): Record<string, unknown> {
  return { module: 'keras.layers', class_name: 'InputLayer', config: { batch_shape: shape, dtype: 'float32', sparse: false, ragged: false, name, optional: false }, registered_name: null };
}

function shapeOf(s: readonly (number | null)[]): (number | null)[] {
  return [...s];
}

/** Keras 3's compile_config, when the model is compiled with something Keras has. */
function compileConfig(model: LayersModel): Record<string, unknown> | null {
  const c = model.compiled;
  const perOutput = c ? kerasPerOutputCompile(c) : null;
  if (!c || (!c.lossName && !perOutput)) return null;
  const o = c.optimizer;
  const cfg = o.getConfig() as Record<string, number | boolean>;
  const base = { name: o.className.toLowerCase(), learning_rate: o.learningRate, weight_decay: null as number | null, clipnorm: null, global_clipnorm: null, clipvalue: null, use_ema: false, ema_momentum: 0.99, ema_overwrite_frequency: null, loss_scale_factor: null, gradient_accumulation_steps: null };
  let config: Record<string, unknown>;
  if (o.className === 'Adam' || o.className === 'AdamW') {
    config = { ...base, weight_decay: cfg.weightDecay || (o.className === 'AdamW' ? cfg.weightDecay : null), beta_1: cfg.beta1, beta_2: cfg.beta2, epsilon: cfg.epsilon, amsgrad: false };
  } else if (o.className === 'SGD') {
    config = { ...base, weight_decay: cfg.weightDecay || null, momentum: cfg.momentum, nesterov: cfg.nesterov };
  } else if (o.className === 'RMSprop') {
    config = { ...base, rho: cfg.rho, momentum: cfg.momentum, epsilon: cfg.epsilon, centered: false };
  } else return null;
  return {
    optimizer: { module: 'keras.optimizers', class_name: o.className, config, registered_name: null },
    loss: perOutput ? perOutput.loss : toSnakeCase(c.lossName!),
    loss_weights: perOutput ? perOutput.loss_weights : null,
    metrics: perOutput ? perOutput.metrics : c.metricIds.length > 0 ? c.metricIds : null,
    weighted_metrics: null,
    run_eagerly: false,
    steps_per_execution: 1,
    jit_compile: false,
  };
}

/** Keras 3 writes one input or output as ['name', 0, 0] and several as [['a', 0, 0], ['b', 0, 0]]. */
function keras3Refs(names: string[]): unknown[] {
  return names.length === 1 ? [names[0], 0, 0] : names.map((n) => [n, 0, 0]);
}

type TopologyLayer = { class_name: string; config: Record<string, unknown>; name?: string };

/** config.json of a .keras file. */
export function keras3Config(model: LayersModel): Record<string, unknown> {
  return { ...keras3ModelConfig(model), compile_config: compileConfig(model) };
}

/** A model nested as a layer: its own Keras 3 config, without a compile config. */
function keras3Nested(model: LayersModel): Record<string, unknown> {
  return keras3ModelConfig(model);
}

/** A model's Keras 3 config ({module, class_name, config, registered_name, build_config}). */
function keras3ModelConfig(model: LayersModel): Record<string, unknown> {
  const topology = modelToTopology(model) as { config: { name: string; layers: TopologyLayer[] } };
  if (model instanceof Functional) {
    const nodes = new Map(model.graph().map((n) => [n.layer.name, n]));
    const tensor = (t: { shape: readonly (number | null)[]; producer?: { layer: Layer } | null; name: string }) => ({
      class_name: '__keras_tensor__',
      config: { shape: shapeOf(t.shape), dtype: 'float32', keras_history: [t.producer ? t.producer.layer.name : t.name, t.producer ? firstNodeIndex(t.producer.layer, 'keras3') : 0, 0] },
    });
    const layers = topology.config.layers.map((l) => {
      if (l.class_name === 'InputLayer') return { ...inputLayer(l.name!, l.config.batch_input_shape), name: l.name, inbound_nodes: [] };
      const node = nodes.get(l.name!)!;
      const args = node.inputs.length === 1 ? [tensor(node.inputs[0])] : [node.inputs.map(tensor)];
      const inputShape = node.inputs.length === 1 ? shapeOf(node.inputs[0].shape) : node.inputs.map((t) => shapeOf(t.shape));
      const entry = node.layer instanceof LayersModel
        ? keras3Nested(node.layer)
        : { module: 'keras.layers', class_name: l.class_name, config: keras3LayerConfig(l.class_name, l.config), registered_name: null, build_config: { input_shape: inputShape } };
      return { ...entry, name: l.name, inbound_nodes: [{ args, kwargs: node.training === undefined ? {} : { training: node.training } }] };
    });
    writeActivationsForVersion(layers, 3);
    // A nested functional model as an output is referred to as its node 1, as Keras 3 does.
    const outputs = model.outputs.map((t) => [t.producer!.layer.name, firstNodeIndex(t.producer!.layer, 'keras3'), 0]);
    return {
      module: 'keras.src.models.functional', class_name: 'Functional',
      config: { name: model.name, trainable: model.trainable, layers, input_layers: keras3Refs(model.inputs.map((t) => t.name)), output_layers: outputs.length === 1 ? outputs[0] : outputs },
      registered_name: 'Functional', build_config: { input_shape: null },
    };
  }
  const inputShape = shapeOf((model as unknown as { inputShape: (number | null)[] }).inputShape);
  const layers: Record<string, unknown>[] = [inputLayer('input_layer', inputShape)];
  for (const [i, l] of topology.config.layers.entries()) {
    const layer = model.layers[i];
    if (layer instanceof LayersModel) {
      layers.push(keras3Nested(layer));
      continue;
    }
    const built = layer.builtInputShape;
    layers.push({ module: 'keras.layers', class_name: l.class_name, config: keras3LayerConfig(l.class_name, l.config), registered_name: null, build_config: { input_shape: built ? shapeOf(built) : null } });
  }
  writeActivationsForVersion(layers, 3);
  return {
    module: 'keras', class_name: 'Sequential',
    config: { name: model.name, trainable: model.trainable, dtype: POLICY('float32'), layers, build_input_shape: inputShape },
    registered_name: null, build_config: { input_shape: inputShape },
  };
}

function weightData(v: { value: { data: Float32Array | Float64Array | ArrayLike<number> } }): Float32Array | Float64Array {
  const d = v.value.data;
  return d instanceof Float64Array ? d.slice() : Float32Array.from(d as ArrayLike<number>);
}

/** model.weights.h5 of a .keras file (Keras 3's .weights.h5 layout). */
export async function keras3Weights(model: LayersModel): Promise<Uint8Array> {
  const layers: TargetLayer[] = modelLayerRefs(model);
  const paths = keras3LayerPaths(layers);
  const optimizer = optimizerVariables(model);
  // layers/<class_n>/vars/<i>; a nested model's at layers/<model class_n>/layers/<class_n>/vars/<i>.
  const writeLayers = (parent: Group, list: TargetLayer[], listPaths: string[]): void => {
    const layersGroup = parent.create_group('layers');
    list.forEach((layer, i) => {
      const group = layersGroup.create_group(listPaths[i].slice(listPaths[i].lastIndexOf('/') + 1));
      const vars = group.create_group('vars');
      vars.create_attribute('name', layer.name);
      if (layer.layers) {
        writeLayers(group, layer.layers, keras3LayerPaths(layer.layers));
        return;
      }
      layer.weights.forEach((w, k) => vars.create_dataset({ name: String(k), data: weightData(w), shape: [...w.shape] }));
    });
  };
  return writeHdf5((file) => {
    writeLayers(file as unknown as Group, layers, paths);
    if (optimizer) {
      const vars = file.create_group('optimizer').create_group('vars');
      vars.create_attribute('name', optimizer.name);
      optimizer.values.forEach((v, k) => vars.create_dataset({ name: String(k), data: v.data, shape: v.shape, ...(v.data instanceof BigInt64Array ? { dtype: '<q' } : {}) }));
    }
    file.create_group('vars').create_attribute('name', model.name);
  });
}

/** A `.keras` file's bytes. */
export async function modelToKerasZip(model: LayersModel): Promise<Uint8Array> {
  const encoder = new TextEncoder();
  const metadata = { keras_version: WRITER_VERSION, date_saved: new Date().toISOString().slice(0, 19).replace('T', '@') };
  return writeZip([
    ['metadata.json', encoder.encode(JSON.stringify(metadata))],
    ['config.json', encoder.encode(JSON.stringify(keras3Config(model)))],
    ['model.weights.h5', await keras3Weights(model)],
  ]);
}

/** Keras 2's training_config attribute, with the optimizer config tf.keras 2.x optimizers take. */
function trainingConfig(model: LayersModel): Record<string, unknown> | null {
  const compile = compileConfig(model);
  if (!compile) return null;
  const opt = compile.optimizer as { class_name: string; config: Record<string, unknown> };
  const c = opt.config;
  const specific: Record<string, string[]> = { Adam: ['beta_1', 'beta_2', 'epsilon', 'amsgrad'], AdamW: ['weight_decay', 'beta_1', 'beta_2', 'epsilon', 'amsgrad'], SGD: ['momentum', 'nesterov'], RMSprop: ['rho', 'momentum', 'epsilon', 'centered'] };
  const config: Record<string, unknown> = { name: opt.class_name, learning_rate: c.learning_rate, decay: 0.0 };
  for (const key of specific[opt.class_name] ?? []) config[key] = c[key];
  return { loss: compile.loss, metrics: compile.metrics, weighted_metrics: null, loss_weights: compile.loss_weights, optimizer_config: { class_name: opt.class_name, config } };
}

/** A Keras 2 `.h5` file's bytes. */
export async function modelToKerasH5(model: LayersModel): Promise<Uint8Array> {
  const topology = modelToTopology(model) as Record<string, unknown> & { config: { layers: TopologyLayer[] } };
  const { keras_version: _v, backend: _b, ...modelConfig } = topology;
  if (!(model instanceof Functional) && topology.config.layers.length > 0) {
    // tf.keras 2.x lists a Sequential's InputLayer first, named after the first layer.
    const first = topology.config.layers[0];
    // A nested model first: the shape is its input's.
    const config = { batch_input_shape: first.config.batch_input_shape ?? shapeOf((model as unknown as { inputShape: (number | null)[] }).inputShape), dtype: first.config.dtype ?? 'float32', sparse: false, ragged: false, name: `${first.config.name}_input` };
    modelConfig.config = { ...topology.config, layers: [{ class_name: 'InputLayer', config }, ...topology.config.layers] };
  }
  writeActivationsForVersion(modelConfig, 2);
  const training = trainingConfig(model);
  const layerNames: string[] = model instanceof Functional ? modelLayerRefs(model).map((l) => l.name) : model.layers.map((l) => l.name);
  const byName = new Map(model.layers.map((l) => [l.name, l]));
  return writeHdf5((file) => {
    file.create_attribute('backend', 'tensorflow');
    file.create_attribute('keras_version', WRITER_VERSION);
    file.create_attribute('model_config', JSON.stringify(modelConfig));
    if (training) file.create_attribute('training_config', JSON.stringify(training));
    const weights = file.create_group('model_weights');
    weights.create_attribute('backend', 'tensorflow');
    weights.create_attribute('keras_version', WRITER_VERSION);
    weights.create_attribute('layer_names', layerNames);
    for (const name of layerNames) {
      const group: Group = weights.create_group(name);
      const layer = byName.get(name);
      // A nested model is one group of its layers' weights, trainable first (Keras 2's _legacy_weights).
      const vars = layer instanceof LayersModel ? legacyWeightOrder(layer) : layer?.weights ?? [];
      // Keras 2 names each weight '<layer>/<weight>:0'; h5py writes an empty list as an empty float array.
      const names = vars.map((w) => `${w.name}:0`);
      if (names.length > 0) group.create_attribute('weight_names', names);
      else group.create_attribute('weight_names', new Float64Array(0), [0], '<d');
      // Each at <group>/<layer>/<weight>:0, the path its name spells (a nested model's group holds its layers').
      for (const w of vars) {
        let at: Group = group;
        const parts = `${w.name}:0`.split('/');
        for (const part of parts.slice(0, -1)) at = (at.get(part) as Group | null) ?? at.create_group(part);
        at.create_dataset({ name: parts[parts.length - 1], data: weightData(w), shape: [...w.shape] });
      }
    }
    const optimizer = namedOptimizerWeights(model);
    if (optimizer) {
      const group = file.create_group('optimizer_weights');
      group.create_attribute('weight_names', optimizer.map((o) => o.name));
      for (const o of optimizer) {
        const parts = o.name.split('/');
        let at: Group = group;
        for (const part of parts.slice(0, -1)) at = (at.get(part) as Group | null) ?? at.create_group(part);
        at.create_dataset({ name: parts[parts.length - 1], data: o.data, shape: o.shape, ...(o.data instanceof BigInt64Array ? { dtype: '<q' } : {}) });
      }
    }
  });
}
