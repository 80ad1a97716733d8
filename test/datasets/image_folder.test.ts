/**
 * imageDatasetFromDirectory on folders made here: Keras's file list, class order and split for a
 * seed (checked against NumPy's RandomState output), a messy corpus with exact skip counts, the
 * decoded pixels (content sniffing, EXIF orientation, colour modes), resize against TF.js, the
 * clear errors, the cache, and fit/evaluate/predict on a dataset.
 */
import '../helpers/seeded_math_random.js'; // TF.js's unseeded initialisers, made the same every run
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { datasets, layers, sequential, setSeed } from '../../src/index.js';
import { decodeFile, type ImageFolderDataset } from '../../src/datasets/image_folder/index.js';
import { numpyShuffle } from '../../src/datasets/image_folder/numpy_shuffle.js';
import { resize } from '../../src/datasets/image_folder/resize.js';
import { sniffImage } from '../../src/datasets/image_folder/sniff.js';
import { sniffFileType } from '../../cli/file_type.js';
import { pattern, png, writeColorClasses, writeMessyCorpus } from '../helpers/image_corpus.js';

const root = mkdtempSync(join(tmpdir(), 'convlab-images-'));
after(() => rmSync(root, { recursive: true, force: true }));
const quiet = { verbose: false } as const;

async function readAll(ds: ImageFolderDataset): Promise<{ n: number; labels: number[]; paths: string[] }> {
  let n = 0;
  const labels: number[] = [];
  const paths: string[] = [];
  for await (const b of ds.batches()) {
    n += b.xs.shape[0];
    labels.push(...(b.ys!.data as Int32Array));
    paths.push(...b.paths);
  }
  return { n, labels, paths };
}

test('numpyShuffle equals np.random.RandomState(seed).shuffle', () => {
  // Printed by NumPy 2.4: l = list(range(n)); np.random.RandomState(seed).shuffle(l)
  const range = (n: number) => Array.from({ length: n }, (_, i) => i);
  assert.deepEqual(numpyShuffle(range(10), 1337), [6, 3, 0, 4, 5, 2, 1, 9, 8, 7]);
  assert.deepEqual(numpyShuffle(range(23), 42), [15, 9, 0, 8, 17, 12, 1, 13, 5, 2, 11, 20, 3, 4, 18, 16, 21, 22, 7, 10, 14, 19, 6]);
  assert.deepEqual(numpyShuffle(range(5), 0), [2, 0, 1, 3, 4]);
  assert.deepEqual(numpyShuffle(range(300), 123456).slice(0, 20), [233, 40, 237, 236, 85, 50, 91, 172, 6, 144, 1, 12, 231, 78, 111, 135, 2, 250, 235, 13]);
});

describe('a messy folder', () => {
  const dir = join(root, 'messy');
  // Keras 3's index_directory on this corpus with seed 1, printed by a NumPy script restating it
  // (os.walk sorted by folder, files sorted, lower-cased extension check, RandomState(1).shuffle).
  const kerasSeed1 = ['6/truncated.png', '19/b.jpg', '27/b.jpg', '6/._ok.png', '14/a.png', '0/duplicate.jpg', '6/text.png', '0/rotated.jpg', '6/ok.png', '0/grey.png', '0/big.jpg', '6/truncated.jpg', '0/long.jpeg', '27/a.png', '0/ünïcödé 写真.jpg', '0/palette.png', '6/webp inside.jpg', '0/anim.gif', '19/a.png', '0/alpha.png', '14/b.jpg', '6/nested/deeper/inner.PNG', '6/zero.jpg', '0/really png.jpg', '0/progressive.jpg', '0/upper.JPG', '0/tiny 25x25 é.png', '0/image.bmp'];
  const screenedOut = new Set(['6/._ok.png', '6/text.png', '6/webp inside.jpg', '6/zero.jpg']);
  const rel = (paths: string[]) => paths.map((p) => p.slice(dir.length + 1));
  before(() => writeMessyCorpus(dir));

  test('classes in string order, Keras\'s file list for the seed, exact skip counts, no crash', async () => {
    const lines: string[] = [];
    const ds = await datasets.imageDatasetFromDirectory(dir, { imageSize: [16, 16], batchSize: 8, seed: 1, log: (l) => lines.push(l), threads: 1 });
    try {
      assert.deepEqual(ds.classNames, ['0', '14', '19', '27', '6']);
      assert.deepEqual(rel(ds.filePaths), kerasSeed1.filter((p) => !screenedOut.has(p)));
      assert.equal(lines[0], 'Found 28 files belonging to 5 classes.');
      assert.match(lines[1], /^Skipped 8 files: 4 not a Keras image extension, 2 unsupported format, 1 not an image, 1 empty\. First: .*\.DS_Store/);
      assert.equal(ds.count, 24);
      const { n, labels, paths } = await readAll(ds);
      assert.equal(n, 22);
      assert.equal(ds.count, 22);
      assert.ok(!paths.some((p) => p.includes('truncated')));
      for (let i = 0; i < paths.length; i++) assert.equal(ds.classNames[labels[i]], rel([paths[i]])[0].split('/')[0]);
      assert.match(lines[2], /^Skipped while decoding 2 files: 2 truncated or corrupt\./);
      const byReason: Record<string, number> = {};
      for (const s of ds.skipped) byReason[s.reason] = (byReason[s.reason] ?? 0) + 1;
      assert.deepEqual(byReason, { 'unsupported-format': 2, 'not-an-image': 1, empty: 1, corrupt: 2 });
      // The next epoch leaves the corrupt files out from the start: full batches, 22 images.
      let second = 0;
      for await (const b of ds.batches(1)) second += b.xs.shape[0];
      assert.equal(second, 22);
    } finally {
      await ds.close();
    }
  });

  test('validationSplit takes the last int(split * n) of Keras\'s shuffled list', async () => {
    const [train, val] = await datasets.imageDatasetFromDirectory(dir, { ...quiet, imageSize: [8, 8], seed: 1, validationSplit: 0.25, subset: 'both', threads: 0 });
    assert.deepEqual(rel(train.filePaths), kerasSeed1.slice(0, 21).filter((p) => !screenedOut.has(p)));
    assert.deepEqual(rel(val.filePaths), kerasSeed1.slice(21).filter((p) => !screenedOut.has(p)));
    const valOnly = await datasets.imageDatasetFromDirectory(dir, { ...quiet, imageSize: [8, 8], seed: 1, validationSplit: 0.25, subset: 'validation', threads: 0 });
    assert.deepEqual(valOnly.filePaths, val.filePaths);
  });

  test('shuffle: false keeps Keras\'s unshuffled order (class by class, folders then names)', async () => {
    const ds = await datasets.imageDatasetFromDirectory(dir, { ...quiet, imageSize: [8, 8], shuffle: false, threads: 0 });
    const paths = rel(ds.filePaths);
    assert.deepEqual(paths.slice(0, 4), ['0/alpha.png', '0/anim.gif', '0/big.jpg', '0/duplicate.jpg']);
    // os.walk sorted by folder path: the files of 6/ come before those of 6/nested/deeper/.
    assert.deepEqual(paths.slice(-4), ['6/ok.png', '6/truncated.jpg', '6/truncated.png', '6/nested/deeper/inner.PNG']);
    assert.ok(paths.includes('0/upper.JPG') && paths.includes('0/long.jpeg') && paths.includes('0/really png.jpg'));
  });

  test('decoding by content: a PNG named .jpg, BMP, GIF, greyscale, palette, alpha, EXIF rotation', async () => {
    const spec = (height: number, width: number, channels: 1 | 3 | 4) => ({ height, width, channels, interpolation: 'nearest' as const, cropToAspectRatio: false });
    const at = (px: Uint8Array, w: number, c: number, y: number, x: number) => Array.from(px.subarray((y * w + x) * c, (y * w + x) * c + c));
    // Stored 48x24 (w x h) with orientation 6: displayed 24 wide, 48 high; the yellow square of
    // the stored top-left corner is now at the top right.
    const rotated = await decodeFile(join(dir, '0/rotated.jpg'), spec(48, 24, 3));
    assert.ok(rotated.ok);
    const [r, g, b] = at(rotated.pixels, 24, 3, 3, 21);
    assert.ok(r > 230 && g > 230 && b < 40, `top right should be yellow, got ${[r, g, b]}`);
    assert.ok(at(rotated.pixels, 24, 3, 3, 2)[2] > 40 || at(rotated.pixels, 24, 3, 3, 2)[0] < 230, 'top left is not the square');
    // A PNG named .jpg decodes exactly (PNG is lossless), and so does the BMP.
    for (const [file, w, h, hue] of [['0/really png.jpg', 32, 32, 3], ['0/image.bmp', 21, 19, 13]] as const) {
      const d = await decodeFile(join(dir, file), spec(h, w, 3));
      assert.ok(d.ok, file);
      assert.deepEqual(Buffer.from(d.pixels), pattern(w, h, hue), file);
    }
    const gif = await decodeFile(join(dir, '0/anim.gif'), spec(20, 20, 3));
    assert.ok(gif.ok);
    const grey = await decodeFile(join(dir, '0/grey.png'), spec(30, 30, 3));
    assert.ok(grey.ok);
    for (let i = 0; i < 900; i++) assert.ok(grey.pixels[3 * i] === grey.pixels[3 * i + 1] && grey.pixels[3 * i] === grey.pixels[3 * i + 2]);
    const palette = await decodeFile(join(dir, '0/palette.png'), spec(30, 30, 1));
    assert.ok(palette.ok && palette.pixels.length === 900);
    const alpha = await decodeFile(join(dir, '0/alpha.png'), spec(30, 30, 4));
    assert.ok(alpha.ok);
    assert.deepEqual([alpha.pixels[3], alpha.pixels[7]], [255, 128]);
    const big = await decodeFile(join(dir, '0/big.jpg'), spec(12, 16, 3));
    assert.ok(big.ok && big.pixels.length === 12 * 16 * 3);
    const truncated = await decodeFile(join(dir, '6/truncated.jpg'), spec(8, 8, 3));
    assert.ok(!truncated.ok && truncated.reason === 'corrupt');
    const webp = await decodeFile(join(dir, '6/webp inside.jpg'), spec(8, 8, 3));
    assert.ok(!webp.ok && webp.reason === 'unsupported-format' && /WebP/.test(webp.message));
  });
});

test('one signature table: the image folders\' sniffImage names what the CLI\'s sniffFileType finds, by content', () => {
  const bytes = (head: number[] | string, length = 32): Uint8Array => {
    const b = new Uint8Array(length);
    b.set(typeof head === 'string' ? new TextEncoder().encode(head) : head);
    return b;
  };
  const cases: [Uint8Array, ReturnType<typeof sniffImage>, string][] = [
    [bytes([0xff, 0xd8, 0xff, 0xe0]), { format: 'jpeg' }, 'JPEG image'],
    [bytes([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), { format: 'png' }, 'PNG image'],
    [bytes('GIF89a'), { format: 'gif' }, 'GIF image'],
    [bytes('BM'), { format: 'bmp' }, 'BMP image'],
    [bytes('RIFF\0\0\0\0WEBPVP8 '), { format: null, what: 'WebP' }, 'WebP image'],
    [bytes('\0\0\0\x18ftypheic'), { format: null, what: 'HEIF/AVIF/MP4' }, 'HEIC image'],
    [bytes([0x49, 0x49, 0x2a, 0x00]), { format: null, what: 'TIFF' }, 'TIFF image'],
    [bytes([0x00, 0x05, 0x16, 0x07, 0x00, 0x02]), { format: null, what: 'AppleDouble metadata' }, 'AppleDouble metadata'],
    [new TextEncoder().encode('just some text, not a picture'), { format: null, what: 'not an image' }, 'text'],
    [bytes([0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x10]), { format: null, what: 'not an image' }, 'ICO icon'],
  ];
  for (const [head, sniffed, name] of cases) {
    assert.deepEqual(sniffImage(head), sniffed, name);
    assert.equal(sniffFileType(head).name, name);
  }
  // Fewer bytes than a BMP header needs: not taken for a BMP.
  assert.deepEqual(sniffImage(bytes('BM', 16)), { format: null, what: 'not an image' });
});

test('resize agrees with TF.js (half-pixel centres) for bilinear and nearest', () => {
  const [h, w, c] = [13, 17, 3];
  const data = new Uint8Array(h * w * c);
  let s = 7;
  for (let i = 0; i < data.length; i++) data[i] = (s = (s * 1103515245 + 12345) >>> 0) >>> 24;
  const x = tf.tensor4d(Float32Array.from(data), [1, h, w, c]);
  for (const [oh, ow] of [[5, 6], [29, 31], [13, 4]]) {
    const bil = tf.image.resizeBilinear(x, [oh, ow], false, true).dataSync();
    const near = tf.image.resizeNearestNeighbor(x, [oh, ow], false, true).dataSync();
    const ours = resize({ data, height: h, width: w, channels: c }, oh, ow, 'bilinear').data;
    const oursNear = resize({ data, height: h, width: w, channels: c }, oh, ow, 'nearest').data;
    for (let i = 0; i < ours.length; i++) {
      assert.ok(Math.abs(ours[i] - bil[i]) <= 0.5 + 1e-3, `bilinear ${oh}x${ow} at ${i}: ${ours[i]} vs ${bil[i]}`);
      assert.equal(oursNear[i], near[i], `nearest ${oh}x${ow} at ${i}`);
    }
  }
});

describe('clear errors for folders that cannot make a classifier', () => {
  test('no class folders, one class, an empty class, unknown classNames, binary with 3 classes, split without seed', async () => {
    const flat = join(root, 'flat');
    mkdirSync(flat, { recursive: true });
    writeFileSync(join(flat, 'a.png'), await png(8, 8, 1));
    await assert.rejects(datasets.imageDatasetFromDirectory(flat, quiet), /has no class folders.*one subfolder per class/);
    const one = join(root, 'one');
    mkdirSync(join(one, 'cats'), { recursive: true });
    writeFileSync(join(one, 'cats', 'a.png'), await png(8, 8, 1));
    await assert.rejects(datasets.imageDatasetFromDirectory(one, quiet), /one class folder \('cats'\); a classifier needs two or more/);
    const emptyClass = join(root, 'empty-class');
    mkdirSync(join(emptyClass, 'cats'), { recursive: true });
    mkdirSync(join(emptyClass, 'dogs'), { recursive: true });
    writeFileSync(join(emptyClass, 'cats', 'a.png'), await png(8, 8, 1));
    writeFileSync(join(emptyClass, 'dogs', 'notes.txt'), 'no images here');
    writeFileSync(join(emptyClass, 'dogs', 'zero.jpg'), '');
    await assert.rejects(datasets.imageDatasetFromDirectory(emptyClass, quiet), /class folder 'dogs' in .* has no readable images/);
    await assert.rejects(datasets.imageDatasetFromDirectory(join(root, 'missing'), quiet), /is not a folder/);
    const colors = join(root, 'colors3');
    await writeColorClasses(colors, ['blue', 'green', 'red'], 2, 6);
    await assert.rejects(datasets.imageDatasetFromDirectory(colors, { ...quiet, classNames: ['blue', 'purple'] }), /classNames \["purple"\] have no folder/);
    await assert.rejects(datasets.imageDatasetFromDirectory(colors, { ...quiet, labelMode: 'binary' }), /exactly 2 classes, found 3/);
    await assert.rejects(datasets.imageDatasetFromDirectory(colors, { ...quiet, validationSplit: 0.2, subset: 'training' }), /give a seed/);
    await assert.rejects(datasets.imageDatasetFromDirectory(colors, { ...quiet, validationSplit: 0.2 }), /subset and validationSplit go together/);
    await assert.rejects(datasets.imageDatasetFromDirectory(colors, { ...quiet, interpolation: 'lanczos3' as never }), /interpolation must be one of/);
  });
});

describe('training from a folder', () => {
  const dir = join(root, 'colors');
  before(() => writeColorClasses(dir, ['blue', 'green', 'red'], 12, 12));

  test('fit(ds, { validationData }), evaluate(ds) and predict(ds) accept datasets; the cache serves later epochs', async () => {
    setSeed(3);
    const cacheDir = join(root, 'cache');
    const [train, val] = await datasets.imageDatasetFromDirectory(dir, { ...quiet, imageSize: [8, 8], batchSize: 8, seed: 7, validationSplit: 0.25, subset: 'both', cacheDir, threads: 1 });
    assert.equal(train.count + val.count, 36);
    const model = sequential({ layers: [layers.rescaling({ scale: 1 / 255, inputShape: [8, 8, 3] }), layers.flatten(), layers.dense({ units: 3, activation: 'softmax' })] });
    model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const first = await train.toTensors();
    await val.toTensors();
    // After one pass every image is in the cache: later reads need no decoding at all.
    await (train as unknown as { parts: { pool: { close(): Promise<void> } } }).parts.pool.close();
    await (val as unknown as { parts: { pool: { close(): Promise<void> } } }).parts.pool.close();
    const again = await train.toTensors();
    assert.deepEqual(again.xs.data, first.xs.data);
    const history = await model.fit(train, { epochs: 12, validationData: val, verbose: 0 });
    assert.equal(history.history.loss.length, 12);
    assert.equal(history.history.val_accuracy.at(-1), 1);
    const [loss, accuracy] = await model.evaluate(val, { verbose: 0 });
    assert.ok(loss < 0.5 && accuracy === 1, `loss ${loss}, accuracy ${accuracy}`);
    const probs = await model.predict(val);
    assert.deepEqual(probs.shape, [val.count, 3]);
    await train.close();
    await val.close();
  });

  test('labelMode categorical gives one-hot labels for categoricalCrossentropy; grayscale gives one channel', async () => {
    const ds = await datasets.imageDatasetFromDirectory(dir, { ...quiet, imageSize: [6, 5], labelMode: 'categorical', colorMode: 'grayscale', shuffle: false, threads: 0 });
    const { xs, ys } = await ds.toTensors();
    assert.deepEqual(xs.shape, [36, 6, 5, 1]);
    assert.deepEqual(ys!.shape, [36, 3]);
    assert.deepEqual(Array.from(ys!.data.subarray(0, 3)), [1, 0, 0]);
    assert.deepEqual(Array.from(ys!.data.subarray(35 * 3)), [0, 0, 1]);
  });
});

test('a decode thread that dies fails its batch with the reason, and a new thread takes the next ones', async () => {
  const { DecodePool } = await import('../../src/datasets/image_folder/pool.js');
  const dir = join(root, 'pool');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'a.png'), await png(10, 10, 1));
  const pool = new DecodePool(1);
  const spec = { height: 4, width: 4, channels: 3 as const, interpolation: 'bilinear' as const, cropToAspectRatio: false };
  try {
    const first = await pool.decode([join(dir, 'a.png')], spec);
    assert.deepEqual(Array.from(first.ok), [1]);
    // Batches asked for together are all sent ahead to the one thread, and each gets its own answer.
    const many = await Promise.all([1, 2, 3, 4].map((k) => pool.decode(Array.from({ length: k }, () => join(dir, 'a.png')), spec)));
    assert.deepEqual(many.map((r) => r.ok.length), [1, 2, 3, 4]);
    assert.deepEqual(Array.from(many[3].pixels.subarray(0, 48)), Array.from(first.pixels));
    const workers = (pool as unknown as { slots: { worker: { terminate(): Promise<number> } }[] }).slots;
    // Forty files: the thread is still decoding when it is stopped.
    const dying = pool.decode(Array.from({ length: 40 }, () => join(dir, 'a.png')), spec);
    await workers[0].worker.terminate();
    await assert.rejects(dying, /a decode thread stopped: exited with code 1/);
    const after = await pool.decode([join(dir, 'a.png'), join(dir, 'missing.png')], spec);
    assert.deepEqual(Array.from(after.ok), [1, 0]);
    assert.equal(after.failures[0].reason, 'unreadable');
  } finally {
    await pool.close();
  }
});

test('a batch whose thread gives no answer (a file that never delivers: a FIFO) fails after the batch time-out, naming the file, and the next batch decodes', { skip: process.platform !== 'linux' }, async () => {
  const { DecodePool } = await import('../../src/datasets/image_folder/pool.js');
  const dir = join(root, 'pool-stall');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'a.png'), await png(10, 10, 1));
  const fifo = join(dir, 'stuck.png');
  execFileSync('mkfifo', [fifo]);
  const pool = new DecodePool(1, 1500);
  const spec = { height: 4, width: 4, channels: 3 as const, interpolation: 'bilinear' as const, cropToAspectRatio: false };
  try {
    const started = Date.now();
    // The second batch is sent to the same thread at once, queued behind the stuck one: when that
    // thread is replaced, the new one decodes it.
    const stuck = pool.decode([fifo], spec);
    const queued = pool.decode([join(dir, 'a.png'), join(dir, 'a.png')], spec);
    await assert.rejects(stuck, /a decode thread stopped: no answer within 1\.5 s for a batch of 1 starting with '.*stuck\.png'; the thread was replaced/);
    assert.ok(Date.now() - started < 10_000, `took ${Date.now() - started} ms`);
    assert.deepEqual(Array.from((await queued).ok), [1, 1]);
    const after = await pool.decode([join(dir, 'a.png')], spec);
    assert.deepEqual(Array.from(after.ok), [1]);
  } finally {
    // Release the read blocked on the FIFO: a writer that opens and closes it gives end of file.
    closeSync(openSync(fifo, constants.O_RDWR));
    await pool.close();
  }
});

test('labels: null reads the folder itself, recursively, without classes (as Keras); predict(ds) follows the file order', async () => {
  const dir = join(root, 'unlabelled');
  await writeColorClasses(dir, ['a', 'b'], 3, 6);
  writeFileSync(join(dir, 'top.png'), await png(6, 6, 2));
  const ds = await datasets.imageDatasetFromDirectory(dir, { ...quiet, labels: null, imageSize: [6, 6], shuffle: false, threads: 0 });
  assert.deepEqual(ds.classNames, []);
  assert.deepEqual(ds.filePaths.map((p) => p.slice(dir.length + 1)), ['top.png', 'a/img_0.png', 'a/img_1.jpg', 'a/img_2.png', 'b/img_0.png', 'b/img_1.jpg', 'b/img_2.png']);
  const { ys } = await ds.toTensors();
  assert.equal(ys, null);
  const model = sequential({ layers: [layers.flatten({ inputShape: [6, 6, 3] }), layers.dense({ units: 2, activation: 'softmax' })] });
  assert.deepEqual((await model.predict(ds)).shape, [7, 2]);
  await assert.rejects(datasets.imageDatasetFromDirectory(dir, { ...quiet, labels: null, classNames: ['a'] }), /classNames needs labels/);
});
