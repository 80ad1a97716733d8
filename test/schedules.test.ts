import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BatchLearningRateScheduler, layers, optimizers, sequential, stepSchedules, tensor } from '../src/index.js';

describe('per-batch learning-rate schedules', () => {
  it('oneCycle warms up linearly to maxLr, then anneals by a cosine to maxLr * endFactor', () => {
    const s = stepSchedules.oneCycle(1, { warmup: 0.25, startFactor: 0.1, endFactor: 0.01 });
    const total = 101;
    const warm = Math.round(0.25 * total);
    assert.ok(Math.abs(s(0, total) - 0.1) < 1e-12);
    assert.ok(Math.abs(s(warm, total) - 1) < 1e-12);
    assert.ok(Math.abs(s(total - 1, total) - 0.01) < 1e-12);
    // Halfway through the annealing the cosine is at its midpoint.
    const mid = warm + (total - warm - 1) / 2;
    assert.ok(Math.abs(s(mid, total) - (0.01 + 0.99 * 0.5)) < 1e-12);
    for (let i = 1; i <= warm; i++) assert.ok(s(i, total) > s(i - 1, total));
    for (let i = warm + 1; i < total; i++) assert.ok(s(i, total) < s(i - 1, total));
    assert.throws(() => stepSchedules.oneCycle(0), /maxLr must be a positive number, received 0/);
    assert.throws(() => stepSchedules.oneCycle(1, { warmup: 1 }), /warmup must be a fraction in \[0, 1\), received 1/);
  });

  it('cosineDecay follows Keras: warm-up to the target, then target * ((1 - alpha) * cosine + alpha)', () => {
    const s = stepSchedules.cosineDecay(0, { warmupSteps: 10, warmupTarget: 0.1, alpha: 0.1 });
    assert.equal(s(0, 110), 0);
    assert.ok(Math.abs(s(5, 110) - 0.05) < 1e-12);
    assert.ok(Math.abs(s(10, 110) - 0.1) < 1e-12);
    assert.ok(Math.abs(s(60, 110) - 0.1 * (0.9 * 0.5 + 0.1)) < 1e-12);
    assert.ok(Math.abs(s(110, 110) - 0.01) < 1e-12);
  });

  it('BatchLearningRateScheduler sets the rate before every batch from the global step and logs it', async () => {
    const model = sequential({ layers: [layers.dense({ units: 2, activation: 'softmax', inputShape: [1] })] });
    model.compile({ optimizer: optimizers.sgd({ learningRate: 0.1 }), loss: 'sparseCategoricalCrossentropy' });
    const seen: [number, number][] = [];
    const x = tensor([[0], [1], [0], [1], [0], [1]]);
    const y = tensor([0, 1, 0, 1, 0, 1], [6], 'int32');
    const h = await model.fit(x, y, {
      epochs: 3, batchSize: 2, verbose: 0,
      callbacks: [new BatchLearningRateScheduler((step, total) => (step + 1) / total), { onBatchEnd: (b: number) => { seen.push([b, model.optimizer!.learningRate]); } }],
    });
    assert.deepEqual(seen.map(([, lr]) => lr), [1, 2, 3, 4, 5, 6, 7, 8, 9].map((s) => s / 9));
    assert.deepEqual(h.history.lr, [3 / 9, 6 / 9, 9 / 9]);
    // A run resumed at epoch 2 continues the same curve.
    seen.length = 0;
    await model.fit(x, y, { epochs: 3, initialEpoch: 2, batchSize: 2, verbose: 0, callbacks: [new BatchLearningRateScheduler((step, total) => (step + 1) / total), { onBatchEnd: (b: number) => { seen.push([b, model.optimizer!.learningRate]); } }] });
    assert.deepEqual(seen.map(([, lr]) => lr), [7 / 9, 8 / 9, 9 / 9]);
    await assert.rejects(model.fit(x, y, { epochs: 1, verbose: 0, callbacks: [new BatchLearningRateScheduler(() => Number.NaN)] }), /schedule returned NaN at epoch 1, batch 1; expected a positive number/);
  });
});
