import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { layers, loadLayersModel, sequential, setSeed, type Layer, type Sequential } from '../../src/index.js';
import { noGrad } from '../../src/autograd/tape.js';
import { mul, sum } from '../../src/ops/arithmetic.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { Random } from '../../src/utils/random.js';
import { checkGradients, randomTensor } from '../helpers/gradcheck.js';
import { maxAbsDiff } from '../io/helpers/data.js';
import { tfjs, tfjsHandlerFromDir } from '../io/helpers/tfjs.js';
import { activationCases, layerCases, type LayerCase } from './cases.js';

const root = mkdtempSync(join(tmpdir(), 'convlab-keras-layers-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** Distinct values in every weight; variances and gammas positive. */
function perturb(layersWithWeights: Layer[], seed: number): void {
  const rng = new Random(seed);
  for (const layer of layersWithWeights) {
    for (const w of layer.weights) {
      const d = w.value.data;
      const positive = /variance|gamma$/.test(w.name);
      for (let i = 0; i < d.length; i++) d[i] = positive ? rng.uniform(0.5, 1.5) : rng.uniform(-0.6, 0.6);
    }
  }
}

function inputFor(c: LayerCase, batch: number, seed: number, dtype: 'float32' | 'float64'): Tensor {
  const rng = new Random(seed);
  const size = batch * c.shape.reduce((p, d) => p * d, 1);
  const data = dtype === 'float32' ? new Float32Array(size) : new Float64Array(size);
  for (let i = 0; i < size; i++) data[i] = c.vocab ? rng.int(c.vocab) : rng.uniform(-1.5, 1.5);
  return new Tensor(data, [batch, ...c.shape]);
}

function predict(model: Sequential, x: Tensor): Float32Array | Float64Array {
  return noGrad(() => model.predict(x).data as Float32Array);
}

describe('Keras layers: TF.js-format round trip, and agreement with @tensorflow/tfjs 4.22', () => {
  layerCases.forEach((c, k) => {
    it(c.name, async () => {
      setSeed(100 + k);
      const model = sequential({ layers: [c.make({ inputShape: c.shape })] });
      perturb(model.layers, k);
      const x = inputFor(c, 3, k, 'float32');
      const ours = predict(model, x);
      const dir = join(root, `case-${k}`);
      await model.save(dir);
      const loaded = await loadLayersModel<Sequential>(dir);
      assert.equal(loaded.layers[0].className, model.layers[0].className);
      assert.deepEqual(loaded.layers[0].getConfig(), model.layers[0].getConfig());
      assert.deepEqual(Array.from(predict(loaded, x)), Array.from(ours), 'predictions after loading');
      if (c.notTfjs) return;
      const tf = await tfjs();
      const tfModel = await tf.loadLayersModel(tfjsHandlerFromDir(dir));
      assert.equal(tfModel.layers[0].getClassName(), model.layers[0].className);
      const theirs = tf.tidy(() => (tfModel.predict(tf.tensor(x.data as Float32Array, [...x.shape])) as import('@tensorflow/tfjs').Tensor).dataSync());
      const diff = maxAbsDiff(ours, theirs);
      assert.ok(diff <= 1e-5, `max abs difference from TF.js ${diff}`);
      tfModel.dispose();
    });
  });

  for (const a of activationCases.filter((c) => c.tfjs)) {
    it(`activation '${a.name}' in Dense and Conv2D`, async () => {
      setSeed(7);
      const model = sequential({ layers: [
        layers.conv2d({ filters: 3, kernelSize: 2, activation: a.name, inputShape: [4, 4, 2] }),
        layers.flatten(),
        layers.dense({ units: 5, activation: a.name }),
      ] });
      perturb(model.layers, 3);
      const x = inputFor({ name: '', make: () => model.layers[0], shape: [4, 4, 2] }, 4, 9, 'float32');
      const dir = join(root, `activation-${a.name}`);
      await model.save(dir);
      const tf = await tfjs();
      const tfModel = await tf.loadLayersModel(tfjsHandlerFromDir(dir));
      const theirs = tf.tidy(() => (tfModel.predict(tf.tensor(x.data as Float32Array, [...x.shape])) as import('@tensorflow/tfjs').Tensor).dataSync());
      const diff = maxAbsDiff(predict(model, x), theirs);
      assert.ok(diff <= 1e-5, `max abs difference from TF.js ${diff}`);
      const loaded = await loadLayersModel<Sequential>(dir);
      assert.deepEqual(Array.from(predict(loaded, x)), Array.from(predict(model, x)));
      tfModel.dispose();
    });
  }
});

describe('Keras layers: float64 gradient checks of the input and every weight', () => {
  layerCases.forEach((c, k) => {
    if (c.noGradcheck) return;
    it(c.name, () => {
      setSeed(200 + k);
      const layer = c.make({ dtype: 'float64' });
      const x = inputFor(c, 2, 50 + k, 'float64');
      const y0 = layer.apply(x);
      perturb([layer], 60 + k);
      const r = randomTensor([...y0.shape], new Random(70 + k));
      const f = (): Tensor => sum(mul(layer.apply(x, true), r));
      const weights = layer.weights.map((w) => w.value);
      // Embedding's integer ids have no gradient.
      checkGradients(c.name, f, c.vocab ? weights : [x, ...weights]);
    });
  });

  it('training-only layers: GaussianNoise and SpatialDropout2D are the identity in inference, random in training', () => {
    const x = inputFor({ name: '', make: () => layers.reLU(), shape: [6, 6, 8] }, 4, 1, 'float64');
    const noise = layers.gaussianNoise({ stddev: 0.5, seed: 3 });
    assert.equal(noise.apply(x, false), x);
    const noisy = noise.apply(x, true).data;
    let s = 0;
    let s2 = 0;
    for (let i = 0; i < noisy.length; i++) {
      const e = noisy[i] - x.data[i];
      s += e;
      s2 += e * e;
    }
    const n = noisy.length;
    assert.ok(Math.abs(s / n) < 0.1 && Math.abs(Math.sqrt(s2 / n) - 0.5) < 0.05, `noise mean ${s / n}, std ${Math.sqrt(s2 / n)}`);
    const drop = layers.spatialDropout2d({ rate: 0.5, seed: 4 });
    assert.equal(drop.apply(x, false), x);
    const y = drop.apply(x, true).data;
    let dropped = 0;
    // Each (sample, channel) map is either all zeros or all x / (1 - rate).
    for (let b = 0; b < 4; b++) {
      for (let ch = 0; ch < 8; ch++) {
        const cells = Array.from({ length: 36 }, (_, p) => b * 288 + p * 8 + ch);
        const zero = cells.every((i) => y[i] === 0);
        const kept = cells.every((i) => Math.abs(y[i] - 2 * x.data[i]) < 1e-12);
        assert.ok(zero || kept, `map (${b}, ${ch}) is neither dropped nor kept whole`);
        if (zero) dropped++;
      }
    }
    assert.ok(dropped > 4 && dropped < 28, `${dropped} of 32 maps dropped at rate 0.5`);
  });
});
