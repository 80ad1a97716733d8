import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sequential, layers, datasets, setSeed } from '../src/index.js';

/*
 * The lab's CNN on real Fashion-MNIST, shortened to fit the test suite: two epochs on the first
 * 12,000 training images. The full recipe (3 epochs, 48,000 images, >= 0.88 test accuracy) is
 * examples/03_fashion_mnist_cnn.ts; its figures are in docs/results.md.
 */
const sharedDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../shared/datasets/fashion-mnist');

async function load() {
  if (existsSync('/usr/share/datasets/fashion-mnist')) return datasets.fashionMnist.loadData({ download: false });
  return datasets.fashionMnist.loadData({ dir: sharedDir, download: false });
}

function labCnn() {
  return sequential({
    layers: [
      layers.conv2d({ filters: 5, kernelSize: [3, 3], activation: 'relu', padding: 'same', inputShape: [28, 28, 1] }),
      layers.maxPooling2d({ poolSize: [2, 2] }),
      layers.flatten(),
      layers.dense({ units: 120, activation: 'relu' }),
      layers.dense({ units: 10, activation: 'softmax' }),
    ],
  });
}

describe('the lab CNN on Fashion-MNIST', () => {
  it('learns from real data: > 0.80 test accuracy after two short epochs', async () => {
    setSeed(2024);
    const { train, test } = await load();
    const x = datasets.toFloat(datasets.subset(train, 12000).images);
    const y = datasets.subset(train, 12000).labels;
    const model = labCnn();
    model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
    const history = await model.fit(x, y, { epochs: 2, batchSize: 32, validationSplit: 0.2, verbose: 0 });
    assert.ok(history.history.val_accuracy[0] > 0.75, `val_accuracy ${history.history.val_accuracy[0]}`);
    const testSet = datasets.subset(test, 2000);
    const [loss, accuracy] = model.evaluate(datasets.toFloat(testSet.images), testSet.labels, { verbose: 0 });
    assert.ok(accuracy > 0.8, `test accuracy ${accuracy} (loss ${loss})`);
    assert.ok(loss < 0.6, `test loss ${loss}`);
  });

  it('is reproducible: the same seed gives bit-identical weights and history', async () => {
    const { train } = await load();
    const part = datasets.subset(train, 1500);
    const x = datasets.toFloat(part.images);
    const run = async () => {
      setSeed(7);
      const model = labCnn();
      model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
      const h = await model.fit(x, part.labels, { epochs: 1, validationSplit: 0.2, verbose: 0 });
      return { weights: model.getWeights().map((w) => Array.from(w.data)), history: h.history };
    };
    const a = await run();
    const b = await run();
    assert.deepEqual(a.weights, b.weights);
    assert.deepEqual(a.history, b.history);
  });
});
