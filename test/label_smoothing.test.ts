import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sequential, layers, tensor } from '../src/index.js';

function model(activation: string) {
  const m = sequential({ layers: [layers.dense({ units: 3, activation, inputShape: [2], kernelInitializer: 'ones', biasInitializer: 'zeros' })] });
  m.setWeights([tensor([[1, 0, -1], [0.5, 2, 0]]), tensor([0.1, 0, -0.2])]);
  return m;
}

describe('label smoothing', () => {
  const x = tensor([[1, 2], [-1, 0.5]]);
  const labels = tensor([1, 2], [2], 'int32');
  // logits: [1+1+0.1, 0+4, -1+0-0.2] = [2.1, 4, -1.2] and [-1+0.25+0.1, 1, 1-0.2] = [-0.65, 1, 0.8]
  const logits = [[2.1, 4, -1.2], [-0.65, 1, 0.8]];
  function expected(s: number): number {
    let total = 0;
    logits.forEach((z, r) => {
      const m = Math.max(...z);
      const lse = m + Math.log(z.reduce((a, v) => a + Math.exp(v - m), 0));
      z.forEach((v, j) => {
        const t = (j === labels.data[r] ? 1 : 0) * (1 - s) + s / 3;
        total -= t * (v - lse);
      });
    });
    return total / 2;
  }
  it('gives Keras’s smoothed cross-entropy, fused after softmax or not, sparse or one-hot', () => {
    const fused = model('softmax');
    fused.compile({ optimizer: 'sgd', loss: 'sparse_categorical_crossentropy', labelSmoothing: 0.2, metrics: ['accuracy'] });
    const [loss, acc] = fused.evaluate(x, labels, { verbose: 0 });
    assert.ok(Math.abs(loss - expected(0.2)) < 1e-5, `${loss} vs ${expected(0.2)}`);
    assert.equal(acc, 0.5, 'metrics use the true labels: row 0 right, row 1 wrong');
    const oneHot = fused;
    oneHot.compile({ optimizer: 'sgd', loss: 'categorical_crossentropy', labelSmoothing: 0.2 });
    assert.ok(Math.abs(oneHot.evaluate(x, tensor([[0, 1, 0], [0, 0, 1]]), { verbose: 0 })[0] - expected(0.2)) < 1e-5);
    // A custom softmax outside a Dense layer is not fused: the probability path must agree.
    const unfused = sequential({ layers: [model('linear').layers[0], layers.activation({ activation: 'softmax' })] });
    unfused.compile({ optimizer: 'sgd', loss: 'sparse_categorical_crossentropy', labelSmoothing: 0.2 });
    const probs = unfused.predict(x);
    const direct = unfused.compiled!.lossFn(labels, probs).data; // the smoothed loss on probabilities
    assert.ok(Math.abs((direct[0] + direct[1]) / 2 - expected(0.2)) < 1e-5);
    const plain = model('softmax');
    plain.compile({ optimizer: 'sgd', loss: 'sparse_categorical_crossentropy' });
    assert.ok(Math.abs(plain.evaluate(x, labels, { verbose: 0 })[0] - expected(0)) < 1e-5);
  });
  it('is refused where it means nothing', () => {
    assert.throws(() => model('linear').compile({ optimizer: 'sgd', loss: 'mse', labelSmoothing: 0.1 }), /labelSmoothing applies to sparseCategoricalCrossentropy and categoricalCrossentropy, not to meanSquaredError/);
    assert.throws(() => model('softmax').compile({ optimizer: 'sgd', loss: 'categorical_crossentropy', labelSmoothing: 1 }), /labelSmoothing must be in \[0, 1\), received 1/);
  });
});
