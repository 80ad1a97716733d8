/**
 * The CLI on class folders: train --data (a zoo model, then --from a run with --freeze-base),
 * evaluate --data, predict with the run's preprocessing, and clear errors.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { writeColorClasses, writeMessyCorpus } from '../helpers/image_corpus.js';
import { pngSize, rmrf, run, tempDir } from './helpers.js';

const root = tempDir();
const data = path.join(root, 'colors');
after(() => rmrf(root));
before(() => writeColorClasses(data, ['blue', 'green', 'red'], 10, 16));

test('train --data, evaluate --data, predict, and --from RUN --freeze-base', async () => {
  const out = path.join(root, 'run');
  const r = await run('train', 'lab-cnn', '--data', data, '--image-size', '12x12', '--epochs', '6', '--batch-size', '8', '--seed', '3', '--backend', 'reference', '-o', out);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Found 30 files belonging to 3 classes\./);
  assert.match(r.stdout, /Using 24 files for training\.\nUsing 6 files for validation\./);
  assert.match(r.stdout, /on 24 images of 12x12x3 in 3 classes \(blue, green, red\), validating on 6/);
  const meta = JSON.parse(readFileSync(path.join(out, 'convlab.json'), 'utf8'));
  assert.equal(meta.dataset, 'folder');
  assert.deepEqual(meta.classNames, ['blue', 'green', 'red']);
  assert.deepEqual(meta.inputShape, [12, 12, 3]);
  assert.deepEqual(meta.imageFolder.preprocessing, { imageSize: [12, 12], colorMode: 'rgb', interpolation: 'bilinear', cropToAspectRatio: false });
  assert.deepEqual(meta.imageFolder.files, { training: 24, validation: 6 });
  for (const f of ['model.json', 'weights.bin', 'history.csv', 'evaluation.json', 'loss.png', 'accuracy.png', 'confusion_matrix.png', 'predictions.png']) assert.ok(existsSync(path.join(out, f)), f);
  assert.ok((await pngSize(path.join(out, 'confusion_matrix.png'))).width > 100);

  const ev = await run('evaluate', out, '--data', data, '--no-plots', '-q');
  assert.equal(ev.code, 0, ev.stderr);
  assert.match(ev.stdout, /test accuracy: 1\.0000 \(30 images\)/);
  assert.match(ev.stdout, /^blue\s+1\.0000\s+10$/m);

  // predict reads a 16x16 file as training did: resized to 12x12 by the run's preprocessing.
  const p = await run('predict', out, path.join(data, 'red', 'img_3.jpg'), path.join(data, 'green', 'img_0.png'), '--json');
  assert.equal(p.code, 0, p.stderr);
  assert.deepEqual(JSON.parse(p.stdout).map((x: { className: string }) => x.className), ['red', 'green']);

  // A new head for two of the classes on the frozen base of the run.
  const two = path.join(root, 'two');
  await writeColorClasses(two, ['bleu', 'vert'], 6, 16);
  const out2 = path.join(root, 'run2');
  const t = await run('train', '--data', two, '--from', out, '--freeze-base', '--epochs', '2', '--validation-split', '0.25', '--seed', '1', '--backend', 'reference', '-o', out2, '--no-plots', '-q');
  assert.equal(t.code, 0, t.stderr);
  const meta2 = JSON.parse(readFileSync(path.join(out2, 'convlab.json'), 'utf8'));
  assert.deepEqual(meta2.classNames, ['bleu', 'vert']);
  assert.equal(meta2.training.freezeBase, true);
  const w1 = readFileSync(path.join(out, 'weights.bin'));
  const w2 = readFileSync(path.join(out2, 'weights.bin'));
  // The first convolution's kernel (5 filters of 3x3x3 = 135 floats) is the run's, bit for bit.
  const m1 = JSON.parse(readFileSync(path.join(out, 'model.json'), 'utf8'));
  const m2 = JSON.parse(readFileSync(path.join(out2, 'model.json'), 'utf8'));
  const offset = (m: { weightsManifest: { weights: { name: string; shape: number[] }[] }[] }, name: string) => {
    let at = 0;
    for (const w of m.weightsManifest[0].weights) {
      if (w.name.endsWith(name)) return at;
      at += w.shape.reduce((a, b) => a * b, 1) * 4;
    }
    throw new Error(`no weight ${name}`);
  };
  const k1 = w1.subarray(offset(m1, 'conv2d/kernel'), offset(m1, 'conv2d/kernel') + 540);
  const k2 = w2.subarray(offset(m2, 'conv2d/kernel'), offset(m2, 'conv2d/kernel') + 540);
  assert.ok(k1.equals(k2), 'frozen base kernel unchanged');
});

test('clear errors: a messy folder trains past bad files; a flat folder, --freeze-base alone and folder runs without --data are refused', async () => {
  const messy = path.join(root, 'messy');
  await writeMessyCorpus(messy);
  const r = await run('train', 'lab-cnn', '--data', messy, '--image-size', '16x16', '--epochs', '1', '--seed', '1', '--backend', 'reference', '-o', path.join(root, 'messy-run'), '--no-plots');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Skipped 8 files: 4 not a Keras image extension, 2 unsupported format, 1 not an image, 1 empty\./);
  assert.match(r.stdout, /Skipped while decoding/);
  const flat = await run('train', 'lenet5', '--data', path.join(messy, '0'), '--epochs', '1');
  assert.equal(flat.code, 1);
  assert.match(flat.stderr, /has no class folders/);
  const freeze = await run('train', 'lenet5', '--data', data, '--freeze-base');
  assert.match(freeze.stderr, /--freeze-base needs --from/);
  const size = await run('train', 'lenet5', '--data', data, '--image-size', '12y4');
  assert.match(size.stderr, /--image-size must be HEIGHTxWIDTH/);
  const noData = await run('evaluate', path.join(root, 'messy-run'));
  assert.match(noData.stderr, /was trained on class folders .*pass --data DIR/);
});
