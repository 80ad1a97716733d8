import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { layers, sequential, setSeed, type Sequential } from '../../src/index.js';
import { exportOnnx } from '../../src/io/index.js';
import { noGrad } from '../../src/autograd/tape.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { Random } from '../../src/utils/random.js';
import { activationCases, layerCases } from './cases.js';

/** Every new layer (and activation) exported to ONNX and run by onnxruntime-node. */

const TOLERANCE = 1e-4;

function perturb(model: Sequential, seed: number): void {
  const rng = new Random(seed);
  for (const w of model.weights) {
    const positive = /variance|gamma$/.test(w.name);
    for (let i = 0; i < w.value.size; i++) w.value.data[i] = positive ? rng.uniform(0.5, 1.5) : rng.uniform(-0.6, 0.6);
  }
}

async function compare(model: Sequential, x: Tensor): Promise<number> {
  const session = await ort.InferenceSession.create(exportOnnx(model));
  const out = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', Float32Array.from(x.data), [...x.shape]) });
  const theirs = out[session.outputNames[0]];
  const ours = noGrad(() => model.predict(x));
  assert.deepEqual([...theirs.dims], [...ours.shape]);
  let diff = 0;
  const t = theirs.data as Float32Array;
  for (let i = 0; i < t.length; i++) diff = Math.max(diff, Math.abs(t[i] - ours.data[i]));
  return diff;
}

function input(shape: number[], seed: number, vocab?: number): Tensor {
  const rng = new Random(seed);
  const n = shape.reduce((p, d) => p * d, 1);
  return new Tensor(Float32Array.from({ length: n }, () => (vocab ? rng.int(vocab) : rng.uniform(-1.5, 1.5))), shape);
}

describe('ONNX export of the Keras layers, checked in onnxruntime-node', () => {
  layerCases.forEach((c, k) => {
    it(c.name, async () => {
      setSeed(300 + k);
      // A convolution in front, so the layer also meets the channels-first layout where it is rank 4.
      const front = c.shape.length === 3 && !c.vocab ? [layers.conv2d({ filters: c.shape[2], kernelSize: 1, inputShape: c.shape })] : [];
      const model = sequential({ layers: [...front, c.make(front.length ? {} : { inputShape: c.shape })] });
      perturb(model, k);
      const diff = await compare(model, input([2, ...c.shape], k, c.vocab));
      assert.ok(diff <= TOLERANCE, `max abs difference from ONNX Runtime ${diff}`);
    });
  });

  for (const a of activationCases) {
    it(`activation '${a.name}'`, async () => {
      setSeed(9);
      const model = sequential({ layers: [layers.conv2d({ filters: 3, kernelSize: 2, activation: a.name, inputShape: [4, 4, 2] }), layers.flatten(), layers.dense({ units: 4, activation: a.name })] });
      perturb(model, 2);
      const diff = await compare(model, input([3, 4, 4, 2], 5));
      assert.ok(diff <= TOLERANCE, `max abs difference from ONNX Runtime ${diff}`);
    });
  }
});
