/**
 * `convlab predict` on a Keras model whose input has no channel axis, (28, 28), as
 * ../shared/keras-models/45-… (Flatten first, trained on MNIST's arrays): the images are read as
 * greyscale and reshaped to the model's input, and give what evaluate's path (the test set's
 * pixels / 255, shaped (N, 28, 28)) gives.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import sharp from 'sharp';
import { loadLayersModel } from '../../src/index.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { repoRoot, rmrf, run, tempDir } from './helpers.js';

const dir = tempDir();
after(() => rmrf(dir));
const shared = path.resolve(repoRoot, '../shared');
const modelFile = path.join(shared, 'keras-models/45-ShreyanshGupta28-mnist_classification_app-model.keras');
const mnist = path.join(shared, 'datasets/mnist');
const skip = existsSync(modelFile) && existsSync(path.join(mnist, 't10k-images-idx3-ubyte.gz')) ? false : 'no ../shared/keras-models/45-… or ../shared/datasets/mnist beside the clone';

test('predict reads PNGs as greyscale for a (28, 28)-input Keras model and agrees with evaluate\'s path', { skip }, async () => {
  const n = 12;
  const images = gunzipSync(readFileSync(path.join(mnist, 't10k-images-idx3-ubyte.gz')));
  const files: string[] = [];
  for (let i = 0; i < n; i++) {
    const file = path.join(dir, `digit-${String(i).padStart(2, '0')}.png`);
    writeFileSync(file, await sharp(images.subarray(16 + i * 784, 16 + (i + 1) * 784), { raw: { width: 28, height: 28, channels: 1 } }).png().toBuffer());
    files.push(file);
  }
  // evaluate's path: the test set's bytes / 255, in the model's (N, 28, 28) layout.
  const model = await loadLayersModel(modelFile);
  assert.deepEqual(model.inputShape, [null, 28, 28]);
  const x = Float32Array.from(images.subarray(16, 16 + n * 784), (v) => v / 255);
  const p = model.predict(new Tensor(x, [n, 28, 28])).data;
  const expected = Array.from({ length: n }, (_, i) => {
    let best = 0;
    for (let j = 1; j < 10; j++) if (p[i * 10 + j] > p[i * 10 + best]) best = j;
    return { classIndex: best, confidence: p[i * 10 + best] };
  });

  const r = await run('predict', modelFile, ...files, '--dataset', 'mnist', '--json');
  assert.equal(r.code, 0, r.stderr);
  const got = JSON.parse(r.stdout) as { file: string; classIndex: number; confidence: number; inverted: boolean }[];
  assert.equal(got.length, n);
  got.forEach((g, i) => {
    assert.equal(path.basename(g.file), path.basename(files[i]));
    assert.equal(g.inverted, false, `${g.file}: MNIST has a black background`);
    assert.equal(g.classIndex, expected[i].classIndex, `${g.file}`);
    assert.ok(Math.abs(g.confidence - expected[i].confidence) < 1e-6, `${g.file}: confidence ${g.confidence} vs ${expected[i].confidence}`);
  });
  // Most of the first 12 test digits are classified right (labels 7 2 1 0 4 1 4 9 5 9 0 6).
  const labels = [7, 2, 1, 0, 4, 1, 4, 9, 5, 9, 0, 6];
  assert.ok(got.filter((g, i) => g.classIndex === labels[i]).length >= 10, JSON.stringify(got.map((g) => g.classIndex)));
});

test('predict still refuses a model whose input is not an image, saying what it expects', async () => {
  const { sequential, layers } = await import('../../src/index.js');
  const m = sequential({ layers: [layers.dense({ units: 10, inputShape: [784], activation: 'softmax' })] });
  const file = path.join(dir, 'flat.keras');
  await m.save(file);
  writeFileSync(path.join(dir, 'x.png'), await sharp({ create: { width: 28, height: 28, channels: 3, background: '#000' } }).png().toBuffer());
  const r = await run('predict', file, path.join(dir, 'x.png'), '--dataset', 'mnist');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /input \(batch, height, width, channels\) or \(batch, height, width\) for greyscale; this one expects \(None, 784\)|this one expects .*784/);
});
