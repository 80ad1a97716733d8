import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { layers, sequential, setSeed, zoo, type Sequential } from '../../src/index.js';
import { exportOnnx, exportOnnxFile } from '../../src/io/index.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { fashionMnistSample, maxAbsDiff, randomInput } from './helpers/data.js';
import { perturbWeights, predictData, testModels } from './helpers/models.js';

const root = mkdtempSync(join(tmpdir(), 'convlab-onnx-'));
after(() => rmSync(root, { recursive: true, force: true }));

const TOLERANCE = 1e-4;

async function runOnnx(bytes: Uint8Array, x: Tensor): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes);
  const input = new ort.Tensor('float32', Float32Array.from(x.data), [...x.shape]);
  const out = await session.run({ [session.inputNames[0]]: input });
  const result = out[session.outputNames[0]];
  return result.data as Float32Array;
}

async function checkModel(model: Sequential, x: Tensor): Promise<number> {
  const bytes = exportOnnx(model);
  const ours = predictData(model, x);
  const theirs = await runOnnx(bytes, x);
  assert.equal(theirs.length, ours.length);
  const diff = maxAbsDiff(ours, theirs);
  assert.ok(diff <= TOLERANCE, `max abs difference ${diff}`);
  return diff;
}

describe('ONNX export, checked in onnxruntime-node', () => {
  const { x } = fashionMnistSample(16);
  for (const [name, build] of Object.entries(testModels)) {
    it(`${name}: ONNX Runtime predicts the same on Fashion-MNIST images`, async () => {
      setSeed(31);
      const model = build();
      perturbWeights(model);
      await checkModel(model, x);
    });
  }

  for (const name of ['lab-cnn', 'lenet5', 'lenet5-classic', 'cifar-cnn-bn']) {
    it(`zoo '${name}' (untrained weights, perturbed BN statistics)`, async () => {
      setSeed(41);
      const model = zoo.create(name);
      perturbWeights(model);
      const shape = model.inputShape.slice(1) as number[];
      await checkModel(model, randomInput([3, ...shape], 5, 0, 255));
    });
  }

  it('Dense on a 4-D input (MatMul on the channel axis), softmax over channels, and the batch is dynamic', async () => {
    setSeed(51);
    const model = sequential({ layers: [
      layers.conv2d({ filters: 3, kernelSize: 3, inputShape: [6, 5, 2], padding: 'same' }),
      layers.dense({ units: 4, activation: 'softmax' }),
      layers.batchNormalization(),
      layers.maxPooling2d({ poolSize: 2, padding: 'same' }),
    ] });
    perturbWeights(model);
    const bytes = exportOnnx(model);
    for (const n of [1, 5]) {
      const input = randomInput([n, 6, 5, 2], n);
      assert.ok(maxAbsDiff(predictData(model, input), await runOnnx(bytes, input)) <= TOLERANCE);
    }
  });

  it('writes a file atomically and refuses layers or shapes it cannot express', async () => {
    setSeed(61);
    const model = testModels['lab-cnn']();
    const path = join(root, 'sub', 'model.onnx');
    const { bytes } = await exportOnnxFile(model, path);
    assert.equal(readFileSync(path).byteLength, bytes);
    const unbuilt = sequential({ layers: [layers.dense({ units: 2 })] });
    assert.throws(() => exportOnnx(unbuilt), /not built/);
    const openShape = sequential({ layers: [layers.conv2d({ filters: 1, kernelSize: 1, inputShape: [null, null, 1] })] });
    assert.throws(() => exportOnnx(openShape), /must be fully known/);
  });
});
