import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as ops from '../src/ops/index.js';
import { Random } from '../src/utils/random.js';
import { setFloatX } from '../src/tensor/dtype.js';
import { Tensor } from '../src/tensor/tensor.js';
import { layers } from '../src/layers/index.js';
import { losses, fromLogits } from '../src/losses/index.js';
import { checkGradients, randomTensor } from './helpers/gradcheck.js';
import { valueAndGrads } from '../src/autograd/backprop.js';
import type { Layer } from '../src/layers/layer.js';

const rng = new Random(42);

// One fixed weighting per output shape, so the scalar is a fixed linear function of the output.
const weightCache = new Map<string, Tensor>();
function weightsFor(y: Tensor): Tensor {
  const key = y.shape.join('x');
  if (!weightCache.has(key)) weightCache.set(key, randomTensor([...y.shape], rng));
  return weightCache.get(key)!;
}
function scalarOf(y: Tensor): Tensor {
  return ops.sum(ops.mul(y, weightsFor(y)));
}

describe('op gradients match float64 finite differences', () => {
  it('add, sub, mul, div with broadcasting', () => {
    const a = randomTensor([2, 3, 4], rng);
    const b = randomTensor([3, 1], rng, 0.5, 2);
    const c = randomTensor([4], rng, 0.5, 2);
    checkGradients('add', () => scalarOf(ops.add(a, b)), [a, b]);
    checkGradients('sub', () => scalarOf(ops.sub(a, c)), [a, c]);
    checkGradients('mul', () => scalarOf(ops.mul(a, b)), [a, b]);
    checkGradients('div', () => scalarOf(ops.div(a, c)), [a, c]);
    checkGradients('mul same tensor twice', () => scalarOf(ops.mul(a, a)), [a]);
  });
  it('maximum and minimum', () => {
    const a = randomTensor([3, 4], rng);
    const b = randomTensor([3, 4], rng);
    checkGradients('maximum', () => scalarOf(ops.maximum(a, b)), [a, b]);
    checkGradients('minimum', () => scalarOf(ops.minimum(a, b)), [a, b]);
  });
  for (const [name, f, lo, hi] of [
    ['neg', ops.neg, -2, 2], ['exp', ops.exp, -2, 2], ['log', ops.log, 0.2, 3], ['sqrt', ops.sqrt, 0.2, 3],
    ['square', ops.square, -2, 2], ['abs', ops.abs, -2, 2],
    ['relu', ops.relu, -2, 2], ['tanh', ops.tanh, -2, 2], ['sigmoid', ops.sigmoid, -3, 3],
    ['elu', (x: Tensor) => ops.elu(x, 1.3), -2, 2], ['leakyRelu', (x: Tensor) => ops.leakyRelu(x, 0.2), -2, 2],
    ['softmax', ops.softmax, -3, 3], ['logSoftmax', ops.logSoftmax, -3, 3],
  ] as [string, (x: Tensor) => Tensor, number, number][]) {
    it(name, () => {
      const x = randomTensor([3, 5], rng, lo, hi);
      checkGradients(name, () => scalarOf(f(x)), [x]);
    });
  }
  it('sum and mean over axes, reshape, clipByValue', () => {
    const x = randomTensor([2, 3, 4], rng);
    checkGradients('sum axis 1', () => scalarOf(ops.sum(x, 1)), [x]);
    checkGradients('sum axes [0,2] keepDims', () => scalarOf(ops.sum(x, [0, 2], true)), [x]);
    checkGradients('mean all', () => ops.mean(ops.square(x)), [x]);
    checkGradients('mean last', () => scalarOf(ops.mean(x, -1)), [x]);
    checkGradients('reshape', () => scalarOf(ops.reshape(x, [4, 6])), [x]);
    checkGradients('clipByValue', () => scalarOf(ops.clipByValue(x, -0.5, 0.5)), [x]);
  });
  it('matMul with every transpose combination', () => {
    for (const [tA, tB] of [[false, false], [true, false], [false, true], [true, true]]) {
      const a = randomTensor(tA ? [5, 3] : [3, 5], rng);
      const b = randomTensor(tB ? [7, 5] : [5, 7], rng);
      checkGradients(`matMul tA=${tA} tB=${tB}`, () => scalarOf(ops.matMul(a, b, tA, tB)), [a, b]);
    }
  });
  it('biasAdd', () => {
    const x = randomTensor([2, 3, 4], rng);
    const b = randomTensor([4], rng);
    checkGradients('biasAdd', () => scalarOf(ops.biasAdd(x, b)), [x, b]);
    checkGradients('biasAdd with relu', () => scalarOf(ops.biasAdd(x, b, 'relu')), [x, b]);
  });
  const convCases: [string, number[], number[], ops_conv][] = [
    ['valid 3x3 stride 1', [2, 6, 5, 3], [3, 3, 3, 4], { padding: 'valid' }],
    ['same 3x3 stride 1', [2, 5, 5, 2], [3, 3, 2, 3], { padding: 'same' }],
    ['same 2x2 stride 1 (asymmetric pad)', [1, 5, 4, 2], [2, 2, 2, 3], { padding: 'same' }],
    ['same 3x3 stride 2 odd size', [2, 7, 6, 2], [3, 3, 2, 2], { padding: 'same', strides: 2 }],
    ['valid 2x3 strides [2,1]', [3, 7, 7, 1], [2, 3, 1, 5], { padding: 'valid', strides: [2, 1] }],
    ['same 4x4 stride 3', [1, 8, 7, 2], [4, 4, 2, 2], { padding: 'same', strides: 3 }],
    ['valid dilation 2', [2, 7, 8, 2], [3, 2, 2, 3], { padding: 'valid', dilations: 2 }],
    ['same dilation [2,3]', [1, 6, 7, 3], [2, 3, 3, 2], { padding: 'same', dilations: [2, 3] }],
  ];
  type ops_conv = Parameters<typeof ops.conv2d>[2];
  for (const [name, xShape, wShape, opts] of convCases) {
    it(`conv2d ${name}`, () => {
      const x = randomTensor(xShape, rng);
      const w = randomTensor(wShape, rng);
      checkGradients(`conv2d ${name}`, () => scalarOf(ops.conv2d(x, w, opts)), [x, w]);
    });
  }
  const poolCases: [string, number[], Parameters<typeof ops.maxPool>[1]][] = [
    ['2x2 valid', [2, 4, 6, 3], { poolSize: 2 }],
    ['3x3 stride 2 same odd', [2, 7, 5, 2], { poolSize: 3, strides: 2, padding: 'same' }],
    ['2x3 stride 1 valid', [1, 5, 6, 2], { poolSize: [2, 3], strides: 1 }],
    ['2x2 same odd size', [3, 5, 5, 1], { poolSize: 2, padding: 'same' }],
  ];
  for (const [name, shape, opts] of poolCases) {
    it(`maxPool ${name}`, () => {
      const x = randomTensor(shape, rng);
      checkGradients(`maxPool ${name}`, () => scalarOf(ops.maxPool(x, opts)), [x]);
    });
    it(`avgPool ${name}`, () => {
      const x = randomTensor(shape, rng);
      checkGradients(`avgPool ${name}`, () => scalarOf(ops.avgPool(x, opts)), [x]);
    });
  }
  for (const shape of [[7, 3], [3, 4, 2, 5], [2, 3, 3, 8]]) {
    const channels = shape[shape.length - 1];
    for (const [withGamma, withBeta] of [[true, true], [false, false], [true, false], [false, true]]) {
      const label = `[${shape}] gamma=${withGamma} beta=${withBeta}`;
      it(`fused batch norm, training mode ${label}`, () => {
        // Offset and scaled, so the mean and variance are far from 0 and 1 and their gradients matter.
        const x = ops.add(ops.mul(randomTensor(shape, rng), 1.7), 0.4);
        const gamma = withGamma ? randomTensor([channels], rng, 0.5, 2) : null;
        const beta = withBeta ? randomTensor([channels], rng) : null;
        const watched = [x, gamma, beta].filter((t): t is Tensor => t !== null);
        checkGradients(`batchNorm training ${label}`, () => scalarOf(ops.batchNormTraining(x, gamma, beta, 1e-3).y), watched);
      });
      it(`fused batch norm, inference mode ${label}`, () => {
        const x = randomTensor(shape, rng, -2, 2);
        const mean = randomTensor([channels], rng);
        const variance = randomTensor([channels], rng, 0.2, 2);
        const gamma = withGamma ? randomTensor([channels], rng, 0.5, 2) : null;
        const beta = withBeta ? randomTensor([channels], rng) : null;
        const watched = [x, mean, variance, gamma, beta].filter((t): t is Tensor => t !== null);
        checkGradients(`batchNorm inference ${label}`, () => scalarOf(ops.batchNormInference(x, mean, variance, gamma, beta, 1e-3)), watched);
      });
    }
  }
  it('fused batch norm gives dgamma and dbeta without dx when only the weights need gradients', () => {
    const x = randomTensor([5, 3], rng);
    const gamma = randomTensor([3], rng, 0.5, 2);
    const beta = randomTensor([3], rng);
    checkGradients('batchNorm weights only', () => scalarOf(ops.batchNormTraining(x, gamma, beta, 1e-3).y), [gamma, beta]);
  });
  it('sparse softmax cross-entropy (fused)', () => {
    const logits = randomTensor([4, 5], rng, -3, 3);
    const labels = new Tensor(new Int32Array([0, 4, 2, 2]), [4]);
    checkGradients('sparseSoftmaxCrossEntropy', () => scalarOf(ops.sparseSoftmaxCrossEntropy(logits, labels)), [logits]);
  });
});

describe('loss gradients match finite differences', () => {
  const labels = new Tensor(new Int32Array([1, 0, 3]), [3]);
  const oneHot = new Tensor(new Float64Array([0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1]), [3, 4]);
  it('sparse categorical cross-entropy on probabilities', () => {
    const logits = randomTensor([3, 4], rng, -2, 2);
    checkGradients('sparseCategoricalCrossentropy', () => ops.mean(losses.sparseCategoricalCrossentropy(labels, ops.softmax(logits))), [logits]);
  });
  it('categorical cross-entropy on probabilities and from logits', () => {
    const logits = randomTensor([3, 4], rng, -2, 2);
    checkGradients('categoricalCrossentropy', () => ops.mean(losses.categoricalCrossentropy(oneHot, ops.softmax(logits))), [logits]);
    checkGradients('categoricalCrossentropy fromLogits', () => ops.mean(fromLogits.categoricalCrossentropy(oneHot, logits)), [logits]);
  });
  it('binary cross-entropy', () => {
    const logits = randomTensor([3, 2], rng, -2, 2);
    const y = new Tensor(new Float64Array([0, 1, 1, 1, 0, 0]), [3, 2]);
    checkGradients('binaryCrossentropy', () => ops.mean(losses.binaryCrossentropy(y, ops.sigmoid(logits))), [logits]);
  });
  it('mean squared and mean absolute error', () => {
    const p = randomTensor([3, 4], rng);
    const y = randomTensor([3, 4], rng);
    checkGradients('meanSquaredError', () => ops.mean(losses.meanSquaredError(y, p)), [p]);
    checkGradients('meanAbsoluteError', () => ops.mean(losses.meanAbsoluteError(y, p)), [p]);
  });
});

describe('layer gradients (inputs and weights) match finite differences', () => {
  before(() => setFloatX('float64'));
  after(() => setFloatX('float32'));

  function checkLayer(name: string, make: () => Layer, inputShape: number[], training = true) {
    it(name, () => {
      const layer = make();
      const x = randomTensor(inputShape, rng);
      layer.apply(x, training);
      const weights = layer.trainableWeights.map((w) => w.value);
      for (const w of weights) {
        const d = w.data as Float64Array;
        for (let i = 0; i < d.length; i++) d[i] = rng.uniform(-1, 1);
      }
      checkGradients(name, () => scalarOf(layer.apply(x, training)), [x, ...weights]);
    });
  }
  for (const activation of ['linear', 'relu', 'tanh', 'sigmoid', 'softmax', 'elu', 'leaky_relu']) {
    checkLayer(`dense ${activation}`, () => layers.dense({ units: 4, activation }), [3, 5]);
  }
  checkLayer('dense on rank-3 input', () => layers.dense({ units: 3, activation: 'tanh' }), [2, 3, 4]);
  checkLayer('conv2d same relu', () => layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same', activation: 'relu' }), [2, 5, 5, 2]);
  checkLayer('conv2d valid strides 2 tanh', () => layers.conv2d({ filters: 2, kernelSize: [3, 2], strides: 2, activation: 'tanh' }), [2, 7, 6, 3]);
  checkLayer('conv2d dilation 2', () => layers.conv2d({ filters: 2, kernelSize: 2, dilationRate: 2, padding: 'same' }), [1, 6, 5, 2]);
  checkLayer('conv2d no bias', () => layers.conv2d({ filters: 2, kernelSize: 3, useBias: false }), [1, 5, 5, 1]);
  checkLayer('maxPooling2d', () => layers.maxPooling2d({ poolSize: 2 }), [2, 5, 4, 3]);
  checkLayer('averagePooling2d same', () => layers.averagePooling2d({ poolSize: 3, strides: 2, padding: 'same' }), [2, 5, 4, 2]);
  checkLayer('globalAveragePooling2d', () => layers.globalAveragePooling2d(), [2, 3, 4, 5]);
  checkLayer('flatten', () => layers.flatten(), [2, 3, 4, 2]);
  checkLayer('activation elu', () => layers.activation({ activation: 'elu' }), [3, 4]);
  checkLayer('batchNormalization (training)', () => layers.batchNormalization(), [6, 3, 2, 4]);
  checkLayer('batchNormalization (inference)', () => layers.batchNormalization(), [4, 3], false);
  checkLayer('rescaling', () => layers.rescaling({ scale: 1 / 255, offset: -0.5 }), [2, 3]);
  it('dropout passes gradients only through kept units, scaled by 1/(1-rate)', () => {
    const layer = layers.dropout({ rate: 0.5, seed: 3 });
    const x = randomTensor([4, 6], rng, 0.5, 1);
    let y: Tensor | null = null;
    const w = randomTensor([4, 6], rng);
    const { grads } = valueAndGrads(() => { y = layer.apply(x, true); return ops.sum(ops.mul(y, w)); }, [x]);
    for (let i = 0; i < x.size; i++) {
      const kept = y!.data[i] !== 0;
      const expected = kept ? w.data[i] * 2 : 0;
      if (Math.abs(grads[0].data[i] - expected) > 1e-12) throw new Error(`dropout gradient at ${i}: ${grads[0].data[i]} vs ${expected}`);
    }
  });
});

describe('the gradient checker itself', () => {
  it('catches a wrong gradient rule', async () => {
    const { gradients } = await import('../src/autograd/gradients.js');
    const correct = gradients.Tanh;
    // Off by a factor of 1.001: small enough to look plausible, large enough to be a bug.
    gradients.Tanh = (dy, node) => correct(dy, node).map((g) => (g ? ops.mul(g, 1.001) : g));
    try {
      const x = randomTensor([2, 3], rng);
      assert.throws(() => checkGradients('broken tanh', () => scalarOf(ops.tanh(x)), [x]), /broken tanh: input 0, element \d+: analytic/);
    } finally {
      gradients.Tanh = correct;
    }
  });
});
