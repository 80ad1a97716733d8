/**
 * Grad-CAM and saliency point at the evidence where it is known: on the patch task of
 * patches.ts (the class is the shape of a 3x3 patch placed at random among noise and lone
 * bright decoy pixels), a small CNN trained for a few seconds gets every test image right, and
 * the maximum of each map must fall on the patch or within one pixel of it.
 */
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { explain, layers, optimizers, sequential, setSeed, Tensor, type Sequential } from '../../src/index.js';
import { SIZE, onPatch, patchData, type PatchData } from './patches.js';

const TEST_IMAGES = 200;

function patchCnn(): Sequential {
  return sequential({
    layers: [
      layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', activation: 'relu', inputShape: [SIZE, SIZE, 1] }),
      layers.conv2d({ filters: 16, kernelSize: 3, padding: 'same', activation: 'relu', name: 'features' }),
      // A global max: each feature reports where it is strongest, wherever that is.
      layers.maxPooling2d({ poolSize: SIZE }),
      layers.flatten(),
      layers.dense({ units: 4, activation: 'softmax' }),
    ],
  });
}

function image(data: PatchData, i: number): Tensor {
  return new Tensor(data.x.data.slice(i * SIZE * SIZE, (i + 1) * SIZE * SIZE), [SIZE, SIZE, 1]);
}

/** Share of test images whose map has its maximum on the patch (1-pixel margin). */
function hitRate(data: PatchData, map: (x: Tensor, label: number, i: number) => Tensor): number {
  let hits = 0;
  for (let i = 0; i < TEST_IMAGES; i++) {
    const peak = explain.argmax2d(map(image(data, i), data.y.data[i], i));
    if (onPatch(data.corners[i], peak.y, peak.x, 1)) hits++;
  }
  return hits / TEST_IMAGES;
}

describe('explain: the maps find the patch that decides the class', () => {
  const test = patchData(TEST_IMAGES, 2);
  let model: Sequential;

  before(async () => {
    setSeed(1);
    const train = patchData(1500, 1);
    model = patchCnn();
    model.compile({ optimizer: optimizers.adam({ learningRate: 0.01 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    await model.fit(train.x, train.y, { epochs: 6, batchSize: 32, verbose: 0 });
    const [, accuracy] = model.evaluate(test.x, test.y, { verbose: 0 });
    assert.ok(accuracy >= 0.99, `the model must learn the task first: test accuracy ${accuracy}`);
  });

  it('Grad-CAM (last conv layer, true class): maximum on the patch in >= 95% of test images', () => {
    const rate = hitRate(test, (x, label) => explain.gradCam(model, x, { classIndex: label }));
    console.log(`Grad-CAM on the patch: ${(100 * rate).toFixed(1)}% of ${TEST_IMAGES}`);
    assert.ok(rate >= 0.95, `Grad-CAM maximum on the patch in ${(100 * rate).toFixed(1)}% of test images`);
  });

  it('SmoothGrad saliency (predicted class): maximum on the patch in >= 95% of test images', () => {
    const rate = hitRate(test, (x, _label, i) => explain.saliency(model, x, { method: 'smoothgrad', samples: 16, seed: i }));
    console.log(`SmoothGrad on the patch: ${(100 * rate).toFixed(1)}% of ${TEST_IMAGES}`);
    assert.ok(rate >= 0.95, `SmoothGrad maximum on the patch in ${(100 * rate).toFixed(1)}% of test images`);
  });

  it('vanilla saliency: mostly on the patch, but drawn to the decoys (a known weakness of raw gradients)', () => {
    const rate = hitRate(test, (x, label) => explain.saliency(model, x, { classIndex: label }));
    console.log(`vanilla saliency on the patch: ${(100 * rate).toFixed(1)}% of ${TEST_IMAGES}`);
    // Measured 77.5% with this seed and 99.5% with setSeed(2): a single gradient is sensitivity,
    // and a lone bright pixel is a third of a bar. SmoothGrad averages that away.
    assert.ok(rate >= 0.7, `vanilla saliency maximum on the patch in ${(100 * rate).toFixed(1)}% of test images`);
  });

  it('control: the same network untrained misses the patch far more often, so the test can fail', () => {
    setSeed(1);
    const untrained = patchCnn();
    const rate = hitRate(test, (x, label) => explain.gradCam(untrained, x, { classIndex: label }));
    console.log(`Grad-CAM of the untrained network on the patch: ${(100 * rate).toFixed(1)}%`);
    assert.ok(rate < 0.8, `untrained Grad-CAM on the patch in ${(100 * rate).toFixed(1)}%`);
  });
});

describe('explain: on the task as the issue states it (a patch among noise, no decoys), vanilla saliency too', () => {
  const test = patchData(TEST_IMAGES, 4, 0.3, 0);
  let model: Sequential;

  before(async () => {
    setSeed(1);
    const train = patchData(1500, 3, 0.3, 0);
    model = patchCnn();
    model.compile({ optimizer: optimizers.adam({ learningRate: 0.01 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    await model.fit(train.x, train.y, { epochs: 6, batchSize: 32, verbose: 0 });
    const [, accuracy] = model.evaluate(test.x, test.y, { verbose: 0 });
    assert.ok(accuracy >= 0.99, `the model must learn the task first: test accuracy ${accuracy}`);
  });

  it('Grad-CAM and vanilla saliency: maximum on the patch in >= 95% of test images', () => {
    const cam = hitRate(test, (x, label) => explain.gradCam(model, x, { classIndex: label }));
    const vanilla = hitRate(test, (x, label) => explain.saliency(model, x, { classIndex: label }));
    console.log(`no decoys: Grad-CAM ${(100 * cam).toFixed(1)}%, vanilla saliency ${(100 * vanilla).toFixed(1)}% of ${TEST_IMAGES}`);
    assert.ok(cam >= 0.95, `Grad-CAM maximum on the patch in ${(100 * cam).toFixed(1)}% of test images`);
    assert.ok(vanilla >= 0.95, `vanilla saliency maximum on the patch in ${(100 * vanilla).toFixed(1)}% of test images`);
  });
});
