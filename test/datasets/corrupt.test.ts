import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { datasets, encodeIdx, gunzip, parseBatchesMeta, parseCifarBatch, parseIdxImages, parseIdxLabels } from '../../src/datasets/index.js';
import { makeTinyCifar, makeTinyIdx, md5, rmrf, sha256, tempDir } from './helpers.js';

// Each test file runs in its own process: keep the user's data settings out of it.
for (const v of ['CONVLAB_DATA', 'CONVLAB_CACHE', 'CONVLAB_DATASET_MIRROR']) delete process.env[v];

const temps: string[] = [];
after(() => temps.forEach(rmrf));

/** Writes a tiny MNIST-format dataset into a fresh dir, with `replace` substituted, and loads it. */
async function loadIdxWith(replace: Record<string, Uint8Array>, opts: { gz?: boolean; verify?: boolean } = {}) {
  const tiny = makeTinyIdx(6, 4);
  const dir = tempDir();
  temps.push(dir);
  const checksums: Record<string, string> = { ...tiny.checksums };
  for (const [name, gzBytes] of Object.entries(tiny.files)) {
    const raw = name.replace(/\.gz$/, '');
    if (replace[raw]) {
      const bytes = opts.gz ? new Uint8Array(gzipSync(replace[raw])) : replace[raw];
      const file = opts.gz ? name : raw;
      writeFileSync(path.join(dir, file), bytes);
      // Keep checksums consistent so the format checks are what fails.
      checksums[file] = opts.gz ? md5(bytes) : sha256(bytes);
      checksums[raw] = sha256(replace[raw]);
    } else {
      writeFileSync(path.join(dir, name), gzBytes);
    }
  }
  const file = (raw: string) => path.join(dir, opts.gz ? `${raw}.gz` : raw);
  const load = () => datasets.mnist.loadData({ dir, systemDirs: [], download: false, checksums, verify: opts.verify });
  return { dir, file, load };
}

function header(magic: number[], dims: number[], payload = 0): Uint8Array {
  const b = new Uint8Array(4 + 4 * dims.length + payload);
  b.set(magic, 0);
  const v = new DataView(b.buffer);
  dims.forEach((d, i) => v.setUint32(4 + 4 * i, d));
  return b;
}

describe('IDX parser errors name the file, the expectation and what was found', () => {
  test('bad magic number', () => {
    assert.throws(() => parseIdxImages(new Uint8Array([1, 2, 3, 4, 0, 0, 0, 0]), 'x-idx3-ubyte'), /x-idx3-ubyte: not an IDX file: expected magic number 0x00000803, found 0x01020304/);
    assert.throws(() => parseIdxLabels(header([0, 0, 8, 3], [1, 1, 1], 1), 'y-idx1-ubyte'), /y-idx1-ubyte: expected IDX magic number 0x00000801 \(1 dimension\), found 0x00000803 \(3 dimensions\)/);
    assert.throws(() => parseIdxImages(header([0, 0, 0x0d, 3], [1, 1, 1], 4), 'f'), /f: expected IDX magic number 0x00000803 \(unsigned bytes\), found 0x00000d03 \(type 0x0d, float32\)/);
    assert.throws(() => parseIdxImages(new Uint8Array(0), 'empty'), /empty: not an IDX file: expected magic number 0x00000803, found 0 byte\(s\)/);
    assert.throws(() => parseIdxImages(new Uint8Array(gzipSync(Buffer.from('x'))), 'g'), /g: expected IDX magic number 0x00000803, found gzip data/);
  });

  test('a header claiming 10^9 images in a 1 KB file is an error, not an allocation', () => {
    const b = header([0, 0, 8, 3], [1_000_000_000, 28, 28], 1000);
    assert.throws(() => parseIdxImages(b, 'big-idx3-ubyte'), /big-idx3-ubyte: IDX header declares dimensions \[1000000000, 28, 28\], i\.e\. 784,000,000,016 bytes .* but the file has 1,016 bytes \(truncated or header corrupt\)/);
  });

  test('more items claimed than bytes, trailing bytes, truncated header', () => {
    assert.throws(() => parseIdxLabels(header([0, 0, 8, 1], [10], 9), 'l'), /l: IDX header declares dimensions \[10\], i\.e\. 18 bytes .* but the file has 17 bytes \(truncated/);
    assert.throws(() => parseIdxLabels(header([0, 0, 8, 1], [10], 11), 'l'), /file has 19 bytes \(unexpected trailing bytes\)/);
    assert.throws(() => parseIdxImages(new Uint8Array([0, 0, 8, 3, 0, 0]), 'h'), /h: truncated IDX header: expected 16 bytes, found 6/);
  });

  test('wrong image dimensions and counts', () => {
    const img = encodeIdx([2, 27, 28], new Uint8Array(2 * 27 * 28));
    assert.throws(() => parseIdxImages(img, 'i', { rows: 28, cols: 28 }), /i: expected 28x28 images, found 27x28/);
    assert.throws(() => parseIdxImages(encodeIdx([2, 28, 28], new Uint8Array(2 * 784)), 'i', { count: 60000 }), /i: expected 60,000 images, found 2/);
  });

  test('label out of range', () => {
    assert.throws(() => parseIdxLabels(encodeIdx([3], Uint8Array.of(1, 10, 2)), 'lab', { numClasses: 10 }), /lab: label 1 is 10; expected a class index 0\.\.9/);
  });
});

describe('gzip checks happen before inflating', () => {
  test('a trailer declaring an impossible or too large size is rejected', () => {
    const gz = new Uint8Array(gzipSync(Buffer.alloc(100)));
    const big = gz.slice();
    new DataView(big.buffer).setUint32(big.length - 4, 1_000_000_000, true);
    assert.throws(() => gunzip(big, 'a.gz', 2_000_000_000), /a\.gz: gzip trailer declares 1,000,000,000 bytes uncompressed, impossible for \d+ bytes of compressed data/);
    assert.throws(() => gunzip(big, 'a.gz', 1000), /a\.gz: gzip trailer declares 1,000,000,000 bytes uncompressed, more than the 1,000 bytes expected/);
    assert.throws(() => gunzip(gz.subarray(0, gz.length - 5), 'b.gz', 1000), /b\.gz: /);
    assert.throws(() => gunzip(new Uint8Array([1, 2, 3]), 'c.gz', 1000), /c\.gz: expected gzip data \(magic bytes 1f 8b\), found 01 02/);
  });
});

describe('CIFAR-10 parser errors', () => {
  test('size not a multiple of 3073', () => {
    assert.throws(() => parseCifarBatch(new Uint8Array(3073 * 2 + 100), 'data_batch_1.bin'), /data_batch_1\.bin: size 6,246 bytes is not a multiple of the 3073-byte CIFAR-10 record \(2 whole records and 100 bytes over\)/);
    assert.throws(() => parseCifarBatch(new Uint8Array(0), 'e.bin'), /e\.bin: empty file/);
  });
  test('record count differs from the expected 10,000', () => {
    assert.throws(() => parseCifarBatch(new Uint8Array(3073), 'b.bin', { expectedRecords: 10000 }), /b\.bin: expected 10,000 records \(30,730,000 bytes\), found 1 \(3,073 bytes\)/);
  });
  test('label > 9', () => {
    const b = new Uint8Array(3073 * 3);
    b[3073 * 2] = 12;
    assert.throws(() => parseCifarBatch(b, 'x.bin'), /x\.bin: record 2 \(byte offset 6146\) has label 12; expected a class index 0\.\.9/);
  });
  test('batches.meta.txt must list 10 names', () => {
    assert.deepEqual(parseBatchesMeta('a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n\n', 'm'), ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j']);
    assert.throws(() => parseBatchesMeta('a\nb\n', 'batches.meta.txt'), /batches\.meta\.txt: expected 10 class names, one per line, found 2/);
  });
});

describe('corrupt files found by loadData give errors naming the file', () => {
  test('bad magic in a gzipped file on disk', async () => {
    const bad = encodeIdx([4, 28, 28], new Uint8Array(4 * 784));
    bad[2] = 9;
    const { file, load } = await loadIdxWith({ 't10k-images-idx3-ubyte': bad }, { gz: true });
    await assert.rejects(load(), (e: Error) => e.message.startsWith(`${file('t10k-images-idx3-ubyte')}: expected IDX magic number 0x00000803`));
  });

  test('header claiming more images than bytes (uncompressed file)', async () => {
    const bad = header([0, 0, 8, 3], [1_000_000_000, 28, 28], 100);
    const { file, load } = await loadIdxWith({ 'train-images-idx3-ubyte': bad });
    await assert.rejects(load(), (e: Error) => e.message.startsWith(`${file('train-images-idx3-ubyte')}: IDX header declares dimensions [1000000000, 28, 28]`));
  });

  test('wrong dims', async () => {
    const { file, load } = await loadIdxWith({ 'train-images-idx3-ubyte': encodeIdx([6, 32, 32], new Uint8Array(6 * 1024)) });
    await assert.rejects(load(), (e: Error) => e.message === `${file('train-images-idx3-ubyte')}: expected 28x28 images, found 32x32`);
  });

  test('label > 9', async () => {
    const { file, load } = await loadIdxWith({ 'train-labels-idx1-ubyte': encodeIdx([6], Uint8Array.of(0, 1, 2, 3, 200, 5)) }, { gz: true });
    await assert.rejects(load(), (e: Error) => e.message === `${file('train-labels-idx1-ubyte')}: label 4 is 200; expected a class index 0..9`);
  });

  test('image and label counts disagree', async () => {
    const { file, load } = await loadIdxWith({ 't10k-labels-idx1-ubyte': encodeIdx([3], Uint8Array.of(0, 1, 2)) }, { gz: true });
    await assert.rejects(load(), (e: Error) => e.message.includes(`holds 4 images but ${file('t10k-labels-idx1-ubyte')} holds 3 labels`));
  });

  test('truncated gzip file', async () => {
    const tiny = makeTinyIdx(6, 4);
    const dir = tempDir();
    temps.push(dir);
    for (const [name, bytes] of Object.entries(tiny.files)) writeFileSync(path.join(dir, name), name.startsWith('train-images') ? bytes.subarray(0, bytes.length - 40) : bytes);
    await assert.rejects(
      datasets.mnist.loadData({ dir, systemDirs: [], download: false, checksums: tiny.checksums }),
      (e: Error) => e.message.startsWith(path.join(dir, 'train-images-idx3-ubyte.gz') + ': '),
    );
  });

  test('official file names with other content fail the built-in checksums, naming file and digests', async () => {
    const tiny = makeTinyIdx(6, 4);
    const dir = tempDir();
    temps.push(dir);
    for (const [name, bytes] of Object.entries(tiny.files)) writeFileSync(path.join(dir, name), bytes);
    const f = path.join(dir, 'train-images-idx3-ubyte.gz');
    await assert.rejects(datasets.fashionMnist.loadData({ dir, systemDirs: [], download: false }), (e: Error) => {
      assert.ok(e.message.startsWith(`Checksum mismatch for ${f}: expected md5 8d4fb7e6c68d591d4c3dfef9ec88bf0d of the file as stored`), e.message);
      assert.match(e.message, /or sha256 c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888 of its uncompressed content/);
      assert.ok(e.message.includes(`found md5 ${md5(tiny.files['train-images-idx3-ubyte.gz'])}`));
      return true;
    });
    // verify: false skips checksums, but the official counts are still enforced.
    await assert.rejects(datasets.fashionMnist.loadData({ dir, systemDirs: [], download: false, verify: false }), /expected 60,000 images, found 6/);
  });

  test('CIFAR-10 batch on disk with a bad size or a bad label', async () => {
    const c = makeTinyCifar(2, 2);
    const dir = tempDir();
    temps.push(dir);
    mkdirSync(path.join(dir, 'cifar-10'));
    const d = path.join(dir, 'cifar-10');
    for (const [n, b] of Object.entries(c.batches)) writeFileSync(path.join(d, `${n}.gz`), gzipSync(b));
    const badSize = c.batches['data_batch_3.bin'].subarray(0, 3073 + 10);
    writeFileSync(path.join(d, 'data_batch_3.bin.gz'), gzipSync(badSize));
    const opts = { dir, systemDirs: [], download: false, verify: false, checksums: {} };
    await assert.rejects(datasets.cifar10.loadData(opts), (e: Error) => e.message.startsWith(`${path.join(d, 'data_batch_3.bin.gz')}: size 3,083 bytes is not a multiple of the 3073-byte CIFAR-10 record`));
    const badLabel = c.batches['data_batch_3.bin'].slice();
    badLabel[3073] = 10;
    writeFileSync(path.join(d, 'data_batch_3.bin.gz'), gzipSync(badLabel));
    await assert.rejects(datasets.cifar10.loadData(opts), (e: Error) => e.message === `${path.join(d, 'data_batch_3.bin.gz')}: record 1 (byte offset 3073) has label 10; expected a class index 0..9`);
    // A checksum mismatch against the built-in md5 names the file too.
    await assert.rejects(datasets.cifar10.loadData({ dir, systemDirs: [], download: false }), (e: Error) => {
      assert.ok(e.message.startsWith(`Checksum mismatch for ${path.join(d, 'data_batch_')}`), e.message);
      assert.match(e.message, /expected md5 [0-9a-f]{32} of its uncompressed content \(data_batch_\d\.bin\); found md5 [0-9a-f]{32}/);
      return true;
    });
  });

  test('a corrupt cifar-10-binary.tar.gz names the archive', async () => {
    const dir = tempDir();
    temps.push(dir);
    writeFileSync(path.join(dir, 'cifar-10-binary.tar.gz'), gzipSync(Buffer.from('this is not a tar file'.repeat(40))));
    const archive = path.join(dir, 'cifar-10-binary.tar.gz');
    await assert.rejects(datasets.cifar10.loadData({ dir, systemDirs: [], download: false }), (e: Error) => e.message.startsWith(`${archive}: `));
  });
});
