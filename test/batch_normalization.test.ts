import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { layers } from '../src/layers/index.js';
import { setBackend } from '../src/kernels/registry.js';
import '../src/kernels/wasm/index.js';
import { valueAndGrads } from '../src/autograd/backprop.js';
import * as ops from '../src/ops/index.js';
import { Tensor } from '../src/tensor/tensor.js';
import { setFloatX } from '../src/tensor/dtype.js';
import { Random } from '../src/utils/random.js';

/*
 * The BatchNormalization layer (on the fused op) against a loop implementation of Keras's
 * definition written here: batch statistics over every axis but the last, biased variance,
 * moving averages with momentum, moving statistics in inference.
 */

const rng = new Random(5);

function random(shape: number[], lo = -1, hi = 1, float32 = false): Tensor {
  const n = shape.reduce((p, d) => p * d, 1);
  const data = float32 ? new Float32Array(n) : new Float64Array(n);
  for (let i = 0; i < n; i++) data[i] = rng.uniform(lo, hi);
  return new Tensor(data, shape);
}

/** Keras: y = (x - mean) / sqrt(var + eps) * gamma + beta per channel, in float64. */
function expectedForward(x: ArrayLike<number>, c: number, mean: number[], variance: number[], gamma: number[] | null, beta: number[] | null, eps: number): number[] {
  const y: number[] = [];
  for (let i = 0; i < x.length; i++) {
    const j = i % c;
    y.push(((x[i] - mean[j]) / Math.sqrt(variance[j] + eps)) * (gamma ? gamma[j] : 1) + (beta ? beta[j] : 0));
  }
  return y;
}

function batchStats(x: ArrayLike<number>, c: number): { mean: number[]; variance: number[] } {
  const rows = x.length / c;
  const mean = new Array<number>(c).fill(0);
  const variance = new Array<number>(c).fill(0);
  for (let i = 0; i < x.length; i++) mean[i % c] += x[i] / rows;
  for (let i = 0; i < x.length; i++) variance[i % c] += (x[i] - mean[i % c]) ** 2 / rows;
  return { mean, variance };
}

function close(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(actual[i] - expected[i]) <= tol * Math.max(1, Math.abs(expected[i])), `${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
  }
}

const values = (t: Tensor): number[] => Array.from(t.data);

describe('BatchNormalization layer', () => {
  before(() => setFloatX('float64'));
  after(async () => {
    setFloatX('float32');
    await setBackend('reference');
  });

  for (const [center, scale] of [[true, true], [false, true], [true, false], [false, false]]) {
    it(`training: batch statistics, biased variance, moving averages (center=${center}, scale=${scale})`, () => {
      const layer = layers.batchNormalization({ center, scale, momentum: 0.9, inputShape: [3, 2, 5] });
      const x = random([4, 3, 2, 5], -1, 3);
      layer.apply(x, false);
      const gamma = random([5], 0.5, 2);
      const beta = random([5]);
      if (layer.gamma) layer.gamma.value.data.set(gamma.data);
      if (layer.beta) layer.beta.value.data.set(beta.data);
      const movingMean = random([5]);
      const movingVariance = random([5], 0.5, 2);
      layer.movingMean!.value.data.set(movingMean.data);
      layer.movingVariance!.value.data.set(movingVariance.data);

      const y = layer.apply(x, true) as Tensor;
      const { mean, variance } = batchStats(x.data, 5);
      close(values(y), expectedForward(x.data, 5, mean, variance, scale ? values(gamma) : null, center ? values(beta) : null, 1e-3), 1e-12, 'y');
      close(values(layer.movingMean!.value), values(movingMean).map((m, j) => 0.9 * m + 0.1 * mean[j]), 1e-12, 'moving mean');
      close(values(layer.movingVariance!.value), values(movingVariance).map((v, j) => 0.9 * v + 0.1 * variance[j]), 1e-12, 'moving variance');

      const yInference = layer.apply(x, false) as Tensor;
      const mm = values(layer.movingMean!.value);
      const mv = values(layer.movingVariance!.value);
      close(values(yInference), expectedForward(x.data, 5, mm, mv, scale ? values(gamma) : null, center ? values(beta) : null, 1e-3), 1e-12, 'inference y');
    });
  }

  it('keeps the Keras weight order, names and config', () => {
    const layer = layers.batchNormalization({ inputShape: [7] });
    layer.apply(random([2, 7]), false);
    assert.deepEqual(layer.weights.map((w) => w.name.split('/').pop()), ['gamma', 'beta', 'moving_mean', 'moving_variance']);
    assert.deepEqual(layer.trainableWeights.length, 2);
    const config = layer.getConfig();
    assert.equal(config.momentum, 0.99);
    assert.equal(config.epsilon, 1e-3);
    assert.deepEqual(
      Object.keys(config).filter((k) => !['name', 'trainable', 'dtype', 'batchInputShape'].includes(k)).sort(),
      ['axis', 'betaConstraint', 'betaInitializer', 'betaRegularizer', 'center', 'epsilon', 'gammaConstraint', 'gammaInitializer', 'gammaRegularizer', 'momentum', 'movingMeanInitializer', 'movingVarianceInitializer', 'scale'],
    );
  });

  for (const backend of ['reference', 'wasm']) {
    it(`float32 on the ${backend} backend: output, moving statistics and gradients match float64 (rank 4, 7 channels)`, async () => {
      await setBackend(backend);
      const x32 = random([3, 5, 4, 7], -2, 4, true);
      const x64 = new Tensor(Float64Array.from(x32.data), x32.shape);
      const y64 = ops.batchNormTraining(x64, null, null, 1e-3);
      const w = random([3, 5, 4, 7], -1, 1, true);
      const g64 = valueAndGrads(() => ops.sum(ops.mul(ops.batchNormTraining(x64, null, null, 1e-3).y, new Tensor(Float64Array.from(w.data), w.shape))), [x64]).grads[0];
      const y32 = ops.batchNormTraining(x32, null, null, 1e-3);
      const g32 = valueAndGrads(() => ops.sum(ops.mul(ops.batchNormTraining(x32, null, null, 1e-3).y, w)), [x32]).grads[0];
      await setBackend('reference');
      close(values(y32.y), values(y64.y), 1e-5, 'y');
      close(values(y32.mean), values(y64.mean), 1e-5, 'mean');
      close(values(y32.variance), values(y64.variance), 1e-5, 'variance');
      close(values(g32), values(g64), 1e-4, 'dx');
    });
  }
});
