/**
 * Optimizer state from Keras files that convlab did not read before: Keras <= 2.2's numbered slot
 * variables ('training/Adam/Variable_3:0', mapped by position as Keras 2.0-2.2 ordered them), and
 * RMSprop with momentum (Keras 3's update, its momentum slots through .keras and .h5). Each test
 * continues training and checks the first step against a hand computation from the loaded slots.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import h5wasm from 'h5wasm';
import { io, layers, loadLayersModel, optimizers, ready, RMSprop, SGD, sequential, setSeed } from '../../src/index.js';
import type { LayersModel } from '../../src/models/layers_model.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { randomInput } from './helpers/data.js';

const root = mkdtempSync(join(tmpdir(), 'convlab-optstate-'));
after(() => rmSync(root, { recursive: true, force: true }));
const SHARED_01 = '/work/shared/keras-models/01-evanchien-simple_cnn_keras_fashionmnist-fashion_mnist.h5';

const values = (m: LayersModel): Float32Array[] => m.trainableWeights.map((w) => Float32Array.from(w.value.data as Float32Array));
const close = (a: number, b: number, rel: number, abs: number): boolean => Math.abs(a - b) <= abs + rel * Math.abs(b);

function labels(n: number, classes: number): Tensor {
  return new Tensor(Int32Array.from({ length: n }, (_, i) => (i * 7) % classes), [n]);
}

function oneHot(n: number, classes: number): Tensor {
  const y = new Float32Array(n * classes);
  for (let i = 0; i < n; i++) y[i * classes + ((i * 7) % classes)] = 1;
  return new Tensor(y, [n, classes]);
}

/** A small deterministic model (no dropout) for the synthetic files. */
function small(): LayersModel {
  setSeed(11);
  return sequential({ layers: [layers.conv2d({ inputShape: [6, 6, 1], filters: 3, kernelSize: 3, activation: 'relu' }), layers.flatten(), layers.dense({ units: 4, activation: 'softmax' })] });
}

type Entry = { name: string; data: Float32Array | BigInt64Array; shape: number[] };

/** A Keras 2.1/2.2-style .h5: convlab's model_config and model_weights, then numbered optimizer weights. */
async function numberedFile(name: string, model: LayersModel, optimizerConfig: unknown, entries: Entry[]): Promise<string> {
  const path = join(root, name);
  await model.save(path);
  const m = (await h5wasm.ready) as unknown as { FS?: never };
  const fs = ((h5wasm as unknown as { FS?: never }).FS ?? m.FS) as unknown as { writeFile(p: string, d: Uint8Array): void; readFile(p: string): Uint8Array; unlink(p: string): void };
  fs.writeFile('/numbered.h5', new Uint8Array(readFileSync(path)));
  const file = new h5wasm.File('/numbered.h5', 'a');
  file.create_attribute('training_config', JSON.stringify({ optimizer_config: optimizerConfig, loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'], sample_weight_mode: null, loss_weights: null }));
  const group = file.create_group('optimizer_weights');
  group.create_attribute('weight_names', entries.map((e) => e.name));
  for (const e of entries) {
    // Keras 2 nested each name as groups: 'training/SGD/Variable:0' is a dataset in training/SGD.
    const parts = e.name.split('/');
    let g = group;
    for (const p of parts.slice(0, -1)) g = (g.get(p) as typeof group | null) ?? g.create_group(p);
    g.create_dataset({ name: parts.at(-1)!, data: e.data, shape: e.shape, ...(e.data instanceof BigInt64Array ? { dtype: '<q' } : {}) });
  }
  file.close();
  writeFileSync(path, fs.readFile('/numbered.h5'));
  fs.unlink('/numbered.h5');
  return path;
}

function slotValues(model: LayersModel, seed: number): Float32Array[] {
  return model.trainableWeights.map((w, i) => randomInput([...w.shape], seed + i, 0.01, 0.05).data as Float32Array);
}

/** The gradient of each trainable weight on (x, y): one step of plain SGD with learning rate 1 on a copy. */
/** One fit step of `loaded` on a seeded batch: the gradients at the file's weights, and the weights before and after. */
async function oneStep(file: string, loaded: LayersModel, seed: number): Promise<{ g: Float32Array[]; p0: Float32Array[]; p1: Float32Array[] }> {
  const x = randomInput([5, 6, 6, 1], seed);
  const y = labels(5, 4);
  const g = await gradients(file, x, y);
  const p0 = values(loaded);
  await loaded.fit(x, y, { epochs: 1, batchSize: 5, verbose: 0, shuffle: false });
  return { g, p0, p1: values(loaded) };
}

async function gradients(file: string, x: Tensor, y: Tensor): Promise<Float32Array[]> {
  const copy = await loadLayersModel(file);
  copy.compile({ optimizer: new SGD({ learningRate: 1 }), loss: 'sparseCategoricalCrossentropy' });
  const before = values(copy);
  await copy.fit(x, y, { epochs: 1, batchSize: x.shape[0], verbose: 0, shuffle: false });
  return values(copy).map((after, k) => after.map((v, i) => before[k][i] - v));
}

describe('Keras <= 2.2 numbered optimizer weights, by position', () => {
  it('01-… (Keras 2.1.6 Adam: iterations, ms, vs, vhats) continues where Keras stopped: the first step is Adam from the loaded m, v and iteration count', async () => {
    await ready();
    const model = await loadLayersModel(SHARED_01);
    const optimizer = model.optimizer!;
    assert.equal(optimizer.className, 'Adam');
    const iterations = optimizer.iterations;
    assert.ok(iterations > 0, `iterations ${iterations}`);
    assert.ok(!io.loadNotes(model).some((n) => n.startsWith('optimizer state')), io.loadNotes(model).join('; '));
    // The slots are the file's datasets at Keras's positions: m of weight k is Variable_k, v is Variable_{n+k}.
    const n = model.trainableWeights.length;
    const m0 = await h5wasm.ready;
    const fs = ((h5wasm as unknown as { FS?: never }).FS ?? (m0 as unknown as { FS: never }).FS) as unknown as { writeFile(p: string, d: Uint8Array): void; unlink(p: string): void };
    fs.writeFile('/shared01.h5', new Uint8Array(readFileSync(SHARED_01)));
    const file = new h5wasm.File('/shared01.h5', 'r');
    const numbered = (k: number) => (file.get(`optimizer_weights/training/Adam/Variable${k === 0 ? '' : `_${k}`}:0`) as unknown as { value: Float32Array }).value;
    assert.equal(Number((file.get('optimizer_weights/Adam/iterations:0') as unknown as { value: bigint }).value), iterations);
    const state = optimizer.getState();
    model.trainableWeights.forEach((w, k) => {
      assert.deepEqual(Float32Array.from(state.slots[w.name].m), numbered(k), `${w.name} m`);
      assert.deepEqual(Float32Array.from(state.slots[w.name].v), numbered(n + k), `${w.name} v`);
    });
    file.close();
    fs.unlink('/shared01.h5');

    const x = randomInput([8, 28, 28, 1], 3);
    const p0 = values(model);
    await model.fit(x, oneHot(8, 10), { epochs: 1, batchSize: 8, verbose: 0, shuffle: false });
    assert.equal(optimizer.iterations, iterations + 1);
    const after = optimizer.getState();
    const p1 = values(model);
    const { beta1: b1, beta2: b2, epsilon, learningRate: lr } = optimizer as unknown as { beta1: number; beta2: number; epsilon: number; learningRate: number };
    const t = iterations + 1;
    const lrT = (lr * Math.sqrt(1 - b2 ** t)) / (1 - b1 ** t);
    let checked = 0;
    model.trainableWeights.forEach((w, k) => {
      const m = state.slots[w.name].m, v = state.slots[w.name].v;
      const m1 = after.slots[w.name].m, v1 = after.slots[w.name].v;
      for (let i = 0; i < m.length; i++) {
        const g = (m1[i] - b1 * m[i]) / (1 - b1); // the gradient this step used
        const vExpected = b2 * v[i] + (1 - b2) * g * g; // fresh slots would give (1 - b2) g²
        assert.ok(close(v1[i], vExpected, 1e-4, 1e-12), `${w.name}[${i}]: v ${v1[i]}, from the loaded v ${vExpected}`);
        const step = (lrT * m1[i]) / (Math.sqrt(v1[i]) + epsilon);
        assert.ok(close(p0[k][i] - p1[k][i], step, 1e-3, 2e-7), `${w.name}[${i}]: moved ${p0[k][i] - p1[k][i]}, Adam at t=${t} says ${step}`);
        checked++;
      }
    });
    assert.ok(checked > 100_000, `checked ${checked}`);
  });

  it('SGD with momentum (iterations + moments): the first step is momentum * loaded moment - lr * gradient', async () => {
    await ready();
    const model = small();
    const moments = slotValues(model, 40);
    const entries: Entry[] = [{ name: 'SGD/iterations:0', data: BigInt64Array.of(321n), shape: [] }];
    model.trainableWeights.forEach((w, k) => entries.push({ name: `training/SGD/Variable${k === 0 ? '' : `_${k}`}:0`, data: moments[k], shape: [...w.shape] }));
    const file = await numberedFile('sgd.h5', model, { class_name: 'SGD', config: { lr: 0.05, momentum: 0.9, decay: 0, nesterov: false } }, entries);
    const loaded = await loadLayersModel(file);
    assert.equal(loaded.optimizer?.className, 'SGD');
    assert.equal(loaded.optimizer?.iterations, 321);
    const { g, p0, p1 } = await oneStep(file, loaded, 9);
    p0.forEach((p, k) => p.forEach((v, i) => {
      const expected = v + (0.9 * moments[k][i] - 0.05 * g[k][i]);
      assert.ok(close(p1[k][i], expected, 1e-5, 1e-6), `weight ${k}[${i}]: ${p1[k][i]} vs ${expected}`);
    }));
  });

  it('Keras 2.2 RMSprop (accumulators only, no iteration count): the first step uses the loaded mean squares', async () => {
    await ready();
    const model = small();
    const ms = slotValues(model, 70);
    const entries: Entry[] = model.trainableWeights.map((w, k) => ({ name: `training/RMSprop/Variable${k === 0 ? '' : `_${k}`}:0`, data: ms[k], shape: [...w.shape] }));
    const file = await numberedFile('rmsprop22.h5', model, { class_name: 'RMSprop', config: { lr: 0.01, rho: 0.9, decay: 0, epsilon: 1e-7 } }, entries);
    const loaded = await loadLayersModel(file);
    assert.equal(loaded.optimizer?.iterations, 0);
    assert.ok(io.loadNotes(loaded).some((n) => n.includes('no RMSprop iteration count')));
    const { g, p0, p1 } = await oneStep(file, loaded, 10);
    p0.forEach((p, k) => p.forEach((v, i) => {
      const s = 0.9 * ms[k][i] + 0.1 * g[k][i] ** 2;
      const expected = v - (0.01 * g[k][i]) / Math.sqrt(s + 1e-7);
      assert.ok(close(p1[k][i], expected, 1e-4, 1e-6), `weight ${k}[${i}]: ${p1[k][i]} vs ${expected}`);
    }));
  });

  it('a slot whose shape disagrees with its weight, or a count that fits no layout, gives fresh slots and a note naming it', async () => {
    await ready();
    const model = small();
    const n = model.trainableWeights.length;
    const good = slotValues(model, 90);
    const entries: Entry[] = [{ name: 'Adam/iterations:0', data: BigInt64Array.of(7n), shape: [] }];
    for (let k = 0; k < 2 * n; k++) {
      const w = model.trainableWeights[k % n];
      entries.push({ name: `training/Adam/Variable${k === 0 ? '' : `_${k}`}:0`, data: good[k % n], shape: [...w.shape] });
    }
    // v of the dense kernel (Variable_{n+2}) saved with the wrong shape: transposed.
    const dense = model.trainableWeights[2];
    entries[n + 3] = { name: `training/Adam/Variable_${n + 2}:0`, data: good[2], shape: [...dense.shape].reverse() };
    const bad = await loadLayersModel(await numberedFile('adam-shape.h5', model, { class_name: 'Adam', config: { lr: 0.001 } }, entries));
    const note = io.loadNotes(bad).find((x) => x.startsWith('optimizer state'));
    assert.match(note ?? '', new RegExp(`'training/Adam/Variable_${n + 2}:0' \\(Adam's vs\\[2\\], for '${dense.name}'\\) has shape \\[${[...dense.shape].reverse().join(',')}\\] in the file but the weight has \\[${dense.shape.join(',')}\\]`));
    assert.equal(bad.optimizer?.iterations, 0);
    assert.deepEqual(bad.optimizer?.getState().slots, {});
    // Five slots for four weights fits neither Adam layout (8 or 12).
    const odd = await loadLayersModel(await numberedFile('adam-count.h5', model, { class_name: 'Adam', config: { lr: 0.001 } }, entries.slice(0, 6)));
    assert.ok(io.loadNotes(odd).some((x) => x.includes('numbers its 5 Adam slot variables') && x.includes('(8 or 12 expected)')), io.loadNotes(odd).join('; '));
    assert.equal(odd.optimizer?.iterations, 0);
  });
});

describe('SGD without momentum', () => {
  for (const ext of ['keras', 'h5']) it(`keeps its iteration count through .${ext} (Keras saves no slots for it), without a note`, async () => {
    await ready();
    const model = small();
    model.compile({ optimizer: new SGD({ learningRate: 0.05 }), loss: 'sparseCategoricalCrossentropy' });
    const x = randomInput([4, 6, 6, 1], 13);
    await model.fit(x, labels(4, 4), { epochs: 3, batchSize: 2, verbose: 0, shuffle: false });
    const file = join(root, `sgd-plain.${ext}`);
    await model.save(file);
    const back = await loadLayersModel(file);
    assert.equal(back.optimizer?.iterations, 6);
    assert.ok(!io.loadNotes(back).some((n) => n.startsWith('optimizer state')), io.loadNotes(back).join('; '));
  });
});

describe('RMSprop with momentum', () => {
  it('is Keras 3\'s update: ms = rho ms + (1 - rho) g², mom = momentum mom + lr g / sqrt(ms + eps), w -= mom (two steps by hand)', async () => {
    await ready();
    // A tiny gradient, so that where epsilon sits (under the root or after it) shows.
    const w = new Float32Array([0.5, -2]);
    const ms = new Float32Array(2), mom = new Float32Array(2);
    const opt = new RMSprop({ learningRate: 0.1, rho: 0.8, momentum: 0.5, epsilon: 1e-4 });
    const { kernels } = await import('../../src/kernels/registry.js');
    const ref = { w: [0.5, -2], ms: [0, 0], mom: [0, 0] };
    for (const g of [[1e-3, 0.3], [-2e-3, 0.1]]) {
      kernels().rmspropUpdate(w, Float32Array.from(g), ms, mom, opt.learningRate, opt.rho, opt.momentum, opt.epsilon);
      for (let i = 0; i < 2; i++) {
        ref.ms[i] = 0.8 * ref.ms[i] + 0.2 * g[i] ** 2;
        ref.mom[i] = 0.5 * ref.mom[i] + (0.1 * g[i]) / Math.sqrt(ref.ms[i] + 1e-4);
        ref.w[i] -= ref.mom[i];
      }
    }
    for (let i = 0; i < 2; i++) {
      assert.ok(close(w[i], ref.w[i], 1e-6, 1e-7), `w[${i}] ${w[i]} vs ${ref.w[i]}`);
      assert.ok(close(mom[i], ref.mom[i], 1e-5, 1e-9), `mom[${i}] ${mom[i]} vs ${ref.mom[i]}`);
    }
  });

  for (const ext of ['keras', 'h5']) it(`keeps its velocity and momentum slots through .${ext}: the next step is the same bits`, async () => {
    await ready();
    const model = small();
    model.compile({ optimizer: optimizers.rmsprop({ learningRate: 0.01, momentum: 0.9 }), loss: 'sparseCategoricalCrossentropy' });
    const x = randomInput([6, 6, 6, 1], 12);
    const y = labels(6, 4);
    await model.fit(x, y, { epochs: 1, batchSize: 6, verbose: 0, shuffle: false });
    const file = join(root, `rmsprop-momentum.${ext}`);
    await model.save(file);
    const back = await loadLayersModel(file);
    assert.deepEqual(back.optimizer?.getConfig(), model.optimizer?.getConfig());
    assert.equal(back.optimizer?.iterations, 1);
    const slots = back.optimizer!.getState().slots;
    for (const w of model.trainableWeights) assert.deepEqual(Object.keys(slots[w.name]).sort(), ['momentum', 'rms'], w.name);
    assert.deepEqual(slots, model.optimizer!.getState().slots);
    assert.ok(!io.loadNotes(back).some((n) => n.startsWith('optimizer state')), io.loadNotes(back).join('; '));
    await model.fit(x, y, { epochs: 1, batchSize: 6, verbose: 0, shuffle: false });
    await back.fit(x, y, { epochs: 1, batchSize: 6, verbose: 0, shuffle: false });
    assert.deepEqual(values(back), values(model));
  });
});
