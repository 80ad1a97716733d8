import '../helpers/seeded_math_random.js'; // TF.js's unseeded initialisers, made the same every run
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { datasets, grads, layers, ops, sequential, setBackend, setSeed, tensor, type Tensor } from '../../src/index.js';
import { Random } from '../../src/utils/random.js';

/*
 * NaN and ±Infinity surface instead of being hidden. Activations (fused bias + ReLU included)
 * propagate NaN as TensorFlow, TF.js and PyTorch do, on both backends; max pooling returns the
 * first NaN of a window, as PyTorch does; fit, evaluate and predict refuse NaN/±Infinity inputs
 * and empty data with an error naming the tensor and the sample.
 */
const SPECIAL = [NaN, Infinity, -Infinity, -0, 0, -1.5, 2.5, 1e-30];
const BACKENDS = ['reference', 'wasm'] as const;

/** Plain arrays, so that every NaN compares equal whatever its bit pattern. */
const plain = (t: Tensor | tf.Tensor): number[] => Array.from((t instanceof tf.Tensor ? t.dataSync() : t.data) as Float32Array, (v) => v + 0);

before(async () => {
  await tf.setBackend('cpu');
});
after(async () => {
  await setBackend('wasm');
});

describe('NaN and ±Infinity through activations, as TF.js', () => {
  // Lengths past 4 and odd, so the wasm kernels' vector loops and scalar tails both see them.
  const values = [...SPECIAL, ...SPECIAL.slice().reverse(), NaN, -2, 3];
  const cases: Array<[string, (x: Tensor) => Tensor, (x: tf.Tensor) => tf.Tensor]> = [
    ['relu', ops.relu, tf.relu],
    ['elu', (x) => ops.elu(x, 1), tf.elu],
    ['leakyRelu', (x) => ops.leakyRelu(x, 0.2), (x) => tf.leakyRelu(x, 0.2)],
    ['sigmoid', ops.sigmoid, tf.sigmoid],
    ['tanh', ops.tanh, tf.tanh],
  ];
  for (const backend of BACKENDS) {
    for (const [name, ours, theirs] of cases) {
      it(`${name} on ${backend}`, async () => {
        await setBackend(backend);
        const got = plain(ours(tensor(new Float32Array(values), [values.length])));
        const want = plain(theirs(tf.tensor1d(values)));
        for (let i = 0; i < values.length; i++) {
          if (Number.isNaN(want[i])) assert.ok(Number.isNaN(got[i]), `${name}(${values[i]}) = ${got[i]}, TF.js gives NaN`);
          else assert.ok(Math.abs(got[i] - want[i]) <= 1e-6 * Math.max(1, Math.abs(want[i])) || got[i] === want[i], `${name}(${values[i]}) = ${got[i]}, TF.js gives ${want[i]}`);
        }
      });
    }

    it(`softmax rows holding NaN or ±Infinity on ${backend}`, async () => {
      await setBackend(backend);
      const rows = [[NaN, 1, 2], [Infinity, 1, 2], [-Infinity, 0, 1], [1, 2, 3]];
      const got = plain(ops.softmax(tensor(new Float32Array(rows.flat()), [4, 3])));
      const want = plain(tf.softmax(tf.tensor2d(rows)));
      got.forEach((v, i) => assert.ok(Number.isNaN(want[i]) ? Number.isNaN(v) : Math.abs(v - want[i]) < 1e-6, `softmax element ${i}: ${v}, TF.js ${want[i]}`));
    });

    it(`relu's gradient at NaN is the incoming gradient (as PyTorch's), not a hidden 0, on ${backend}`, async () => {
      await setBackend(backend);
      const x = tensor(new Float32Array(values), [values.length]);
      const [dx] = grads(() => ops.sum(ops.relu(x)), [x]);
      plain(dx).forEach((g, i) => assert.equal(g, values[i] <= 0 ? 0 : 1, `d relu at ${values[i]}: ${g}`));
    });

    it(`maximum and minimum propagate NaN on ${backend}`, async () => {
      await setBackend(backend);
      const a = [NaN, 1, NaN, -Infinity, 2, 0, 5, NaN, 1];
      const b = [1, NaN, NaN, 3, -Infinity, -0, 4, 2, NaN];
      for (const [ours, theirs] of [[ops.maximum, tf.maximum], [ops.minimum, tf.minimum]] as const) {
        const got = plain(ours(tensor(new Float32Array(a), [9]), tensor(new Float32Array(b), [9])));
        const want = plain(theirs(tf.tensor1d(a), tf.tensor1d(b)));
        got.forEach((v, i) => assert.ok(Number.isNaN(want[i]) ? Number.isNaN(v) : v === want[i], `${ours.name}(${a[i]}, ${b[i]}) = ${v}, TF.js ${want[i]}`));
      }
    });

    it(`a Conv2D layer with ReLU (fused bias + ReLU) keeps NaN where TF.js does, on ${backend}`, async () => {
      await setBackend(backend);
      setSeed(5);
      const conv = layers.conv2d({ filters: 6, kernelSize: 3, padding: 'same', activation: 'relu', inputShape: [5, 5, 2] });
      const model = sequential({ layers: [conv] });
      const rng = new Random(3);
      const x = new Float32Array(2 * 5 * 5 * 2).map(() => rng.uniform(-1, 1));
      x[7] = NaN;
      x[60] = Infinity;
      const got = plain(model.predict(tensor(x, [2, 5, 5, 2]), { checkFinite: false }));
      const [kernel, bias] = conv.getWeights();
      const want = plain(tf.relu(tf.add(tf.conv2d(tf.tensor4d(x, [2, 5, 5, 2]), tf.tensor4d(kernel.data as Float32Array, kernel.shape as [number, number, number, number]), 1, 'same'), tf.tensor1d(bias.data as Float32Array))));
      assert.ok(want.some(Number.isNaN), 'the case holds NaN outputs');
      got.forEach((v, i) => assert.ok(Number.isNaN(want[i]) ? Number.isNaN(v) : v === want[i] || Math.abs(v - want[i]) < 1e-5, `output ${i}: ${v}, TF.js ${want[i]}`));
    });

    it(`max pooling returns a window's first NaN (as PyTorch), else its maximum as TF.js, with the gradient on that cell, on ${backend}`, async () => {
      await setBackend(backend);
      const rng = new Random(9);
      for (const [h, w, c, size] of [[4, 4, 1, 2], [6, 6, 5, 2], [5, 7, 8, 3], [4, 6, 4, 2]] as const) {
        const x = new Float32Array(h * w * c).map(() => Math.floor(rng.uniform(-3, 3)));
        for (let i = 0; i < x.length; i += 5) x[i] = [NaN, Infinity, -Infinity][Math.floor(rng.uniform(0, 3))];
        const input = tensor(x, [1, h, w, c]);
        const got = plain(ops.maxPool(input, { poolSize: size, strides: size }));
        const noNaN = plain(tf.maxPool(tf.tensor4d(x.map((v) => (Number.isNaN(v) ? -Infinity : v)), [1, h, w, c]), size, size, 'valid'));
        const oh = Math.floor(h / size);
        const ow = Math.floor(w / size);
        for (let o = 0; o < oh * ow * c; o++) {
          const ch = o % c;
          const cell = Math.floor(o / c);
          const [r0, c0] = [Math.floor(cell / ow) * size, (cell % ow) * size];
          // The window's cells in scan order, as an independent check of "first NaN wins".
          const window: number[] = [];
          for (let r = r0; r < r0 + size; r++) for (let q = c0; q < c0 + size; q++) window.push(x[(r * w + q) * c + ch]);
          if (window.some(Number.isNaN)) assert.ok(Number.isNaN(got[o]), `window ${o} holds NaN, pooled ${got[o]}`);
          else assert.equal(got[o], noNaN[o], `window ${o}: ${got[o]}, TF.js ${noNaN[o]}`);
        }
        // The gradient goes to the first NaN of a window that holds one.
        const [dx] = grads(() => ops.sum(ops.maxPool(input, { poolSize: size, strides: size })), [input]);
        const g = plain(dx);
        for (let r = 0; r < oh * size; r += size) {
          for (let q = 0; q < ow * size; q += size) {
            for (let ch = 0; ch < c; ch++) {
              const cells: number[] = [];
              for (let rr = r; rr < r + size; rr++) for (let qq = q; qq < q + size; qq++) cells.push((rr * w + qq) * c + ch);
              const firstNaN = cells.find((i) => Number.isNaN(x[i]));
              if (firstNaN !== undefined) assert.deepEqual(cells.map((i) => g[i]), cells.map((i) => (i === firstNaN ? 1 : 0)), `gradient of a window with NaN at ${r},${q},${ch}`);
            }
          }
        }
      }
    });
  }
});

function smallModel() {
  setSeed(1);
  const model = sequential({ layers: [
    layers.conv2d({ filters: 3, kernelSize: 3, activation: 'relu', inputShape: [6, 6, 1] }),
    layers.flatten(),
    layers.dense({ units: 3, activation: 'softmax' }),
  ] });
  model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  return model;
}

describe('NaN data surfaces in fit, evaluate and predict', () => {
  const labels = tensor(new Int32Array(8).map((_, i) => i % 3), [8]);

  it('images that are all NaN: fit names the first sample instead of training "perfectly"', async () => {
    const model = smallModel();
    const x = tensor(new Float32Array(8 * 36).fill(NaN), [8, 6, 6, 1]);
    await assert.rejects(model.fit(x, labels, { epochs: 2, verbose: 0 }), /^Error: fit: x holds NaN at sample 0 \(element \[0, 0, 0, 0\] of shape \[8,6,6,1\]\); the data is corrupt or was not normalised\. Fix the data, or pass checkFinite: false/);
  });

  it('with checkFinite: false the NaN reaches the loss and the NaN-loss stop, as in Keras', async () => {
    const model = smallModel();
    const x = tensor(new Float32Array(8 * 36).fill(NaN), [8, 6, 6, 1]);
    await assert.rejects(model.fit(x, labels, { epochs: 2, verbose: 0, checkFinite: false }), /Training stopped: the loss became NaN at epoch 1, batch 1 of 1/);
  });

  it('one Infinity in one sample: fit, evaluate, predict and validationData name it', async () => {
    const model = smallModel();
    const data = new Float32Array(8 * 36).map((_, i) => (i % 7) / 7);
    data[5 * 36 + 14] = -Infinity;
    const x = tensor(data, [8, 6, 6, 1]);
    const clean = tensor(new Float32Array(8 * 36).fill(0.5), [8, 6, 6, 1]);
    const named = /holds -Infinity at sample 5 \(element \[5, 2, 2, 0\]/;
    await assert.rejects(model.fit(x, labels, { verbose: 0 }), new RegExp(`^Error: fit: x ${named.source}`));
    await assert.rejects(model.fit(clean, labels, { verbose: 0, validationData: [x, labels] }), new RegExp(`^Error: fit \\(validationData\\): x ${named.source}`));
    assert.throws(() => model.evaluate(x, labels, { verbose: 0 }), new RegExp(`^Error: evaluate: x ${named.source}`));
    assert.throws(() => model.predict(x), new RegExp(`^Error: predict: x ${named.source}`));
    // predict checks batch by batch: sample 5 is in the third batch of two.
    assert.throws(() => model.predict(x, { batchSize: 2 }), new RegExp(`^Error: predict: x ${named.source}`));
    assert.equal(model.predict(x, { checkFinite: false }).shape[0], 8);
  });

  it('NaN in one-hot targets is named too', async () => {
    setSeed(1);
    const model = sequential({ layers: [layers.dense({ units: 2, activation: 'softmax', inputShape: [3] })] });
    model.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy' });
    const y = tensor(new Float32Array([1, 0, 0, 1, NaN, 0]), [3, 2]);
    await assert.rejects(model.fit(tensor(new Float32Array(9), [3, 3]), y, { verbose: 0 }), /^Error: fit: y holds NaN at sample 2 \(element \[2, 0\]/);
  });
});

describe('empty data is an error, as in Keras', () => {
  it('fit, evaluate and predict with 0 samples', async () => {
    const model = smallModel();
    const x = tensor(new Float32Array(0), [0, 6, 6, 1]);
    const y = tensor(new Int32Array(0), [0]);
    await assert.rejects(model.fit(x, y, { verbose: 0 }), /^Error: fit: x has 0 samples \(shape \[0,6,6,1\]\); expected at least one$/);
    assert.throws(() => model.evaluate(x, y, { verbose: 0 }), /^Error: evaluate: x has 0 samples/);
    assert.throws(() => model.predict(x), /^Error: predict: x has 0 samples/);
    const some = tensor(new Float32Array(3 * 36), [3, 6, 6, 1]);
    await assert.rejects(model.fit(some, tensor(new Int32Array(3), [3]), { verbose: 0, validationData: [x, y] }), /^Error: fit \(validationData\): x has 0 samples/);
  });

  it('a dataset whose files hold 0 images', async () => {
    const { encodeIdx } = await import('../../src/datasets/index.js');
    const files = {
      'train-images-idx3-ubyte': encodeIdx([0, 28, 28], new Uint8Array(0)),
      'train-labels-idx1-ubyte': encodeIdx([0], new Uint8Array(0)),
      't10k-images-idx3-ubyte': encodeIdx([1, 28, 28], new Uint8Array(784)),
      't10k-labels-idx1-ubyte': encodeIdx([1], new Uint8Array(1)),
    };
    assert.throws(() => datasets.fashionMnist.fromFiles(files), /Fashion-MNIST: train-images-idx3-ubyte holds 0 images; expected at least one/);
  });
});
