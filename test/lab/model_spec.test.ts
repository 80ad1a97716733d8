import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildModel, cloneSpec, defaultLayer, LAYER_TYPES, PRESETS, trainability } from '../../lab/src/model_spec.js';

describe('lab model presets', () => {
  test("the lab's CNN matches the summary printed in the lab (118,980 parameters)", () => {
    const model = buildModel(PRESETS.lab.spec);
    assert.equal(model.countParams(), 118980);
    assert.deepEqual(model.outputShapes(), [[null, 28, 28, 5], [null, 14, 14, 5], [null, 980], [null, 120], [null, 10]]);
    assert.equal(trainability(PRESETS.lab.spec, model, 10), null);
  });

  test('LeNet-5 and the MLP build with the expected parameter counts', () => {
    // LeNet-5: 156 + 2,416 + 48,120 + 10,164 + 850; MLP: 100,480 + 1,290.
    assert.equal(buildModel(PRESETS.lenet5.spec).countParams(), 61706);
    assert.equal(buildModel(PRESETS.mlp.spec).countParams(), 101770);
  });

  test('every layer type builds with its defaults', () => {
    const head = defaultLayer('dense');
    for (const { type } of LAYER_TYPES) {
      const layer = defaultLayer(type);
      const layers = type === 'flatten' || type === 'globalAveragePooling2d' ? [layer, head] : type === 'dense' ? [defaultLayer('flatten'), layer, head] : [layer, defaultLayer('flatten'), head];
      const model = buildModel({ inputShape: [28, 28, 1], layers });
      assert.equal(model.layers.length, layers.length, type);
      assert.deepEqual(model.outputShape, [null, 64]);
    }
  });

  test('models the page cannot train are explained', () => {
    const wrongInput = cloneSpec(PRESETS.lab.spec);
    wrongInput.inputShape = [800, 600, 3];
    wrongInput.layers = [{ type: 'conv2d', filters: 100, kernelSize: 3, strides: 1, padding: 'valid', activation: 'relu' }];
    const big = buildModel(wrongInput);
    assert.equal(big.countParams(), 2800);
    assert.match(trainability(wrongInput, big, 10) ?? '', /input shape \(28, 28, 1\)/);
    const noSoftmax = cloneSpec(PRESETS.mlp.spec);
    noSoftmax.layers[2] = { type: 'dense', units: 10, activation: 'linear' };
    assert.match(trainability(noSoftmax, buildModel(noSoftmax), 10) ?? '', /softmax/);
    assert.throws(() => buildModel({ inputShape: [28, 28, 1], layers: [] }), /no layers/);
    const tooSmall = cloneSpec(PRESETS.lab.spec);
    tooSmall.inputShape = [2, 2, 1];
    tooSmall.layers[0] = { type: 'conv2d', filters: 5, kernelSize: 3, strides: 1, padding: 'valid', activation: 'relu' };
    assert.throws(() => buildModel(tooSmall));
  });
});
