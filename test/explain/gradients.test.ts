/**
 * The gradients behind Grad-CAM and saliency come from src/autograd; here they are checked
 * against central finite differences in float64, computed without the explain module: the
 * layers after the explained one are run by hand on perturbed activations.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setFloatX } from '../../src/tensor/dtype.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { layers } from '../../src/layers/index.js';
import { sequential, type Sequential } from '../../src/models/sequential.js';
import { input, model as functionalModel } from '../../src/models/functional.js';
import { noGrad } from '../../src/autograd/tape.js';
import { Random } from '../../src/utils/random.js';
import { explain } from '../../src/index.js';
import { inputGradient, layerGradient } from '../../src/explain/target.js';
import { randomTensor } from '../helpers/gradcheck.js';

const H = 1e-6;

/** The logit of class c: the model run layer by layer from layer `from`, softmax left off. */
function logitFrom(model: Sequential, from: number, activations: Tensor, c: number): number {
  return noGrad(() => {
    let y = activations;
    const last = model.layers.length - 1;
    for (let i = from; i <= last; i++) {
      const layer = model.layers[i] as unknown as { callLinear(t: Tensor): Tensor; apply(t: Tensor, training: boolean): Tensor };
      y = i === last ? layer.callLinear(y) : layer.apply(y, false);
    }
    return y.data[c];
  });
}

function numericGradient(f: () => number, values: Float64Array): Float64Array {
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const saved = values[i];
    values[i] = saved + H;
    const plus = f();
    values[i] = saved - H;
    const minus = f();
    values[i] = saved;
    out[i] = (plus - minus) / (2 * H);
  }
  return out;
}

function assertClose(name: string, analytic: ArrayLike<number>, numeric: ArrayLike<number>, tolerance = 1e-6): void {
  assert.equal(analytic.length, numeric.length, `${name}: sizes differ`);
  let nonzero = 0;
  for (let i = 0; i < numeric.length; i++) {
    const error = Math.abs(numeric[i] - analytic[i]) / Math.max(1e-2, Math.abs(numeric[i]) + Math.abs(analytic[i]));
    assert.ok(error < tolerance, `${name}: element ${i}: analytic ${analytic[i]} vs numeric ${numeric[i]} (relative error ${error.toExponential(2)})`);
    if (Math.abs(numeric[i]) > 1e-6) nonzero++;
  }
  // A gradient of zeros everywhere would pass trivially: most elements must matter.
  assert.ok(nonzero > numeric.length / 4, `${name}: only ${nonzero} of ${numeric.length} gradient elements are non-zero`);
}

function smallCnn(): Sequential {
  return sequential({
    layers: [
      layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same', activation: 'tanh', inputShape: [7, 6, 2] }),
      layers.conv2d({ filters: 4, kernelSize: 3, activation: 'tanh', name: 'last_conv' }),
      layers.averagePooling2d({ poolSize: 2 }),
      layers.flatten(),
      layers.dense({ units: 5, activation: 'softmax' }),
    ],
  });
}

describe('explain: gradients from autograd match float64 finite differences', () => {
  before(() => setFloatX('float64'));
  after(() => setFloatX('float32'));

  it('d logit / d (conv layer output), for Grad-CAM', () => {
    const model = smallCnn();
    const rng = new Random(7);
    const x = randomTensor([1, 7, 6, 2], rng);
    const layer = model.getLayer('last_conv');
    for (const c of [0, 3]) {
      const { activations, gradient, score } = layerGradient(model, x, layer, c, 'test');
      assert.equal(activations.dtype, 'float64');
      assert.deepEqual(activations.shape, [1, 5, 4, 4]);
      assert.ok(Math.abs(score - logitFrom(model, 2, activations, c)) < 1e-12, 'the score is the logit');
      const a = new Tensor((activations.data as Float64Array).slice(), activations.shape);
      const numeric = numericGradient(() => logitFrom(model, 2, a, c), a.data as Float64Array);
      assertClose(`class ${c}`, gradient.data, numeric);
    }
  });

  it('d logit / d input, for saliency, one gradient per sample of a batch', () => {
    const model = smallCnn();
    const rng = new Random(8);
    const x = randomTensor([3, 7, 6, 2], rng);
    const g = inputGradient(model, x, 2).data;
    const numeric = numericGradient(() => {
      let total = 0;
      for (let s = 0; s < 3; s++) {
        const one = new Tensor((x.data as Float64Array).subarray(s * 84, (s + 1) * 84), [1, 7, 6, 2]);
        total += logitFrom(model, 0, one, 2);
      }
      return total;
    }, x.data as Float64Array);
    assertClose('input gradient', g, numeric);
  });

  it('the Grad-CAM map is relu(sum_k mean(dlogit/dA_k) A_k), from finite-difference weights', () => {
    const model = smallCnn();
    const rng = new Random(9);
    const x = randomTensor([7, 6, 2], rng);
    const layer = model.getLayer('last_conv');
    const a = layerGradient(model, x.reshape([1, 7, 6, 2]), layer, 1, 'test').activations;
    const numeric = numericGradient(() => logitFrom(model, 2, a, 1), a.data as Float64Array);
    const [, h, w, k] = a.shape;
    const expected = new Float64Array(h * w);
    for (let c = 0; c < k; c++) {
      let alpha = 0;
      for (let i = 0; i < h * w; i++) alpha += numeric[i * k + c] / (h * w);
      for (let i = 0; i < h * w; i++) expected[i] += alpha * a.data[i * k + c];
    }
    for (let i = 0; i < h * w; i++) expected[i] = Math.max(0, expected[i]);
    const coarse = explain.gradCam(model, x, { layer: 'last_conv', classIndex: 1, upsample: false, normalize: false });
    assert.deepEqual(coarse.shape, [5, 4]);
    for (let i = 0; i < h * w; i++) assert.ok(Math.abs(coarse.data[i] - expected[i]) < 1e-7, `cell ${i}: ${coarse.data[i]} vs ${expected[i]}`);
    assert.ok(expected.some((v) => v > 0) && expected.some((v) => v === 0), 'the test case has both positive and clipped cells');
    const full = explain.gradCam(model, x, { layer: 'last_conv', classIndex: 1 });
    assert.deepEqual(full.shape, [7, 6]);
    assert.equal(Math.max(...full.data), 1);
  });

  it('vanilla saliency is max over channels of |d logit / d input|', () => {
    const model = smallCnn();
    const x = randomTensor([7, 6, 2], new Random(10));
    const numeric = numericGradient(() => logitFrom(model, 0, x.reshape([1, 7, 6, 2]), 4), x.data as Float64Array);
    const map = explain.saliency(model, x, { classIndex: 4, normalize: false });
    assert.deepEqual(map.shape, [7, 6]);
    for (let i = 0; i < 42; i++) {
      const expected = Math.max(Math.abs(numeric[2 * i]), Math.abs(numeric[2 * i + 1]));
      assert.ok(Math.abs(map.data[i] - expected) < 1e-7, `pixel ${i}: ${map.data[i]} vs ${expected}`);
    }
  });

  it('a functional model with the same weights gives the same maps as the Sequential one', () => {
    const seq = smallCnn();
    const inp = input({ shape: [7, 6, 2] });
    let t = layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same', activation: 'tanh' }).apply(inp);
    t = layers.conv2d({ filters: 4, kernelSize: 3, activation: 'tanh', name: 'conv_f' }).apply(t);
    t = layers.averagePooling2d({ poolSize: 2 }).apply(t);
    t = layers.flatten().apply(t);
    const fn = functionalModel({ inputs: inp, outputs: layers.dense({ units: 5, activation: 'softmax' }).apply(t) });
    fn.setWeights(seq.getWeights());
    const x = randomTensor([7, 6, 2], new Random(11));
    const a = explain.gradCam(seq, x, { classIndex: 2 }).data;
    const b = explain.gradCam(fn, x, { classIndex: 2 }).data;
    assert.deepEqual(Array.from(b), Array.from(a));
    assert.equal(explain.lastConvLayer(fn).name, 'conv_f');
    const s1 = explain.saliency(seq, x, { method: 'smoothgrad', samples: 5, seed: 3 }).data;
    const s2 = explain.saliency(fn, x, { method: 'smoothgrad', samples: 5, seed: 3 }).data;
    assert.deepEqual(Array.from(s2), Array.from(s1));
  });
});
