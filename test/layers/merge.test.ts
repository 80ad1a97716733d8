import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { input, layers, loadLayersModel, model, setSeed, type Functional, type Layer } from '../../src/index.js';
import { noGrad } from '../../src/autograd/tape.js';
import { mul, sum } from '../../src/ops/arithmetic.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { Random } from '../../src/utils/random.js';
import { checkGradients, randomTensor } from '../helpers/gradcheck.js';
import { maxAbsDiff } from '../io/helpers/data.js';
import { tfjs, tfjsHandlerFromDir } from '../io/helpers/tfjs.js';

/** Multiply, Subtract, Average, Maximum, Minimum: gradients, and a functional model TF.js reads. */

const root = mkdtempSync(join(tmpdir(), 'convlab-merge-'));
after(() => rmSync(root, { recursive: true, force: true }));

const merges: [string, () => Layer, number][] = [
  ['Multiply', () => layers.multiply(), 3],
  ['Subtract', () => layers.subtract(), 2],
  ['Average', () => layers.average(), 3],
  ['Maximum', () => layers.maximum(), 3],
  ['Minimum', () => layers.minimum(), 2],
];

describe('elementwise merge layers', () => {
  for (const [name, make, inputs] of merges) {
    it(`${name}: float64 gradient check of each of ${inputs} inputs`, () => {
      const rng = new Random(name.length);
      const xs = Array.from({ length: inputs }, () => randomTensor([2, 3, 2], rng));
      const r = randomTensor([2, 3, 2], rng);
      const layer = make();
      checkGradients(name, () => sum(mul(layer.applyTensors(xs, false), r)), xs);
    });
  }

  for (const withSubtract of [true, false]) it(withSubtract ? 'a functional model with all five saves and loads bit-identically' : 'without Subtract (TF.js 4.22 has none), TF.js predicts the same', async () => {
    setSeed(4);
    const x = input({ shape: [4, 4, 2], name: 'image' });
    const a = layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same', name: 'a' }).apply(x);
    const b = layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same', activation: 'tanh', name: 'b' }).apply(x);
    const c = layers.conv2d({ filters: 3, kernelSize: 1, name: 'c' }).apply(x);
    const prod = layers.multiply({ name: 'prod' }).apply([a, b, c]);
    const diff = withSubtract ? layers.subtract({ name: 'diff' }).apply([prod, c]) : prod;
    const avg = layers.average({ name: 'avg' }).apply([diff, a, b]);
    const hi = layers.maximum({ name: 'hi' }).apply([avg, b]);
    const lo = layers.minimum({ name: 'lo' }).apply([hi, a, c]);
    const out = layers.dense({ units: 2, name: 'out' }).apply(layers.flatten({ name: 'flat' }).apply(lo));
    const m: Functional = model({ inputs: x, outputs: out, name: 'merges' });
    const rng = new Random(5);
    const batch = new Tensor(Float32Array.from({ length: 3 * 32 }, () => rng.uniform(-1, 1)), [3, 4, 4, 2]);
    const ours = noGrad(() => m.predict(batch).data);
    const dir = join(root, `merges-${withSubtract}`);
    await m.save(dir);
    const loaded = await loadLayersModel<Functional>(dir);
    assert.deepEqual(Array.from(noGrad(() => loaded.predict(batch).data)), Array.from(ours));
    if (withSubtract) return;
    const tf = await tfjs();
    const tfModel = await tf.loadLayersModel(tfjsHandlerFromDir(dir));
    const theirs = tf.tidy(() => (tfModel.predict(tf.tensor(batch.data as Float32Array, [...batch.shape])) as import('@tensorflow/tfjs').Tensor).dataSync());
    assert.ok(maxAbsDiff(ours, theirs) <= 1e-5, `max abs difference from TF.js ${maxAbsDiff(ours, theirs)}`);
    tfModel.dispose();
  });

  it('inputs of different shapes are refused with both shapes', () => {
    const p = input({ shape: [3] });
    const q = input({ shape: [4] });
    assert.throws(() => layers.multiply({ name: 'm' }).apply([p, q]), /Layer 'm' \(Multiply\): inputs must have the same shape, received \(None, 3\), \(None, 4\)/);
  });
});
