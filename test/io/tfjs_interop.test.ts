import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadLayersModel, setSeed } from '../../src/index.js';
import { fashionMnistSample, maxAbsDiff } from './helpers/data.js';
import { perturbWeights, predictData, testModels } from './helpers/models.js';
import { tfjs, tfjsDirWriter, tfjsHandlerFromDir } from './helpers/tfjs.js';

const root = mkdtempSync(join(tmpdir(), 'convlab-tfjs-'));
after(() => rmSync(root, { recursive: true, force: true }));

const TOLERANCE = 1e-5;

describe('convlab → TF.js 4.22 (files read by @tensorflow/tfjs, cpu backend)', () => {
  const { x } = fashionMnistSample(32);
  for (const [name, build] of Object.entries(testModels)) {
    it(`${name}: TF.js loads the saved model and predicts the same`, async () => {
      const tf = await tfjs();
      setSeed(21);
      const model = build();
      perturbWeights(model);
      const dir = join(root, `to-tfjs-${name}`);
      await model.save(`file://${dir}`);
      const tfModel = await tf.loadLayersModel(tfjsHandlerFromDir(dir));
      assert.deepEqual(tfModel.layers.map((l) => l.name), model.layers.map((l) => l.name));
      const ours = predictData(model, x);
      const theirs = tf.tidy(() => (tfModel.predict(tf.tensor(x.data as Float32Array, [...x.shape])) as import('@tensorflow/tfjs').Tensor).dataSync());
      const diff = maxAbsDiff(ours, theirs);
      assert.ok(diff <= TOLERANCE, `max abs difference ${diff}`);
      tfModel.dispose();
    });
  }
});

describe('TF.js 4.22 → convlab (a model built and saved by @tensorflow/tfjs)', () => {
  const { x } = fashionMnistSample(32, 100);
  it('every layer type TF.js and convlab share, trained a step so BN statistics move', async () => {
    const tf = await tfjs();
    const tl = tf.layers;
    const tfModel = tf.sequential({ layers: [
      tl.rescaling({ scale: 1 / 255, offset: 0, inputShape: [28, 28, 1] }),
      tl.conv2d({ filters: 6, kernelSize: 3, padding: 'same', activation: 'relu', biasInitializer: 'randomNormal' }),
      tl.batchNormalization({ momentum: 0.5 }),
      tl.maxPooling2d({ poolSize: 2 }),
      tl.conv2d({ filters: 8, kernelSize: [3, 2], strides: [1, 2], dilationRate: 1, activation: 'elu' }),
      tl.averagePooling2d({ poolSize: 2, padding: 'same' }),
      tl.dropout({ rate: 0.3 }),
      tl.conv2d({ filters: 4, kernelSize: 2, activation: 'tanh', useBias: false }),
      tl.globalAveragePooling2d({}),
      tl.dense({ units: 12, activation: 'sigmoid' }),
      tl.activation({ activation: 'relu' }),
      tl.dense({ units: 10, activation: 'softmax', kernelInitializer: 'heUniform' }),
    ] });
    tfModel.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
    const xs = tf.tensor(x.data as Float32Array, [...x.shape]);
    await tfModel.fit(xs, tf.tensor(fashionMnistSample(32, 100).y.data as Int32Array, [32]).asType('float32'), { epochs: 1, batchSize: 16, verbose: 0 });
    const dir = join(root, 'from-tfjs');
    await tfModel.save(tfjsDirWriter(dir));
    const model = await loadLayersModel(dir);
    assert.deepEqual(model.layers.map((l) => l.className), tfModel.layers.map((l) => l.getClassName()));
    const theirs = (tfModel.predict(xs) as import('@tensorflow/tfjs').Tensor).dataSync();
    const diff = maxAbsDiff(predictData(model, x), theirs);
    assert.ok(diff <= TOLERANCE, `max abs difference ${diff}`);
    // And back: convlab re-saves, TF.js reads its own model again from convlab's files.
    await model.save(join(root, 'from-tfjs-resaved'));
    const again = await tf.loadLayersModel(tfjsHandlerFromDir(join(root, 'from-tfjs-resaved')));
    assert.ok(maxAbsDiff((again.predict(xs) as import('@tensorflow/tfjs').Tensor).dataSync(), theirs) <= TOLERANCE);
  });

  it('the lab CNN built in TF.js with default (glorotNormal) initialisers', async () => {
    const tf = await tfjs();
    setSeed(4);
    const tfModel = tf.sequential({ layers: [
      tf.layers.conv2d({ filters: 5, kernelSize: 3, activation: 'relu', padding: 'same', inputShape: [28, 28, 1] }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 120, activation: 'relu' }),
      tf.layers.dense({ units: 10, activation: 'softmax' }),
    ] });
    // TF.js's initialisers draw from an unseeded generator: the kernels are replaced by fixed
    // Glorot-uniform-scaled values (the config still names glorotNormal), so the run is the same every time.
    let s = 4;
    const rand = () => ((s = (s * 1103515245 + 12345) >>> 0) >>> 8) / 0x1000000;
    tfModel.setWeights(tfModel.getWeights().map((w) => {
      if (w.shape.length === 1) return w;
      const fanIn = w.shape.slice(0, -1).reduce((p, d) => p * d, 1);
      const limit = Math.sqrt(6 / (fanIn + w.shape[w.shape.length - 1]));
      return tf.tensor(Float32Array.from({ length: w.size }, () => (2 * rand() - 1) * limit), w.shape);
    }));
    const dir = join(root, 'from-tfjs-lab');
    await tfModel.save(tfjsDirWriter(dir));
    const model = await loadLayersModel(`file://${dir}`);
    const theirs = (tfModel.predict(tf.tensor(x.data as Float32Array, [...x.shape])) as import('@tensorflow/tfjs').Tensor).dataSync();
    assert.ok(maxAbsDiff(predictData(model, x), theirs) <= TOLERANCE);
    assert.equal(model.countParams(), tfModel.countParams());
  });
});
