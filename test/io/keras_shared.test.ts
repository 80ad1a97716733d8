/**
 * The real Keras files in ../shared/keras-models (saved by Keras 2.1 to 3.14 in public
 * repositories) load, and each classifier, evaluated on the official test set with its author's
 * preprocessing, reaches the accuracy its author printed (README there). CI has ../shared beside
 * the clone; without it these tests are skipped, saying so.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { datasets } from '../../src/datasets/index.js';
import { gunzip } from '../../src/datasets/gzip.js';
import { parseIdxImages, parseIdxLabels } from '../../src/datasets/idx.js';
import { loadLayersModel, loadNotes, modelFromJSON } from '../../src/io/index.js';
import { layerClasses } from '../../src/layers/index.js';
import { ready } from '../../src/index.js';
import type { LayersModel } from '../../src/models/layers_model.js';
import { Tensor } from '../../src/tensor/tensor.js';

const root = fileURLToPath(new URL('../../../shared/', import.meta.url));
const MODELS = join(root, 'keras-models');
const DATA = join(root, 'datasets');
const skip = existsSync(MODELS) && existsSync(DATA) ? false : `no ${MODELS} (CI puts ../shared beside the clone)`;

/** The file whose name starts with '<id>-' (the model, not the companion JSON). */
function file(id: string): string {
  const name = readdirSync(MODELS).find((f) => f.startsWith(`${id}-`) && /\.(h5|keras)$/.test(f));
  if (!name) throw new Error(`no file ${id}-… in ${MODELS}`);
  return join(MODELS, name);
}

interface TestSet { images: Tensor; labels: Tensor }

function idxTestSet(dir: string): TestSet {
  const im = parseIdxImages(gunzip(readFileSync(join(dir, 't10k-images-idx3-ubyte.gz')), 'images', 1 << 28), 'images');
  const lb = parseIdxLabels(gunzip(readFileSync(join(dir, 't10k-labels-idx1-ubyte.gz')), 'labels', 1 << 20), 'labels');
  return { images: new Tensor(im.data, [im.count, im.rows, im.cols, 1]), labels: new Tensor(lb.data, [lb.count]) };
}

function scaled(images: Tensor, scale: number, shape?: number[]): Tensor {
  const x = datasets.toFloat(images, { scale });
  return shape ? x.reshape(shape) : x;
}

function accuracy(model: LayersModel, x: Tensor, labels: Tensor): number {
  const p = model.predict(x, { batchSize: 500 }) as Tensor;
  const k = p.shape[1];
  let correct = 0;
  for (let i = 0; i < labels.size; i++) {
    let best = 0;
    for (let j = 1; j < k; j++) if (p.data[i * k + j] > p.data[i * k + best]) best = j;
    if (best === labels.data[i]) correct++;
  }
  return correct / labels.size;
}

describe('the real Keras files in ../shared/keras-models', { skip }, () => {
  let mnist: TestSet;
  let fashion: TestSet;
  let cifar: TestSet;
  let cifarMean: number[];
  let cifarStd: number[];
  const reached: Record<string, number> = {};

  before(async () => {
    await ready();
    mnist = idxTestSet(join(DATA, 'mnist'));
    fashion = idxTestSet(join(DATA, 'fashion-mnist'));
    const c = await datasets.cifar10.loadData({ dir: join(DATA, 'cifar-10'), download: false, allowPartialTest: true });
    cifar = { images: c.test.images, labels: c.test.labels };
    // The author of 15-… standardises with the training set's per-channel mean and std of x/255.
    const train = c.train.images.data;
    const sum = [0, 0, 0];
    const sq = [0, 0, 0];
    for (let i = 0; i < train.length; i++) {
      const v = train[i] / 255;
      sum[i % 3] += v;
      sq[i % 3] += v * v;
    }
    const n = train.length / 3;
    cifarMean = sum.map((s) => s / n);
    cifarStd = sq.map((s, ch) => Math.sqrt(s / n - cifarMean[ch] ** 2));
  });

  const mnistCases: [string, string, () => Tensor, () => TestSet, number][] = [
    ['01', 'Keras 2.1.6 Sequential (config as a bare list), Fashion-MNIST /255', () => scaled(fashion.images, 1 / 255), () => fashion, 0.8991],
    ['12', 'Keras 2.4.0 Sequential with InputLayer, Fashion-MNIST /255', () => scaled(fashion.images, 1 / 255), () => fashion, 0.9218],
    ['24', 'Keras 3.5.0 legacy .h5 (Keras 3 dtype policies), MNIST /255', () => scaled(mnist.images, 1 / 255), () => mnist, 0.9883],
    ['38', 'Keras 3.10.0 .keras, MNIST raw 0-255 pixels', () => scaled(mnist.images, 1), () => mnist, 0.9748],
  ];
  for (const [id, title, x, set, stated] of mnistCases) {
    it(`${id}: ${title} reaches the stated ${stated} within 0.015`, async () => {
      const model = await loadLayersModel(file(id));
      const acc = accuracy(model, x(), set().labels);
      reached[id] = acc;
      assert.ok(Math.abs(acc - stated) <= 0.015, `${id}: accuracy ${acc} vs stated ${stated}`);
    });
  }

  // 1,000 CIFAR-10 test records: two standard errors of a proportion, sqrt(p(1-p)/1000).
  const cifarCases: [string, string, boolean, number][] = [
    ['15', 'Keras 2.10 Functional ResNet-20 (Add, L2 regularizers), standardised', true, 0.9167],
    ['35', 'Keras 3.4.1 .keras Sequential, /255', false, 0.6718],
  ];
  for (const [id, title, standardize, stated] of cifarCases) {
    it(`${id}: ${title} reaches the stated ${stated} within the sampling error of 1,000 records`, async () => {
      const model = await loadLayersModel(file(id));
      const x = scaled(cifar.images, 1 / 255);
      if (standardize) for (let i = 0; i < x.size; i++) x.data[i] = (x.data[i] - cifarMean[i % 3]) / cifarStd[i % 3];
      const acc = accuracy(model, x, cifar.labels);
      reached[id] = acc;
      const se = Math.sqrt((stated * (1 - stated)) / cifar.labels.size);
      assert.ok(Math.abs(acc - stated) <= 2 * se, `${id}: accuracy ${acc} vs stated ${stated} (2 SE = ${(2 * se).toFixed(4)})`);
      if (id === '15') assert.ok(loadNotes(model).some((n) => n.includes('kernel_regularizer L2 ignored on 21 layers')), 'the ignored regularizers are noted');
    });
  }

  it('33-… (Keras 3 weights only) loads into the architecture of 45-… and predicts exactly as 45-…', async () => {
    const full = await loadLayersModel(file('45'));
    const other = await loadLayersModel(file('45'));
    for (const w of other.weights) w.value.data.fill(0);
    await other.loadWeights(file('33'));
    const x = scaled(mnist.images, 1 / 255, [mnist.labels.size, 28, 28]);
    const a = full.predict(x) as Tensor;
    const b = other.predict(x) as Tensor;
    assert.deepEqual(b.data, a.data);
    reached['45'] = accuracy(full, x, mnist.labels);
  });

  it('31-…-model_weights.h5 (Keras 2.2.4 save_weights) loads into the architecture of its to_json() file and reaches 0.9651', async () => {
    const model = modelFromJSON(readFileSync(join(MODELS, '31-EdgeAIWithRTT-Project3-Mnist_Cube_RTT-mnist.json'), 'utf8'));
    const report = await model.loadWeights(file('31'));
    assert.equal(report.loaded.length, 6);
    const acc = accuracy(model, scaled(mnist.images, 1 / 255), mnist.labels);
    reached['31'] = acc;
    assert.ok(Math.abs(acc - 0.9651) <= 0.015, `31: accuracy ${acc}`);
  });

  it('40-… (Keras 3.11 Functional ResNet with ReLU layers) loads once ReLU is a convlab layer, and is refused naming it before', async () => {
    if (!Object.hasOwn(layerClasses, 'ReLU')) {
      await assert.rejects(loadLayersModel(file('40')), /layer 're_lu' is a Keras ReLU layer, which convlab does not support yet/);
      return;
    }
    const model = await loadLayersModel(file('40'));
    reached['40'] = accuracy(model, scaled(mnist.images, 1 / 255), mnist.labels);
    assert.ok(reached['40'] > 0.9, `40: accuracy ${reached['40']}`);
  });

  it('the optimizer state the files keep comes back with the compiled optimizer (fit continues where Keras stopped)', async () => {
    const expected: [string, string, number][] = [['12', 'Adam', 4700], ['15', 'SGD', 57868], ['24', 'RMSprop', 3750], ['35', 'Adam', 12500], ['45', 'Adam', 17652]];
    for (const [id, optimizer, iterations] of expected) {
      const model = await loadLayersModel(file(id));
      assert.equal(model.optimizer?.className, optimizer, id);
      const state = model.optimizer!.getState();
      assert.equal(state.iterations, iterations, id);
      assert.deepEqual(Object.keys(state.slots).sort(), model.trainableWeights.map((w) => w.name).sort(), `${id}: a slot for every trainable weight`);
    }
    // Keras 2.1 numbered its optimizer weights ('training/Adam/Variable:0'): read by position, as
    // Keras 2.1 ordered them (test/io/keras_optimizer_state.test.ts checks the values and a step).
    const old = await loadLayersModel(file('01'));
    assert.equal(old.optimizer?.className, 'Adam');
    assert.ok(old.optimizer!.iterations > 0, `01: iterations ${old.optimizer!.iterations}`);
    assert.deepEqual(Object.keys(old.optimizer!.getState().slots).sort(), old.trainableWeights.map((w) => w.name).sort(), '01: a slot for every trainable weight');
    assert.ok(!loadNotes(old).some((n) => n.startsWith('optimizer state')), loadNotes(old).join('; '));
  });

  it('reports what each file reaches', () => {
    console.log(`# accuracies reached: ${JSON.stringify(reached)}`);
  });
});
