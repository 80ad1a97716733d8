import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { loadImage, createCanvas } from '@napi-rs/canvas';
import {
  confusionMatrix,
  featureMaps,
  niceTicks,
  plotConfusionMatrix,
  plotFeatureMaps,
  plotHistory,
  plotKernels,
  plotPredictionGrid,
  writePicture,
  type Picture,
} from '../../src/plots/index.js';
import { RIGHT, WRONG } from '../../src/plots/canvas.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { setSeed } from '../../src/utils/random.js';
import { zoo } from '../../src/zoo/index.js';
import { rmrf, tempDir } from './helpers.js';

/** Decodes the PNG and checks it has the size the renderer reported. */
async function decoded(p: Picture): Promise<Uint8ClampedArray> {
  const img = await loadImage(p.png);
  assert.equal(img.width, p.width);
  assert.equal(img.height, p.height);
  const c = createCanvas(img.width, img.height);
  const ctx = c.getContext('2d');
  ctx.drawImage(img, 0, 0);
  return ctx.getImageData(0, 0, img.width, img.height).data;
}

function countColour(rgba: Uint8ClampedArray, hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  let n = 0;
  for (let i = 0; i < rgba.length; i += 4) if (Math.abs(rgba[i] - r) < 8 && Math.abs(rgba[i + 1] - g) < 8 && Math.abs(rgba[i + 2] - b) < 8) n++;
  return n;
}

const classNames = ['zero', 'one', 'two'];

function gridInput(predictedRight: boolean) {
  const n = 6;
  const images = new Uint8Array(n * 8 * 8);
  for (let i = 0; i < images.length; i++) images[i] = (i * 37) % 256;
  const labels = [0, 1, 2, 0, 1, 2];
  const probabilities = new Float32Array(n * 3);
  labels.forEach((t, i) => (probabilities[i * 3 + (predictedRight ? t : (t + 1) % 3)] = 0.9));
  labels.forEach((_, i) => { for (let j = 0; j < 3; j++) if (probabilities[i * 3 + j] === 0) probabilities[i * 3 + j] = 0.05; });
  return { images: { data: images, shape: [n, 8, 8, 1] }, probabilities, labels, classNames, rows: 2, cols: 3 };
}

test('niceTicks covers the range with round steps', () => {
  assert.deepEqual(niceTicks(0.21, 0.97, 6), [0.2, 0.4, 0.6, 0.8, 1]);
  assert.deepEqual(niceTicks(1, 1, 3).length > 1, true);
  const t = niceTicks(0.3012, 0.3021);
  assert.ok(t[0] <= 0.3012 && t[t.length - 1] >= 0.3021);
});

test('history plots decode, have the requested size, and refuse a history without the keys', async () => {
  const history = { loss: [0.9, 0.5, 0.4], val_loss: [0.7, 0.6, 0.55], accuracy: [0.6, 0.8, 0.85] };
  const p = plotHistory(history, { keys: ['loss', 'val_loss'], title: 'Loss', width: 640, height: 400 });
  assert.equal(p.width, 640);
  assert.equal(p.height, 400);
  await decoded(p);
  // One epoch only: a single point must still draw.
  await decoded(plotHistory({ accuracy: [0.5] }, { keys: ['accuracy', 'val_accuracy'] }));
  assert.throws(() => plotHistory(history, { keys: ['auc'] }), /none of auc; it has loss, val_loss, accuracy/);
});

test('the prediction grid labels right answers in blue and wrong ones in red', async () => {
  const right = await decoded(plotPredictionGrid(gridInput(true)));
  const wrong = await decoded(plotPredictionGrid(gridInput(false)));
  assert.ok(countColour(right, RIGHT) > 200, 'blue labels and bars when right');
  assert.equal(countColour(right, WRONG), 0, 'no red when every prediction is right');
  assert.ok(countColour(wrong, WRONG) > 200, 'red labels and bars when wrong');
  assert.throws(() => plotPredictionGrid({ ...gridInput(true), probabilities: new Float32Array(5) }), /expected 6 x 3 probabilities/);
});

test('confusion matrix counts and heat map', async () => {
  const m = confusionMatrix([0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 2, 0], 3);
  assert.deepEqual(Array.from(m), [1, 1, 0, 0, 1, 0, 1, 0, 2]);
  const p = plotConfusionMatrix(m, classNames);
  const px = await decoded(p);
  assert.ok(p.width > 300 && p.height > 300);
  assert.ok(countColour(px, '#08306b') + countColour(px, '#08519c') > 0, 'the largest cell is dark blue');
  assert.throws(() => confusionMatrix([0, 3], [0, 0], 3), /out of range \[0, 2\] at sample 1/);
  assert.throws(() => plotConfusionMatrix([1, 2, 3], classNames), /expected 3 x 3 counts/);
});

test('kernels and feature maps of a model, and their errors', async () => {
  setSeed(3);
  const model = zoo.lenet5();
  await decoded(plotKernels(model));
  await decoded(plotKernels(zoo.create('cifar-cnn')));
  const x = new Tensor(new Float32Array(784).map((_, i) => (i % 28) / 28), [1, 28, 28, 1]);
  const maps = featureMaps(model, x);
  assert.deepEqual(maps.map((m) => m.output.shape), [[1, 28, 28, 6], [1, 14, 14, 6], [1, 10, 10, 16], [1, 5, 5, 16]]);
  await decoded(plotFeatureMaps(model, x));
  assert.throws(() => plotKernels(zoo.labMlp({ inputShape: [4, 4] })), /has no built Conv2D layer/);
  assert.throws(() => featureMaps(model, new Tensor(new Float32Array(784 * 2), [2, 28, 28, 1])), /expected one sample/);
});

test('writePicture writes atomically: the file appears whole, no temporary files remain', async () => {
  const dir = tempDir();
  try {
    const file = path.join(dir, 'sub', 'loss.png');
    await writePicture(file, plotHistory({ loss: [1, 0.5] }, { keys: ['loss'] }));
    assert.ok(existsSync(file));
    assert.deepEqual(readdirSync(path.dirname(file)), ['loss.png']);
    await loadImage(file);
  } finally {
    rmrf(dir);
  }
});
