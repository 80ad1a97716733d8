/**
 * convlab → Keras file → convlab is bit-identical (weights, config, optimizer state) for every
 * zoo model and for functional models, in both Keras generations; and a .keras file read by
 * convlab and saved in the TF.js format predicts the same in @tensorflow/tfjs.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { input, io, layers, loadLayersModel, model as functionalModel, modelFromJSON, ready, sequential, setSeed, zoo } from '../../src/index.js';
import type { LayersModel } from '../../src/models/layers_model.js';
import { keras3Config } from '../../src/io/keras/write.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { assertSameWeights, fashionMnistSample, maxAbsDiff } from './helpers/data.js';
import { perturbWeights, predictData, testModels } from './helpers/models.js';
import { tfjs, tfjsHandlerFromDir } from './helpers/tfjs.js';

const root = mkdtempSync(join(tmpdir(), 'convlab-keras-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** A ResNet-style functional model: two convolution branches joined by Add, batch norm, pooling. */
function residualModel(): LayersModel {
  const x = input({ shape: [28, 28, 1], name: 'image' });
  const stem = layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(x) as never;
  const branch = layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same' }).apply(stem) as never;
  const normed = layers.batchNormalization().apply(branch) as never;
  const sum = layers.add().apply([stem, normed]) as never;
  const act = layers.activation({ activation: 'relu' }).apply(sum) as never;
  const pooled = layers.globalAveragePooling2d().apply(act) as never;
  const out = layers.dense({ units: 10, activation: 'softmax' }).apply(pooled) as never;
  return functionalModel({ inputs: x, outputs: out, name: 'residual' });
}

describe('convlab → .keras / .h5 → convlab', () => {
  for (const name of zoo.names) {
    for (const ext of ['keras', 'h5'] as const) {
      it(`zoo '${name}' round-trips through .${ext} bit-identically`, async () => {
        setSeed(3);
        const m = zoo.create(name);
        const file = join(root, `${name}.${ext}`);
        await m.save(file);
        const back = await loadLayersModel(file);
        assert.deepEqual(back.getConfig(), m.getConfig());
        assertSameWeights(m, back, `${name}.${ext}`);
      });
    }
  }

  for (const ext of ['keras', 'h5'] as const) {
    it(`a functional ResNet-style model round-trips through .${ext} and predicts the same bits`, async () => {
      await ready();
      setSeed(4);
      const m = residualModel();
      perturbWeights(m as never);
      const file = join(root, `residual.${ext}`);
      await m.save(file);
      const back = await loadLayersModel(file);
      assert.equal(back.className, 'Functional');
      assertSameWeights(m, back, `residual.${ext}`);
      const { x } = fashionMnistSample(8);
      assert.deepEqual(predictData(back as never, x), predictData(m as never, x));
    });
  }

  for (const [ext, optimizer] of [['keras', 'adam'], ['h5', 'adam'], ['keras', 'sgd-momentum'], ['h5', 'rmsprop']] as const) it(`a compiled model trained one step keeps its ${optimizer} state in .${ext}, so the next step is the same bits`, async () => {
    await ready();
    setSeed(5);
    const m = testModels['lab-cnn']();
    const { SGD } = await import('../../src/optimizers/index.js');
    m.compile({ optimizer: optimizer === 'sgd-momentum' ? new SGD({ learningRate: 0.01, momentum: 0.9, nesterov: true }) : optimizer, loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const { x, y } = fashionMnistSample(16);
    await m.fit(x, y, { epochs: 1, batchSize: 16, verbose: 0, shuffle: false });
    const file = join(root, `trained-${optimizer}.${ext}`);
    await m.save(file);
    const back = await loadLayersModel(file);
    assert.equal(back.optimizer?.className, m.optimizer?.className);
    assert.deepEqual(back.optimizer?.getConfig(), m.optimizer?.getConfig());
    assert.equal(back.optimizer?.iterations, 1);
    assert.deepEqual(back.optimizer?.getState().slots, m.optimizer?.getState().slots);
    await m.fit(x, y, { epochs: 1, batchSize: 16, verbose: 0, shuffle: false });
    await back.fit(x, y, { epochs: 1, batchSize: 16, verbose: 0, shuffle: false });
    assertSameWeights(m, back, 'after a second step');
  });

  it('a compiled model saved as .h5 comes back compiled with the same optimizer settings', async () => {
    const m = testModels['bn-dropout']();
    m.compile({ optimizer: 'rmsprop', loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    const file = join(root, 'compiled.h5');
    await m.save(file);
    const back = await loadLayersModel(file);
    assert.equal(back.optimizer?.className, 'RMSprop');
    assert.deepEqual(back.optimizer?.getConfig(), m.optimizer?.getConfig());
    assert.equal(back.compiled?.lossName, 'categoricalCrossentropy');
  });

  it('reads from bytes (the browser path) and from config.json through modelFromJSON', async () => {
    const m = testModels['pool-same']();
    perturbWeights(m);
    const file = join(root, 'bytes.keras');
    await m.save(file);
    const bytes = new Uint8Array(readFileSync(file));
    const fromBytes = await loadLayersModel(io.fromKerasBytes(bytes, { name: 'bytes.keras' }));
    assertSameWeights(m, fromBytes, 'from bytes');
    const json = modelFromJSON(JSON.stringify(keras3Config(m)));
    assert.deepEqual(json.getConfig(), m.getConfig());
    await json.loadWeights(bytes);
    assertSameWeights(m, json, 'modelFromJSON + loadWeights(bytes)');
  });

  it('Keras order matching: weights-only .h5 loads into a model whose layer names differ', async () => {
    const a = testModels['lenet5-classic']();
    perturbWeights(a);
    const file = join(root, 'renamed.h5');
    await a.save(file);
    const b = testModels['lenet5-classic']();
    assert.notDeepEqual(b.layers.map((l) => l.name), a.layers.map((l) => l.name));
    await b.loadWeights(file);
    a.weights.forEach((w, i) => assert.deepEqual(b.weights[i].value.data, w.value.data));
  });
});

describe('.keras → convlab → TF.js format → @tensorflow/tfjs', () => {
  const shared = fileURLToPath(new URL('../../../shared/keras-models/38-jambrr-lenet-5-lenet.keras', import.meta.url));
  const cases: [string, () => Promise<string>][] = [
    ['a convlab-written .keras (bn-dropout)', async () => {
      const m = testModels['bn-dropout']();
      perturbWeights(m);
      const file = join(root, 'bn.keras');
      await m.save(file);
      return file;
    }],
  ];
  if (existsSync(shared)) cases.push(['the real Keras 3.10 lenet.keras in ../shared', async () => shared]);
  for (const [title, make] of cases) {
    it(`${title}: TF.js predicts what convlab predicts (<= 1e-5)`, async () => {
      const tf = await tfjs();
      const file = await make();
      const m = await loadLayersModel(file);
      const dir = join(root, `tfjs-${title.length}`);
      await m.save(`file://${dir}`);
      const tfModel = await tf.loadLayersModel(tfjsHandlerFromDir(dir));
      const { x } = fashionMnistSample(16);
      const scaled = new Tensor(Float32Array.from(x.data, (v) => v * 255), [...x.shape]);
      const ours = predictData(m as never, scaled);
      const theirs = tf.tidy(() => (tfModel.predict(tf.tensor(scaled.data as Float32Array, [...scaled.shape])) as import('@tensorflow/tfjs').Tensor).dataSync());
      const diff = maxAbsDiff(ours, theirs);
      assert.ok(diff <= 1e-5, `max abs difference ${diff}`);
      tfModel.dispose();
    });
  }
});


describe('the browser file picker', () => {
  it('browserFiles([one .keras or .h5 File]) loads a Keras file, recognised by content', async () => {
    const m = testModels['lab-cnn']();
    perturbWeights(m);
    for (const format of ['keras', 'h5'] as const) {
      const file = new File([await io.toKerasBytes(m, format)], `picked.${format}`);
      const back = await loadLayersModel(io.browserFiles([file]));
      assertSameWeights(m, back, `browserFiles .${format}`);
    }
  });
});

describe('Keras configs convlab reads beyond its own', () => {
  /** A .keras zip with config.json changed by `edit`. */
  async function editedKeras(m: LayersModel, edit: (config: Record<string, any>) => void): Promise<Uint8Array> { // eslint-disable-line @typescript-eslint/no-explicit-any
    const { unzipSync, zipSync, strToU8 } = await import('fflate');
    const files = unzipSync(await io.toKerasBytes(m, 'keras'));
    const config = JSON.parse(new TextDecoder().decode(files['config.json']));
    edit(config);
    return zipSync({ 'metadata.json': [files['metadata.json'], { level: 0 }], 'config.json': [strToU8(JSON.stringify(config)), { level: 0 }], 'model.weights.h5': [files['model.weights.h5'], { level: 0 }] });
  }

  it('a data-augmentation Sequential nested in a Sequential loads as a nested model', async () => {
    const m = sequential({ layers: [layers.randomFlip({ mode: 'horizontal', inputShape: [28, 28, 1] }), layers.conv2d({ filters: 3, kernelSize: 3 }), layers.flatten(), layers.dense({ units: 10 })] });
    perturbWeights(m);
    const bytes = await editedKeras(m, (c) => {
      const [inputLayer, flip, ...rest] = c.config.layers;
      c.config.layers = [{ module: 'keras', class_name: 'Sequential', config: { name: 'data_augmentation', layers: [inputLayer, flip] }, registered_name: null }, ...rest];
    });
    const back = await loadLayersModel(io.fromKerasBytes(bytes));
    assert.deepEqual(back.layers.map((l) => l.className), ['Sequential', 'Conv2D', 'Flatten', 'Dense']);
    assert.deepEqual((back.layers[0] as LayersModel).layers.map((l) => l.className), ['RandomFlip']);
    assertSameWeights(m, back, 'nested augmentation');
    const { x } = fashionMnistSample(4);
    assert.deepEqual(predictData(back as never, x), predictData(m as never, x));
  });

  it('a nested Sequential in a functional model loads as a nested model; its weights are looked for where Keras 3 keeps them', async () => {
    await ready();
    const m = residualModel();
    perturbWeights(m as never);
    const wrap = (c: Record<string, any>, index: number, name: string) => { // eslint-disable-line @typescript-eslint/no-explicit-any
      const layersList = c.config.layers;
      const inner = layersList[index];
      layersList[index] = { module: 'keras', class_name: 'Sequential', config: { name, layers: [{ module: 'keras.layers', class_name: inner.class_name, config: inner.config, registered_name: null }] }, registered_name: null, name, inbound_nodes: inner.inbound_nodes };
      for (const l of layersList) for (const node of l.inbound_nodes ?? []) for (const t of [node.args].flat(3)) if (t?.config?.keras_history?.[0] === inner.name) t.config.keras_history[0] = name;
      if (c.config.output_layers[0] === inner.name) c.config.output_layers = [name, 0, 0];
    };
    const activation = await editedKeras(m, (c) => wrap(c, c.config.layers.findIndex((l: { class_name: string }) => l.class_name === 'Activation'), 'post'));
    const back = await loadLayersModel(io.fromKerasBytes(activation));
    const { x } = fashionMnistSample(4);
    assert.deepEqual(predictData(back as never, x), predictData(m as never, x));
    assert.equal(back.getLayer('post').className, 'Sequential');
    const head = await editedKeras(m, (c) => wrap(c, c.config.layers.length - 1, 'head'));
    // The edit moves the Dense into a nested model but leaves its weights where they were.
    await assert.rejects(loadLayersModel(io.fromKerasBytes(head, { name: 'head.keras' })), /no 'layers\/sequential\/layers' group for the weights of a nested model/);
  });

  it('a nested Functional model without layers is refused, naming it', async () => {
    const m = testModels['pool-same']();
    const bytes = await editedKeras(m, (c) => {
      c.config.layers[2] = { module: 'keras.src.models.functional', class_name: 'Functional', config: { name: 'backbone', layers: [] }, registered_name: 'Functional' };
    });
    await assert.rejects(loadLayersModel(io.fromKerasBytes(bytes)), /nested model 'backbone'/);
  });
});

describe('MobileNet-style and ResNet-style blocks in Keras files', () => {
  /** MobileNetV2's inverted residual: expand 1x1, DepthwiseConv2D, ReLU6, project 1x1, Add. */
  function mobileNetBlock(): LayersModel {
    const x = input({ shape: [16, 16, 8], name: 'features' });
    const expand = layers.conv2d({ filters: 24, kernelSize: 1, useBias: false }).apply(x) as never;
    const bn1 = layers.batchNormalization().apply(expand) as never;
    const r1 = layers.reLU({ maxValue: 6 }).apply(bn1) as never;
    const dw = layers.depthwiseConv2d({ kernelSize: 3, padding: 'same', useBias: false }).apply(r1) as never;
    const bn2 = layers.batchNormalization().apply(dw) as never;
    const r2 = layers.reLU({ maxValue: 6 }).apply(bn2) as never;
    const project = layers.conv2d({ filters: 8, kernelSize: 1, useBias: false }).apply(r2) as never;
    const bn3 = layers.batchNormalization().apply(project) as never;
    const sum = layers.add().apply([x, bn3]) as never;
    const pooled = layers.globalAveragePooling2d().apply(sum) as never;
    const out = layers.dense({ units: 10, activation: 'softmax' }).apply(pooled) as never;
    return functionalModel({ inputs: x, outputs: out, name: 'mobilenet_block' });
  }

  for (const ext of ['keras', 'h5'] as const) {
    it(`a MobileNetV2-style block (DepthwiseConv2D, ReLU6, BN, Add) trains a step, round-trips through .${ext} bit-identically and keeps training the same`, async () => {
      await ready();
      setSeed(8);
      const m = mobileNetBlock();
      m.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
      const x = new Tensor(Float32Array.from({ length: 8 * 16 * 16 * 8 }, (_, i) => Math.sin(i * 0.37)), [8, 16, 16, 8]);
      const y = new Tensor(Float32Array.from({ length: 8 }, (_, i) => i % 10), [8]);
      await m.fit(x, y, { epochs: 1, batchSize: 8, verbose: 0, shuffle: false });
      const file = join(root, `mobilenet.${ext}`);
      await m.save(file);
      const back = await loadLayersModel(file);
      assert.deepEqual(keras3Config(back), keras3Config(m));
      assertSameWeights(m, back, `mobilenet.${ext}`);
      assert.deepEqual(predictData(back as never, x), predictData(m as never, x));
      await m.fit(x, y, { epochs: 1, batchSize: 8, verbose: 0, shuffle: false });
      await back.fit(x, y, { epochs: 1, batchSize: 8, verbose: 0, shuffle: false });
      assertSameWeights(m, back, `mobilenet.${ext} after another step`);
    });
  }
});

describe('modelFromJSON initialises as the config says', () => {
  it("Keras 2.1's VarianceScaling (he_normal) gives weights of the right spread; GlorotUniform too", () => {
    setSeed(12);
    const dense = (name: string, init: unknown, input?: number[]) => ({ class_name: 'Dense', config: { name, units: 200, activation: 'relu', use_bias: true, kernel_initializer: init, bias_initializer: { class_name: 'Zeros', config: {} }, ...(input ? { batch_input_shape: input } : {}) } });
    const json = { class_name: 'Sequential', config: [
      dense('he', { class_name: 'VarianceScaling', config: { scale: 2.0, mode: 'fan_in', distribution: 'normal', seed: null } }, [null, 400]),
      dense('glorot', { class_name: 'GlorotUniform', config: { seed: null } }),
    ] };
    const m = modelFromJSON(JSON.stringify(json));
    const std = (d: ArrayLike<number>) => Math.sqrt(Array.from(d).reduce((a, v) => a + v * v, 0) / d.length);
    const he = std(m.weights[0].value.data);
    const glorot = std(m.weights[2].value.data);
    assert.ok(Math.abs(he - Math.sqrt(2 / 400)) < 0.1 * Math.sqrt(2 / 400), `he_normal std ${he}`);
    assert.ok(Math.abs(glorot - Math.sqrt(2 / 400)) < 0.1 * Math.sqrt(2 / 400), `glorot std ${glorot}`);
  });
});
