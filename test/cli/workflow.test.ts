/**
 * train → evaluate → predict → plot on a small slice of Fashion-MNIST, checking the files, the
 * pictures, and that the three commands agree with each other.
 */
import assert from 'node:assert/strict';
import { existsSync, promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { createCanvas } from '@napi-rs/canvas';
import { loadModel } from '../../cli/model_store.js';
import { datasets } from '../../src/datasets/index.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { dataRoot, pngSize, rmrf, run, skipWithoutData, tempDir } from './helpers.js';

const skip = skipWithoutData;
let dir = '';
let runDir = '';

before(() => {
  dir = tempDir();
  runDir = path.join(dir, 'run');
});
after(() => rmrf(dir));

const common = () => ['--dataset', 'fashion-mnist', '--data-dir', dataRoot!];

/** Test image i written as a PNG, white-on-black as in the dataset (and optionally inverted, as a photo). */
async function writeTestPng(images: Tensor, i: number, file: string, invert = false): Promise<void> {
  const c = createCanvas(28, 28);
  const ctx = c.getContext('2d');
  const img = ctx.createImageData(28, 28);
  for (let p = 0; p < 784; p++) {
    const v = images.data[i * 784 + p];
    img.data.set([invert ? 255 - v : v, invert ? 255 - v : v, invert ? 255 - v : v, 255], p * 4);
  }
  ctx.putImageData(img, 0, 0);
  await fsp.writeFile(file, c.toBuffer('image/png'));
}

test('train writes the model, the history files and every picture', { skip }, async () => {
  const r = await run('train', 'lab-cnn', ...common(), '--epochs', '2', '--limit', '1000', '--test-limit', '200', '--seed', '7', '--out', runDir);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.progress, /Epoch 1\/2\n25\/25 \[={30}\] - \d+s \d+ms\/step - loss: [\d.]+ - accuracy: [\d.]+ - val_loss: [\d.]+ - val_accuracy: [\d.]+\nEpoch 2\/2/);
  assert.match(r.stdout, /Total params: 118,980/);
  const acc = Number(/test accuracy: ([\d.]+) \(200 images\)/.exec(r.stdout)?.[1]);
  assert.ok(acc > 0.5, `a CNN trained on 800 images beats chance by far, got ${acc}`);
  for (const f of ['model.json', 'weights.bin', 'convlab.json', 'history.json', 'history.csv', 'evaluation.json']) assert.ok(existsSync(path.join(runDir, f)), f);

  const history = JSON.parse(await fsp.readFile(path.join(runDir, 'history.json'), 'utf8'));
  assert.deepEqual(history.epoch, [1, 2]);
  assert.deepEqual(Object.keys(history.history), ['loss', 'accuracy', 'val_loss', 'val_accuracy']);
  const csv = (await fsp.readFile(path.join(runDir, 'history.csv'), 'utf8')).trim().split('\n');
  assert.equal(csv[0], 'epoch,loss,accuracy,val_loss,val_accuracy');
  assert.equal(csv.length, 3);
  assert.equal(Number(csv[2].split(',')[1]), history.history.loss[1]);

  const sizes: Record<string, [number, number]> = {
    'loss.png': [800, 500],
    'accuracy.png': [800, 500],
    'predictions.png': [1160, 1204],
    'confusion_matrix.png': [900, 810],
  };
  for (const [f, [w, h]] of Object.entries(sizes)) assert.deepEqual(await pngSize(path.join(runDir, f)), { width: w, height: h }, f);
  const kernels = await pngSize(path.join(runDir, 'kernels.png'));
  const maps = await pngSize(path.join(runDir, 'feature_maps.png'));
  assert.ok(kernels.width >= 560 && kernels.height > 200, JSON.stringify(kernels));
  assert.ok(maps.width > 700 && maps.height > 400, JSON.stringify(maps));
});

test('evaluate on the saved model gives the accuracy train reported, per class and confusion matrix', { skip }, async () => {
  const meta = JSON.parse(await fsp.readFile(path.join(runDir, 'convlab.json'), 'utf8'));
  const out = path.join(dir, 'eval');
  const r = await run('evaluate', runDir, '--data-dir', dataRoot!, '--test-limit', '200', '--out', out);
  assert.equal(r.code, 0, r.stderr);
  const acc = Number(/test accuracy: ([\d.]+)/.exec(r.stdout)?.[1]);
  assert.equal(acc, Number(meta.test.accuracy.toFixed(4)));
  assert.match(r.stdout, /^Ankle boot\s+[\d.]+\s+\d+$/m);
  assert.match(r.stdout, /Confusion matrix \(rows: true class, columns: predicted class\)/);
  const ev = JSON.parse(await fsp.readFile(path.join(out, 'evaluation-fashion-mnist.json'), 'utf8'));
  assert.equal(ev.confusion.flat().reduce((a: number, b: number) => a + b, 0), 200);
  assert.deepEqual(await pngSize(path.join(out, 'confusion_matrix.png')), { width: 900, height: 810 });
  assert.ok(existsSync(path.join(out, 'predictions.png')));
});

test('predict on PNGs of test images gives what the model gives on the dataset tensor', { skip }, async () => {
  const ds = await datasets.fashionMnist.loadData({ dir: dataRoot });
  const files: string[] = [];
  for (let i = 0; i < 3; i++) {
    files.push(path.join(dir, `test${i}.png`));
    await writeTestPng(ds.test.images, i, files[i]);
  }
  // A dark-on-white version, as a photo or scan would be: inverted back automatically.
  files.push(path.join(dir, 'photo0.png'));
  await writeTestPng(ds.test.images, 0, files[3], true);
  const r = await run('predict', runDir, ...files, '--json');
  assert.equal(r.code, 0, r.stderr);
  const results = JSON.parse(r.stdout);
  const { model } = await loadModel(runDir);
  const x = datasets.toFloat(new Tensor(ds.test.images.data.subarray(0, 3 * 784), [3, 28, 28, 1]));
  const p = model.predict(x).data;
  for (let i = 0; i < 3; i++) {
    const row = Array.from(p.subarray(i * 10, i * 10 + 10));
    const best = row.indexOf(Math.max(...row));
    assert.equal(results[i].classIndex, best);
    assert.ok(Math.abs(results[i].confidence - row[best]) < 1e-6);
    assert.equal(results[i].top.length, 3);
    assert.equal(results[i].inverted, false);
  }
  assert.equal(results[3].inverted, true);
  assert.equal(results[3].classIndex, results[0].classIndex);

  const text = await run('predict', runDir, files[0]);
  assert.match(text.stdout, /^test0\.png:\s+\S.* \(\d+\.\d%\)  top-3: /);
});

test('predict and evaluate refuse what does not fit', { skip }, async () => {
  const bad = path.join(dir, 'not-an-image.png');
  await fsp.writeFile(bad, 'hello');
  let r = await run('predict', runDir, bad);
  assert.equal(r.code, 1);
  assert.match(r.stderr.split('\n')[0], /^convlab: error: Cannot read image '.*not-an-image\.png': it is text, not a PNG, JPEG/);
  r = await run('predict', runDir, path.join(dir, 'missing.png'));
  assert.match(r.stderr.split('\n')[0], /Cannot read image '.*missing\.png': no such file/);
  r = await run('predict', runDir, path.join(dir, 'test0.png'), '--dataset', 'cifar10');
  assert.equal(r.code, 0, 'CIFAR-10 also has 10 classes: only the names change');
  r = await run('evaluate', dir, '--dataset', 'fashion-mnist');
  assert.match(r.stderr, /holds no model\.json/);
});

test('evaluate refuses a model whose input does not match the dataset', { skip: skip || (!existsSync(path.join(dataRoot ?? '', 'cifar-10')) && 'CIFAR-10 not found') }, async () => {
  const r = await run('evaluate', runDir, '--dataset', 'cifar10', '--data-dir', dataRoot!, '--test-limit', '10', '--quiet');
  assert.equal(r.code, 1);
  assert.match(r.stderr.split('\n')[0], /expects input \(None, 28, 28, 1\), but cifar10 images are \(None, 32, 32, 3\)/);
});

test('plot redraws chosen pictures of a run, from the run or a history.json', { skip }, async () => {
  const out = path.join(dir, 'plots');
  let r = await run('plot', runDir, '--only', 'history,kernels', '--out', out, '--quiet');
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual((await fsp.readdir(out)).sort(), ['accuracy.png', 'kernels.png', 'loss.png']);
  r = await run('plot', runDir, '--only', 'feature-maps', '--image', path.join(dir, 'test1.png'), '--out', out);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(existsSync(path.join(out, 'feature_maps.png')));
  r = await run('plot', path.join(runDir, 'history.json'), '--out', path.join(dir, 'h'));
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual((await fsp.readdir(path.join(dir, 'h'))).sort(), ['accuracy.png', 'loss.png']);
  r = await run('plot', runDir, '--only', 'histogram');
  assert.match(r.stderr, /--only: unknown picture 'histogram'; valid: history, predictions, confusion, kernels, feature-maps/);
});

test('train --resume continues a run after its last epoch and ends where an uninterrupted run ends', { skip }, async () => {
  const args = [...common(), '--limit', '300', '--test-limit', '50', '--seed', '11', '--no-plots', '--quiet'];
  const whole = path.join(dir, 'whole');
  const parts = path.join(dir, 'parts');
  assert.equal((await run('train', 'lab-cnn', ...args, '--epochs', '2', '--out', whole)).code, 0);
  assert.equal((await run('train', 'lab-cnn', ...args, '--epochs', '1', '--out', parts)).code, 0);
  const r = await run('train', '--resume', parts, '--epochs', '2', '--quiet');
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(await fsp.readFile(path.join(parts, 'weights.bin')), await fsp.readFile(path.join(whole, 'weights.bin')));
  assert.equal(await fsp.readFile(path.join(parts, 'history.csv'), 'utf8'), await fsp.readFile(path.join(whole, 'history.csv'), 'utf8'));
  const again = await run('train', '--resume', parts, '--quiet');
  assert.match(again.stderr, /has already trained 2 of 2 epochs; pass --epochs N with N > 2/);
  const none = await run('train', '--resume', dir);
  assert.match(none.stderr, /Nothing to resume in .*no checkpoint\/training_state\.json/);
  const other = await run('train', 'lenet5', '--resume', parts);
  assert.match(other.stderr, /is a run of lab-cnn, not lenet5/);
});
