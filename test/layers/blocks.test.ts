import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Functional, input, layers, loadLayersModel, model, optimizers, setSeed, tensor, type SymbolicTensor, type Tensor } from '../../src/index.js';
import { noGrad } from '../../src/autograd/tape.js';
import { Random } from '../../src/utils/random.js';
import { maxAbsDiff } from '../io/helpers/data.js';
import { tfjs, tfjsHandlerFromDir } from '../io/helpers/tfjs.js';

/**
 * A MobileNetV2-style block (ZeroPadding2D, strided DepthwiseConv2D, ReLU6, BatchNormalization,
 * inverted residual with Add) and a ResNet-style block (Conv2D, BatchNormalization, ReLU, Add)
 * train a few steps, save and load in the TF.js format, and TF.js predicts the same.
 */

const root = mkdtempSync(join(tmpdir(), 'convlab-blocks-'));
after(() => rmSync(root, { recursive: true, force: true }));

function mobilenetV2Block(): Functional {
  const x = input({ shape: [9, 9, 3], name: 'image' });
  // Stem as Keras's MobileNetV2 builds it: pad right/bottom, then a strided 'valid' convolution.
  let h: SymbolicTensor = layers.zeroPadding2d({ padding: [[0, 1], [0, 1]], name: 'stem_pad' }).apply(x);
  h = layers.conv2d({ filters: 4, kernelSize: 3, strides: 2, useBias: false, name: 'stem_conv' }).apply(h);
  h = layers.batchNormalization({ name: 'stem_bn' }).apply(h);
  const stem = layers.reLU({ maxValue: 6, name: 'stem_relu' }).apply(h);
  // Inverted residual: expand 1x1, depthwise 3x3, project 1x1 (linear), add.
  h = layers.conv2d({ filters: 12, kernelSize: 1, useBias: false, name: 'expand' }).apply(stem);
  h = layers.batchNormalization({ name: 'expand_bn' }).apply(h);
  h = layers.reLU({ maxValue: 6, name: 'expand_relu' }).apply(h);
  h = layers.depthwiseConv2d({ kernelSize: 3, padding: 'same', useBias: false, name: 'depthwise' }).apply(h);
  h = layers.batchNormalization({ name: 'depthwise_bn' }).apply(h);
  h = layers.activation({ activation: 'relu6', name: 'depthwise_relu' }).apply(h);
  h = layers.conv2d({ filters: 4, kernelSize: 1, useBias: false, name: 'project' }).apply(h);
  h = layers.batchNormalization({ name: 'project_bn' }).apply(h);
  h = layers.add({ name: 'add' }).apply([stem, h]);
  h = layers.globalAveragePooling2d({ name: 'gap' }).apply(h);
  return model({ inputs: x, outputs: layers.dense({ units: 3, activation: 'softmax', name: 'classes' }).apply(h), name: 'mobilenet_v2_block' });
}

function resnetBlock(): Functional {
  const x = input({ shape: [8, 8, 3], name: 'image' });
  const stem = layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', name: 'stem' }).apply(x);
  let h = layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', useBias: false, name: 'conv1' }).apply(stem);
  h = layers.batchNormalization({ name: 'bn1' }).apply(h);
  h = layers.reLU({ name: 'relu1' }).apply(h);
  h = layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', useBias: false, name: 'conv2' }).apply(h);
  h = layers.batchNormalization({ name: 'bn2' }).apply(h);
  h = layers.add({ name: 'add' }).apply([stem, h]);
  h = layers.reLU({ name: 'relu2' }).apply(h);
  h = layers.globalMaxPooling2d({ name: 'gmp' }).apply(h);
  return model({ inputs: x, outputs: layers.dense({ units: 3, activation: 'softmax', name: 'classes' }).apply(h), name: 'resnet_block' });
}

function data(shape: number[], n: number, seed: number): { x: Tensor; y: Tensor } {
  const rng = new Random(seed);
  const size = shape.reduce((p, d) => p * d, 1);
  const ys = Array.from({ length: n }, () => rng.int(3));
  // Class-dependent brightness, so there is something to learn.
  const xs = Float32Array.from({ length: n * size }, (_, i) => rng.uniform(-1, 1) + ys[Math.floor(i / size)] * 0.5);
  return { x: tensor(xs, [n, ...shape]), y: tensor(ys, [n]) };
}

for (const [name, build, shape] of [['MobileNetV2-style block', mobilenetV2Block, [9, 9, 3]], ['ResNet-style block', resnetBlock, [8, 8, 3]]] as const) {
  describe(name, () => {
    it('trains a few steps, saves, loads bit-identically, and TF.js predicts the same', async () => {
      setSeed(11);
      const m = build();
      const { x, y } = data([...shape], 24, 3);
      m.compile({ optimizer: optimizers.adam({ learningRate: 0.01 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
      const before = m.getWeights().map((w) => Array.from(w.data));
      const history = await m.fit(x, y, { epochs: 4, batchSize: 8, verbose: 0 });
      const losses = history.history.loss as number[];
      assert.ok(losses.every(Number.isFinite), `losses ${losses}`);
      assert.ok(losses[losses.length - 1] < losses[0], `the loss fell: ${losses.map((l) => l.toFixed(4)).join(' → ')}`);
      const after = m.getWeights().map((w) => Array.from(w.data));
      // Every weight moved, batch-norm moving statistics included.
      after.forEach((w, i) => assert.notDeepEqual(w, before[i], `weight ${m.weights[i].name} did not change`));

      const dir = join(root, name.replace(/\W+/g, '-'));
      await m.save(dir);
      const loaded = await loadLayersModel<Functional>(dir);
      assert.deepEqual(loaded.layers.map((l) => l.className), m.layers.map((l) => l.className));
      assert.deepEqual(loaded.getWeights().map((w) => Array.from(w.data)), after);
      const ours = noGrad(() => m.predict(x).data);
      assert.deepEqual(Array.from(noGrad(() => loaded.predict(x).data)), Array.from(ours));

      const tf = await tfjs();
      const tfModel = await tf.loadLayersModel(tfjsHandlerFromDir(dir));
      const theirs = tf.tidy(() => (tfModel.predict(tf.tensor(x.data as Float32Array, [...x.shape])) as import('@tensorflow/tfjs').Tensor).dataSync());
      const diff = maxAbsDiff(ours, theirs);
      assert.ok(diff <= 1e-5, `max abs difference from TF.js ${diff}`);
      tfModel.dispose();
    });
  });
}
