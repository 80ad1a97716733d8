import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sequential, layers, tensor, callbacks, schedules, optimizers, type Logs } from '../src/index.js';

function tiny() {
  const model = sequential({ layers: [layers.dense({ units: 2, activation: 'softmax', inputShape: [1] })] });
  model.compile({ optimizer: optimizers.sgd({ learningRate: 0.1 }), loss: 'sparseCategoricalCrossentropy' });
  return model;
}
const x = tensor([[0], [1], [0], [1]]);
const y = tensor([0, 1, 0, 1], [4], 'int32');

describe('learning-rate callbacks', () => {
  it('LearningRateScheduler sets the rate each epoch and the history records it as lr', async () => {
    const model = tiny();
    const seen: number[] = [];
    const h = await model.fit(x, y, {
      epochs: 4, verbose: 0,
      callbacks: [callbacks.learningRateScheduler((epoch) => 0.1 / (epoch + 1)), { onEpochBegin: () => { seen.push(model.optimizer!.learningRate); } }],
    });
    assert.deepEqual(seen, [0.1, 0.05, 0.1 / 3, 0.025]);
    assert.deepEqual(h.history.lr, seen);
  });
  it('ReduceLROnPlateau divides the rate after `patience` epochs without improvement', async () => {
    const model = tiny();
    const scripted = [1, 0.5, 0.6, 0.6, 0.7, 0.4, 0.5];
    const lrs: number[] = [];
    await model.fit(x, y, {
      epochs: scripted.length, verbose: 0,
      callbacks: [
        { onEpochEnd: (e: number, logs?: Logs) => { logs!.val_loss = scripted[e]; } },
        callbacks.reduceLROnPlateau({ factor: 0.5, patience: 2 }),
        { onEpochEnd: () => { lrs.push(model.optimizer!.learningRate); } },
      ],
    });
    // Best 0.5 at epoch 1; epochs 2 and 3 stall -> halve after epoch 3; epoch 4 stalls; 5 improves.
    assert.deepEqual(lrs, [0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.05]);
  });
  it('step and cosine schedules', () => {
    const step = schedules.step(1, 2, 0.5);
    assert.deepEqual([0, 1, 2, 3, 4].map((e) => step(e, 0)), [1, 1, 0.5, 0.5, 0.25]);
    const cos = schedules.cosine(1, 10, 0, 2);
    assert.ok(Math.abs(cos(0, 0) - 1 / 3) < 1e-12 && Math.abs(cos(1, 0) - 2 / 3) < 1e-12, 'linear warm-up');
    assert.equal(cos(2, 0), 1);
    assert.ok(Math.abs(cos(6, 0) - 0.5) < 1e-12);
    assert.ok(Math.abs(cos(10, 0)) < 1e-12);
  });
});
