/**
 * Fine-tuning as in Keras's transfer-learning guide: frozen layers and models keep their weights
 * bit for bit, a frozen BatchNormalization runs in inference mode (Keras 3), freezing can change
 * between fit calls, replaceHead keeps a trained base, and every zoo model takes inputShape and
 * numClasses.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { layers, replaceHead, sequential, setSeed, tensor, zoo, type Tensor } from '../src/index.js';

function data(n: number, seed: number): { x: Tensor; y: Tensor } {
  let s = seed;
  const rand = () => ((s = (s * 1103515245 + 12345) >>> 0) >>> 8) / 0x1000000;
  const x = Float32Array.from({ length: n * 8 * 8 * 2 }, rand);
  const y = Int32Array.from({ length: n }, (_, i) => (x[i * 128] > 0.5 ? 1 : 0) + (x[i * 128 + 1] > 0.5 ? 1 : 0));
  return { x: tensor(x, [n, 8, 8, 2]), y: tensor(y, [n]) };
}

const bits = (ts: Tensor[]) => ts.map((t) => Buffer.from((t.data as Float32Array).slice().buffer).toString('hex'));

function base() {
  return sequential({
    layers: [
      layers.conv2d({ filters: 4, kernelSize: 3, inputShape: [8, 8, 2], useBias: false }),
      layers.batchNormalization(),
      layers.activation({ activation: 'relu' }),
      layers.flatten(),
      layers.dense({ units: 6, activation: 'relu' }),
      layers.dense({ units: 3, activation: 'softmax' }),
    ],
  });
}

test('frozen layers keep every weight bit for bit, BatchNormalization included, and the head learns', async () => {
  setSeed(11);
  const model = base();
  const { x, y } = data(64, 5);
  for (const layer of model.layers.slice(0, 5)) layer.trainable = false;
  assert.equal(model.trainableWeights.length, 2, 'only the head: kernel and bias');
  assert.equal(model.nonTrainableWeights.length, model.weights.length - 2);
  model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
  const frozenBefore = bits(model.layers.slice(0, 5).flatMap((l) => l.getWeights()));
  const headBefore = bits(model.layers[5].getWeights());
  await model.fit(x, y, { epochs: 2, batchSize: 16, verbose: 0 });
  assert.deepEqual(bits(model.layers.slice(0, 5).flatMap((l) => l.getWeights())), frozenBefore, 'frozen weights and BN moving statistics unchanged');
  assert.notDeepEqual(bits(model.layers[5].getWeights()), headBefore, 'the head trained');

  // Unfrozen between fit calls: the base trains too, BN's moving averages move.
  model.trainable = true;
  assert.equal(model.trainableWeights.length, 1 + 2 + 2 + 2);
  await model.fit(x, y, { epochs: 1, batchSize: 16, verbose: 0 });
  const after = bits(model.layers.slice(0, 5).flatMap((l) => l.getWeights()));
  assert.notDeepEqual(after[0], frozenBefore[0], 'conv kernel trained');
  assert.notDeepEqual(after[3], frozenBefore[3], 'BN moving mean updated');
  model.trainable = false;
  assert.equal(model.trainableWeights.length, 0);
  assert.equal(model.trainable, false);
});

test('a frozen BatchNormalization computes in inference mode while training', () => {
  setSeed(2);
  const bn = layers.batchNormalization({ inputShape: [3] });
  const x = tensor(Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]), [4, 3]);
  const inference = Array.from(bn.apply(x, false).data);
  assert.notDeepEqual(Array.from(bn.apply(x, true).data), inference, 'trainable: batch statistics');
  bn.trainable = false;
  const frozenMean = Array.from(bn.getWeights()[2].data);
  assert.deepEqual(Array.from(bn.apply(x, true).data), Array.from(bn.apply(x, false).data));
  assert.deepEqual(Array.from(bn.getWeights()[2].data), frozenMean, 'moving mean not updated');
});

test('replaceHead keeps the trained base (shared, frozen) and adds a softmax for the new classes', async () => {
  setSeed(4);
  const trained = base();
  const model = replaceHead(trained, { numClasses: 2 });
  assert.deepEqual(model.outputShape, [null, 2]);
  assert.equal(model.layers[0], trained.layers[0]);
  assert.ok(model.layers.slice(0, 5).every((l) => !l.trainable));
  const { x, y } = data(32, 9);
  const binary = tensor(Int32Array.from(y.data as Int32Array, (v) => (v > 0 ? 1 : 0)), [32]);
  model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
  const before = bits(model.layers.slice(0, 5).flatMap((l) => l.getWeights()));
  await model.fit(x, binary, { epochs: 1, batchSize: 8, verbose: 0 });
  assert.deepEqual(bits(model.layers.slice(0, 5).flatMap((l) => l.getWeights())), before);
  // A base saved frozen is trained again when asked: freezeBase false unfreezes it.
  const again = replaceHead(model, { numClasses: 3, cut: 1, freezeBase: false });
  assert.ok(again.layers.slice(0, 5).every((l) => l.trainable));
  assert.throws(() => replaceHead(trained, { numClasses: 1 }), /numClasses must be an integer of at least 2/);
  assert.throws(() => replaceHead(trained, { numClasses: 3, cut: 6 }), /cut must be an integer from 1 to 5/);
});

test('zoo.create(name, { inputShape, numClasses }) works for every zoo model', () => {
  for (const name of zoo.names) {
    const model = zoo.create(name, { inputShape: [32, 32, 3], numClasses: 4 });
    assert.deepEqual(model.outputShape, [null, 4], name);
    const out = model.predict(tensor(new Float32Array(32 * 32 * 3).fill(0.5), [1, 32, 32, 3]));
    const sum = (out.data as Float32Array).reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(sum - 1) < 1e-5, `${name}: softmax sums to ${sum}`);
  }
});
