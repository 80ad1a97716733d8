import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sequential, layers } from '../src/index.js';

function summaryOf(model: ReturnType<typeof sequential>): string[] {
  const lines: string[] = [];
  model.summary((line) => lines.push(line));
  return lines;
}

/** The (Output Shape, Param #) columns of each layer row, read back from the printed table. */
function rows(lines: string[]): [string, string][] {
  return lines
    .filter((l) => /^ \S+ \(\w+\)/.test(l) && !l.startsWith(' Layer (type)'))
    .map((l) => {
      const m = /\((None(?:, \d+)*)\)\s+(\d+)$/.exec(l);
      assert.ok(m, `unparsable row: ${l}`);
      return [`(${m[1]})`, m[2]];
    });
}

function totals(lines: string[]): string[] {
  return lines.filter((l) => /params:/.test(l));
}

describe("the lab's summaries: Keras's shapes and parameter counts", () => {
  it('Flatten(800x600) + Dense(100): 48,000,100 params', () => {
    const model = sequential({ layers: [layers.flatten({ inputShape: [800, 600] }), layers.dense({ units: 100 })] });
    const lines = summaryOf(model);
    assert.deepEqual(rows(lines), [['(None, 480000)', '0'], ['(None, 100)', '48000100']]);
    assert.deepEqual(totals(lines), ['Total params: 48,000,100', 'Trainable params: 48,000,100', 'Non-trainable params: 0']);
  });
  it('Conv2D(100, 3x3, relu) on 800x600x3: (None, 798, 598, 100), 2,800 params', () => {
    const model = sequential({ layers: [layers.conv2d({ filters: 100, kernelSize: [3, 3], activation: 'relu', inputShape: [800, 600, 3] })] });
    const lines = summaryOf(model);
    assert.deepEqual(rows(lines), [['(None, 798, 598, 100)', '2800']]);
    assert.deepEqual(totals(lines), ['Total params: 2,800', 'Trainable params: 2,800', 'Non-trainable params: 0']);
  });
  it('... then MaxPool2D(2, 2): (None, 399, 299, 100), no new params', () => {
    const model = sequential({
      layers: [
        layers.conv2d({ filters: 100, kernelSize: [3, 3], activation: 'relu', inputShape: [800, 600, 3] }),
        layers.maxPooling2d({ poolSize: 2, strides: 2 }),
      ],
    });
    const lines = summaryOf(model);
    assert.deepEqual(rows(lines), [['(None, 798, 598, 100)', '2800'], ['(None, 399, 299, 100)', '0']]);
    assert.deepEqual(totals(lines), ['Total params: 2,800', 'Trainable params: 2,800', 'Non-trainable params: 0']);
  });
  it('the Fashion-MNIST CNN: 28x28x5, 14x14x5, 980, 120, 10 and 118,980 params', () => {
    const model = sequential({
      layers: [
        layers.conv2d({ filters: 5, kernelSize: [3, 3], activation: 'relu', padding: 'same', inputShape: [28, 28, 1] }),
        layers.maxPooling2d({ poolSize: [2, 2] }),
        layers.flatten(),
        layers.dense({ units: 120, activation: 'relu' }),
        layers.dense({ units: 10, activation: 'softmax' }),
      ],
    });
    const lines = summaryOf(model);
    assert.deepEqual(rows(lines), [
      ['(None, 28, 28, 5)', '50'],
      ['(None, 14, 14, 5)', '0'],
      ['(None, 980)', '0'],
      ['(None, 120)', '117720'],
      ['(None, 10)', '1210'],
    ]);
    assert.deepEqual(totals(lines), ['Total params: 118,980', 'Trainable params: 118,980', 'Non-trainable params: 0']);
    assert.equal(model.countParams(), 118980);
    assert.match(lines[0], /^Model: "sequential(_\d+)?"$/);
    assert.ok(lines.some((l) => /^ conv2d(_\d+)? \(Conv2D\)/.test(l)), 'Keras-style layer names');
    assert.ok(lines.some((l) => /^ max_pooling2d(_\d+)? \(MaxPooling2D\)/.test(l)), 'Keras-style layer names');
  });
  it('counts batch normalization statistics as non-trainable, as Keras', () => {
    const model = sequential({ layers: [layers.dense({ units: 4, inputShape: [3] }), layers.batchNormalization()] });
    const lines = summaryOf(model);
    assert.deepEqual(totals(lines), ['Total params: 32', 'Trainable params: 24', 'Non-trainable params: 8']);
  });
  it('refuses to summarise a model without an input shape, saying how to fix it', () => {
    const model = sequential({ layers: [layers.dense({ units: 4 })] });
    assert.throws(() => model.summary(() => {}), /has not been built: give the first layer an inputShape/);
  });
});

describe('clearSession', () => {
  it('restarts Keras-style names', async () => {
    const { clearSession } = await import('../src/index.js');
    clearSession();
    const first = layers.conv2d({ filters: 1, kernelSize: 1 });
    const second = layers.conv2d({ filters: 1, kernelSize: 1 });
    assert.deepEqual([first.name, second.name], ['conv2d', 'conv2d_1']);
    clearSession();
    assert.equal(layers.conv2d({ filters: 1, kernelSize: 1 }).name, 'conv2d');
  });
});
