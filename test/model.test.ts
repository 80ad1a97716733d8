import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sequential, layers, tensor, setSeed, Callback, EarlyStopping, optimizers, Tensor, initializers, type Logs, type ProgressSink } from '../src/index.js';

/** A separable toy problem: the class is the quadrant of a 2-D point. */
function quadrants(n: number, seed: number): { x: Tensor; y: Tensor } {
  let s = seed;
  const rand = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
  const x = new Float32Array(n * 2);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    x[2 * i] = rand();
    x[2 * i + 1] = rand();
    y[i] = (x[2 * i] > 0 ? 1 : 0) + (x[2 * i + 1] > 0 ? 2 : 0);
  }
  return { x: tensor(x, [n, 2]), y: tensor(y, [n]) };
}

function mlp() {
  return sequential({ layers: [layers.dense({ units: 16, activation: 'relu', inputShape: [2] }), layers.dense({ units: 4, activation: 'softmax' })] });
}

const quiet = { verbose: 0 as const };

describe('compile, fit, evaluate, predict', () => {
  it('learns a toy problem and reports history under Keras names', async () => {
    setSeed(1);
    const { x, y } = quadrants(512, 3);
    const model = mlp();
    model.compile({ optimizer: optimizers.adam({ learningRate: 0.01 }), loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
    const history = await model.fit(x, y, { epochs: 15, batchSize: 32, validationSplit: 0.25, ...quiet });
    assert.deepEqual(Object.keys(history.history).sort(), ['accuracy', 'loss', 'val_accuracy', 'val_loss']);
    assert.equal(history.history.loss.length, 15);
    assert.equal(history.loss, history.history.loss, 'history.loss is a shortcut to history.history.loss');
    assert.ok(history.history.loss[14] < history.history.loss[0] / 2, `loss fell: ${history.history.loss}`);
    const [loss, accuracy] = model.evaluate(x, y, quiet);
    assert.ok(accuracy > 0.9, `accuracy ${accuracy}`);
    const probs = model.predict(x);
    assert.deepEqual(probs.shape, [512, 4]);
    let correct = 0;
    let nll = 0;
    for (let i = 0; i < 512; i++) {
      const row = Array.from(probs.data.subarray(i * 4, i * 4 + 4));
      assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-5);
      if (row.indexOf(Math.max(...row)) === y.data[i]) correct++;
      nll -= Math.log(Math.max(row[y.data[i]], 1e-7));
    }
    assert.ok(Math.abs(correct / 512 - accuracy) < 1e-9, 'evaluate accuracy equals argmax of predict');
    assert.ok(Math.abs(nll / 512 - loss) < 1e-4, `evaluate loss ${loss} equals mean NLL of predict ${nll / 512}`);
  });

  it('takes the last validationSplit fraction as validation data, as Keras', async () => {
    const { x, y } = quadrants(100, 5);
    const model = mlp();
    model.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
    let params: Callback['params'] | null = null;
    await model.fit(x, y, { epochs: 1, batchSize: 32, validationSplit: 0.2, ...quiet, callbacks: [{ onTrainBegin() { params = null; } }, new (class extends Callback { override onTrainBegin() { params = this.params; } })()] });
    assert.equal(params!.samples, 80);
    assert.equal(params!.steps, 3);
  });

  it("resolves 'accuracy' from the labels: sparse, one-hot and binary", async () => {
    const { x, y } = quadrants(64, 9);
    const oneHot = new Float32Array(64 * 4);
    for (let i = 0; i < 64; i++) oneHot[i * 4 + y.data[i]] = 1;
    const model = mlp();
    model.compile({ optimizer: 'adam', loss: 'categorical_crossentropy', metrics: ['accuracy'] });
    const sparseModel = mlp();
    sparseModel.setWeights(model.getWeights());
    sparseModel.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
    const [l1, a1] = model.evaluate(x, tensor(oneHot, [64, 4]), quiet);
    const [l2, a2] = sparseModel.evaluate(x, y, quiet);
    assert.ok(Math.abs(l1 - l2) < 1e-5 && a1 === a2, `one-hot (${l1}, ${a1}) and sparse (${l2}, ${a2}) agree`);
    const binary = sequential({ layers: [layers.dense({ units: 1, activation: 'sigmoid', inputShape: [2] })] });
    binary.compile({ optimizer: optimizers.adam({ learningRate: 0.05 }), loss: 'binaryCrossentropy', metrics: ['acc'] });
    const labels = tensor(Float32Array.from(y.data, (v) => (v & 1)), [64, 1]);
    const h = await binary.fit(x, labels, { epochs: 30, batchSize: 16, ...quiet });
    assert.ok(h.history.acc.at(-1)! > 0.8, `binary accuracy ${h.history.acc.at(-1)}`);
  });

  it('is reproducible with setSeed: same seed, same weights; other seed, other weights', async () => {
    const { x, y } = quadrants(128, 11);
    const run = async (seed: number) => {
      setSeed(seed);
      const model = sequential({ layers: [layers.dense({ units: 8, activation: 'relu', inputShape: [2] }), layers.dropout({ rate: 0.3 }), layers.dense({ units: 4, activation: 'softmax' })] });
      model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
      await model.fit(x, y, { epochs: 2, batchSize: 16, ...quiet });
      return model.getWeights().flatMap((w) => Array.from(w.data));
    };
    const a = await run(123);
    const b = await run(123);
    const c = await run(124);
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
  });
});

describe('callbacks', () => {
  it('stops training when a callback sets model.stopTraining', async () => {
    const { x, y } = quadrants(256, 2);
    const model = mlp();
    model.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
    let batches = 0;
    const history = await model.fit(x, y, {
      epochs: 5, batchSize: 32, ...quiet,
      callbacks: { onBatchEnd: (batch) => { batches++; if (batch === 3) model.stopTraining = true; } },
    });
    assert.equal(batches, 4);
    assert.equal(history.history.loss.length, 1);
  });

  it('awaits async hooks in order and passes logs', async () => {
    const { x, y } = quadrants(64, 4);
    const model = mlp();
    model.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const events: string[] = [];
    await model.fit(x, y, {
      epochs: 2, batchSize: 32, ...quiet,
      callbacks: {
        onTrainBegin: async () => { await new Promise((r) => setTimeout(r, 5)); events.push('trainBegin'); },
        onEpochBegin: (e) => { events.push(`epochBegin ${e}`); },
        onBatchEnd: (b, logs) => { events.push(`batch ${b} ${typeof logs?.loss}`); },
        onEpochEnd: (e, logs) => { events.push(`epochEnd ${e} ${Object.keys(logs ?? {}).join(',')}`); },
        onTrainEnd: () => { events.push('trainEnd'); },
      },
    });
    assert.deepEqual(events, ['trainBegin', 'epochBegin 0', 'batch 0 number', 'batch 1 number', 'epochEnd 0 loss,accuracy', 'epochBegin 1', 'batch 0 number', 'batch 1 number', 'epochEnd 1 loss,accuracy', 'trainEnd']);
  });

  it('EarlyStopping waits `patience` epochs and restoreBestWeights really restores the best epoch', async () => {
    const { x, y } = quadrants(64, 8);
    const model = mlp();
    model.compile({ optimizer: optimizers.sgd({ learningRate: 0.5 }), loss: 'sparseCategoricalCrossentropy' });
    const scores = [1, 3, 2, 2.5, 2, 2];
    const weightsAtEpoch: number[][] = [];
    // A callback ahead of EarlyStopping writes a scripted score into the epoch logs.
    const scripted = { onEpochEnd: (epoch: number, logs?: Logs) => { logs!.score = scores[epoch]; weightsAtEpoch.push(model.getWeights().flatMap((w) => Array.from(w.data))); } };
    const stopper = new EarlyStopping({ monitor: 'score', mode: 'max', patience: 2, restoreBestWeights: true });
    const history = await model.fit(x, y, { epochs: 6, batchSize: 16, ...quiet, callbacks: [scripted, stopper] });
    assert.equal(history.history.loss.length, 4, 'stops after two epochs without improvement on epoch 1');
    assert.equal(stopper.stoppedEpoch, 3);
    assert.deepEqual(model.getWeights().flatMap((w) => Array.from(w.data)), weightsAtEpoch[1]);
    assert.notDeepEqual(weightsAtEpoch[1], weightsAtEpoch[3]);
  });
});

describe('progress bar', () => {
  function capture(isTTY: boolean): { sink: ProgressSink; text: () => string } {
    let out = '';
    return { sink: { isTTY, write: (s) => { out += s; } }, text: () => out };
  }
  it("prints Keras's epoch line when output is not a terminal (verbose 1)", async () => {
    const { x, y } = quadrants(100, 1);
    const model = mlp();
    model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const { sink, text } = capture(false);
    await model.fit(x, y, { epochs: 2, batchSize: 10, validationSplit: 0.2, verbose: 1, progressSink: sink });
    const lines = text().trimEnd().split('\n');
    assert.equal(lines.length, 4, text());
    assert.equal(lines[0], 'Epoch 1/2');
    assert.match(lines[1], /^8\/8 \[==============================\] - \d+s \d+(ms|us|s)\/step - loss: \d\.\d{4} - accuracy: \d\.\d{4} - val_loss: \d\.\d{4} - val_accuracy: \d\.\d{4}$/);
    assert.equal(lines[2], 'Epoch 2/2');
  });
  it('redraws in place on a terminal and prints the summary form with verbose 2', async () => {
    const { x, y } = quadrants(2000, 1);
    const model = mlp();
    model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const tty = capture(true);
    await model.fit(x, y, { epochs: 1, batchSize: 1, verbose: 1, progressSink: tty.sink });
    assert.match(tty.text(), /\r2000\/2000 \[=+\] - \d+s \d+(ms|us)\/step - loss: \d\.\d{4} - accuracy: \d\.\d{4}\n$/);
    assert.match(tty.text(), /\r *\d+\/2000 \[=*>\.*\] - ETA: \d+s - loss/);
    const v2 = capture(false);
    await model.fit(x, y, { epochs: 1, batchSize: 500, verbose: 2, progressSink: v2.sink });
    assert.match(v2.text(), /^Epoch 1\/1\n4\/4 - \d+s - loss: \d\.\d{4} - accuracy: \d\.\d{4} - \d+s\/epoch - \d+(ms|us|s)\/step\n$/);
    const v0 = capture(false);
    await model.fit(x, y, { epochs: 1, batchSize: 500, verbose: 0, progressSink: v0.sink });
    assert.equal(v0.text(), '');
  });
});

describe('optimizers follow Keras update rules', () => {
  async function oneStepOn(optimizer: ReturnType<typeof optimizers.sgd>, steps: number): Promise<number> {
    // loss = mean((w*x - y)^2) with x = 1, y = 0 and w starting at 1: gradient 2w.
    const model = sequential({ layers: [layers.dense({ units: 1, useBias: false, inputShape: [1], kernelInitializer: 'ones' })] });
    model.compile({ optimizer, loss: 'mse' });
    await model.fit(tensor([[1]]), tensor([[0]]), { epochs: steps, batchSize: 1, shuffle: false, ...quiet });
    return model.getWeights()[0].data[0];
  }
  it('SGD with and without (Nesterov) momentum', async () => {
    assert.ok(Math.abs((await oneStepOn(optimizers.sgd({ learningRate: 0.1 }), 1)) - 0.8) < 1e-6);
    // v1 = -0.1*2 = -0.2, w1 = 0.8; g2 = 1.6, v2 = 0.9*-0.2 - 0.16 = -0.34, w2 = 0.46
    assert.ok(Math.abs((await oneStepOn(optimizers.sgd({ learningRate: 0.1, momentum: 0.9 }), 2)) - 0.46) < 1e-6);
    // Nesterov: w1 = 1 + 0.9*-0.2 - 0.2 = 0.62
    assert.ok(Math.abs((await oneStepOn(optimizers.sgd({ learningRate: 0.1, momentum: 0.9, nesterov: true }), 1)) - 0.62) < 1e-6);
  });
  it('Adam (first step moves by about the learning rate) and RMSprop', async () => {
    // Adam step 1: m = 0.1g, v = 0.001g², lr_t = lr*sqrt(0.001)/0.1 → w -= lr * g/(|g| + eps') ≈ lr
    const adam = await oneStepOn(optimizers.adam({ learningRate: 0.1 }), 1);
    assert.ok(Math.abs(adam - (1 - (0.1 * Math.sqrt(0.001) / 0.1) * (0.2 / (Math.sqrt(0.004) + 1e-7)))) < 1e-6, `adam ${adam}`);
    // RMSprop step 1 (Keras 3): ms = 0.1 * 4 = 0.4, w = 1 - 0.01 * 2 / sqrt(0.4 + 1e-7)
    const rms = await oneStepOn(optimizers.rmsprop({ learningRate: 0.01 }), 1);
    assert.ok(Math.abs(rms - (1 - 0.02 / Math.sqrt(0.4 + 1e-7))) < 1e-6, `rmsprop ${rms}`);
  });
});

describe('initializers', () => {
  it('glorotUniform (the Keras default) stays within sqrt(6 / (fanIn + fanOut))', () => {
    const t = initializers.glorotUniform({ seed: 1 }).init([3, 3, 16, 32]);
    const limit = Math.sqrt(6 / (9 * 16 + 9 * 32));
    const values = Array.from(t.data);
    assert.ok(values.every((v) => Math.abs(v) <= limit));
    const variance = values.reduce((s, v) => s + v * v, 0) / values.length;
    assert.ok(Math.abs(variance - limit ** 2 / 3) / (limit ** 2 / 3) < 0.05, `variance ${variance}`);
  });
  it('heNormal has stddev sqrt(2 / fanIn), truncated at two standard deviations of the underlying normal', () => {
    const t = initializers.heNormal({ seed: 2 }).init([400, 300]);
    const values = Array.from(t.data);
    const std = Math.sqrt(values.reduce((s, v) => s + v * v, 0) / values.length);
    assert.ok(Math.abs(std - Math.sqrt(2 / 400)) / Math.sqrt(2 / 400) < 0.03, `std ${std}`);
    const bound = (2 * Math.sqrt(2 / 400)) / 0.8796256610342398;
    assert.ok(values.every((v) => Math.abs(v) <= bound + 1e-7));
  });
  it('seeded initializers repeat; names in snake_case and camelCase both work', () => {
    assert.deepEqual(initializers.randomNormal({ seed: 5 }).init([10]).data, initializers.randomNormal({ seed: 5 }).init([10]).data);
    const a = layers.dense({ units: 2, inputShape: [2], kernelInitializer: 'he_uniform', biasInitializer: 'ones' });
    const b = layers.conv2d({ filters: 1, kernelSize: 1, kernelInitializer: 'heNormal' });
    assert.equal(a.kernelInitializer.className, 'HeUniform');
    assert.equal(b.kernelInitializer.className, 'HeNormal');
  });
});
