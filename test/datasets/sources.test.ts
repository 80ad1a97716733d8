import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { datasets } from '../../src/datasets/index.js';
import { makeTinyCifar, makeTinyIdx, rmrf, tempDir, withEnv, type TinyIdx } from './helpers.js';

const root = tempDir('convlab-sources-');
after(() => rmrf(root));

/** Writes a tiny MNIST-format dataset (distinguishable by its train count) into `dir`. */
function writeTiny(dir: string, trainCount: number): TinyIdx {
  const t = makeTinyIdx(trainCount, 3, trainCount);
  mkdirSync(dir, { recursive: true });
  for (const [name, bytes] of Object.entries(t.files)) writeFileSync(path.join(dir, name), bytes);
  return t;
}

const copies = {
  dirDirect: writeTiny(path.join(root, 'direct'), 11),
  dirSub: writeTiny(path.join(root, 'withsub', 'mnist'), 12),
  env: writeTiny(path.join(root, 'envroot', 'mnist'), 13),
  cache: writeTiny(path.join(root, 'cache', 'mnist'), 14),
  envCache: writeTiny(path.join(root, 'envcache', 'mnist'), 15),
  system: writeTiny(path.join(root, 'system', 'mnist'), 16),
};
// The copies differ under the same file names, so each load passes the checksums of the copy
// it must find: finding any other copy would fail verification.
function opts(copy: TinyIdx, extra: Record<string, unknown>) {
  return { checksums: copy.checksums, download: false, progress: false, ...extra };
}

const base = { CONVLAB_DATA: undefined, CONVLAB_CACHE: undefined, CONVLAB_DATASET_MIRROR: undefined };

describe('sources are tried in order: dir, CONVLAB_DATA, cache, system', { concurrency: false }, () => {
  const allDirs = { cacheDir: path.join(root, 'cache'), systemDirs: [path.join(root, 'system')] };

  test('explicit dir, files directly in it', async () => {
    const d = await withEnv({ ...base, CONVLAB_DATA: path.join(root, 'envroot') }, () =>
      datasets.mnist.loadData(opts(copies.dirDirect, { dir: path.join(root, 'direct'), ...allDirs })),
    );
    assert.equal(d.train.count, 11);
    assert.equal(d.source, `dir option ${path.join(root, 'direct')}`);
  });

  test('explicit dir holding a mnist/ subfolder', async () => {
    const d = await withEnv(base, () => datasets.mnist.loadData(opts(copies.dirSub, { dir: path.join(root, 'withsub'), ...allDirs })));
    assert.equal(d.train.count, 12);
    assert.equal(d.source, `dir option ${path.join(root, 'withsub', 'mnist')}`);
  });

  test('CONVLAB_DATA root with a mnist/ subfolder beats the cache', async () => {
    const d = await withEnv({ ...base, CONVLAB_DATA: path.join(root, 'envroot') }, () => datasets.mnist.loadData(opts(copies.env, allDirs)));
    assert.equal(d.train.count, 13);
    assert.equal(d.source, `CONVLAB_DATA ${path.join(root, 'envroot', 'mnist')}`);
  });

  test('the cache (cacheDir option) beats the system copy', async () => {
    const d = await withEnv(base, () => datasets.mnist.loadData(opts(copies.cache, allDirs)));
    assert.equal(d.train.count, 14);
    assert.equal(d.source, `cache ${path.join(root, 'cache', 'mnist')}`);
  });

  test('CONVLAB_CACHE sets the cache root', async () => {
    const d = await withEnv({ ...base, CONVLAB_CACHE: path.join(root, 'envcache') }, () =>
      datasets.mnist.loadData(opts(copies.envCache, { systemDirs: allDirs.systemDirs })),
    );
    assert.equal(d.train.count, 15);
  });

  test('system dirs (overridable) come last', async () => {
    const d = await withEnv(base, () =>
      datasets.mnist.loadData(opts(copies.system, { cacheDir: path.join(root, 'empty-cache'), systemDirs: [path.join(root, 'nothing'), path.join(root, 'system')] })),
    );
    assert.equal(d.train.count, 16);
    assert.equal(d.source, `system copy ${path.join(root, 'system', 'mnist')}`);
  });

  test('a dir with some files missing is skipped and reported', async () => {
    const partial = path.join(root, 'partial');
    writeTiny(partial, 17);
    rmrf(path.join(partial, 't10k-labels-idx1-ubyte.gz'));
    const d = await withEnv(base, () => datasets.mnist.loadData(opts(copies.cache, { dir: partial, ...allDirs })));
    assert.equal(d.train.count, 14);
  });
});

describe('the "no source" error lists every place looked and how to get the data', () => {
  test('Fashion-MNIST: dir, CONVLAB_DATA, cache, system dirs, download, apt-get', async () => {
    const dir = path.join(root, 'nowhere');
    const env = path.join(root, 'env-nowhere');
    const cacheDir = path.join(root, 'cache-nowhere');
    const sys = [path.join(root, 'sys1'), path.join(root, 'sys2')];
    const partial = path.join(root, 'sys2', 'fashion-mnist');
    mkdirSync(partial, { recursive: true });
    writeFileSync(path.join(partial, 'train-images-idx3-ubyte.gz'), 'x');
    await withEnv({ ...base, CONVLAB_DATA: env }, async () => {
      await assert.rejects(datasets.fashionMnist.loadData({ dir, cacheDir, systemDirs: sys, download: false }), (e: Error) => {
        const m = e.message;
        assert.match(m, /^Fashion-MNIST is not available: no local copy was found and downloading is disabled\./);
        for (const p of [
          path.join(dir, 'fashion-mnist'),
          dir,
          path.join(env, 'fashion-mnist'),
          path.join(cacheDir, 'fashion-mnist'),
          path.join(sys[0], 'fashion-mnist'),
        ]) {
          assert.ok(m.includes(`  - ${p} (`), `missing ${p} in:\n${m}`);
        }
        assert.ok(m.includes(`${partial} (system copy): missing train-labels-idx1-ubyte[.gz], t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz]`), m);
        assert.match(m, /download: disabled \(download: false\)/);
        assert.match(m, /apt-get install dataset-fashion-mnist/);
        assert.ok(m.includes('https://storage.googleapis.com/tensorflow/tf-keras-datasets/train-images-idx3-ubyte.gz'), m);
        return true;
      });
    });
  });

  test('CIFAR-10: lists the places and the archive URL', async () => {
    await withEnv(base, async () => {
      const cacheDir = path.join(root, 'cache-nowhere');
      await assert.rejects(datasets.cifar10.loadData({ cacheDir, systemDirs: [], download: false }), (e: Error) => {
        assert.match(e.message, /^CIFAR-10 is not available/);
        assert.ok(e.message.includes('CONVLAB_DATA: not set'));
        assert.ok(e.message.includes(`${path.join(cacheDir, 'cifar-10')} (cache): no such directory`));
        assert.ok(e.message.includes('https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz'));
        return true;
      });
    });
  });
});

describe('CIFAR-10 directory layouts and the partial test option', () => {
  const c = makeTinyCifar(3, 2);
  const sums = { ...c.checksums };
  const dir = path.join(root, 'cifar-data', 'cifar-10', 'cifar-10-batches-bin');
  mkdirSync(dir, { recursive: true });
  for (const [n, b] of Object.entries(c.batches)) if (n !== 'test_batch.bin') writeFileSync(path.join(dir, n), b);
  writeFileSync(path.join(dir, 'test_batch_part.bin.gz'), gzipSync(c.batches['test_batch.bin'].subarray(0, 3073)));
  writeFileSync(path.join(dir, 'my_test.bin'), c.batches['test_batch.bin']);

  test('without the option: the error says the full test batch is missing and names the option', async () => {
    await withEnv(base, async () => {
      await assert.rejects(datasets.cifar10.loadData({ dir: path.join(root, 'cifar-data'), systemDirs: [], download: false, checksums: sums }), (e: Error) => {
        assert.ok(e.message.includes(`the full test batch test_batch.bin (10,000 records) is missing in ${dir}`), e.message);
        assert.match(e.message, /allowPartialTest: true/);
        assert.match(e.message, /testFile: 'test_batch_part\.bin\.gz'/);
        return true;
      });
    });
  });

  test('allowPartialTest picks the partial batch (cifar-10/cifar-10-batches-bin layout)', async () => {
    const d = await withEnv(base, () =>
      datasets.cifar10.loadData({ dir: path.join(root, 'cifar-data'), systemDirs: [], download: false, checksums: sums, allowPartialTest: true }),
    );
    assert.equal(d.train.count, 15);
    assert.equal(d.test.count, 1);
    assert.match(d.source, /test set: 1 record from test_batch_part\.bin\.gz/);
  });

  test('testFile names the test batch explicitly', async () => {
    const d = await withEnv(base, () =>
      datasets.cifar10.loadData({ dir: path.join(root, 'cifar-data'), systemDirs: [], download: false, checksums: sums, testFile: 'my_test.bin' }),
    );
    assert.equal(d.test.count, 2);
    assert.deepEqual(Array.from(d.test.images.data), Array.from(c.images['test_batch.bin']));
    await assert.rejects(
      datasets.cifar10.loadData({ dir: path.join(root, 'cifar-data'), systemDirs: [], download: false, checksums: sums, testFile: 'nope.bin' }),
      /testFile 'nope\.bin' was not found/,
    );
  });
});
