/** `convlab export --onnx`: the file it writes runs in ONNX Runtime and predicts as convlab does. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { zoo } from '../../src/zoo/index.js';
import { setSeed, tensor } from '../../src/index.js';
import { Random } from '../../src/utils/random.js';
import { rmrf, run, tempDir } from './helpers.js';

const dir = tempDir();
after(() => rmrf(dir));

test('export writes an ONNX file that ONNX Runtime runs with the same predictions', async () => {
  setSeed(11);
  const model = zoo.create('lenet5');
  await model.save(path.join(dir, 'lenet5'));
  const file = path.join(dir, 'lenet5.onnx');
  const r = await run('export', path.join(dir, 'lenet5'), '--onnx', file);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Wrote .*lenet5\.onnx \(ONNX, input \[null,28,28,1\], 8 layers, 61,706 params\)/);

  const rng = new Random(3);
  const x = tensor(Float32Array.from({ length: 3 * 784 }, () => rng.next()), [3, 28, 28, 1]);
  const session = await ort.InferenceSession.create(readFileSync(file));
  const out = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', Float32Array.from(x.data), [3, 28, 28, 1]) });
  const theirs = out[session.outputNames[0]].data as Float32Array;
  const ours = model.predict(x).data;
  assert.equal(theirs.length, ours.length);
  for (let i = 0; i < ours.length; i++) assert.ok(Math.abs(theirs[i] - ours[i]) <= 1e-4, `output ${i}: ${theirs[i]} vs ${ours[i]}`);
});

test('export explains a missing model and a bad option', async () => {
  const missing = await run('export', path.join(dir, 'nothing-here'), '--onnx', path.join(dir, 'x.onnx'));
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /convlab: error: No saved model at/);
  const noFile = await run('export', path.join(dir, 'lenet5'));
  assert.notEqual(noFile.code, 0);
  assert.match(noFile.stderr, /required option '--onnx <file>' not specified/);
});
