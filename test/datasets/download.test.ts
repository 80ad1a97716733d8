import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { datasets } from '../../src/datasets/index.js';
import { listTree, makeTarGz, makeTinyCifar, makeTinyIdx, md5, rmrf, startServer, tempDir, withEnv, type TestServer } from './helpers.js';

// Each test file runs in its own process: keep the user's data settings out of it.
for (const v of ['CONVLAB_DATA', 'CONVLAB_CACHE', 'CONVLAB_DATASET_MIRROR']) delete process.env[v];

const tiny = makeTinyIdx(20, 10);
const cifar = makeTinyCifar(4, 3);
let archive: Uint8Array;
let server: TestServer;
const temps: string[] = [];

function freshCache(): string {
  const d = tempDir('convlab-cache-');
  temps.push(d);
  return d;
}

/** Options isolating a load from every local source but the given cache. */
function isolated(cacheDir: string, route: string, extra: Record<string, unknown> = {}) {
  return { cacheDir, systemDirs: [], baseUrl: `${server.url}/${route}/`, checksums: tiny.checksums, progress: false, ...extra };
}

before(async () => {
  archive = await makeTarGz({ ...cifar.batches, 'batches.meta.txt': 'a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n' });
  server = await startServer({ ...tiny.files, 'cifar-10-binary.tar.gz': archive });
});
after(async () => {
  await server.close();
  for (const d of temps) rmrf(d);
});

describe('download into the cache (local HTTP server)', { concurrency: false }, () => {
  test('downloads, verifies, installs into <cache>/<name>/ and then loads from the cache', async () => {
    await withEnv({ CONVLAB_DATA: undefined, CONVLAB_DATASET_MIRROR: undefined }, async () => {
      const cache = freshCache();
      const before = server.hits.length;
      const d = await datasets.mnist.loadData(isolated(cache, 'ok'));
      assert.deepEqual(d.train.images.shape, [20, 28, 28, 1]);
      assert.deepEqual(d.test.labels.shape, [10]);
      assert.deepEqual(Array.from(d.train.labels.data), Array.from(tiny.trainLabels));
      assert.match(d.source, /^downloaded from http:\/\/127\.0\.0\.1:\d+\/ok\/ into cache /);
      assert.equal(server.hits.length - before, 4);
      assert.deepEqual(listTree(cache), [
        'mnist',
        'mnist/t10k-images-idx3-ubyte.gz',
        'mnist/t10k-labels-idx1-ubyte.gz',
        'mnist/train-images-idx3-ubyte.gz',
        'mnist/train-labels-idx1-ubyte.gz',
      ]);
      const again = await datasets.mnist.loadData(isolated(cache, 'ok'));
      assert.equal(server.hits.length - before, 4, 'second load must not download');
      assert.equal(again.source, `cache ${path.join(cache, 'mnist')}`);
      assert.ok(again.notes.some((n) => /checksums verified for 4 file/.test(n)));
    });
  });

  test('CONVLAB_DATASET_MIRROR is a root holding <name>/<file>', async () => {
    const cache = freshCache();
    await withEnv({ CONVLAB_DATA: undefined, CONVLAB_DATASET_MIRROR: `${server.url}/ok` }, async () => {
      const d = await datasets.mnist.loadData({ cacheDir: cache, systemDirs: [], checksums: tiny.checksums, progress: false });
      assert.equal(d.train.count, 20);
    });
    assert.ok(server.hits.includes('/ok/mnist/train-images-idx3-ubyte.gz'));
  });

  test('checksum mismatch: error names the file, expected and actual checksums; nothing kept', async () => {
    const cache = freshCache();
    const wrong = { ...tiny.checksums, 'train-images-idx3-ubyte.gz': '0123456789abcdef0123456789abcdef' };
    await assert.rejects(
      datasets.mnist.loadData(isolated(cache, 'ok', { checksums: wrong })),
      (e: Error) => {
        assert.match(e.message, /Checksum mismatch for train-images-idx3-ubyte\.gz/);
        assert.match(e.message, /expected md5 0123456789abcdef0123456789abcdef/);
        assert.ok(e.message.includes(`found md5 ${md5(tiny.files['train-images-idx3-ubyte.gz'])}`), e.message);
        return true;
      },
    );
    assert.deepEqual(listTree(cache), ['mnist']);
  });

  test('truncated body (Content-Length larger than what is sent): error, no file kept', async () => {
    const cache = freshCache();
    await assert.rejects(datasets.mnist.loadData(isolated(cache, 'truncate')), (e: Error) => {
      assert.match(e.message, /train-images-idx3-ubyte\.gz/);
      assert.match(e.message, /interrupted after \d+ of \d+ bytes|truncated: received \d+ of \d+ bytes/);
      return true;
    });
    assert.deepEqual(listTree(cache), ['mnist']);
  });

  test('HTTP 500: error names the status and URL, no file kept', async () => {
    const cache = freshCache();
    await assert.rejects(datasets.mnist.loadData(isolated(cache, 'error500')), /HTTP 500 .*error500\/train-images-idx3-ubyte\.gz/);
    assert.deepEqual(listTree(cache), ['mnist']);
  });

  test('connection destroyed mid-body: no half file and no temp file in the cache', async () => {
    const cache = freshCache();
    await assert.rejects(datasets.mnist.loadData(isolated(cache, 'destroy')), /interrupted after \d+ of \d+ bytes/);
    assert.deepEqual(listTree(cache), ['mnist']);
  });

  test('a server that stops sending mid-body: the download fails after stallTimeout, naming the URL; nothing kept', async () => {
    const cache = freshCache();
    const started = Date.now();
    await assert.rejects(datasets.mnist.loadData(isolated(cache, 'stall', { stallTimeout: 300 })), (e: Error) => {
      assert.match(e.message, /download of http:\/\/127\.0\.0\.1:\d+\/stall\/train-images-idx3-ubyte\.gz was interrupted after \d+ of \d+ bytes: no data from the server for 0\.\d s/);
      return true;
    });
    assert.ok(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
    assert.deepEqual(listTree(cache), ['mnist']);
  });

  test('temp files left by a killed download are removed by the next download; live ones are kept', async () => {
    const cache = freshCache();
    const dir = path.join(cache, 'mnist');
    mkdirSync(dir, { recursive: true });
    const deadPid = spawnSync(process.execPath, ['-e', '0']).pid;
    const stale = `.convlab-download-train-images-idx3-ubyte.gz-${deadPid}-0123abcd.part`;
    const live = `.convlab-download-train-images-idx3-ubyte.gz-${process.ppid}-0123abcd.part`;
    writeFileSync(path.join(dir, stale), 'half');
    writeFileSync(path.join(dir, live), 'half');
    const d = await datasets.mnist.loadData(isolated(cache, 'ok'));
    assert.equal(d.train.count, 20);
    const left = listTree(cache);
    assert.ok(!left.includes(`mnist/${stale}`), left.join(', '));
    assert.ok(left.includes(`mnist/${live}`), left.join(', '));
  });

  test('unreachable server: the error still lists the places looked and how to get the data', async () => {
    const cache = freshCache();
    const closed = await startServer({});
    await closed.close(); // its port is now closed: connections are refused
    await assert.rejects(
      datasets.fashionMnist.loadData({ cacheDir: cache, systemDirs: [], baseUrl: `${closed.url}/`, progress: false }),
      (e: Error) => {
        assert.ok(e.message.includes(`download failed: could not connect to ${closed.url}/train-images-idx3-ubyte.gz`), e.message);
        assert.match(e.message, /ECONNREFUSED/);
        assert.match(e.message, /apt-get install dataset-fashion-mnist/);
        return true;
      },
    );
    assert.deepEqual(listTree(cache), ['fashion-mnist']);
  });

  test('CIFAR-10: downloads cifar-10-binary.tar.gz, verifies it and its members, decodes NHWC', async () => {
    const cache = freshCache();
    const checksums = { ...cifar.checksums, 'cifar-10-binary.tar.gz': md5(archive) };
    const d = await withEnv({ CONVLAB_DATA: undefined, CONVLAB_DATASET_MIRROR: undefined }, () =>
      datasets.cifar10.loadData({ cacheDir: cache, systemDirs: [], baseUrl: `${server.url}/ok`, checksums, progress: false }),
    );
    assert.deepEqual(d.train.images.shape, [20, 32, 32, 3]);
    assert.deepEqual(d.test.images.shape, [3, 32, 32, 3]);
    assert.deepEqual(Array.from(d.train.images.data.subarray(0, 3072 * 4)), Array.from(cifar.images['data_batch_1.bin']));
    assert.deepEqual(Array.from(d.train.images.data.subarray(3072 * 16)), Array.from(cifar.images['data_batch_5.bin']));
    assert.deepEqual(Array.from(d.test.labels.data), Array.from(cifar.labels['test_batch.bin']));
    assert.deepEqual(d.classNames, ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j']);
    assert.ok(d.notes.some((n) => /checksums verified for 6 file/.test(n)), d.notes.join('; '));
    assert.deepEqual(listTree(cache), ['cifar-10', 'cifar-10/cifar-10-binary.tar.gz']);
    assert.ok(existsSync(path.join(cache, 'cifar-10', 'cifar-10-binary.tar.gz')));
  });

  test('CIFAR-10 archive checksum mismatch: nothing kept', async () => {
    const cache = freshCache();
    const checksums = { ...cifar.checksums, 'cifar-10-binary.tar.gz': 'f'.repeat(32) };
    await assert.rejects(
      datasets.cifar10.loadData({ cacheDir: cache, systemDirs: [], baseUrl: `${server.url}/ok/`, checksums, progress: false }),
      new RegExp(`Checksum mismatch for cifar-10-binary\\.tar\\.gz .*expected md5 f{32} .*found md5 ${md5(archive)}`),
    );
    assert.deepEqual(listTree(cache), ['cifar-10']);
  });
});
