import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { datasets } from '../../src/datasets/index.js';
import { rmrf, sharedDatasets, skipUnless, tempDir, withEnv } from './helpers.js';

const DIR = path.join(sharedDatasets, 'cifar-10');
const skip = skipUnless(DIR, 'shared CIFAR-10');
const cache = tempDir('convlab-cifar-cache-');
const env = { CONVLAB_DATA: undefined, CONVLAB_CACHE: cache, CONVLAB_DATASET_MIRROR: undefined };
after(() => rmrf(cache));

/** Checks image `i` of `images` (NHWC) against record `r` of a raw batch, pixel by pixel. */
function assertImageMatchesRecord(images: Uint8Array, i: number, raw: Uint8Array, r: number): void {
  const rec = r * 3073;
  for (let y = 0; y < 32; y++) {
    for (let x = 0; x < 32; x++) {
      for (let ch = 0; ch < 3; ch++) {
        const got = images[i * 3072 + (y * 32 + x) * 3 + ch];
        const want = raw[rec + 1 + ch * 1024 + y * 32 + x];
        if (got !== want) assert.fail(`image ${i} pixel (y=${y}, x=${x}, c=${ch}): ${got} !== ${want}`);
      }
    }
  }
}

describe('CIFAR-10 from the shared directory (partial test set)', { skip }, () => {
  test('without the option: error says the full test batch is missing and names the option', async () => {
    await withEnv(env, async () => {
      await assert.rejects(datasets.cifar10.loadData({ dir: DIR, systemDirs: [], download: false }), (e: Error) => {
        assert.match(e.message, /the full test batch test_batch\.bin \(10,000 records\) is missing/);
        assert.ok(e.message.includes(DIR));
        assert.match(e.message, /allowPartialTest: true/);
        assert.match(e.message, /testFile: 'test_batch_first1000\.bin\.gz'/);
        return true;
      });
    });
  });

  test('allowPartialTest: 50,000 verified training images, 1,000 test records, official layout', async () => {
    const d = await withEnv(env, () => datasets.cifar10.loadData({ dir: DIR, systemDirs: [], download: false, allowPartialTest: true }));
    assert.deepEqual(d.train.images.shape, [50000, 32, 32, 3]);
    assert.deepEqual(d.train.labels.shape, [50000]);
    assert.deepEqual(d.test.images.shape, [1000, 32, 32, 3]);
    assert.equal(d.train.images.dtype, 'uint8');
    assert.equal(d.test.count, 1000);
    assert.match(d.source, /test set: 1,000 records from test_batch_first1000\.bin\.gz/);
    assert.ok(d.notes.some((n) => n.includes('read 1,000 of 10,000 official test records')), d.notes.join('; '));
    assert.ok(d.notes.includes('checksums verified for 6 file(s)'), d.notes.join('; '));
    assert.deepEqual(d.classNames, ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck']);

    const counts = new Array<number>(10).fill(0);
    for (const l of d.train.labels.data) counts[l]++;
    assert.deepEqual(counts, new Array(10).fill(5000));

    // Independent read of the official bytes.
    const raw1 = new Uint8Array(gunzipSync(readFileSync(path.join(DIR, 'data_batch_1.bin.gz'))));
    const labels10 = Array.from({ length: 10 }, (_, r) => raw1[r * 3073]);
    assert.deepEqual(Array.from(d.train.labels.data.subarray(0, 10)), labels10);
    assert.deepEqual(labels10, [6, 9, 9, 4, 1, 1, 2, 7, 8, 3]);
    assertImageMatchesRecord(d.train.images.data as Uint8Array, 0, raw1, 0);
    assertImageMatchesRecord(d.train.images.data as Uint8Array, 9999, raw1, 9999);
    const raw5 = new Uint8Array(gunzipSync(readFileSync(path.join(DIR, 'data_batch_5.bin.gz'))));
    assertImageMatchesRecord(d.train.images.data as Uint8Array, 49999, raw5, 9999);
    assert.equal(d.train.labels.data[40000], raw5[0]);
    const rawTest = new Uint8Array(gunzipSync(readFileSync(path.join(DIR, 'test_batch_first1000.bin.gz'))));
    assertImageMatchesRecord(d.test.images.data as Uint8Array, 0, rawTest, 0);
    assert.deepEqual(Array.from(d.test.labels.data.subarray(0, 10)), Array.from({ length: 10 }, (_, r) => rawTest[r * 3073]));
    // tensor.get uses NHWC indices.
    assert.equal(d.train.images.get(0, 0, 0, 1), raw1[1 + 1024]);

    // The per-batch helper never needs the whole set as float32.
    const first = datasets.normalizeBatch(d.train.images, 0, 2);
    assert.deepEqual(first.shape, [2, 32, 32, 3]);
    assert.equal(first.dtype, 'float32');
    assert.ok(Math.abs(first.data[0] - raw1[1] / 255) < 1e-7);
  });
});
