import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { layers, sequential, type Sequential } from '../../src/index.js';
import * as ops from '../../src/ops/index.js';
import { valueAndGrads } from '../../src/autograd/backprop.js';
import { withTape } from '../../src/autograd/tape.js';
import type { Layer } from '../../src/layers/layer.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { Random } from '../../src/utils/random.js';
import { batchNormReluMaxPool } from '../../src/ops/batchnorm_pool.js';
import { checkGradients, randomTensor } from '../helpers/gradcheck.js';

/*
 * BatchNormalization followed by a plain ReLU runs fused in a Sequential model
 * (src/layers/fused_relu.ts): the same outputs and gradients as the layers run one by one, the
 * fused op's gradient checked in float64, and the cases that must not fuse.
 */

const rng = new Random(81);

function model(dtypeNote: string, reluLayer: () => Layer): Sequential {
  return sequential({
    name: `fused_${dtypeNote}`,
    layers: [
      layers.conv2d({ filters: 6, kernelSize: 3, padding: 'same', useBias: false, inputShape: [7, 5, 3] }),
      layers.batchNormalization(),
      reluLayer(),
      layers.conv2d({ filters: 5, kernelSize: 3, padding: 'valid' }),
      layers.batchNormalization({ center: false }),
      layers.reLU(),
      layers.flatten(),
      layers.dense({ units: 4 }),
      layers.batchNormalization({ scale: false }),
      layers.activation({ activation: 'relu' }),
      layers.dense({ units: 3, activation: 'softmax' }),
    ],
  });
}

/** The layers one after the other through their own apply (never fused). */
function oneByOne(m: Sequential, x: Tensor, training: boolean): Tensor {
  return m.layers.reduce((y, l) => l.apply(y, training), x);
}

function weighted(y: Tensor, w: Tensor): Tensor {
  return ops.sum(ops.mul(y, w));
}

function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let scale = 0;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]));
  let worst = 0;
  for (let i = 0; i < b.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / (scale || 1));
  return worst;
}

describe('BatchNormalization + ReLU fused in Sequential models', () => {
  for (const batch of [1, 4]) {
    for (const [name, reluLayer] of [['Activation(relu)', () => layers.activation({ activation: 'relu' })], ['ReLU()', () => layers.reLU()]] as const) {
      it(`same outputs and gradients as the layers one by one: batch ${batch}, ${name}`, () => {
        const m = model(name, reluLayer);
        const x = new Tensor(Float32Array.from(randomTensor([batch, 7, 5, 3], rng, -2, 2).data), [batch, 7, 5, 3]);
        const w = new Tensor(Float32Array.from(randomTensor([batch, 3], rng).data), [batch, 3]);
        const weights = m.trainableWeights.map((v) => v.value);
        const fused = valueAndGrads(() => weighted(m.call(x, true), w), weights);
        const plain = valueAndGrads(() => weighted(oneByOne(m, x, true), w), weights);
        assert.ok(Math.abs(fused.value.data[0] - plain.value.data[0]) <= 1e-5 * (1 + Math.abs(plain.value.data[0])), `loss ${fused.value.data[0]} vs ${plain.value.data[0]}`);
        fused.grads.forEach((g, i) => {
          const d = maxRelDiff(g.data, plain.grads[i].data);
          assert.ok(d <= 1e-4, `gradient of ${m.trainableWeights[i].name}: largest difference ${d} of its scale`);
        });
        const inference = maxRelDiff(m.call(x, false).data, oneByOne(m, x, false).data);
        assert.ok(inference <= 1e-5, `inference: largest difference ${inference}`);
        // The fused ops really ran: no separate Relu and BatchNorm nodes on the tape.
        const { nodes } = withTape(weights, () => m.call(x, true));
        const names = nodes.map((n) => n.op);
        assert.equal(names.filter((op) => op === 'BatchNormRelu').length, 3, names.join(', '));
        assert.ok(!names.includes('Relu') && !names.includes('BatchNorm'), names.join(', '));
      });
    }
  }

  for (const batch of [1, 3]) {
    it(`BatchNormalization, ReLU and MaxPooling2D as one: same outputs and gradients, batch ${batch}`, () => {
      const m = sequential({
        layers: [
          layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', useBias: false, inputShape: [8, 6, 3] }),
          layers.batchNormalization(), layers.activation({ activation: 'relu' }), layers.maxPooling2d({ poolSize: 2 }),
          // 4x3x12: an odd size, so this pool runs as BatchNormRelu then MaxPool.
          layers.conv2d({ filters: 12, kernelSize: 3, padding: 'same' }),
          layers.batchNormalization({ scale: false }), layers.reLU(), layers.maxPooling2d({ poolSize: 2 }),
          layers.conv2d({ filters: 6, kernelSize: 1 }),
          // Channels not a multiple of four, windows that tile: the op, the backend's unfused kernels.
          layers.batchNormalization(), layers.reLU(), layers.maxPooling2d({ poolSize: [2, 1] }),
          layers.flatten(),
          layers.dense({ units: 3, activation: 'softmax' }),
        ],
      });
      const x = new Tensor(Float32Array.from(randomTensor([batch, 8, 6, 3], rng, -2, 2).data), [batch, 8, 6, 3]);
      const w = new Tensor(Float32Array.from(randomTensor([batch, 3], rng).data), [batch, 3]);
      const weights = m.trainableWeights.map((v) => v.value);
      const fused = valueAndGrads(() => weighted(m.call(x, true), w), weights);
      const plain = valueAndGrads(() => weighted(oneByOne(m, x, true), w), weights);
      assert.ok(Math.abs(fused.value.data[0] - plain.value.data[0]) <= 1e-5 * (1 + Math.abs(plain.value.data[0])), `loss ${fused.value.data[0]} vs ${plain.value.data[0]}`);
      fused.grads.forEach((g, i) => {
        const d = maxRelDiff(g.data, plain.grads[i].data);
        assert.ok(d <= 1e-4, `gradient of ${m.trainableWeights[i].name}: largest difference ${d} of its scale`);
      });
      const bns = m.layers.filter((l) => l.className === 'BatchNormalization');
      const moving = bns.map((l) => l.getWeights().map((t) => Array.from(t.data)));
      assert.ok(moving.every((ws) => ws.every((v) => v.every(Number.isFinite))), 'moving statistics stay finite');
      assert.ok(maxRelDiff(m.call(x, false).data, oneByOne(m, x, false).data) <= 1e-5, 'inference');
      const { nodes } = withTape(weights, () => m.call(x, true));
      const names = nodes.map((n) => n.op);
      assert.equal(names.filter((op) => op === 'BatchNormReluMaxPool').length, 2, names.join(', '));
      assert.equal(names.filter((op) => op === 'BatchNormRelu').length, 1, names.join(', '));
      assert.ok(!names.includes('Relu') && !names.includes('BatchNorm'), names.join(', '));
    });
  }

  it('the BatchNormReluMaxPool op\'s gradient in float64, against the three ops', () => {
    for (const [shape, pool] of [[[2, 4, 6, 3], 2], [[1, 6, 3, 4], 3], [[3, 2, 2, 5], 2]] as const) {
      const channels = shape[3];
      const x = ops.add(ops.mul(randomTensor([...shape], rng), 1.7), 0.4);
      const gamma = randomTensor([channels], rng, -1, 2);
      const beta = randomTensor([channels], rng);
      const w = randomTensor([shape[0], shape[1] / pool, shape[2] / pool, channels], rng);
      const f = (): Tensor => weighted(batchNormReluMaxPool(x, gamma, beta, 1e-3, { poolSize: pool }).y, w);
      checkGradients(`batchNormReluMaxPool [${shape}] pool ${pool}`, f, [x, gamma, beta]);
      const plain = weighted(ops.maxPool(ops.relu(ops.batchNormTraining(x, gamma, beta, 1e-3).y), { poolSize: pool }), w).data[0];
      assert.ok(Math.abs(f().data[0] - plain) <= 1e-12 * (1 + Math.abs(plain)));
    }
  });

  it('does not fuse a capped or leaky ReLU, another activation, or a layer whose apply is watched', () => {
    const make = (relu: Layer): Sequential => sequential({
      layers: [layers.dense({ units: 4, inputShape: [3] }), layers.batchNormalization(), relu, layers.dense({ units: 2 })],
    });
    const x = new Tensor(Float32Array.from([0.1, -0.4, 2, 1, 0.3, -1]), [2, 3]);
    for (const relu of [layers.reLU({ maxValue: 6 }), layers.reLU({ negativeSlope: 0.1 }), layers.activation({ activation: 'tanh' })]) {
      const m = make(relu);
      const { nodes } = withTape(m.trainableWeights.map((v) => v.value), () => m.call(x, true));
      assert.ok(!nodes.some((n) => n.op === 'BatchNormRelu'), `${relu.className} ${JSON.stringify(relu.getConfig())}`);
    }
    const m = make(layers.activation({ activation: 'relu' }));
    const bn = m.layers[1] as unknown as { apply: unknown };
    const original = (m.layers[1].apply as (...a: unknown[]) => unknown).bind(m.layers[1]);
    let calls = 0;
    bn.apply = (...args: unknown[]) => (calls++, original(...args));
    try {
      const { nodes } = withTape(m.trainableWeights.map((v) => v.value), () => m.call(x, true));
      assert.equal(calls, 1);
      assert.ok(nodes.some((n) => n.op === 'BatchNorm') && nodes.some((n) => n.op === 'Relu'));
    } finally {
      delete bn.apply;
    }
  });

  it('a frozen BatchNormalization under a tape keeps relu as its own op (inference mode is differentiable)', () => {
    const x = randomTensor([5, 3], rng);
    const mean = randomTensor([3], rng);
    const variance = randomTensor([3], rng, 0.2, 2);
    const gamma = randomTensor([3], rng, 0.5, 2);
    const beta = randomTensor([3], rng);
    const f = (): Tensor => ops.sum(ops.mul(ops.batchNormInference(x, mean, variance, gamma, beta, 1e-3, 'relu'), x));
    checkGradients('batchNormInference with relu', f, [x, mean, variance, gamma, beta]);
  });

  for (const shape of [[7, 3], [3, 4, 2, 5], [1, 3, 3, 8]]) {
    const channels = shape[shape.length - 1];
    for (const [withGamma, withBeta] of [[true, true], [false, false], [true, false], [false, true]]) {
      it(`the fused op's gradient in float64: [${shape}] gamma=${withGamma} beta=${withBeta}`, () => {
        const x = ops.add(ops.mul(randomTensor(shape, rng), 1.7), 0.4);
        const gamma = withGamma ? randomTensor([channels], rng, -1, 2) : null;
        const beta = withBeta ? randomTensor([channels], rng) : null;
        const w = randomTensor(shape, rng);
        const watched = [x, gamma, beta].filter((t): t is Tensor => t !== null);
        const f = (): Tensor => weighted(ops.batchNormTraining(x, gamma, beta, 1e-3, 'relu').y, w);
        checkGradients(`batchNormTraining relu [${shape}]`, f, watched);
        // And the same value as the two ops.
        const plain = weighted(ops.relu(ops.batchNormTraining(x, gamma, beta, 1e-3).y), w).data[0];
        assert.ok(Math.abs(f().data[0] - plain) <= 1e-12 * (1 + Math.abs(plain)));
      });
    }
  }
});
