/**
 * "Your images" without a browser: the seeded split is the folder loader's (Keras's), dropped
 * folders are walked in Keras's file order, pixels are prepared as `convlab predict` prepares
 * them, the download's convlab.json is a run description the CLI accepts, and the models build.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import sharp from 'sharp';
import { readMetadata } from '../../cli/model_store.js';
import { decodeBytes } from '../../src/datasets/image_folder/decode.js';
import { indexDirectory, shuffleIndex, splitAt } from '../../src/datasets/image_folder/index_directory.js';
import { kerasOrder, walkEntries, type EntryLike } from '../../lab/src/file_drop.js';
import { classProblem, preparePixels, runMetadata, splitSamples, type ImageClass } from '../../lab/src/images_data.js';
import { imageModelSpec } from '../../lab/src/images_model.js';
import { buildModel, PRESETS } from '../../lab/src/model_spec.js';

/** A sample whose first byte is its position in the class-ordered list. */
function classes(sizes: number[], size = 2): ImageClass[] {
  let n = 0;
  return sizes.map((k, id) => ({
    id, name: `c${id}`, skipped: {},
    samples: Array.from({ length: k }, () => {
      const pixels = new Uint8Array(size * size * 3);
      pixels[0] = n++;
      return { pixels, source: 'file' as const, name: `f${n}` };
    }),
  }));
}

function ids(images: Uint8Array, count: number, size = 2): number[] {
  return Array.from({ length: count }, (_, i) => images[i * size * size * 3]);
}

function fakeFile(p: string): EntryLike {
  const name = p.split('/').pop()!;
  return { isFile: true, isDirectory: false, name, fullPath: `/${p}`, file: (ok) => ok(new File([p], name)) };
}

/** A directory whose reader hands out `perCall` entries at a time, as Chromium hands out 100. */
function fakeDir(p: string, children: EntryLike[], perCall = 2): EntryLike {
  return {
    isFile: false, isDirectory: true, name: p.split('/').pop()!, fullPath: `/${p}`,
    createReader: () => {
      let at = 0;
      return { readEntries: (ok) => { const batch = children.slice(at, at + perCall); at += batch.length; ok(batch); } };
    },
  };
}

describe('Your images: data', () => {
  test('the seeded split takes the same images as the folder loader (Keras) for the same seed', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'convlab-lab-split-'));
    try {
      const sizes = [7, 11, 5];
      for (const [c, k] of sizes.entries()) {
        await mkdir(path.join(dir, `c${c}`));
        for (let i = 0; i < k; i++) await writeFile(path.join(dir, `c${c}`, `f${String(i).padStart(2, '0')}.png`), 'x');
      }
      for (const [seed, split] of [[7, 0.25], [1337, 0.2], [42, 0.15]] as const) {
        const index = await indexDirectory(dir);
        const order = index.paths.slice();
        const shuffled = shuffleIndex(index.paths, index.labels, seed);
        const cut = splitAt(shuffled.paths.length, split);
        const kerasVal = shuffled.paths.slice(cut).map((p) => order.indexOf(p));
        const kerasTrain = shuffled.paths.slice(0, cut).map((p) => order.indexOf(p));
        const page = splitSamples(classes(sizes), 2, split, seed);
        assert.deepEqual(ids(page.validation.images, page.validation.count), kerasVal, `seed ${seed}`);
        assert.deepEqual(ids(page.train.images, page.train.count), kerasTrain);
        assert.deepEqual(Array.from(page.train.labels), shuffled.labels.slice(0, cut));
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    const a = splitSamples(classes([4, 4]), 2, 0.25, 3);
    const b = splitSamples(classes([4, 4]), 2, 0.25, 4);
    assert.notDeepEqual(ids(a.validation.images, 2), ids(b.validation.images, 2), 'another seed, another split');
    assert.equal(splitSamples(classes([3, 3]), 2, 0, 1).validation.count, 0);
    assert.throws(() => splitSamples(classes([3]), 2, 1, 1), /validationSplit must be in \[0, 1\), received 1/);
  });

  test('dropped folders are walked recursively, in Keras\'s file order, past readers that hand out a few entries at a time', async () => {
    const tree = [
      fakeDir('leaves', [fakeFile('leaves/b.png'), fakeDir('leaves/a_sub', [fakeFile('leaves/a_sub/z.png'), fakeFile('leaves/a_sub/y.jpg')]), fakeFile('leaves/a.png'), fakeDir('leaves/empty', [])]),
      fakeFile('loose.png'),
    ];
    const errors: string[] = [];
    const found = await walkEntries(tree, (p) => errors.push(p));
    assert.deepEqual(found.map((f) => f.path), ['loose.png', 'leaves/a.png', 'leaves/b.png', 'leaves/a_sub/y.jpg', 'leaves/a_sub/z.png']);
    assert.equal(await found[3].file.text(), 'leaves/a_sub/y.jpg');
    const failing: EntryLike = { isFile: true, isDirectory: false, name: 'gone.png', fullPath: '/gone.png', file: (_ok, fail) => fail!(new Error('NotFoundError')) };
    assert.equal((await walkEntries([failing, fakeFile('ok.png')], (p) => errors.push(p))).length, 1);
    assert.deepEqual(errors, ['gone.png']);
    assert.deepEqual(kerasOrder([{ file: new File([], 'x'), path: 'a/b/c.png' }, { file: new File([], 'y'), path: 'a/z.png' }]).map((f) => f.path), ['a/z.png', 'a/b/c.png']);
  });

  test('pixels are prepared as convlab predict prepares them (stretch, or the central crop)', async () => {
    const w = 37, h = 23;
    const rgb = Buffer.from(Array.from({ length: w * h * 3 }, (_, i) => (i * 37 + (i % 7) * 11) % 256));
    const png = new Uint8Array(await sharp(rgb, { raw: { width: w, height: h, channels: 3 } }).png().toBuffer());
    const rgba = new Uint8Array(w * h * 4);
    for (let i = 0; i < w * h; i++) { rgba.set(rgb.subarray(3 * i, 3 * i + 3), 4 * i); rgba[4 * i + 3] = 255; }
    for (const crop of [false, true]) {
      const node = await decodeBytes(png, { height: 16, width: 16, channels: 3, interpolation: 'bilinear', cropToAspectRatio: crop });
      assert.ok(node.ok);
      assert.deepEqual(preparePixels(rgba, h, w, { size: 16, crop }), node.pixels, `crop ${crop}`);
    }
  });

  test('convlab.json of the download is a run description the CLI reads', async () => {
    const cls = classes([3, 2]);
    cls[0].skipped = { 'corrupt': 1, 'not-an-image': 2 };
    cls[1].skipped = { 'corrupt': 1 };
    cls[1].name = '  oak leaf ';
    const meta = runMetadata({ model: 'lab-small-cnn', classes: cls, settings: { size: 48, crop: true }, validationSplit: 0.2, seed: 9, counts: { training: 4, validation: 1 }, training: { epochs: 3 }, validation: { loss: 0.5, accuracy: 1, samples: 1 } });
    const dir = await mkdtemp(path.join(os.tmpdir(), 'convlab-lab-meta-'));
    try {
      await writeFile(path.join(dir, 'convlab.json'), JSON.stringify(meta));
      const read = await readMetadata(dir);
      assert.deepEqual(read?.classNames, ['c0', 'oak leaf']);
      assert.deepEqual(read?.imageFolder?.preprocessing, { imageSize: [48, 48], colorMode: 'rgb', interpolation: 'bilinear', cropToAspectRatio: true });
      assert.deepEqual(read?.imageFolder?.skipped, { 'corrupt': 2, 'not-an-image': 2 });
      assert.deepEqual(read?.inputShape, [48, 48, 3]);
      assert.equal(read?.pixelScale, 1 / 255);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('training needs two named, distinct, non-empty classes', () => {
    assert.match(classProblem(classes([3])) ?? '', /at least 2 classes \(there is 1\)/);
    const dup = classes([1, 1]);
    dup[1].name = 'c0 ';
    assert.match(classProblem(dup) ?? '', /Two classes are named 'c0'/);
    assert.match(classProblem(classes([2, 0])) ?? '', /Class 'c1' has no images/);
    assert.equal(classProblem(classes([1, 1])), null);
  });

  test('the models take size × size RGB and give one probability per class', () => {
    for (const kind of ['small-cnn', 'lab-cnn', 'builder'] as const) {
      const model = buildModel(imageModelSpec(kind, 32, 3, PRESETS.lenet5.spec));
      assert.deepEqual(model.inputShape, [null, 32, 32, 3], kind);
      assert.deepEqual(model.outputShape, [null, 3], kind);
    }
    assert.throws(() => imageModelSpec('builder', 32, 3, { inputShape: [28, 28, 1], layers: [{ type: 'flatten' }] }), /must end with a Dense layer/);
  });
});
