/**
 * Models nested as layers, as in TF.js (LayersModel extends Layer) and Keras: in a Sequential's
 * layer list, by model.add, and by apply() in functional graphs. Their weights appear in the
 * parent's once, summary shows them as one row, `trainable` on the nested model freezes every
 * inner layer (a frozen BatchNormalization runs in inference mode), gradients flow through them,
 * and fit / evaluate / predict agree with running the parts one after the other.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { input, layers, model, replaceHead, sequential, setSeed, tensor, train, type Tensor } from '../src/index.js';
import type { LayersModel } from '../src/models/layers_model.js';

function data(n: number, seed: number): { x: Tensor; y: Tensor } {
  let s = seed;
  const rand = () => ((s = (s * 1103515245 + 12345) >>> 0) >>> 8) / 0x1000000;
  const x = Float32Array.from({ length: n * 8 * 8 * 2 }, rand);
  const y = Int32Array.from({ length: n }, (_, i) => (x[i * 128] > 0.5 ? 1 : 0) + (x[i * 128 + 1] > 0.5 ? 1 : 0));
  return { x: tensor(x, [n, 8, 8, 2]), y: tensor(y, [n]) };
}

const bits = (ts: Tensor[]) => ts.map((t) => Buffer.from((t.data as Float32Array).slice().buffer).toString('hex'));

/** A small convolutional base with BatchNormalization, as a pretrained feature extractor. */
function convBase(name = 'base') {
  return sequential({
    name,
    layers: [
      layers.conv2d({ filters: 4, kernelSize: 3, inputShape: [8, 8, 2], useBias: false }),
      layers.batchNormalization(),
      layers.activation({ activation: 'relu' }),
    ],
  });
}

describe('a model used as a layer', () => {
  it('nests in sequential({ layers }), by add(), and by apply() in a functional graph', () => {
    setSeed(1);
    const base = convBase();
    const stacked = sequential({ layers: [base, layers.flatten(), layers.dense({ units: 3, activation: 'softmax' })] });
    assert.deepEqual(stacked.inputShape, [null, 8, 8, 2], 'the base brings its input shape');
    assert.deepEqual(stacked.outputShape, [null, 3]);
    const added = sequential();
    added.add(base);
    added.add(layers.globalAveragePooling2d());
    assert.deepEqual(added.outputShape, [null, 4]);
    const x = input({ shape: [8, 8, 2] });
    const features = base.apply(x);
    assert.deepEqual(features.shape, [null, 6, 6, 4]);
    const graph = model({ inputs: x, outputs: layers.dense({ units: 2 }).apply(layers.flatten().apply(features)) });
    assert.deepEqual(graph.layers.map((l) => l.className), ['Sequential', 'Flatten', 'Dense']);
    assert.throws(() => base.apply(input({ shape: [9, 9, 2] })), /Input of model 'base' \(Sequential, used as a layer\) is incompatible: expected shape \(None, 8, 8, 2\), received \(None, 9, 9, 2\)/);
  });

  it('predicts what its parts predict one after the other, in Sequential and functional parents', () => {
    setSeed(2);
    const base = convBase();
    const head = sequential({ layers: [layers.flatten({ inputShape: [6, 6, 4] }), layers.dense({ units: 3, activation: 'softmax' })] });
    const stacked = sequential({ layers: [base, head] });
    const x = input({ shape: [8, 8, 2] });
    const graph = model({ inputs: x, outputs: head.apply(base.apply(x)) });
    const { x: xs } = data(5, 3);
    const expected = Array.from(head.predict(base.predict(xs)).data);
    assert.deepEqual(Array.from(stacked.predict(xs).data), expected);
    assert.deepEqual(Array.from(graph.predict(xs).data), expected);
    // A functional model nested in a Sequential.
    const inner = input({ shape: [8, 8, 2] });
    const functionalBase = model({ inputs: inner, outputs: base.apply(inner), name: 'functional_base' });
    const mixed = sequential({ layers: [functionalBase, head] });
    assert.deepEqual(Array.from(mixed.predict(xs).data), expected);
  });

  it('lists its weights in the parent once, even where a layer is shared with the parent', () => {
    setSeed(3);
    const base = convBase();
    const dense = layers.dense({ units: 3 });
    const stacked = sequential({ layers: [base, layers.flatten(), dense] });
    assert.deepEqual(stacked.weights.map((w) => w.name), [...base.weights.map((w) => w.name), ...dense.weights.map((w) => w.name)]);
    assert.equal(stacked.countParams(), base.countParams() + dense.countParams());
    // The same Dense inside a nested model and again in the parent's graph.
    const shared = layers.dense({ units: 4, inputShape: [4] });
    const inner = sequential({ layers: [shared] });
    const x = input({ shape: [4] });
    const outer = model({ inputs: x, outputs: shared.apply(inner.apply(x)) });
    assert.equal(outer.weights.length, 2, 'kernel and bias once');
    assert.equal(outer.trainableWeights.length, 2);
    assert.equal(outer.countParams(), 20);
    assert.equal(outer.getWeights().length, 2);
    outer.setWeights(outer.getWeights());
    const kernel = Array.from(shared.getWeights()[0].data);
    assert.throws(() => outer.setWeights([tensor(new Float32Array(16), [4, 4]), tensor(new Float32Array(3), [3])]), /setWeights value 1 for '.*\/bias' has shape \(3,\), expected \(4,\)/);
    assert.deepEqual(Array.from(shared.getWeights()[0].data), kernel, 'nothing changed');
    const lines: string[] = [];
    outer.summary((l) => lines.push(l));
    assert.ok(lines.includes('Total params: 20'), lines.join('\n'));
  });

  it('shows as one row with its parameter count in summary, as Keras does', () => {
    setSeed(4);
    const base = convBase('feature_extractor');
    const stacked = sequential({ layers: [base, layers.flatten(), layers.dense({ units: 3 })], name: 'classifier' });
    base.trainable = false;
    const lines: string[] = [];
    stacked.summary((l) => lines.push(l));
    const row = lines.find((l) => l.includes('feature_extractor'));
    assert.match(row ?? '', /^ feature_extractor \(Sequential\)\s+\(None, 6, 6, 4\)\s+88$/, lines.join('\n'));
    assert.ok(!lines.some((l) => l.includes('conv2d')), 'inner layers are not rows');
    assert.ok(lines.includes(`Total params: ${(88 + 144 * 3 + 3).toLocaleString('en-US')}`));
    assert.ok(lines.includes('Trainable params: 435'));
    assert.ok(lines.includes('Non-trainable params: 88'));
  });

  it('trainable = false freezes every inner layer, nested models inside it too, and true unfreezes them', () => {
    setSeed(5);
    const inner = convBase('inner');
    const middle = sequential({ name: 'middle', layers: [inner, layers.flatten(), layers.dense({ units: 5 })] });
    const outer = sequential({ layers: [middle, layers.dense({ units: 2 })] });
    assert.equal(outer.trainableWeights.length, 2 + 2 + 2 + 1, 'conv kernel, BN gamma/beta, two dense');
    middle.trainable = false;
    assert.equal(middle.trainable, false);
    assert.ok(inner.layers.every((l) => !l.trainable) && !inner.trainable, 'reaches the innermost layers');
    assert.deepEqual(outer.trainableWeights.map((w) => w.name), outer.layers[1].weights.map((w) => w.name));
    assert.equal(outer.nonTrainableWeights.length, outer.weights.length - 2);
    assert.equal(outer.trainable, true, 'the parent stays trainable');
    middle.trainable = true;
    assert.equal(outer.trainableWeights.length, 7);
    assert.equal(outer.nonTrainableWeights.length, 2, 'BN moving statistics');
  });

  it('a frozen nested BatchNormalization runs in inference mode while the parent trains', () => {
    setSeed(6);
    const base = convBase();
    const stacked = sequential({ layers: [base, layers.flatten(), layers.dense({ units: 3, activation: 'softmax' })] });
    const { x } = data(8, 7);
    base.trainable = false;
    const training = Array.from(stacked.apply(x, true).data);
    assert.deepEqual(training, Array.from(stacked.apply(x, false).data));
    base.trainable = true;
    assert.notDeepEqual(Array.from(stacked.apply(x, true).data), Array.from(stacked.apply(x, false).data), 'unfrozen: batch statistics');
  });

  it('passes gradients through: fit trains the nested base, evaluate and predict work', async () => {
    setSeed(7);
    const base = convBase();
    const x = input({ shape: [8, 8, 2] });
    const outputs = layers.dense({ units: 3, activation: 'softmax' }).apply(layers.globalAveragePooling2d().apply(base.apply(x)));
    const net: LayersModel = model({ inputs: x, outputs });
    net.compile({ optimizer: train.sgd(0.1), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const { x: xs, y } = data(32, 8);
    const before = bits(base.getWeights());
    const [lossBefore] = net.evaluate(xs, y);
    await net.fit(xs, y, { epochs: 3, batchSize: 8, verbose: 0 });
    const after = bits(base.getWeights());
    assert.notEqual(after[0], before[0], 'conv kernel trained');
    assert.notEqual(after[3], before[3], 'BN moving mean updated');
    const [lossAfter] = net.evaluate(xs, y);
    assert.ok(lossAfter < lossBefore, `loss ${lossBefore} -> ${lossAfter}`);
    assert.deepEqual(net.predict(xs).shape, [32, 3]);
  });
});

describe("Keras's transfer-learning guide with a nested base", () => {
  /** base.trainable = false; x = base(inputs, training=False); pooling; a new Dense head. */
  function guideModel(base: LayersModel, training?: boolean): LayersModel {
    const inputs = input({ shape: [8, 8, 2] });
    const features = training === undefined ? base.apply(inputs) : base.apply(inputs, { training });
    const outputs = layers.dense({ units: 3, activation: 'softmax' }).apply(layers.globalAveragePooling2d().apply(features));
    return model({ inputs, outputs, name: 'transfer' });
  }

  it('trains the head with the base frozen (bit for bit), then fine-tunes the unfrozen base at a lower rate', async () => {
    setSeed(9);
    const base = convBase();
    base.trainable = false;
    const net = guideModel(base, false);
    const { x, y } = data(16, 10);
    net.compile({ optimizer: train.adam(1e-2), loss: 'sparseCategoricalCrossentropy' });
    const baseBefore = bits(base.getWeights());
    const headBefore = bits(net.layers[2].getWeights());
    await net.fit(x, y, { epochs: 1, batchSize: 16, verbose: 0 });
    assert.deepEqual(bits(base.getWeights()), baseBefore, 'base weights and BN moving statistics unchanged');
    assert.notDeepEqual(bits(net.layers[2].getWeights()), headBefore, 'the head trained');

    base.trainable = true;
    net.compile({ optimizer: train.adam(1e-5), loss: 'sparseCategoricalCrossentropy' });
    await net.fit(x, y, { epochs: 1, batchSize: 16, verbose: 0 });
    const after = bits(base.getWeights());
    assert.notEqual(after[0], baseBefore[0], 'conv kernel fine-tuned');
    assert.notEqual(after[1], baseBefore[1], 'BN gamma fine-tuned');
    // training: false: the base's BatchNormalization stays in inference mode while fine-tuning.
    assert.equal(after[3], baseBefore[3], 'moving mean kept');
    assert.equal(after[4], baseBefore[4], 'moving variance kept');
  });

  it('without training: false, the unfrozen base updates its BatchNormalization statistics', async () => {
    setSeed(9);
    const base = convBase();
    const net = guideModel(base);
    const { x, y } = data(16, 10);
    net.compile({ optimizer: train.adam(1e-5), loss: 'sparseCategoricalCrossentropy' });
    const before = bits(base.getWeights());
    await net.fit(x, y, { epochs: 1, batchSize: 16, verbose: 0 });
    assert.notEqual(bits(base.getWeights())[3], before[3], 'moving mean updated');
    assert.throws(() => base.apply(input({ shape: [8, 8, 2] }), { training: 'no' as never }), /training must be true or false, received "no"/);
  });
});

describe('replaceHead on a functional model', () => {
  it('keeps the graph up to the cut as one nested base (shared, frozen) and adds the new head', async () => {
    setSeed(12);
    const x = input({ shape: [8, 8, 2] });
    const conv = layers.conv2d({ filters: 4, kernelSize: 3, activation: 'relu' }).apply(x);
    const normed = layers.batchNormalization().apply(conv);
    const pooled = layers.globalAveragePooling2d().apply(normed);
    const trained = model({ inputs: x, outputs: layers.dense({ units: 3, activation: 'softmax' }).apply(pooled), name: 'trained' });
    const transfer = replaceHead(trained, { numClasses: 2, cut: 2 });
    const base = transfer.layers[0] as LayersModel;
    assert.equal(base.className, 'Functional');
    assert.equal(base.name, 'trained_base');
    assert.deepEqual(base.layers, trained.layers.slice(0, 2), 'the trained layers themselves');
    assert.equal(base.trainable, false);
    assert.deepEqual(transfer.layers.slice(1).map((l) => l.className), ['GlobalAveragePooling2D', 'Dense']);
    assert.deepEqual(transfer.outputShape, [null, 2]);
    const { x: xs, y } = data(16, 13);
    const binary = tensor(Int32Array.from(y.data as Int32Array, (v) => (v > 0 ? 1 : 0)), [16]);
    transfer.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
    const before = bits(base.getWeights());
    await transfer.fit(xs, binary, { epochs: 1, batchSize: 16, verbose: 0 });
    assert.deepEqual(bits(base.getWeights()), before);
    assert.throws(() => replaceHead(trained, { numClasses: 2, cut: 4 }), /cut must be an integer from 1 to 3 \(model 'trained' has 4 layer calls\), received 4/);
  });
});
