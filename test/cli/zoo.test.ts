import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tensor } from '../../src/tensor/tensor.js';
import { zoo } from '../../src/zoo/index.js';

const expected: Record<string, { params: number; output: (number | null)[] }> = {
  'lab-mlp': { params: 48_000_100, output: [null, 100] },
  'lab-conv': { params: 2_800, output: [null, 798, 598, 100] },
  'lab-conv-pool': { params: 2_800, output: [null, 399, 299, 100] },
  'lab-cnn': { params: 118_980, output: [null, 10] },
  lenet5: { params: 61_706, output: [null, 10] },
  'lenet5-classic': { params: 61_706, output: [null, 10] },
  'cifar-cnn': { params: 1_250_858, output: [null, 10] },
  'cifar-cnn-bn': { params: 1_251_434, output: [null, 10] },
  'fashion-vgg': { params: 391_850, output: [null, 10] },
  'cifar-vgg': { params: 392_426, output: [null, 10] },
};

test('every zoo model has the documented parameter count and output shape', () => {
  assert.deepEqual([...zoo.names].sort(), Object.keys(expected).sort());
  for (const name of zoo.names) {
    const model = zoo.create(name);
    assert.equal(model.countParams(), expected[name].params, name);
    assert.deepEqual(model.outputShape, expected[name].output, name);
  }
});

test('lab-cnn matches the lab\'s summary layer by layer', () => {
  const model = zoo.labCnn();
  assert.deepEqual(model.outputShapes(), [[null, 28, 28, 5], [null, 14, 14, 5], [null, 980], [null, 120], [null, 10]]);
  assert.deepEqual(model.layers.map((l) => l.countParams()), [50, 0, 0, 117720, 1210]);
});

test('lenet5 follows LeCun 1998 as adapted to 28x28; the classic variant uses tanh and average pooling', () => {
  const m = zoo.lenet5();
  assert.deepEqual(m.outputShapes(), [[null, 28, 28, 6], [null, 14, 14, 6], [null, 10, 10, 16], [null, 5, 5, 16], [null, 1, 1, 120], [null, 120], [null, 84], [null, 10]]);
  assert.deepEqual(m.layers.map((l) => l.className), ['Conv2D', 'MaxPooling2D', 'Conv2D', 'MaxPooling2D', 'Conv2D', 'Flatten', 'Dense', 'Dense']);
  const c = zoo.lenet5Classic();
  assert.deepEqual(c.layers.map((l) => l.className), ['Conv2D', 'AveragePooling2D', 'Conv2D', 'AveragePooling2D', 'Conv2D', 'Flatten', 'Dense', 'Dense']);
  assert.equal((c.layers[0] as unknown as { activation: string }).activation, 'tanh');
  assert.equal((m.layers[0] as unknown as { activation: string }).activation, 'relu');
});

test('classifiers adapt to another input shape and class count; each call returns a fresh model', () => {
  const m = zoo.create('lenet5', { inputShape: [32, 32, 3], numClasses: 5 });
  assert.deepEqual(m.inputShape, [null, 32, 32, 3]);
  assert.deepEqual(m.outputShape, [null, 5]);
  const a = zoo.labCnn();
  const b = zoo.labCnn();
  assert.notEqual(a.layers[0], b.layers[0]);
  assert.notDeepEqual(Array.from(a.getWeights()[0].data), Array.from(b.getWeights()[0].data));
});

test('unknown names and impossible options are refused with the valid choices', () => {
  assert.throws(() => zoo.create('lenet6'), /Unknown model 'lenet6'; the zoo has: lab-mlp, .*lenet5/);
  assert.throws(() => zoo.create('lab-conv', { inputShape: [28, -1, 1] }), /inputShape must be positive integers/);
  assert.throws(() => zoo.create('lenet5', { numClasses: 1 }), /numClasses must be an integer of at least 2/);
  for (const e of zoo.entries) assert.ok(e.source.length > 10 && e.description.length > 10, e.name);
});

test('the recipes augment while training only, and carry their training settings', () => {
  const augmentation: Record<string, string[]> = { 'fashion-vgg': ['RandomFlip', 'Conv2D'], 'cifar-vgg': ['RandomFlip', 'RandomTranslation'] };
  for (const name of ['fashion-vgg', 'cifar-vgg']) {
    const entry = zoo.entry(name);
    const model = zoo.create(name);
    assert.deepEqual(model.layers.slice(0, 2).map((l) => l.className), augmentation[name], name);
    const x = tensor(Float32Array.from({ length: 2 * entry.inputShape.reduce((a, b) => a * b) }, (_, i) => (i % 7) / 7), [2, ...entry.inputShape]);
    assert.deepEqual(Array.from(model.predict(x).data), Array.from(model.predict(x).data), `${name}: inference is deterministic`);
    assert.equal(entry.train?.schedule, 'one-cycle');
    assert.equal(entry.train?.flipAverage, true);
  }
  assert.equal(zoo.entry('cifar-vgg').train?.validationSplit, 0.1, 'CIFAR-10 holds out 5,000 training images');
});
