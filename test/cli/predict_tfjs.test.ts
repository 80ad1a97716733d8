/**
 * `convlab predict` on bare TF.js files, as the browser lab's "Your images" downloads them:
 * model.json under any name (a browser may save 'model (1).json') with convlab's run description
 * in `userDefinedMetadata.convlab`, and no convlab.json beside it. The class names and the
 * preprocessing (here the central crop) come from the embedded description.
 */
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import { decodeFile } from '../../src/datasets/image_folder/decode.js';
import { layers } from '../../src/layers/index.js';
import { sequential } from '../../src/models/sequential.js';
import { modelToArtifacts } from '../../src/io/model_io.js';
import { artifactsToModelJson } from '../../src/io/model_json.js';
import { concatWeightData } from '../../src/io/types.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { setSeed } from '../../src/utils/random.js';
import { rmrf, run, tempDir } from './helpers.js';

let dir = '';
let image = '';
const model = () => {
  setSeed(11);
  const m = sequential();
  m.add(layers.conv2d({ inputShape: [8, 8, 3], filters: 4, kernelSize: 3, activation: 'relu' }));
  m.add(layers.globalAveragePooling2d({}));
  m.add(layers.dense({ units: 2, activation: 'softmax' }));
  return m;
};

function meta(crop: boolean) {
  return {
    format: 'convlab-run', version: 1, model: 'lab-small-cnn', dataset: 'folder',
    imageFolder: { dir: 'browser lab: Your images', preprocessing: { imageSize: [8, 8], colorMode: 'rgb', interpolation: 'bilinear', cropToAspectRatio: crop }, validationSplit: 0.15, seed: 42, files: { training: 10, validation: 2 }, skipped: {} },
    classNames: ['oak', 'maple'], inputShape: [8, 8, 3], pixelScale: 1 / 255, training: {}, createdAt: '2026-01-01T00:00:00.000Z',
  };
}

async function writeTfjs(folder: string, jsonName: string, userDefinedMetadata?: Record<string, unknown>): Promise<string> {
  await fsp.mkdir(folder, { recursive: true });
  const artifacts = modelToArtifacts(model());
  if (userDefinedMetadata) artifacts.userDefinedMetadata = userDefinedMetadata;
  const shard = `${jsonName.replace(/\.json$/, '')}.weights.bin`;
  await fsp.writeFile(path.join(folder, shard), new Uint8Array(concatWeightData(artifacts.weightData)));
  await fsp.writeFile(path.join(folder, jsonName), JSON.stringify(artifactsToModelJson(artifacts, shard)));
  return path.join(folder, jsonName);
}

async function expected(crop: boolean): Promise<number[]> {
  const d = await decodeFile(image, { height: 8, width: 8, channels: 3, interpolation: 'bilinear', cropToAspectRatio: crop });
  assert.ok(d.ok);
  const x = Float32Array.from(d.pixels, (v) => v / 255);
  return Array.from(model().predict(new Tensor(x, [1, 8, 8, 3])).data);
}

before(async () => {
  dir = tempDir();
  // 24x8: red, green, blue thirds; the central crop keeps the green third only.
  const px = Buffer.alloc(24 * 8 * 3);
  for (let y = 0; y < 8; y++) for (let x = 0; x < 24; x++) px[3 * (y * 24 + x) + Math.floor(x / 8)] = 200 + ((x * 7 + y * 3) % 50);
  image = path.join(dir, 'leaf.png');
  await fsp.writeFile(image, await sharp(px, { raw: { width: 24, height: 8, channels: 3 } }).png().toBuffer());
});

after(() => rmrf(dir));

test('predict reads class names and preprocessing from model.json\'s userDefinedMetadata.convlab, under any file name', async () => {
  const json = await writeTfjs(path.join(dir, 'downloads'), 'model (1).json', { convlab: meta(true) });
  const r = await run('predict', json, image, '--json');
  assert.equal(r.code, 0, r.stderr);
  const [p] = JSON.parse(r.stdout) as { className: string; top: { classIndex: number; probability: number }[] }[];
  const cropped = await expected(true);
  const stretched = await expected(false);
  const got = p.top.sort((a, b) => a.classIndex - b.classIndex).map((t) => t.probability);
  assert.ok(got.every((v, i) => Math.abs(v - cropped[i]) < 1e-6), `predict ${got.join(', ')}, cropped ${cropped.join(', ')}`);
  assert.ok(got.some((v, i) => Math.abs(v - stretched[i]) > 1e-4), 'the crop changes the input, so the probabilities');
  assert.equal(p.className, cropped[0] >= cropped[1] ? 'oak' : 'maple');
  // The folder holding model.json works too when the file is called model.json.
  const folder = path.join(dir, 'tfjs');
  await writeTfjs(folder, 'model.json', { convlab: meta(false) });
  const r2 = await run('predict', folder, image);
  assert.equal(r2.code, 0, r2.stderr);
  assert.match(r2.stdout, /leaf\.png:\s+(oak|maple) \(/);
});

test('a model.json without a run description, or with a broken one, is a clear error', async () => {
  const bare = await writeTfjs(path.join(dir, 'bare'), 'model.json');
  const r = await run('predict', bare, image);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /does not say which classes it predicts \(no convlab\.json\)/);
  const broken = await writeTfjs(path.join(dir, 'broken'), 'model.json', { convlab: { classNames: ['a', 'b'] } });
  const r2 = await run('predict', broken, image);
  assert.equal(r2.code, 1);
  assert.match(r2.stderr, /userDefinedMetadata\.convlab\) is not a convlab run description/);
});
