import assert from 'node:assert/strict';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { datasets, FASHION_MNIST_CLASS_NAMES, type LoadedDataset } from '../../src/datasets/index.js';
import { listTree, rmrf, sharedDatasets, skipUnless, tempDir, withEnv } from './helpers.js';

const SYSTEM_DIR = '/usr/share/datasets/fashion-mnist';
const SHARED_DIR = path.join(sharedDatasets, 'fashion-mnist');
const cache = tempDir('convlab-fmnist-cache-');
after(() => rmrf(cache));

function classCounts(labels: Uint8Array): number[] {
  const c = new Array<number>(10).fill(0);
  for (const l of labels) c[l]++;
  return c;
}

function checkFashion(d: LoadedDataset): void {
  assert.equal(d.name, 'fashion-mnist');
  assert.deepEqual(d.train.images.shape, [60000, 28, 28, 1]);
  assert.deepEqual(d.test.images.shape, [10000, 28, 28, 1]);
  assert.deepEqual(d.train.labels.shape, [60000]);
  assert.deepEqual(d.test.labels.shape, [10000]);
  for (const t of [d.train.images, d.train.labels, d.test.images, d.test.labels]) {
    assert.equal(t.dtype, 'uint8');
    assert.ok(t.data instanceof Uint8Array);
  }
  assert.equal(d.train.count, 60000);
  assert.equal(d.test.count, 10000);
  assert.deepEqual(classCounts(d.train.labels.data as Uint8Array), new Array(10).fill(6000));
  assert.deepEqual(classCounts(d.test.labels.data as Uint8Array), new Array(10).fill(1000));
  assert.deepEqual(d.classNames, ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot']);
  assert.deepEqual(d.classNames, [...FASHION_MNIST_CLASS_NAMES]);
  assert.ok(d.notes.includes('checksums verified for 4 file(s)'), d.notes.join('; '));
  // The official first training labels: Ankle boot, T-shirt/top, T-shirt/top, Dress, T-shirt/top.
  assert.deepEqual(Array.from(d.train.labels.data.subarray(0, 5)), [9, 0, 0, 3, 0]);
}

let fromSystem: LoadedDataset | undefined;

describe('Fashion-MNIST', { concurrency: false }, () => {
  test('loadData() with no arguments finds the Debian package copy', { skip: skipUnless(SYSTEM_DIR, 'Debian package dataset-fashion-mnist (apt-get install dataset-fashion-mnist)') }, async () => {
    const d = await withEnv({ CONVLAB_DATA: undefined, CONVLAB_CACHE: cache, CONVLAB_DATASET_MIRROR: undefined }, () => datasets.fashionMnist.loadData());
    assert.equal(d.source, `system copy ${SYSTEM_DIR}`);
    checkFashion(d);
    assert.deepEqual(listTree(cache), [], 'nothing is written to the cache');
    fromSystem = d;
  });

  test('loadData({ dir }) reads the official files from a directory', { skip: skipUnless(SHARED_DIR, 'shared Fashion-MNIST') }, async () => {
    const d = await withEnv({ CONVLAB_DATA: undefined, CONVLAB_CACHE: cache }, () => datasets.fashionMnist.loadData({ dir: SHARED_DIR, download: false }));
    assert.equal(d.source, `dir option ${SHARED_DIR}`);
    checkFashion(d);
    if (fromSystem) {
      // Debian re-gzips the files: verified by uncompressed sha256, same pixels.
      assert.ok(Buffer.from(d.train.images.data).equals(Buffer.from(fromSystem.train.images.data)));
      assert.ok(Buffer.from(d.test.images.data).equals(Buffer.from(fromSystem.test.images.data)));
    }
  });
});
