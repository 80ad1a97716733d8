/**
 * Models nested as layers, saved and loaded: bit-identical round trips through the TF.js Layers
 * format, `.keras` (Keras 3: weights at layers/<model class>/layers/<layer class>/vars) and
 * `.h5` (Keras 2: the nested model is one weight group naming its layers' weights);
 * @tensorflow/tfjs loads convlab's files and convlab loads what TF.js writes, predicting the same;
 * and hand-written Keras 3 and tf.keras 2 files with nested Sequential and Functional models load
 * with their weights, as Keras lays them out.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { strToU8, unzipSync, zipSync } from 'fflate';
import { clearSession, input, io, layers, loadLayersModel, model, sequential, setSeed, tensor, type Tensor } from '../../src/index.js';
import { Hdf5Reader, writeHdf5 } from '../../src/io/keras/hdf5.js';
import { modelToTopology } from '../../src/io/topology.js';
import type { LayersModel } from '../../src/models/layers_model.js';
import { assertSameWeights, maxAbsDiff, randomInput } from './helpers/data.js';
import { tfjs, tfjsHandlerFromDir } from './helpers/tfjs.js';

const root = mkdtempSync(join(tmpdir(), 'convlab-nested-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** Every weight set to distinct values, so that a swapped weight cannot go unnoticed. */
function perturb(m: LayersModel, seed = 5): void {
  let s = seed;
  const rand = () => ((s = (s * 1103515245 + 12345) >>> 0) >>> 8) / 0x1000000;
  m.setWeights(m.weights.map((w) => {
    const isVariance = w.name.endsWith('moving_variance');
    return tensor(Float32Array.from({ length: w.value.size }, () => (isVariance ? 0.5 + rand() : rand() - 0.5)), [...w.shape]);
  }));
}

function convBase(name: string): LayersModel {
  return sequential({ name, layers: [layers.conv2d({ filters: 4, kernelSize: 3, inputShape: [8, 8, 2], activation: 'relu' }), layers.batchNormalization()] });
}

/** The four ways to nest, plus a frozen base called with training: false. */
const builders: Record<string, () => LayersModel> = {
  'Sequential in Sequential': () => sequential({ name: 'outer', layers: [convBase('base'), layers.flatten(), layers.dense({ units: 3, activation: 'softmax' })] }),
  'Sequential in Functional (frozen, training: false)': () => {
    const base = convBase('base');
    base.trainable = false;
    const x = input({ shape: [8, 8, 2], name: 'image' });
    const y = layers.dense({ units: 3, activation: 'softmax' }).apply(layers.globalAveragePooling2d().apply(base.apply(x, { training: false })));
    return model({ inputs: x, outputs: y, name: 'transfer' });
  },
  'Functional in Functional': () => {
    const inner = input({ shape: [8, 8, 2], name: 'inner_image' });
    const conv = layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same' }).apply(inner);
    const base = model({ inputs: inner, outputs: layers.add().apply([layers.conv2d({ filters: 4, kernelSize: 1 }).apply(inner), layers.batchNormalization().apply(conv)]), name: 'backbone' });
    const x = input({ shape: [8, 8, 2], name: 'image' });
    return model({ inputs: x, outputs: layers.dense({ units: 2 }).apply(layers.flatten().apply(base.apply(x))), name: 'outer' });
  },
  'two levels: Sequential in Sequential in Functional': () => {
    const middle = sequential({ name: 'middle', layers: [convBase('innermost'), layers.globalAveragePooling2d(), layers.dense({ units: 5, activation: 'relu' })] });
    const x = input({ shape: [8, 8, 2], name: 'image' });
    return model({ inputs: x, outputs: layers.dense({ units: 2 }).apply(middle.apply(x)), name: 'outer' });
  },
  'Functional in Sequential': () => {
    const inner = input({ shape: [8, 8, 2], name: 'inner_image' });
    const base = model({ inputs: inner, outputs: layers.globalAveragePooling2d().apply(layers.batchNormalization().apply(layers.conv2d({ filters: 4, kernelSize: 3 }).apply(inner))), name: 'backbone' });
    return sequential({ name: 'outer', layers: [base, layers.dense({ units: 3, activation: 'softmax' })] });
  },
};

describe('nested models round-trip', () => {
  for (const [label, build] of Object.entries(builders)) {
    for (const format of ['tfjs', 'keras', 'h5'] as const) {
      it(`${label}: ${format} format, bit-identical, same topology and predictions`, async () => {
        setSeed(1);
        const m = build();
        perturb(m);
        const path = join(root, `${label.replace(/\W+/g, '_')}${format === 'tfjs' ? '' : `.${format}`}`);
        await m.save(path);
        const back = await loadLayersModel<LayersModel>(path);
        assertSameWeights(m, back, `${label} (${format})`);
        assert.deepEqual(modelToTopology(back), modelToTopology(m), 'the same topology, nested models and training flags included');
        assert.deepEqual(back.trainableWeights.map((w) => w.name), m.trainableWeights.map((w) => w.name), 'frozen stays frozen');
        const x = randomInput([3, 8, 8, 2], 4);
        assert.deepEqual(Array.from(back.predict(x).data), Array.from(m.predict(x).data));
        const trainingMode = (mm: LayersModel) => Array.from(mm.apply(x, true).data);
        assert.deepEqual(trainingMode(back), trainingMode(m), 'the same in training mode (training: false kept)');
      });
    }
  }

  it('@tensorflow/tfjs loads convlab\'s nested models and predicts the same (<= 1e-5)', async () => {
    const tf = await tfjs();
    for (const [label, build] of Object.entries(builders)) {
      setSeed(2);
      const m = build();
      perturb(m);
      const dir = join(root, `tfjs-${label.replace(/\W+/g, '_')}`);
      await m.save(dir);
      const theirs = await tf.loadLayersModel(tfjsHandlerFromDir(dir));
      const x = randomInput([3, 8, 8, 2], 6);
      const expected = m.predict(x).data;
      const got = (theirs.predict(tf.tensor(Array.from(x.data as Float32Array), [3, 8, 8, 2])) as { dataSync(): Float32Array }).dataSync();
      assert.ok(maxAbsDiff(got, expected) <= 1e-5, `${label}: max difference ${maxAbsDiff(got, expected)}`);
    }
  });

  it('convlab loads nested models that @tensorflow/tfjs writes and predicts the same (<= 1e-5)', async () => {
    const tf = await tfjs();
    tf.setBackend('cpu');
    const base = tf.sequential({ name: 'tf_base', layers: [tf.layers.conv2d({ inputShape: [8, 8, 2], filters: 3, kernelSize: 3, name: 'tf_conv' }), tf.layers.batchNormalization({ name: 'tf_bn' }), tf.layers.flatten({ name: 'tf_flat' })] });
    const stacked = tf.sequential({ name: 'tf_outer', layers: [base, tf.layers.dense({ units: 3, activation: 'softmax', name: 'tf_head' })] });
    const x = tf.input({ shape: [8, 8, 2], name: 'tf_image' });
    const graph = tf.model({ inputs: x, outputs: tf.layers.dense({ units: 2, name: 'tf_head2' }).apply(base.apply(x)) as never, name: 'tf_graph' });
    for (const theirs of [stacked, graph]) {
      // Moving statistics away from their initial values, so that a mix-up shows.
      for (const w of theirs.weights) w.write(tf.randomUniform(w.shape as number[], 0.2, 1.2, 'float32', 3));
      let saved: unknown;
      await theirs.save(tf.io.withSaveHandler(async (artifacts) => {
        saved = artifacts;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }));
      const ours = io.artifactsToModel(saved as never);
      assert.equal(ours.layers[0].className, 'Sequential');
      // Written back, the nesting reads as TF.js wrote it: class names, nested configs' layers, node references.
      type Topo = { class_name: string; config: { layers: { class_name: string; name?: string; config: { name: string; layers?: { class_name: string }[] }; inbound_nodes?: unknown }[] } };
      const mine = modelToTopology(ours) as Topo;
      const tfTopology = (saved as { modelTopology: Topo }).modelTopology;
      const outline = (t: Topo) => t.config.layers.map((l) => [l.class_name, l.config.name, l.config.layers?.map((i) => i.class_name), l.inbound_nodes]);
      assert.deepEqual(outline(mine), outline(tfTopology));
      const input8 = randomInput([2, 8, 8, 2], 9);
      const expected = (theirs.predict(tf.tensor(Array.from(input8.data as Float32Array), [2, 8, 8, 2])) as { dataSync(): Float32Array }).dataSync();
      assert.ok(maxAbsDiff(ours.predict(input8).data, expected) <= 1e-5, `${theirs.name}: ${maxAbsDiff(ours.predict(input8).data, expected)}`);
    }
  });

  it('model.loadWeights reads nested weights from .keras and .h5 files into a model built to the architecture', async () => {
    for (const ext of ['keras', 'h5']) {
      setSeed(4);
      const m = builders['two levels: Sequential in Sequential in Functional']();
      perturb(m, 9);
      const file = join(root, `weights-source.${ext}`);
      await m.save(file);
      const fresh = builders['two levels: Sequential in Sequential in Functional']();
      await fresh.loadWeights(file);
      m.weights.forEach((w, i) => assert.deepEqual(Array.from(fresh.weights[i].value.data), Array.from(w.value.data), `${ext}: ${w.name}`));
    }
  });

  it('.keras keeps nested weights at layers/<model class>/layers/<layer class>/vars; .h5 as one group naming its layers\' weights', async () => {
    setSeed(3);
    clearSession();
    const m = builders['Functional in Sequential']();
    const keras = unzipSync(await io.toKerasBytes(m, 'keras'));
    const reader = await Hdf5Reader.open(keras['model.weights.h5'], 'model.weights.h5');
    try {
      assert.deepEqual(reader.keys(reader.group('layers')!), ['dense', 'functional']);
      assert.deepEqual(reader.keys(reader.group('layers/functional/layers')!), ['batch_normalization', 'conv2d', 'global_average_pooling2d', 'input_layer']);
      assert.deepEqual(reader.keys(reader.group('layers/functional/layers/batch_normalization/vars')!), ['0', '1', '2', '3']);
      assert.deepEqual(reader.keys(reader.group('layers/functional/vars')!), []);
    } finally {
      reader.close();
    }
    const config = JSON.parse(new TextDecoder().decode(keras['config.json']));
    const nested = config.config.layers[1];
    assert.equal(nested.class_name, 'Functional');
    assert.equal(nested.config.name, 'backbone');
    assert.deepEqual(nested.config.input_layers, ['inner_image', 0, 0]);

    const base = m.layers[0] as LayersModel;
    base.trainable = false;
    const h5 = await Hdf5Reader.open(await io.toKerasBytes(m, 'h5'), 'model.h5');
    try {
      const group = h5.group('model_weights/backbone')!;
      assert.deepEqual(h5.attr(group, 'weight_names'), base.weights.map((w) => `${w.name}:0`));
      assert.deepEqual(h5.keys(group), ['batch_normalization', 'conv2d']);
      assert.deepEqual(h5.keys(h5.group('model_weights/backbone/conv2d')!), ['bias:0', 'kernel:0']);
    } finally {
      h5.close();
    }
    base.trainable = true;
    // Unfrozen, Keras 2 lists the trainable weights first: gamma and beta before the moving statistics.
    const h5b = await Hdf5Reader.open(await io.toKerasBytes(m, 'h5'), 'model.h5');
    try {
      assert.deepEqual(h5b.attr(h5b.group('model_weights/backbone')!, 'weight_names'), [...base.trainableWeights, ...base.nonTrainableWeights].map((w) => `${w.name}:0`));
    } finally {
      h5b.close();
    }
  });
});

// ---- Files written as Keras writes them, by hand, without convlab's writers. ----

type Json = Record<string, unknown>;
const policy = { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' }, registered_name: null };
const glorot = { module: 'keras.initializers', class_name: 'GlorotUniform', config: { seed: null }, registered_name: null };
const zeros = { module: 'keras.initializers', class_name: 'Zeros', config: {}, registered_name: null };
const ones = { module: 'keras.initializers', class_name: 'Ones', config: {}, registered_name: null };

function k3(className: string, config: Json, inputShape: unknown): Json {
  return { module: 'keras.layers', class_name: className, config: { dtype: policy, ...config }, registered_name: null, build_config: { input_shape: inputShape } };
}
const k3Conv = (name: string, trainable: boolean) => k3('Conv2D', { name, trainable, filters: 4, kernel_size: [3, 3], strides: [1, 1], padding: 'valid', data_format: 'channels_last', dilation_rate: [1, 1], groups: 1, activation: 'relu', use_bias: true, kernel_initializer: glorot, bias_initializer: zeros, kernel_regularizer: null, bias_regularizer: null, activity_regularizer: null, kernel_constraint: null, bias_constraint: null }, [null, 8, 8, 2]);
const k3Bn = (name: string, trainable: boolean) => k3('BatchNormalization', { name, trainable, axis: -1, momentum: 0.99, epsilon: 0.001, center: true, scale: true, beta_initializer: zeros, gamma_initializer: ones, moving_mean_initializer: zeros, moving_variance_initializer: ones, beta_regularizer: null, gamma_regularizer: null, beta_constraint: null, gamma_constraint: null, synchronized: false }, [null, 6, 6, 4]);
const k3Dense = (name: string, units: number, inputs: number) => k3('Dense', { name, trainable: true, units, activation: 'softmax', use_bias: true, kernel_initializer: glorot, bias_initializer: zeros, kernel_regularizer: null, bias_regularizer: null, kernel_constraint: null, bias_constraint: null }, [null, inputs]);
const k3Tensor = (shape: unknown, history: [string, number, number]) => ({ class_name: '__keras_tensor__', config: { shape, dtype: 'float32', keras_history: history } });

/** Deterministic values for a weight of this shape. */
function values(shape: number[], seed: number, positive = false): Float32Array {
  let s = seed;
  return Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => {
    s = (s * 1103515245 + 12345) >>> 0;
    const u = (s >>> 8) / 0x1000000;
    return positive ? 0.5 + u : u - 0.5;
  });
}

const convW = { kernel: values([3, 3, 2, 4], 1), bias: values([4], 2) };
const bnW = { gamma: values([4], 3, true), beta: values([4], 4), mean: values([4], 5), variance: values([4], 6, true) };
const denseW = { kernel: values([4, 3], 7), bias: values([3], 8) };

/** The same network built with convlab's API, given the values above. */
function expectedModel(): LayersModel {
  const base = sequential({ name: 'base', layers: [layers.conv2d({ filters: 4, kernelSize: 3, inputShape: [8, 8, 2], activation: 'relu' }), layers.batchNormalization(), layers.globalAveragePooling2d()] });
  const m = sequential({ layers: [base, layers.dense({ units: 3, activation: 'softmax' })] });
  m.setWeights([
    tensor(convW.kernel, [3, 3, 2, 4]), tensor(convW.bias, [4]),
    tensor(bnW.gamma, [4]), tensor(bnW.beta, [4]), tensor(bnW.mean, [4]), tensor(bnW.variance, [4]),
    tensor(denseW.kernel, [4, 3]), tensor(denseW.bias, [3]),
  ]);
  return m;
}

function assertPredictsAsExpected(loaded: LayersModel, what: string): Tensor {
  const x = randomInput([4, 8, 8, 2], 11);
  const expected = expectedModel().predict(x).data;
  assert.deepEqual(Array.from(loaded.predict(x).data), Array.from(expected), what);
  return x;
}

describe('Keras files with nested models, written as Keras writes them', () => {
  // 'conv2d': the head is named like a layer inside the base, which Keras allows (names are unique per model).
  for (const headName of ['dense', 'conv2d']) it(`Keras 3 (.keras): a frozen Sequential base called with training=False in a Functional model (head '${headName}')`, async () => {
    const base = {
      module: 'keras', class_name: 'Sequential',
      config: { name: 'base', trainable: false, dtype: policy, layers: [{ module: 'keras.layers', class_name: 'InputLayer', config: { batch_shape: [null, 8, 8, 2], dtype: 'float32', sparse: false, name: 'input_layer' }, registered_name: null }, k3Conv('conv2d', false), k3Bn('batch_normalization', false)], build_input_shape: [null, 8, 8, 2] },
      registered_name: null, build_config: { input_shape: [null, 8, 8, 2] },
      name: 'base', inbound_nodes: [{ args: [k3Tensor([null, 8, 8, 2], ['input_layer_1', 0, 0])], kwargs: { training: false } }],
    };
    const pool = { ...k3('GlobalAveragePooling2D', { name: 'global_average_pooling2d', trainable: true, data_format: 'channels_last', keepdims: false }, [null, 6, 6, 4]), name: 'global_average_pooling2d', inbound_nodes: [{ args: [k3Tensor([null, 6, 6, 4], ['base', 0, 0])], kwargs: {} }] };
    const dense = { ...k3Dense(headName, 3, 4), name: headName, inbound_nodes: [{ args: [k3Tensor([null, 4], ['global_average_pooling2d', 0, 0])], kwargs: {} }] };
    const config = {
      module: 'keras.src.models.functional', class_name: 'Functional',
      config: { name: 'functional', trainable: true, layers: [{ module: 'keras.layers', class_name: 'InputLayer', config: { batch_shape: [null, 8, 8, 2], dtype: 'float32', sparse: false, name: 'input_layer_1' }, registered_name: null, name: 'input_layer_1', inbound_nodes: [] }, base, pool, dense], input_layers: [['input_layer_1', 0, 0]], output_layers: [[headName, 0, 0]] },
      registered_name: 'Functional', build_config: { input_shape: null }, compile_config: null,
    };
    const weights = await writeHdf5((file) => {
      const ls = file.create_group('layers');
      ls.create_group('input_layer').create_group('vars');
      const seq = ls.create_group('sequential');
      seq.create_group('vars');
      const inner = seq.create_group('layers');
      const conv = inner.create_group('conv2d').create_group('vars');
      conv.create_dataset({ name: '0', data: convW.kernel, shape: [3, 3, 2, 4] });
      conv.create_dataset({ name: '1', data: convW.bias, shape: [4] });
      const bn = inner.create_group('batch_normalization').create_group('vars');
      [bnW.gamma, bnW.beta, bnW.mean, bnW.variance].forEach((v, i) => bn.create_dataset({ name: String(i), data: v, shape: [4] }));
      ls.create_group('global_average_pooling2d').create_group('vars');
      const d = ls.create_group('dense').create_group('vars');
      d.create_dataset({ name: '0', data: denseW.kernel, shape: [4, 3] });
      d.create_dataset({ name: '1', data: denseW.bias, shape: [3] });
      file.create_group('vars');
    });
    const bytes = zipSync({
      'metadata.json': [strToU8(JSON.stringify({ keras_version: '3.8.0', date_saved: '2025-01-01@00:00:00' })), { level: 0 }],
      'config.json': [strToU8(JSON.stringify(config)), { level: 0 }],
      'model.weights.h5': [weights, { level: 0 }],
    });
    const loaded = await loadLayersModel<LayersModel>(io.fromKerasBytes(bytes, { name: 'guide.keras' }));
    const nested = loaded.getLayer('base') as LayersModel;
    if (headName === 'conv2d') {
      assert.deepEqual(nested.layers.map((l) => l.name), ['conv2d_1', 'batch_normalization'], 'the nested layer is renamed, the parent keeps its names');
      assert.ok(io.loadNotes(loaded).some((n) => n.includes("layer 'conv2d' of the nested model 'base' was renamed 'conv2d_1'")));
    }
    assert.equal(nested.className, 'Sequential');
    assert.equal(nested.trainable, false);
    assert.equal(loaded.trainableWeights.length, 2, 'only the head trains');
    const x = assertPredictsAsExpected(loaded, 'guide.keras');
    // training=False kept: the base computes as in inference even when the model trains.
    nested.trainable = true;
    const expected = expectedModel();
    (expected.layers[0] as LayersModel).trainable = false;
    assert.deepEqual(Array.from(loaded.apply(x, true).data), Array.from(expected.apply(x, true).data));
  });

  for (const headName of ['dense', 'conv2d']) it(`tf.keras 2 (.h5): a Functional base nested in a Sequential, its weights in one group, trainable first (head '${headName}')`, async () => {
    const conv = { class_name: 'Conv2D', config: { name: 'conv2d', trainable: true, dtype: 'float32', filters: 4, kernel_size: [3, 3], strides: [1, 1], padding: 'valid', data_format: 'channels_last', dilation_rate: [1, 1], groups: 1, activation: 'relu', use_bias: true, kernel_initializer: { class_name: 'GlorotUniform', config: { seed: null } }, bias_initializer: { class_name: 'Zeros', config: {} }, kernel_regularizer: null, bias_regularizer: null, activity_regularizer: null, kernel_constraint: null, bias_constraint: null }, name: 'conv2d', inbound_nodes: [[['image', 0, 0, {}]]] };
    const bn = { class_name: 'BatchNormalization', config: { name: 'batch_normalization', trainable: true, dtype: 'float32', axis: [3], momentum: 0.99, epsilon: 0.001, center: true, scale: true, beta_initializer: { class_name: 'Zeros', config: {} }, gamma_initializer: { class_name: 'Ones', config: {} }, moving_mean_initializer: { class_name: 'Zeros', config: {} }, moving_variance_initializer: { class_name: 'Ones', config: {} }, beta_regularizer: null, gamma_regularizer: null, beta_constraint: null, gamma_constraint: null }, name: 'batch_normalization', inbound_nodes: [[['conv2d', 0, 0, {}]]] };
    const pool = { class_name: 'GlobalAveragePooling2D', config: { name: 'global_average_pooling2d', trainable: true, dtype: 'float32', data_format: 'channels_last', keepdims: false }, name: 'global_average_pooling2d', inbound_nodes: [[['batch_normalization', 0, 0, {}]]] };
    const base = { class_name: 'Functional', config: { name: 'base', layers: [{ class_name: 'InputLayer', config: { batch_input_shape: [null, 8, 8, 2], dtype: 'float32', sparse: false, ragged: false, name: 'image' }, name: 'image', inbound_nodes: [] }, conv, bn, pool], input_layers: [['image', 0, 0]], output_layers: [['global_average_pooling2d', 0, 0]] } };
    const dense = { class_name: 'Dense', config: { name: headName, trainable: true, dtype: 'float32', units: 3, activation: 'softmax', use_bias: true, kernel_initializer: { class_name: 'GlorotUniform', config: { seed: null } }, bias_initializer: { class_name: 'Zeros', config: {} }, kernel_regularizer: null, bias_regularizer: null, activity_regularizer: null, kernel_constraint: null, bias_constraint: null } };
    const modelConfig = { class_name: 'Sequential', config: { name: 'sequential', layers: [{ class_name: 'InputLayer', config: { batch_input_shape: [null, 8, 8, 2], dtype: 'float32', sparse: false, ragged: false, name: 'base_input' } }, base, dense] } };
    const bytes = await writeHdf5((file) => {
      file.create_attribute('keras_version', '2.13.1');
      file.create_attribute('backend', 'tensorflow');
      file.create_attribute('model_config', JSON.stringify(modelConfig));
      const w = file.create_group('model_weights');
      w.create_attribute('layer_names', ['base', headName]);
      const g = w.create_group('base');
      // _legacy_weights: trainable (kernel, bias, gamma, beta), then non-trainable (moving statistics).
      g.create_attribute('weight_names', ['conv2d/kernel:0', 'conv2d/bias:0', 'batch_normalization/gamma:0', 'batch_normalization/beta:0', 'batch_normalization/moving_mean:0', 'batch_normalization/moving_variance:0']);
      const c = g.create_group('conv2d');
      c.create_dataset({ name: 'kernel:0', data: convW.kernel, shape: [3, 3, 2, 4] });
      c.create_dataset({ name: 'bias:0', data: convW.bias, shape: [4] });
      const b = g.create_group('batch_normalization');
      b.create_dataset({ name: 'gamma:0', data: bnW.gamma, shape: [4] });
      b.create_dataset({ name: 'beta:0', data: bnW.beta, shape: [4] });
      b.create_dataset({ name: 'moving_mean:0', data: bnW.mean, shape: [4] });
      b.create_dataset({ name: 'moving_variance:0', data: bnW.variance, shape: [4] });
      const d = w.create_group(headName);
      d.create_attribute('weight_names', [`${headName}/kernel:0`, `${headName}/bias:0`]);
      const dd = d.create_group(headName);
      dd.create_dataset({ name: 'kernel:0', data: denseW.kernel, shape: [4, 3] });
      dd.create_dataset({ name: 'bias:0', data: denseW.bias, shape: [3] });
    });
    const file = join(root, `nested-tf2-${headName}.h5`);
    const { writeFileSync } = await import('node:fs');
    writeFileSync(file, bytes);
    const loaded = await loadLayersModel<LayersModel>(file);
    assert.deepEqual(loaded.layers.map((l) => l.className), ['Functional', 'Dense']);
    assertPredictsAsExpected(loaded, 'nested-tf2.h5');
    // And the same weights into a convlab model built to the architecture (model.loadWeights).
    if (headName !== 'dense') return; // loadWeights needs a convlab model whose names do not collide
    const target = expectedModel();
    target.setWeights(target.weights.map((w) => tensor(new Float32Array(w.value.size), [...w.shape])));
    await target.loadWeights(file);
    assertPredictsAsExpected(target, 'loadWeights(nested-tf2.h5)');
  });

  it('tf.keras 2 (.h5 model_config): a nested Sequential referenced as node 1 with training=False', async () => {
    const m = expectedModel();
    const topology = modelToTopology(m) as { config: { layers: Json[] } };
    // As tf.keras 2 writes the guide's model: Input, base(inputs, training=False), head.
    const x = input({ shape: [8, 8, 2], name: 'input_1' });
    const graph = model({ inputs: x, outputs: m.layers[1].apply(m.layers[0].apply(x, { training: false })), name: 'model' });
    const config = modelToTopology(graph) as { class_name: string; config: { layers: Json[] } };
    const baseEntry = config.config.layers.find((l) => l.name === 'base')!;
    assert.deepEqual(baseEntry.inbound_nodes, [[['input_1', 0, 0, { training: false }]]]);
    const headEntry = config.config.layers.find((l) => l.class_name === 'Dense')!;
    assert.deepEqual(headEntry.inbound_nodes, [[['base', 1, 0, {}]]], 'a nested model with its input is referenced as node 1, as Keras 2 and TF.js do');
    assert.equal(topology.config.layers[0].class_name, 'Sequential');
    const back = io.artifactsToModel({ ...io.modelToArtifacts(graph), modelTopology: { ...config, class_name: 'Functional' } });
    assertPredictsAsExpected(back, 'node 1');
  });

  it('weight names that collide between a nested model and its parent are refused with a clear message', async () => {
    const base = sequential({ name: 'base', layers: [layers.dense({ units: 2, inputShape: [3], name: 'fc' })] });
    const m = sequential({ layers: [base, layers.dense({ units: 2, name: 'fc' })] });
    await assert.rejects(m.save(join(root, 'collide')), /two weights are named 'fc\/kernel'/i);
  });
});

describe('nested-model topologies that do not hold', () => {
  it('refuses node index 1 of a plain layer (a shared layer\'s second call) and models nested too deep', () => {
    setSeed(5);
    const x = input({ shape: [4], name: 'x' });
    const m = model({ inputs: x, outputs: layers.dense({ units: 2, name: 'second' }).apply(layers.dense({ units: 3, name: 'first' }).apply(x)), name: 'plain' });
    const artifacts = io.modelToArtifacts(m);
    const topology = structuredClone(artifacts.modelTopology) as { config: { layers: { name: string; inbound_nodes: unknown[][][] }[] } };
    topology.config.layers.find((l) => l.name === 'second')!.inbound_nodes[0][0][1] = 1;
    assert.throws(() => io.artifactsToModel({ ...artifacts, modelTopology: topology }), /its input is node 1 of layer 'first', a second call of that layer \(shared layers are not supported\)/);
    // 20 Sequential models, each the only layer of the next.
    let inner: Json = { class_name: 'Sequential', config: { name: 'level0', layers: [{ class_name: 'Dense', config: { name: 'd', units: 2, batch_input_shape: [null, 2] } }] } };
    for (let i = 1; i < 20; i++) inner = { class_name: 'Sequential', config: { name: `level${i}`, layers: [inner] } };
    assert.throws(() => io.artifactsToModel({ modelTopology: inner, weightSpecs: [], weightData: new ArrayBuffer(0) }), /models are nested more than 16 levels deep/);
  });
});

describe('ONNX export of nested models', () => {
  it('exports each nesting with the nested layers in place; onnxruntime-node predicts the same (<= 1e-4)', async () => {
    const ort = await import('onnxruntime-node');
    for (const [label, build] of Object.entries(builders)) {
      setSeed(7);
      const m = build();
      perturb(m);
      const session = await ort.InferenceSession.create(io.exportOnnx(m));
      const x = randomInput([3, 8, 8, 2], 12);
      const out = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', Float32Array.from(x.data), [...x.shape]) });
      const theirs = out[session.outputNames[0]].data as Float32Array;
      const diff = maxAbsDiff(theirs, m.predict(x).data);
      assert.ok(diff <= 1e-4, `${label}: max difference ${diff}`);
    }
  });
});
