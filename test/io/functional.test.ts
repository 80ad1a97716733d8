import '../helpers/seeded_math_random.js'; // TF.js's unseeded initialisers, made the same every run
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { Functional, Sequential, input, layers, loadLayersModel, model, setSeed, tensor, Tensor } from '../../src/index.js';
import { Random } from '../../src/utils/random.js';

const root = mkdtempSync(join(tmpdir(), 'convlab-functional-'));
after(() => rmSync(root, { recursive: true, force: true }));

function residual(): Functional {
  const x = input({ shape: [6, 6, 2], name: 'image' });
  const stem = layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same', activation: 'relu', name: 'stem' }).apply(x);
  const branch = layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same', name: 'branch' }).apply(stem);
  const sum = layers.add({ name: 'skip' }).apply([stem, branch]);
  const pooled = layers.globalAveragePooling2d({ name: 'gap' }).apply(sum);
  const joined = layers.concatenate({ name: 'join' }).apply([pooled, layers.globalAveragePooling2d({ name: 'gap_stem' }).apply(stem)]);
  return model({ inputs: x, outputs: layers.dense({ units: 4, activation: 'softmax', name: 'classes' }).apply(joined), name: 'residual' });
}

function batch(): Tensor {
  const rng = new Random(4);
  return tensor(Float32Array.from({ length: 5 * 72 }, () => rng.uniform(-1, 1)), [5, 6, 6, 2]);
}

describe('functional models in the TF.js Layers format', () => {
  it('round-trip through files with identical weights and predictions', async () => {
    setSeed(5);
    const m = residual();
    await m.save(join(root, 'residual'));
    const loaded = await loadLayersModel<Functional>(join(root, 'residual'));
    assert.ok(loaded instanceof Functional);
    assert.deepEqual(loaded.layers.map((l) => l.name), m.layers.map((l) => l.name));
    assert.deepEqual(loaded.getWeights().map((w) => Array.from(w.data)), m.getWeights().map((w) => Array.from(w.data)));
    assert.deepEqual(Array.from(loaded.predict(batch()).data), Array.from(m.predict(batch()).data));
  });

  it('TF.js loads a convlab functional model and predicts the same', async () => {
    setSeed(6);
    const m = residual();
    let artifacts: tf.io.ModelArtifacts | null = null;
    await m.save({ save: async (a: unknown) => { artifacts = a as tf.io.ModelArtifacts; return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }; } } as never);
    const theirs = await tf.loadLayersModel(tf.io.fromMemory(artifacts!));
    const x = batch();
    const expected = m.predict(x).data;
    const got = (theirs.predict(tf.tensor(Array.from(x.data), [...x.shape])) as tf.Tensor).dataSync();
    for (let i = 0; i < expected.length; i++) assert.ok(Math.abs(expected[i] - got[i]) <= 1e-5, `output ${i}: ${got[i]} vs ${expected[i]}`);
  });

  it('convlab loads a functional model saved by TF.js and predicts the same', async () => {
    const x = tf.input({ shape: [6, 6, 2] });
    const a = tf.layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(x) as tf.SymbolicTensor;
    const b = tf.layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same' }).apply(a) as tf.SymbolicTensor;
    const s = tf.layers.add().apply([a, b]) as tf.SymbolicTensor;
    const c = tf.layers.concatenate().apply([tf.layers.globalAveragePooling2d({}).apply(s) as tf.SymbolicTensor, tf.layers.globalAveragePooling2d({}).apply(a) as tf.SymbolicTensor]) as tf.SymbolicTensor;
    const out = tf.layers.dense({ units: 4, activation: 'softmax' }).apply(c) as tf.SymbolicTensor;
    const theirs = tf.model({ inputs: x, outputs: out });
    let artifacts: tf.io.ModelArtifacts | null = null;
    await theirs.save(tf.io.withSaveHandler(async (art) => { artifacts = art; return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }; }));
    const ours = await loadLayersModel<Functional>({ load: async () => artifacts! } as never);
    assert.ok(ours instanceof Functional);
    const xs = batch();
    const expected = (theirs.predict(tf.tensor(Array.from(xs.data), [...xs.shape])) as tf.Tensor).dataSync();
    const got = ours.predict(xs).data;
    for (let i = 0; i < expected.length; i++) assert.ok(Math.abs(expected[i] - got[i]) <= 1e-5, `output ${i}: ${got[i]} vs ${expected[i]}`);
  });

  it('Sequential files still load as Sequential', async () => {
    const seq = new Sequential({ layers: [layers.dense({ units: 2, inputShape: [3] })] });
    await seq.save(join(root, 'seq'));
    assert.ok((await loadLayersModel(join(root, 'seq'))) instanceof Sequential);
  });
});
