/**
 * The CLI on Python Keras files: summary, convert (.keras, .h5, TF.js, any direction), export,
 * and evaluate with the notebook's preprocessing (--scale, --standardize) on the real files in
 * ../shared/keras-models when they are beside the clone.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { loadLayersModel, setSeed } from '../../src/index.js';
import { zoo } from '../../src/zoo/index.js';
import { repoRoot, rmrf, run, tempDir } from './helpers.js';

const dir = tempDir();
after(() => rmrf(dir));
const shared = path.resolve(repoRoot, '../shared');
const noShared = existsSync(path.join(shared, 'keras-models')) ? false : 'no ../shared/keras-models beside the clone';

test('convert goes .keras -> .h5 -> TF.js -> .keras with the same weights; summary and export read Keras files', async () => {
  setSeed(2);
  const model = zoo.create('cifar-cnn-bn');
  const first = path.join(dir, 'm.keras');
  await model.save(first);
  const steps: [string, string][] = [[first, path.join(dir, 'm.h5')], [path.join(dir, 'm.h5'), path.join(dir, 'm-tfjs')], [path.join(dir, 'm-tfjs'), path.join(dir, 'again.keras')]];
  for (const [from, to] of steps) {
    const r = await run('convert', from, to);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Wrote .* \((Keras 3 \.keras|Keras 2 \.h5|TF\.js model directory); \d+ layers, [\d,]+ params\)/);
  }
  const back = await loadLayersModel(path.join(dir, 'again.keras'));
  model.weights.forEach((w, i) => assert.deepEqual(back.weights[i].value.data, w.value.data));
  const summary = await run('summary', path.join(dir, 'm.h5'));
  assert.equal(summary.code, 0, summary.stderr);
  assert.match(summary.stdout, new RegExp(`Total params: ${model.countParams().toLocaleString('en-US')}`));
  const onnx = await run('export', path.join(dir, 'm.keras'), '--onnx', path.join(dir, 'm.onnx'));
  assert.equal(onnx.code, 0, onnx.stderr);
});

test('a file that is not a model is refused with the reason', async () => {
  const r = await run('summary', path.join(repoRoot, 'package.json'));
  assert.equal(r.code, 1);
  assert.match(r.stderr, /convlab: error: /);
});

test('evaluate reproduces model.evaluate of the shared notebooks (--scale 1 for raw pixels)', { skip: noShared }, async () => {
  const lenet = path.join(shared, 'keras-models/38-jambrr-lenet-5-lenet.keras');
  const r = await run('evaluate', lenet, '--dataset', 'mnist', '--data-dir', path.join(shared, 'datasets/mnist'), '--scale', '1', '--test-limit', '2000', '--no-plots', '--quiet');
  assert.equal(r.code, 0, r.stderr);
  const accuracy = (out: string) => Number(/test accuracy: (\d\.\d+) \(2000 images\)/.exec(out)?.[1] ?? NaN);
  assert.ok(accuracy(r.stdout) > 0.95, `printed: ${r.stdout}`);
  // The same file on /255 pixels (the wrong preprocessing for it) does much worse.
  const wrong = await run('evaluate', lenet, '--dataset', 'mnist', '--data-dir', path.join(shared, 'datasets/mnist'), '--test-limit', '2000', '--no-plots', '--quiet');
  assert.equal(wrong.code, 0, wrong.stderr);
  assert.ok(accuracy(wrong.stdout) < 0.9, `printed: ${wrong.stdout}`);
});

test('evaluate --standardize needs and uses the training set (CIFAR-10 ResNet-20)', { skip: noShared }, async () => {
  const resnet = path.join(shared, 'keras-models/15-bhartiansh-cnn_pruning_cifar10-baseline_resnet20.h5');
  const r = await run('evaluate', resnet, '--dataset', 'cifar10', '--data-dir', path.join(shared, 'datasets/cifar-10'), '--standardize', '--test-limit', '200', '--no-plots', '--quiet');
  assert.equal(r.code, 0, r.stderr);
  const accuracy = Number(/test accuracy: (\d\.\d+) \(200 images\)/.exec(r.stdout)?.[1] ?? NaN);
  assert.ok(accuracy > 0.85, `printed: ${r.stdout}`);
});
