/**
 * Multi-input, multi-output functional models through every format: the TF.js Layers format
 * (TF.js itself reads the files), Keras 3 `.keras` and Keras 2 `.h5` (bit-identical weights, the
 * per-output compile config and the optimizer state), hand-written Keras 3 and tf.keras 2
 * configs; ONNX export refuses them with a reason.
 */
import '../helpers/seeded_math_random.js'; // TF.js's unseeded initialisers, made the same every run
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { Adam, Functional, io, loadLayersModel, modelFromJSON, setSeed, Tensor } from '../../src/index.js';
import { exportOnnx } from '../../src/io/onnx/export.js';
import { keras3Config } from '../../src/io/keras/write.js';
import type { LayersModel } from '../../src/models/layers_model.js';
import { data, twoByTwo } from '../helpers/multi_io.js';
import { tfjs, tfjsHandlerFromDir } from './helpers/tfjs.js';

const root = mkdtempSync(join(tmpdir(), 'convlab-multi-io-'));
after(() => rmSync(root, { recursive: true, force: true }));

function sameBits(a: LayersModel, b: LayersModel, what: string): void {
  assert.deepEqual(b.weights.map((w) => w.name), a.weights.map((w) => w.name), `${what}: weight names`);
  a.weights.forEach((w, i) => {
    const x = w.value.data;
    const y = b.weights[i].value.data;
    assert.ok(Buffer.from(x.buffer, x.byteOffset, x.byteLength).equals(Buffer.from(y.buffer, y.byteOffset, y.byteLength)), `${what}: ${w.name} differs`);
  });
}

function samePredictions(a: LayersModel, b: LayersModel, what: string): void {
  const d = data(4, 7);
  const pa = a.predict({ image: d.image, vector: d.vector }) as Tensor[];
  const pb = b.predict({ image: d.image, vector: d.vector }) as Tensor[];
  pa.forEach((t, k) => assert.deepEqual(Array.from(pb[k].data), Array.from(t.data), `${what}: output ${k}`));
}

/** Trained one Adam step, compiled per output, so config, weights and slots all carry something. */
async function trained(): Promise<Functional> {
  setSeed(21);
  const m = twoByTwo();
  m.compile({ optimizer: new Adam({ learningRate: 0.01 }), loss: { cls: 'sparseCategoricalCrossentropy', reg: 'mse' }, lossWeights: { cls: 1, reg: 0.25 }, metrics: { cls: ['accuracy'] } });
  const d = data(6, 8);
  await m.fit([d.image, d.vector], [d.cls, d.reg], { epochs: 1, batchSize: 6, shuffle: false, verbose: 0 });
  return m;
}

describe('multi-input, multi-output models in files', () => {
  it('TF.js format: several input_layers and output_layers, read back bit-identically and by TF.js', async () => {
    const m = await trained();
    const dir = join(root, 'tfjs');
    await m.save(dir);
    const back = await loadLayersModel<Functional>(dir);
    assert.deepEqual(back.inputNames, ['image', 'vector']);
    assert.deepEqual(back.outputNames, ['cls', 'reg']);
    sameBits(m, back, 'TF.js format');
    samePredictions(m, back, 'TF.js format');
    await tfjs();
    const theirs = await tf.loadLayersModel(tfjsHandlerFromDir(dir));
    const d = data(4, 7);
    const expected = m.predict([d.image, d.vector]) as Tensor[];
    const got = theirs.predict([tf.tensor(Array.from(d.image.data), [...d.image.shape]), tf.tensor(Array.from(d.vector.data), [...d.vector.shape])]) as tf.Tensor[];
    expected.forEach((t, k) => {
      const g = got[k].dataSync();
      for (let i = 0; i < t.size; i++) assert.ok(Math.abs(g[i] - t.data[i]) <= 1e-5, `TF.js output ${k}[${i}]`);
    });
  });

  for (const ext of ['keras', 'h5'] as const) {
    it(`.${ext}: bit-identical weights, the per-output compile config and the optimizer state`, async () => {
      const m = await trained();
      const file = join(root, `model.${ext}`);
      await m.save(file);
      const back = await loadLayersModel<Functional>(file);
      assert.deepEqual(io.loadNotes(back), []);
      assert.deepEqual(back.inputNames, ['image', 'vector']);
      assert.deepEqual(back.outputNames, ['cls', 'reg']);
      sameBits(m, back, `.${ext}`);
      samePredictions(m, back, `.${ext}`);
      const outs = back.compiled?.perOutput?.map((o) => [o.name, o.lossName, o.weight, o.metricIds]);
      assert.deepEqual(outs, [['cls', 'sparseCategoricalCrossentropy', 1, ['accuracy']], ['reg', 'meanSquaredError', 0.25, []]]);
      // The next step from the file is the next step of the original, bit for bit.
      const d = data(6, 9);
      const [h1, h2] = [await m.fit([d.image, d.vector], [d.cls, d.reg], { epochs: 1, batchSize: 6, shuffle: false, verbose: 0 }), await back.fit([d.image, d.vector], [d.cls, d.reg], { epochs: 1, batchSize: 6, shuffle: false, verbose: 0 })];
      assert.deepEqual(h2.history, h1.history);
      sameBits(m, back, `.${ext} after a step`);
      // Written again, the file reads back the same (a second round trip).
      const again = join(root, `again.${ext}`);
      await back.save(again);
      sameBits(back, await loadLayersModel(again), `.${ext} twice`);
    });
  }

  it('.keras config lists several input_layers and output_layers as Keras 3 does', () => {
    setSeed(22);
    const config = keras3Config(twoByTwo()) as { config: Record<string, unknown> };
    assert.deepEqual(config.config.input_layers, [['image', 0, 0], ['vector', 0, 0]]);
    assert.deepEqual(config.config.output_layers, [['cls', 0, 0], ['reg', 0, 0]]);
    const join = (config.config.layers as Array<Record<string, unknown>>).find((l) => l.name === 'join')!;
    const args = (join.inbound_nodes as Array<{ args: unknown[] }>)[0].args[0] as Array<{ config: { keras_history: unknown[] } }>;
    assert.deepEqual(args.map((a) => a.config.keras_history), [['gap', 0, 0], ['vec_dense', 0, 0]]);
  });

  const dense = (name: string, units: number, activation: string, keras3: boolean) => {
    const init = (cls: string) => (keras3 ? { module: 'keras.initializers', class_name: cls, config: {}, registered_name: null } : { class_name: cls, config: {} });
    return {
      name, trainable: true, dtype: keras3 ? { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' }, registered_name: null } : 'float32',
      units, activation, use_bias: true, kernel_initializer: init('GlorotUniform'), bias_initializer: init('Zeros'),
      kernel_regularizer: null, bias_regularizer: null, activity_regularizer: null, kernel_constraint: null, bias_constraint: null,
    };
  };
  const k3 = (layer: string, shape: (number | null)[]) => ({ class_name: '__keras_tensor__', config: { shape, dtype: 'float32', keras_history: [layer, 0, 0] } });

  /** img [4] -> d_img (3, relu); concatenated with meta [2] -> cls (2, softmax) and reg (1). */
  function keras3Json(): Record<string, unknown> {
    const wrap = (className: string, config: Record<string, unknown>, inbound: unknown[]) => ({ module: 'keras.layers', class_name: className, config, registered_name: null, name: config.name, inbound_nodes: inbound });
    return {
      module: 'keras.src.models.functional', class_name: 'Functional', registered_name: 'Functional',
      config: {
        name: 'mio', trainable: true,
        layers: [
          wrap('InputLayer', { batch_shape: [null, 4], dtype: 'float32', sparse: false, name: 'img' }, []),
          wrap('InputLayer', { batch_shape: [null, 2], dtype: 'float32', sparse: false, name: 'meta' }, []),
          wrap('Dense', dense('d_img', 3, 'relu', true), [{ args: [k3('img', [null, 4])], kwargs: {} }]),
          wrap('Concatenate', { name: 'cat', trainable: true, axis: -1 }, [{ args: [[k3('d_img', [null, 3]), k3('meta', [null, 2])]], kwargs: {} }]),
          wrap('Dense', dense('cls', 2, 'softmax', true), [{ args: [k3('cat', [null, 5])], kwargs: {} }]),
          wrap('Dense', dense('reg', 1, 'linear', true), [{ args: [k3('cat', [null, 5])], kwargs: {} }]),
        ],
        input_layers: [['img', 0, 0], ['meta', 0, 0]],
        output_layers: [['cls', 0, 0], ['reg', 0, 0]],
      },
      build_config: { input_shape: null },
      compile_config: {
        optimizer: { module: 'keras.optimizers', class_name: 'Adam', config: { name: 'adam', learning_rate: 0.001 }, registered_name: null },
        loss: { cls: 'sparse_categorical_crossentropy', reg: 'mean_squared_error' }, loss_weights: { cls: 1.0, reg: 0.5 },
        metrics: { cls: ['accuracy'] }, weighted_metrics: null, run_eagerly: false, steps_per_execution: 1, jit_compile: false,
      },
    };
  }

  /** The same model as tf.keras 2 writes it: InputLayers where the layer order puts them, list refs. */
  function tfKeras2Json(): Record<string, unknown> {
    const layer = (className: string, config: Record<string, unknown>, inbound: unknown[]) => ({ class_name: className, config, name: config.name, inbound_nodes: inbound });
    return {
      class_name: 'Functional', keras_version: '2.10.0', backend: 'tensorflow',
      config: {
        name: 'mio',
        layers: [
          layer('InputLayer', { batch_input_shape: [null, 4], dtype: 'float32', sparse: false, ragged: false, name: 'img' }, []),
          layer('Dense', dense('d_img', 3, 'relu', false), [[['img', 0, 0, {}]]]),
          layer('InputLayer', { batch_input_shape: [null, 2], dtype: 'float32', sparse: false, ragged: false, name: 'meta' }, []),
          layer('Concatenate', { name: 'cat', trainable: true, dtype: 'float32', axis: -1 }, [[['d_img', 0, 0, {}], ['meta', 0, 0, {}]]]),
          layer('Dense', dense('cls', 2, 'softmax', false), [[['cat', 0, 0, {}]]]),
          layer('Dense', dense('reg', 1, 'linear', false), [[['cat', 0, 0, {}]]]),
        ],
        input_layers: [['img', 0, 0], ['meta', 0, 0]],
        output_layers: [['cls', 0, 0], ['reg', 0, 0]],
      },
      training_config: {
        loss: ['sparse_categorical_crossentropy', 'mse'], loss_weights: [1.0, 0.5], weighted_metrics: null,
        metrics: [[{ class_name: 'MeanMetricWrapper', config: { name: 'accuracy', dtype: 'float32', fn: 'sparse_categorical_accuracy' } }], []],
        optimizer_config: { class_name: 'Custom>Adam', config: { name: 'Adam', learning_rate: 0.001, beta_1: 0.9, beta_2: 0.999, epsilon: 1e-7, amsgrad: false } },
      },
    };
  }

  for (const [label, json] of [['Keras 3', keras3Json], ['tf.keras 2', tfKeras2Json]] as const) {
    it(`a hand-written ${label} multi-input, multi-output config loads`, async () => {
      setSeed(23);
      const m = modelFromJSON<Functional>(JSON.stringify(json()));
      assert.ok(m instanceof Functional);
      assert.deepEqual(m.inputNames, ['img', 'meta']);
      assert.deepEqual(m.outputNames, ['cls', 'reg']);
      assert.deepEqual(m.layers.map((l) => l.name), ['d_img', 'cat', 'cls', 'reg']);
      assert.deepEqual(m.outputs.map((t) => t.shape), [[null, 2], [null, 1]]);
      // Keras 3: {output: ...} objects; tf.keras 2: lists in output order, metrics as MeanMetricWrapper objects.
      assert.deepEqual(m.compiled?.perOutput?.map((o) => [o.name, o.lossName, o.weight, o.metricIds]), [['cls', 'sparseCategoricalCrossentropy', 1, ['accuracy']], ['reg', 'meanSquaredError', 0.5, []]]);
      // Predictions are the graph's: cls and reg from the same concatenation.
      const img = new Tensor(new Float32Array([0.5, -1, 2, 0.25]), [1, 4]);
      const meta = new Tensor(new Float32Array([1, -0.5]), [1, 2]);
      const [cls, reg] = m.predict({ img, meta }) as Tensor[];
      const w = m.getWeights().map((t) => Array.from(t.data));
      const h = [0, 1, 2].map((j) => Math.max(0, w[1][j] + [0, 1, 2, 3].reduce((s, i) => s + img.data[i] * w[0][i * 3 + j], 0)));
      const cat = [...h, ...meta.data];
      const regExpected = w[5][0] + cat.reduce((s, v, i) => s + v * w[4][i], 0);
      assert.ok(Math.abs(reg.data[0] - regExpected) < 1e-5, `${reg.data[0]} vs ${regExpected}`);
      assert.ok(Math.abs(cls.data[0] + cls.data[1] - 1) < 1e-6);
      // And they survive .keras and .h5.
      for (const ext of ['keras', 'h5']) {
        const file = join(root, `${label.replace(/\W/g, '')}.${ext}`);
        await m.save(file);
        const back = await loadLayersModel<Functional>(file);
        sameBits(m, back, `${label} .${ext}`);
        assert.deepEqual(Array.from((back.predict({ img, meta }) as Tensor[])[1].data), Array.from(reg.data));
      }
    });
  }

  it('reads Keras 3 inputs and outputs given as dicts, in sorted key order', () => {
    const json = keras3Json() as { config: Record<string, unknown> };
    json.config.input_layers = { meta: ['meta', 0, 0], image: ['img', 0, 0] };
    json.config.output_layers = { b_reg: ['reg', 0, 0], a_cls: ['cls', 0, 0] };
    const m = modelFromJSON<Functional>(JSON.stringify(json), { compile: false });
    assert.deepEqual(m.inputNames, ['img', 'meta']);
    assert.deepEqual(m.outputNames, ['cls', 'reg']);
  });

  it('refuses what it cannot read, saying why', () => {
    const noInput = keras3Json() as { config: { input_layers: unknown } };
    noInput.config.input_layers = [['img', 0, 0], ['nothing', 0, 0]];
    assert.throws(() => modelFromJSON(JSON.stringify(noInput)), /input layer 'nothing' is not an InputLayer of the model \(its InputLayers: img, meta\)/);
    const unlisted = keras3Json() as { config: { input_layers: unknown } };
    unlisted.config.input_layers = ['img', 0, 0];
    assert.throws(() => modelFromJSON(JSON.stringify(unlisted)), /InputLayer 'meta' is not listed in input_layers \(img\)/);
    const badOutput = keras3Json() as { config: { output_layers: unknown } };
    badOutput.config.output_layers = [['cls', 0, 0], ['missing', 0, 0]];
    assert.throws(() => modelFromJSON(JSON.stringify(badOutput)), /output layer 'missing' is not in the layer list/);
    const badLoss = keras3Json() as { compile_config: { loss: unknown } };
    badLoss.compile_config.loss = { cls: 'sparse_categorical_crossentropy', nope: 'mse' };
    assert.throws(() => modelFromJSON(JSON.stringify(badLoss)), /loss names output 'nope', which the model does not have; its outputs are cls, reg/);
    setSeed(24);
    assert.throws(() => exportOnnx(twoByTwo() as never), /ONNX export: model 'two_by_two' has 2 inputs and 2 outputs; convlab exports models with one input and one output/);
  });
});
