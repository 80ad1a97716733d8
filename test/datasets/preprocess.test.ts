import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { tensor } from '../../src/tensor/tensor.js';
import { datasets, encodeIdx } from '../../src/datasets/index.js';
import { makeTinyCifar, makeTinyIdx } from './helpers.js';
import { gunzipSync } from 'node:zlib';

const images = tensor(Uint8Array.from({ length: 5 * 2 * 2 * 1 }, (_, i) => i * 10), [5, 2, 2, 1], 'uint8');
const labels = tensor(Uint8Array.of(0, 1, 2, 3, 4), [5], 'uint8');

describe('preprocessing helpers', () => {
  test('toFloat scales uint8 to float32 [0, 1], keeping the NHWC shape', () => {
    const f = datasets.toFloat(images);
    assert.equal(f.dtype, 'float32');
    assert.deepEqual(f.shape, [5, 2, 2, 1]);
    assert.ok(Math.abs(f.data[3] - 30 / 255) < 1e-7);
    const g = datasets.toFloat(images, { scale: 2 / 255, offset: -1 });
    assert.ok(Math.abs(g.data[0] + 1) < 1e-7);
  });

  test('normalizeBatch converts only the rows asked for', () => {
    const b = datasets.normalizeBatch(images, 1, 3);
    assert.deepEqual(b.shape, [2, 2, 2, 1]);
    assert.ok(Math.abs(b.data[0] - 40 / 255) < 1e-7);
    assert.throws(() => datasets.normalizeBatch(images, 4, 6), /rows \[4, 6\) out of range for 5 images/);
  });

  test('batches in order cover everything once; the last batch is smaller', () => {
    const got = [...datasets.batches(images, labels, { batchSize: 2 })];
    assert.deepEqual(got.map((b) => b.size), [2, 2, 1]);
    assert.deepEqual(got.flatMap((b) => Array.from(b.ys.data)), [0, 1, 2, 3, 4]);
    assert.deepEqual(got[2].xs.shape, [1, 2, 2, 1]);
    assert.equal([...datasets.batches(images, labels, { batchSize: 2, dropRemainder: true })].length, 2);
  });

  test('shuffled batches are a seeded permutation with images and labels kept together', () => {
    const a = [...datasets.batches(images, labels, { batchSize: 2, shuffle: true, seed: 7 })];
    const b = [...datasets.batches(images, labels, { batchSize: 2, shuffle: true, seed: 7 })];
    const order = a.flatMap((x) => Array.from(x.ys.data));
    assert.deepEqual(order, b.flatMap((x) => Array.from(x.ys.data)));
    assert.deepEqual([...order].sort(), [0, 1, 2, 3, 4]);
    for (const batch of a) {
      for (let k = 0; k < batch.size; k++) {
        // image i holds values 40*i .. 40*i+30, scaled
        assert.ok(Math.abs(batch.xs.data[k * 4] - (40 * batch.ys.data[k]) / 255) < 1e-6);
      }
    }
  });

  test('subset returns views of the first n examples', () => {
    const s = datasets.subset({ images, labels, count: 5 }, 2, 1);
    assert.deepEqual(s.images.shape, [2, 2, 2, 1]);
    assert.deepEqual(Array.from(s.labels.data), [1, 2]);
    assert.equal(s.images.data.buffer, images.data.buffer);
    assert.throws(() => datasets.subset({ images, labels, count: 5 }, 6), /out of range/);
  });
});

describe('fromFiles (browser path, fflate)', () => {
  test('builds an IDX dataset from gzipped or plain bytes', () => {
    const tiny = makeTinyIdx(8, 4);
    const files = { ...tiny.files };
    files['t10k-labels-idx1-ubyte'] = new Uint8Array(gunzipSync(files['t10k-labels-idx1-ubyte.gz']));
    delete files['t10k-labels-idx1-ubyte.gz'];
    const d = datasets.fashionMnist.fromFiles(files);
    assert.deepEqual(d.train.images.shape, [8, 28, 28, 1]);
    assert.deepEqual(Array.from(d.test.labels.data), [0, 1, 2, 3]);
    assert.throws(() => datasets.mnist.fromFiles({ 'x': encodeIdx([1], Uint8Array.of(1)) }), /fromFiles needs train-images-idx3-ubyte or train-images-idx3-ubyte\.gz/);
  });

  test('builds CIFAR-10 from batches', () => {
    const c = makeTinyCifar(2, 2);
    const d = datasets.cifar10.fromFiles(c.batches);
    assert.deepEqual(d.train.images.shape, [10, 32, 32, 3]);
    assert.deepEqual(Array.from(d.test.images.data), Array.from(c.images['test_batch.bin']));
  });
});
