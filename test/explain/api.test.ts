/** The explain API's helpers and its answers to mistakes. */
import '../helpers/seeded_math_random.js'; // TF.js's unseeded initialisers, made the same every run
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { explain, input, layers, model as functionalModel, sequential, Tensor, tensor } from '../../src/index.js';
import { normalizeMax } from '../../src/explain/heatmap.js';
import { Random } from '../../src/utils/random.js';

function tinyCnn(activation = 'relu') {
  return sequential({
    layers: [
      layers.conv2d({ filters: 2, kernelSize: 3, padding: 'same', activation, inputShape: [6, 6, 1], name: 'conv' }),
      layers.flatten(),
      layers.dense({ units: 3, activation: 'softmax', name: 'out' }),
    ],
  });
}

describe('explain helpers', () => {
  it('resizeBilinear equals tf.image.resizeBilinear with half-pixel centres', async () => {
    await tf.setBackend('cpu');
    const rng = new Random(3);
    for (const [h, w, oh, ow] of [[5, 4, 16, 13], [7, 7, 28, 28], [3, 2, 3, 2], [10, 10, 28, 28], [1, 1, 4, 4]]) {
      const data = Float32Array.from({ length: h * w }, () => rng.uniform(0, 1));
      const ours = explain.resizeBilinear(data, h, w, oh, ow);
      const theirs = tf.image.resizeBilinear(tf.tensor4d(data, [1, h, w, 1]), [oh, ow], false, true).dataSync();
      for (let i = 0; i < oh * ow; i++) assert.ok(Math.abs(ours[i] - theirs[i]) < 1e-6, `${h}x${w} -> ${oh}x${ow} at ${i}: ${ours[i]} vs ${theirs[i]}`);
    }
  });

  it('normalizeMax scales to [0, 1], keeps zeros, and never hides a NaN', () => {
    assert.deepEqual(Array.from(normalizeMax(Float32Array.from([0, 2, 1]))), [0, 1, 0.5]);
    assert.deepEqual(Array.from(normalizeMax(new Float32Array(3))), [0, 0, 0]);
    assert.ok(Array.from(normalizeMax(Float32Array.from([0, NaN, 1]))).every(Number.isNaN));
  });

  it('a NaN in the image gives a NaN map, not a plausible one', () => {
    // tanh: in this branch the fused conv+relu kernel turns NaN into 0 before explain sees it
    // (NaN propagation through the core is issue 16's work).
    const model = tinyCnn('tanh');
    const x = new Float32Array(36).fill(0.5);
    x[7] = NaN;
    const image = tensor(x, [6, 6, 1]);
    assert.ok(Array.from(explain.gradCam(model, image, { classIndex: 0 }).data).some(Number.isNaN));
    assert.ok(Array.from(explain.saliency(model, image, { classIndex: 0 }).data).some(Number.isNaN));
  });

  it('argmax2d finds the first largest cell', () => {
    assert.deepEqual(explain.argmax2d(tensor([0, 1, 0, 3, 3, 2], [2, 3])), { y: 1, x: 0, value: 3 });
  });
});

describe('explain answers mistakes with what was expected', () => {
  const model = tinyCnn();
  const image = tensor(new Float32Array(36).fill(0.5), [6, 6, 1]);
  const cases: [string, () => unknown, RegExp][] = [
    ['a batch of two', () => explain.gradCam(model, tensor(new Float32Array(72), [2, 6, 6, 1])), /expected one image of shape \[h, w, c\] or \[1, h, w, c\], received shape \[2,6,6,1\]/],
    ['uint8 pixels', () => explain.saliency(model, new Tensor(new Uint8Array(36), [6, 6, 1])), /expected a float image scaled as in training .* received dtype uint8/],
    ['the wrong size', () => explain.gradCam(model, tensor(new Float32Array(49), [7, 7, 1])), /incompatible with model 'sequential.*': expected shape \(None, 6, 6, 1\), received \(None, 7, 7, 1\)/],
    ['a class out of range', () => explain.gradCam(model, image, { classIndex: 3 }), /classIndex must be an integer from 0 to 2 \(the model has 3 outputs\), received 3/],
    ['an unknown layer', () => explain.gradCam(model, image, { layer: 'conv9' }), /has no layer "conv9"; its layers are conv, flatten, out/],
    ['a dense layer', () => explain.gradCam(model, image, { layer: 'out' }), /layer 'out' \(Dense\) outputs shape \[1,3\]; Grad-CAM needs a layer with \[h, w, channels\] output/],
    ['an unknown method', () => explain.saliency(model, image, { method: 'lime' as never }), /method must be 'vanilla' or 'smoothgrad', received "lime"/],
    ['zero samples', () => explain.saliency(model, image, { method: 'smoothgrad', samples: 0 }), /samples must be a positive integer, received 0/],
    ['negative noise', () => explain.saliency(model, image, { method: 'smoothgrad', noise: -1 }), /noise must be a number >= 0/],
    ['a model without convolutions', () => explain.gradCam(sequential({ layers: [layers.flatten({ inputShape: [6, 6, 1] }), layers.dense({ units: 2, activation: 'softmax' })] }), image), /has no convolution layer with a spatial output; pass \{ layer \}/],
  ];
  for (const [what, f, message] of cases) it(what, () => assert.throws(f, message));

  it('a layer that runs twice in a graph is refused by name', () => {
    const x = input({ shape: [6, 6, 2] });
    const shared = layers.conv2d({ filters: 2, kernelSize: 3, padding: 'same', name: 'shared' });
    const y = shared.apply(shared.apply(x));
    const m = functionalModel({ inputs: x, outputs: layers.dense({ units: 2, activation: 'softmax' }).apply(layers.flatten().apply(y)) });
    assert.throws(() => explain.gradCam(m, tensor(new Float32Array(72), [6, 6, 2]), { layer: 'shared' }), /layer 'shared' runs 2 times in model .*; choose a layer used exactly once/);
  });
});
