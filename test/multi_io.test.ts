/**
 * Functional models with two inputs (an image and a vector) and two outputs (classes and a
 * regression value): predict and one training step agree with @tensorflow/tfjs given the same
 * weights; logs, evaluate and the data checks name outputs as Keras does.
 */
import './helpers/seeded_math_random.js'; // TF.js's unseeded initialisers, made the same every run
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as tfjs from '@tensorflow/tfjs';
import { Adam, Callback, Functional, SGD, input, sequential, layers, loadLayersModel, model, setSeed, tensor, Tensor, type Optimizer } from '../src/index.js';
import { Random } from '../src/utils/random.js';
import { tfjs as tfReady } from './io/helpers/tfjs.js';
import { data, twoByTwo } from './helpers/multi_io.js';

const tfTensor = (t: Tensor) => tfjs.tensor(Array.from(t.data), [...t.shape]);

/** The same model in TF.js, through convlab's TF.js-format save (so the file is tested too). */
async function inTfjs(m: Functional): Promise<tfjs.LayersModel> {
  await tfReady();
  let artifacts: tfjs.io.ModelArtifacts | null = null;
  await m.save({ save: async (a: unknown) => { artifacts = a as tfjs.io.ModelArtifacts; return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }; } } as never);
  return tfjs.loadLayersModel(tfjs.io.fromMemory(artifacts!));
}

function close(got: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(got.length, expected.length, `${what}: length`);
  for (let i = 0; i < got.length; i++) {
    assert.ok(Math.abs(got[i] - expected[i]) <= tol * Math.max(1, Math.abs(expected[i])), `${what}[${i}]: ${got[i]} vs ${expected[i]}`);
  }
}

describe('multi-input, multi-output functional models', () => {
  it('predict takes an array or {name: tensor} and agrees with TF.js (<= 1e-5)', async () => {
    setSeed(11);
    const m = twoByTwo();
    const d = data(5, 1);
    const byArray = m.predict([d.image, d.vector]) as Tensor[];
    const byName = m.predict({ vector: d.vector, image: d.image }) as Tensor[];
    assert.equal(byArray.length, 2);
    assert.deepEqual(byArray[0].shape, [5, 3]);
    assert.deepEqual(byArray[1].shape, [5, 1]);
    assert.deepEqual(Array.from(byName[0].data), Array.from(byArray[0].data));
    (m.predict([d.image, d.vector], { batchSize: 2 }) as Tensor[]).forEach((t, k) => close(t.data, byArray[k].data, 1e-6, `batched output ${k}`));
    const theirs = await inTfjs(m);
    assert.deepEqual(theirs.inputNames, ['image', 'vector']);
    assert.deepEqual(theirs.outputNames, ['cls', 'reg']);
    const expected = theirs.predict([tfTensor(d.image), tfTensor(d.vector)]) as tfjs.Tensor[];
    close(byArray[0].data, expected[0].dataSync(), 1e-5, 'cls');
    close(byArray[1].data, expected[1].dataSync(), 1e-5, 'reg');
    const [cls] = m.predictOnBatch([d.image, d.vector]) as Tensor[];
    assert.deepEqual(Array.from(cls.data), Array.from(byArray[0].data));
  });

  for (const [label, make, tfOpt] of [
    ['SGD', () => new SGD({ learningRate: 0.1 }), () => tfjs.train.sgd(0.1)],
    ['Adam', () => new Adam({ learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 }), 
      // Keras (and convlab) add epsilon to sqrt(v), TF.js to sqrt(v / (1 - beta2^t)): at step 1 the
      // same update needs TF.js's epsilon divided by sqrt(1 - 0.999).
      () => tfjs.train.adam(0.01, 0.9, 0.999, 1e-7 / Math.sqrt(1 - 0.999))],
  ] as Array<[string, () => Optimizer, () => tfjs.Optimizer]>) {
    it(`one ${label} step with loss weights agrees with TF.js`, async () => {
      setSeed(12);
      const m = twoByTwo();
      const theirs = await inTfjs(m);
      const d = data(6, 2);
      m.compile({ optimizer: make(), loss: { cls: 'sparseCategoricalCrossentropy', reg: 'meanSquaredError' }, lossWeights: { cls: 1, reg: 0.5 } });
      // TF.js 4.22 ignores lossWeights (a TODO in tfjs-layers' training.js): the weight goes into its loss.
      const halfMse = (yTrue: tfjs.Tensor, yPred: tfjs.Tensor) => tfjs.mul(0.5, tfjs.losses.meanSquaredError(yTrue, yPred, undefined, tfjs.Reduction.NONE));
      theirs.compile({ optimizer: tfOpt(), loss: ['sparseCategoricalCrossentropy', halfMse as never] });
      const history = await m.fit({ image: d.image, vector: d.vector }, [d.cls, d.reg], { epochs: 1, batchSize: 6, shuffle: false, verbose: 0 });
      const theirHistory = await theirs.fit([tfTensor(d.image), tfTensor(d.vector)], [tfTensor(d.cls), tfTensor(d.reg)], { epochs: 1, batchSize: 6, shuffle: false, verbose: 0 });
      for (const key of ['loss', 'cls_loss']) close(history.history[key] as number[], theirHistory.history[key] as number[], 1e-5, key);
      close((history.history.reg_loss as number[]).map((v) => 0.5 * v), theirHistory.history.reg_loss as number[], 1e-5, 'reg_loss');
      // The total is the weighted sum, as in Keras.
      const h = history.history as Record<string, number[]>;
      close(h.loss, h.cls_loss.map((c, i) => c + 0.5 * h.reg_loss[i]), 1e-6, 'weighted total');
      const ours = m.getWeights();
      const them = theirs.getWeights();
      assert.equal(ours.length, them.length);
      ours.forEach((w, i) => close(w.data, them[i].dataSync(), 1e-5, `weight ${them[i].name ?? i}`));
    });
  }

  it('logs, history and evaluate name each output as Keras does', async () => {
    setSeed(13);
    const m = twoByTwo();
    const d = data(8, 3);
    m.compile({ optimizer: 'sgd', loss: ['sparseCategoricalCrossentropy', 'mse'], lossWeights: [1, 0.5], metrics: { cls: ['accuracy'] } });
    const seen: string[][] = [];
    const history = await m.fit([d.image, d.vector], { cls: d.cls, reg: d.reg }, {
      epochs: 1, batchSize: 4, verbose: 0, validationData: [[d.image, d.vector], [d.cls, d.reg]],
      callbacks: { onEpochEnd: (_e: number, logs?: Record<string, number>) => { seen.push(Object.keys(logs ?? {})); } },
    });
    const keys = ['loss', 'cls_loss', 'reg_loss', 'cls_accuracy', 'val_loss', 'val_cls_loss', 'val_reg_loss', 'val_cls_accuracy'];
    assert.deepEqual(seen, [keys]);
    assert.deepEqual(Object.keys(history.history).sort(), [...keys].sort());
    const result = m.evaluate([d.image, d.vector], [d.cls, d.reg], { verbose: 0, batchSize: 3 });
    assert.equal(result.length, 4);
    const [total, clsLoss, regLoss, accuracy] = result;
    assert.ok(Math.abs(total - (clsLoss + 0.5 * regLoss)) < 1e-5, `${total} vs ${clsLoss} + 0.5 * ${regLoss}`);
    // The per-output losses from the predictions themselves.
    const [p, r] = m.predict([d.image, d.vector]) as Tensor[];
    let ce = 0;
    let se = 0;
    let correct = 0;
    for (let i = 0; i < 8; i++) {
      const row = Array.from(p.data.slice(i * 3, i * 3 + 3));
      ce -= Math.log(row[d.cls.data[i]]);
      se += (r.data[i] - d.reg.data[i]) ** 2;
      if (row.indexOf(Math.max(...row)) === d.cls.data[i]) correct++;
    }
    assert.ok(Math.abs(clsLoss - ce / 8) < 1e-5, `${clsLoss} vs ${ce / 8}`);
    assert.ok(Math.abs(regLoss - se / 8) < 1e-5, `${regLoss} vs ${se / 8}`);
    assert.equal(accuracy, correct / 8);
  });

  it('a model with two inputs and one output keeps the plain names', async () => {
    setSeed(14);
    const a = input({ shape: [3], name: 'a' });
    const b = input({ shape: [2], name: 'b' });
    const out = layers.dense({ units: 2, activation: 'softmax', name: 'out' }).apply(layers.concatenate().apply([a, b]));
    const m = model({ inputs: [a, b], outputs: out });
    m.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const x = [tensor(new Float32Array(12).map((_, i) => i / 12), [4, 3]), tensor(new Float32Array(8).fill(0.5), [4, 2])];
    const y = tensor([0, 1, 0, 1], [4]);
    const h = await m.fit(x, y, { epochs: 1, verbose: 0 });
    assert.deepEqual(Object.keys(h.history).sort(), ['accuracy', 'loss']);
    assert.ok(m.predict(x) instanceof Tensor);
    assert.equal(m.evaluate(x, y, { verbose: 0 }).length, 2);
    // validationSplit takes the last samples of every input and target, as Keras does.
    const probe = new Callback();
    const split = await m.fit({ a: x[0], b: x[1] }, y, { epochs: 1, verbose: 0, validationSplit: 0.5, callbacks: [probe] });
    const samples = probe.params.samples;
    assert.deepEqual(Object.keys(split.history).sort(), ['accuracy', 'loss', 'val_accuracy', 'val_loss']);
    assert.equal(samples, 2);
    const lastTwo = m.evaluate([x[0].reshape([4, 3]), x[1]].map((t) => new Tensor((t.data as Float32Array).slice(t.size / 2), [2, t.shape[1]])), tensor([0, 1], [2]), { verbose: 0 });
    assert.ok(Math.abs(lastTwo[0] - (split.history.val_loss as number[])[0]) < 1e-6);
  });

  it('convlab loads a multi-input, multi-output model saved by TF.js and predicts the same', async () => {
    await tfReady();
    const a = tfjs.input({ shape: [4], name: 'a' });
    const b = tfjs.input({ shape: [3], name: 'b' });
    const h = tfjs.layers.concatenate({ name: 'cat' }).apply([tfjs.layers.dense({ units: 5, name: 'd1' }).apply(a) as tfjs.SymbolicTensor, b]) as tfjs.SymbolicTensor;
    const y1 = tfjs.layers.dense({ units: 3, activation: 'softmax', name: 'y1' }).apply(h) as tfjs.SymbolicTensor;
    const y2 = tfjs.layers.dense({ units: 2, name: 'y2' }).apply(h) as tfjs.SymbolicTensor;
    const theirs = tfjs.model({ inputs: [a, b], outputs: [y1, y2] });
    let artifacts: tfjs.io.ModelArtifacts | null = null;
    await theirs.save(tfjs.io.withSaveHandler(async (art) => { artifacts = art; return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }; }));
    const ours = await loadLayersModel<Functional>({ load: async () => artifacts! } as never);
    assert.deepEqual(ours.inputNames, ['a', 'b']);
    assert.deepEqual(ours.outputNames, ['y1', 'y2']);
    const rng = new Random(9);
    const xa = tensor(Float32Array.from({ length: 8 }, () => rng.uniform(-1, 1)), [2, 4]);
    const xb = tensor(Float32Array.from({ length: 6 }, () => rng.uniform(-1, 1)), [2, 3]);
    const expected = theirs.predict([tfTensor(xa), tfTensor(xb)]) as tfjs.Tensor[];
    const got = ours.predict({ a: xa, b: xb }) as Tensor[];
    close(got[0].data, expected[0].dataSync(), 1e-5, 'y1');
    close(got[1].data, expected[1].dataSync(), 1e-5, 'y2');
  });

  it('summary lists every input and what each layer is connected to', () => {
    const lines: string[] = [];
    twoByTwo('summary_model').summary((l) => lines.push(l));
    const text = lines.join('\n');
    assert.match(text, /image \(InputLayer\)\s+\(None, 6, 6, 2\)\s+0/);
    assert.match(text, /vector \(InputLayer\)\s+\(None, 3\)\s+0/);
    assert.match(text, /join \(Concatenate\)\s+\(None, 6\)\s+0\s+gap, vec_dense/);
    assert.match(text, /Connected to/);
  });

  it('explains wrong data and compile arguments, quoting what it received', async () => {
    setSeed(15);
    const m = twoByTwo('mio');
    const d = data(4, 5);
    assert.throws(() => m.predict(d.image), /predict: x is one Tensor, but the model has 2 inputs \(image, vector\); expected an array of 2 tensors or an object \{image, vector\}/);
    assert.throws(() => m.predict([d.image]), /predict: x holds 1 tensor, but the model has 2 inputs \(image, vector\)/);
    assert.throws(() => m.predict({ image: d.image, vec: d.vector }), /predict: x names input 'vec', which the model does not have; the model has 2 inputs \(image, vector\)/);
    assert.throws(() => m.predict({ image: d.image }), /predict: x has no tensor for input 'vector'/);
    assert.throws(() => m.predict([d.image, [1, 2, 3]] as never), /predict: x for input 'vector' must be a Tensor, received an array of 3/);
    assert.throws(() => m.predict([d.image, data(3, 5).vector]), /predict: input 'vector' has 3 samples \(shape \[3,3\]\) but input 'image' has 4 \(shape \[4,6,6,2\]\)/);
    assert.throws(() => m.predict([d.vector, d.image]), /Input 'image' of model 'mio' is incompatible: expected shape \(None, 6, 6, 2\), received \(None, 3\)/);
    const nan = tensor(Float32Array.from(d.vector.data), [4, 3]);
    nan.data[4] = Number.NaN;
    assert.throws(() => m.predict([d.image, nan]), /predict: input 'vector' holds NaN at sample 1 \(element \[1, 1\]/);
    assert.throws(() => m.compile({ optimizer: 'sgd', loss: ['mse'] }), /compile: loss has 1 entries, but the model has 2 outputs \(cls, reg\)/);
    assert.throws(() => m.compile({ optimizer: 'sgd', loss: { cls: 'mse' } }), /compile: loss has no entry for output 'reg'/);
    assert.throws(() => m.compile({ optimizer: 'sgd', loss: { cls: 'mse', reg: 'mse', extra: 'mse' } }), /compile: loss names output 'extra', which the model does not have; its outputs are cls, reg/);
    assert.throws(() => m.compile({ optimizer: 'sgd', loss: 'mse', lossWeights: [1] }), /compile: lossWeights has 1 entries, but the model has 2 outputs/);
    assert.throws(() => m.compile({ optimizer: 'sgd', loss: 'mse', lossWeights: { reg: -1 } }), /compile: lossWeights for output 'reg' must be a finite number >= 0, received -1/);
    assert.throws(() => m.compile({ optimizer: 'sgd', loss: 'mse', metrics: { cls: ['acuracy'] } }), /Unknown metric 'acuracy'/);
    assert.throws(() => m.evaluate([d.image, d.vector], [d.cls, d.reg]), /evaluate: model 'mio' must be compiled first/);
    m.compile({ optimizer: 'sgd', loss: ['sparseCategoricalCrossentropy', 'mse'] });
    await assert.rejects(m.fit([d.image, d.vector], d.cls, { verbose: 0 }), /fit: y is one Tensor, but the model has 2 outputs \(cls, reg\)/);
    await assert.rejects(m.fit([d.image, d.vector], [tensor([0, 1, 5, 0], [4]), d.reg], { verbose: 0 }), /fit: label 5 at index 2 is out of range; output 'cls' of model 'mio' has 3 output units/);
    await assert.rejects(m.fit([d.image, d.vector], [d.cls, tensor(new Float32Array(8), [4, 2])], { verbose: 0 }), /fit: meanSquaredError expects labels shaped like the output 'reg' of model 'mio' \[4,1\], received \[4,2\]/);
    await assert.rejects(m.fit([d.image, d.vector], [d.cls, d.reg.reshape([2, 2])], { verbose: 0 }), /fit: target 'reg' has 2 samples/);
    await assert.rejects(m.fit([d.image, d.vector], [d.cls, d.reg], { verbose: 0, validationSplit: 0.9 }), /validationSplit 0.9 leaves no training samples out of 4/);
    const dataset = { count: 1, batchSize: 1, batches: async function* () { yield { xs: d.image, ys: d.cls }; } };
    await assert.rejects(m.fit(dataset, { verbose: 0 }), /fit: model 'mio' has 2 inputs and 2 outputs; datasets give one input and one target per batch/);
    assert.throws(() => m.input, /Model 'mio' has 2 inputs \(image, vector\); this needs a model with one input \(model.inputs lists them\)/);
    assert.throws(() => m.output, /Model 'mio' has 2 outputs \(cls, reg\); this needs a model with one output \(model.outputs lists them\)/);
    assert.throws(() => m.call(d.image), /has 2 inputs and 2 outputs; run it with model.predict or model.callAll/);
    const seq = sequential({ layers: [layers.dense({ units: 1, inputShape: [2] })], name: 'seq' });
    assert.throws(() => seq.compile({ optimizer: 'sgd', loss: { out: 'mse' } }), /compile: model 'seq' \(Sequential\) has one output; give loss as one name or function/);
    assert.throws(() => model({ inputs: [input({ shape: [2], name: 'a' })], outputs: [] }), /expected outputs to be a symbolic tensor or a non-empty list/);
    const a = input({ shape: [2], name: 'only' });
    assert.throws(() => model({ inputs: a, outputs: [layers.dense({ units: 1 }).apply(a), a] }), /output 'only' is an input itself/);
  });

  it('lists layers in Keras and TF.js order: by depth, then by when a walk from the outputs reaches them', async () => {
    await tfReady();
    // y1 <- a <- x and y2 <- b2 <- b1 <- x: a depth-first walk meets a first, Keras puts b1 first.
    const build = <T>(dense: (name: string) => (t: T) => T, x: T, make: (y1: T, y2: T) => unknown) => {
      const y1 = dense('y1')(dense('a')(x));
      const y2 = dense('y2')(dense('b2')(dense('b1')(x)));
      return make(y1, y2);
    };
    const x = input({ shape: [3], name: 'x' });
    const ours = build((name) => (t) => layers.dense({ units: 2, name }).apply(t), x, (y1, y2) => model({ inputs: x, outputs: [y1, y2] })) as Functional;
    const tx = tfjs.input({ shape: [3], name: 'x' });
    const theirs = build((name) => (t: tfjs.SymbolicTensor) => tfjs.layers.dense({ units: 2, name }).apply(t) as tfjs.SymbolicTensor, tx, (y1, y2) => tfjs.model({ inputs: tx, outputs: [y1, y2] })) as tfjs.LayersModel;
    const expected = theirs.layers.filter((l) => l.getClassName() !== 'InputLayer').map((l) => l.name);
    assert.deepEqual(expected, ['b1', 'a', 'b2', 'y1', 'y2']);
    assert.deepEqual(ours.layers.map((l) => l.name), expected);
    const loaded = await inTfjs(ours);
    // The written config lists InputLayers where TF.js (and Keras) list them.
    setSeed(16);
    const mio = twoByTwo();
    const written: string[] = [];
    await mio.save({ save: async (a: { modelTopology: { config: { layers: Array<{ name: string }> } } }) => { written.push(...a.modelTopology.config.layers.map((l) => l.name)); return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }; } } as never);
    assert.deepEqual(written, ['image', 'conv', 'vector', 'gap', 'vec_dense', 'join', 'cls', 'reg']);
    assert.deepEqual((await inTfjs(mio)).layers.map((l) => l.name), written);
    const lines: string[] = [];
    mio.summary((l) => lines.push(l));
    assert.deepEqual(lines.filter((l) => /^ \w+ \([A-Z]\w*\)/.test(l)).map((l) => l.trim().split(' ')[0]), written);
    // TF.js makes the names of variables unique within its session (b1/kernel_1).
    assert.deepEqual(loaded.getWeights().map((w) => w.name.replace(/_\d+$/, '')), ours.weights.map((w) => w.name));
  });

  it('an output that another layer also reads is trained on its probabilities, and callbacks can stop training', async () => {
    setSeed(17);
    const x = input({ shape: [4], name: 'x' });
    const probs = layers.dense({ units: 3, activation: 'softmax', name: 'probs' }).apply(x);
    const score = layers.dense({ units: 1, name: 'score' }).apply(probs);
    const m = model({ inputs: x, outputs: [probs, score] });
    m.compile({ optimizer: new SGD({ learningRate: 0.1 }), loss: ['sparseCategoricalCrossentropy', 'mse'] });
    const rng = new Random(5);
    const xs = tensor(Float32Array.from({ length: 24 }, () => rng.uniform(-2, 2)), [6, 4]);
    const labels = tensor([0, 1, 2, 0, 1, 2], [6]);
    const targets = tensor(Float32Array.from({ length: 6 }, () => rng.uniform(0, 1)), [6, 1]);
    const [p, sc] = m.predict(xs) as Tensor[];
    const w = m.getLayer('score').getWeights().map((t) => t.data);
    let ce = 0;
    let se = 0;
    for (let i = 0; i < 6; i++) {
      ce -= Math.log(p.data[i * 3 + labels.data[i]]);
      const expected = w[1][0] + [0, 1, 2].reduce((sum, j) => sum + p.data[i * 3 + j] * w[0][j], 0);
      assert.ok(Math.abs(sc.data[i] - expected) < 1e-6, `score ${i}: ${sc.data[i]} vs ${expected}`);
      se += (sc.data[i] - targets.data[i]) ** 2;
    }
    const [total, probsLoss, scoreLoss] = m.evaluate(xs, [labels, targets], { verbose: 0 });
    assert.ok(Math.abs(probsLoss - ce / 6) < 1e-5 && Math.abs(scoreLoss - se / 6) < 1e-5 && Math.abs(total - probsLoss - scoreLoss) < 1e-5);
    let batches = 0;
    const h = await m.fit(xs, { probs: labels, score: targets }, {
      epochs: 3, batchSize: 2, verbose: 0,
      callbacks: { onBatchEnd: (_b: number, logs?: Record<string, number>) => { batches++; assert.ok(logs && 'probs_loss' in logs && 'score_loss' in logs); if (batches === 2) m.stopTraining = true; } },
    });
    assert.equal(batches, 2);
    assert.equal((h.history.loss as number[]).length, 1);
  });
});
