import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { input, model, sequential, layers, setSeed, setFloatX, Tensor, tensor, optimizers } from '../src/index.js';
import * as ops from '../src/ops/index.js';
import { Random } from '../src/utils/random.js';
import { checkGradients, randomTensor } from './helpers/gradcheck.js';

function residualModel() {
  const x = input({ shape: [8, 8, 3], name: 'image' });
  const stem = layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', name: 'stem' }).apply(x);
  const branch = layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', name: 'branch' }).apply(stem);
  const sum = layers.add({ name: 'skip' }).apply([stem, branch]);
  const pooled = layers.globalAveragePooling2d({ name: 'gap' }).apply(layers.activation({ activation: 'relu', name: 'act' }).apply(sum));
  const joined = layers.concatenate({ name: 'join' }).apply([pooled, layers.globalAveragePooling2d({ name: 'gap_stem' }).apply(stem)]);
  const out = layers.dense({ units: 3, activation: 'softmax', name: 'classes' }).apply(joined);
  return model({ inputs: x, outputs: out, name: 'resnet_toy' });
}

describe('the functional API (tf.input / tf.model)', () => {
  it('builds a residual graph with Keras shapes, parameters and connections', () => {
    const m = residualModel();
    const lines: string[] = [];
    m.summary((l) => lines.push(l));
    const text = lines.join('\n');
    assert.match(text, /Model: "resnet_toy"/);
    assert.match(text, / image \(InputLayer\)\s+\(None, 8, 8, 3\)\s+0/);
    assert.match(text, / skip \(Add\)\s+\(None, 8, 8, 4\)\s+0\s+stem, branch/);
    assert.match(text, / join \(Concatenate\)\s+\(None, 8\)\s+0\s+gap, gap_stem/);
    // stem 3*3*3*4+4 = 112, branch 3*3*4*4+4 = 148, classes 8*3+3 = 27
    assert.equal(m.countParams(), 112 + 148 + 27);
    assert.match(text, /Total params: 287/);
    assert.deepEqual(m.outputShape, [null, 3]);
  });

  it('trains with compile/fit like any model', async () => {
    setSeed(3);
    const m = residualModel();
    const rng = new Random(5);
    const n = 64;
    const x = new Float32Array(n * 8 * 8 * 3);
    const y = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      y[i] = i % 3;
      for (let j = 0; j < 192; j++) x[i * 192 + j] = rng.normal() * 0.3 + (j % 3 === y[i] ? 1 : 0);
    }
    m.compile({ optimizer: optimizers.adam({ learningRate: 0.02 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const h = await m.fit(tensor(x, [n, 8, 8, 3]), tensor(y, [n]), { epochs: 15, batchSize: 16, verbose: 0 });
    assert.ok(h.history.loss[14] < h.history.loss[0] * 0.5, `loss ${h.history.loss}`);
    assert.ok(h.history.accuracy[14] > 0.9, `accuracy ${h.history.accuracy[14]}`);
  });

  it('a chain of layers gives the same predictions as the Sequential model with the same weights', () => {
    const x = input({ shape: [6, 6, 2] });
    const conv = layers.conv2d({ filters: 3, kernelSize: 3, activation: 'tanh' });
    const dense = layers.dense({ units: 4, activation: 'softmax' });
    const graph = model({ inputs: x, outputs: dense.apply(layers.flatten().apply(layers.maxPooling2d({ poolSize: 2 }).apply(conv.apply(x)))) });
    const stack = sequential({ layers: [layers.conv2d({ filters: 3, kernelSize: 3, activation: 'tanh', inputShape: [6, 6, 2] }), layers.maxPooling2d({ poolSize: 2 }), layers.flatten(), layers.dense({ units: 4, activation: 'softmax' })] });
    stack.setWeights(graph.getWeights());
    const batch = randomTensor([5, 6, 6, 2], new Random(1));
    const xs = new Tensor(Float32Array.from(batch.data), batch.shape);
    assert.deepEqual(Array.from(graph.predict(xs).data), Array.from(stack.predict(xs).data));
  });

  it('add and concatenate pass gradients correctly (float64 finite differences)', () => {
    setFloatX('float64');
    try {
      const rng = new Random(2);
      const a = randomTensor([2, 3], rng);
      const b = randomTensor([2, 3], rng);
      const c = randomTensor([2, 2], rng);
      const w = randomTensor([2, 5], rng);
      const addLayer = layers.add();
      const cat = layers.concatenate();
      checkGradients('add + concatenate', () => ops.sum(ops.mul(cat.applyTensors([addLayer.applyTensors([a, b], true), c], true), w)), [a, b, c]);
    } finally {
      setFloatX('float32');
    }
  });

  it('explains graph mistakes', () => {
    const x = input({ shape: [4] });
    const other = input({ shape: [4] });
    const h = layers.dense({ units: 2 }).apply(x);
    assert.throws(() => layers.add().apply([h, layers.dense({ units: 3 }).apply(x)]), /Add\): inputs must have the same shape, received \(None, 2\), \(None, 3\)/);
    assert.throws(() => model({ inputs: x, outputs: layers.dense({ units: 1 }).apply(other) }), /depends on input 'input(_\d+)?', which is not the model's input/);
    assert.throws(() => model({ inputs: [x, x], outputs: h }), /input 'input(_\d+)?' is listed twice/);
    assert.throws(() => layers.conv2d({ filters: 1, kernelSize: 1 }).apply(x), /must have rank 4/);
    assert.throws(() => input({ shape: [0, 3] }), /shape must be an array of positive integers/);
    assert.throws(() => residualModel().predict(tensor(new Float32Array(8 * 8), [1, 8, 8, 1])), /Input 'image' of model 'resnet_toy' is incompatible: expected shape \(None, 8, 8, 3\), received \(None, 8, 8, 1\)/);
  });
});

describe('test-time flip averaging', () => {
  it('averages the predictions for each image and its mirror', () => {
    const m = residualModel();
    const rng = new Random(9);
    const x = randomTensor([3, 8, 8, 3], rng);
    const xs = new Tensor(Float32Array.from(x.data), x.shape);
    const mirrored = new Float32Array(xs.size);
    for (let b = 0; b < 3; b++)
      for (let r = 0; r < 8; r++)
        for (let c = 0; c < 8; c++)
          for (let ch = 0; ch < 3; ch++) mirrored[((b * 8 + r) * 8 + c) * 3 + ch] = xs.data[((b * 8 + r) * 8 + (7 - c)) * 3 + ch];
    const plain = m.predict(xs).data;
    const flipped = m.predict(new Tensor(mirrored, xs.shape)).data;
    const averaged = m.predict(xs, { flipAverage: true, batchSize: 2 }).data;
    for (let i = 0; i < plain.length; i++) assert.ok(Math.abs(averaged[i] - (plain[i] + flipped[i]) / 2) < 1e-6);
    assert.throws(() => m.predict(xs.reshape([3, 192]) as Tensor, { flipAverage: true }), /incompatible|flipAverage needs images/);
  });
});
