import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { clearSession, input, layers, losses, model, optimizers, sequential, setBackend, setSeed, tensor, type LayersModel, type Optimizer, type Tensor } from '../../src/index.js';
import { setNumThreads, testing } from '../../src/kernels/wasm/index.js';
import { Random } from '../../src/utils/random.js';
import { runStep } from '../../src/kernels/arena.js';
import { batchOf } from '../../src/models/data.js';

/*
 * Step arenas on the wasm backend: the tensors of a training or inference step live in wasm
 * memory and are freed when the step ends. Poisoning fills freed memory with NaN, so anything
 * that escaped a step (a weight, an optimizer slot, a moving statistic, a prediction) would turn
 * into NaN: poisoned and unpoisoned runs must agree bit for bit, and nothing the user keeps may
 * be a view into wasm memory.
 */

const rng = new Random(21);
const N = 96;
const x = tensor(Float32Array.from({ length: N * 12 * 12 * 1 }, () => rng.uniform(0, 1)), [N, 12, 12, 1]);
const labels = tensor(Int32Array.from({ length: N }, () => rng.int(4)), [N]);
const pixels = tensor(Uint8Array.from({ length: N * 144 }, () => rng.int(256)), [N, 12, 12, 1]);

/** Everything whose state outlives a step: BN statistics, dropout, augmentation, merges. */
function busyModel(): LayersModel {
  const inp = input({ shape: [12, 12, 1] });
  let h = layers.randomFlip({ mode: 'horizontal', seed: 3 }).apply(inp);
  h = layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', useBias: false }).apply(h);
  h = layers.batchNormalization().apply(h);
  h = layers.activation({ activation: 'relu' }).apply(h);
  const branch = layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(h);
  h = layers.add().apply([h, branch]);
  h = layers.maxPooling2d({ poolSize: 2 }).apply(h);
  h = layers.flatten().apply(h);
  h = layers.dropout({ rate: 0.25, seed: 5 }).apply(h);
  h = layers.dense({ units: 16, activation: 'relu' }).apply(h);
  const out = layers.dense({ units: 4, activation: 'softmax' }).apply(h);
  return model({ inputs: inp, outputs: out });
}

interface Outcome {
  losses: number[];
  history: Record<string, number[]>;
  weights: Float32Array[];
  slots: Record<string, Record<string, number[]>>;
  evaluation: number[];
  predictions: Float32Array;
  model: LayersModel;
}

async function run(poison: boolean, makeOptimizer: () => Optimizer, inputs: Tensor = x): Promise<Outcome> {
  await testing.setArenaPoison(poison);
  clearSession(); // the same layer names, hence the same optimizer slot keys, in every run
  setSeed(77);
  const m = busyModel();
  const optimizer = makeOptimizer();
  m.compile({ optimizer, loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  const losses: number[] = [];
  const history = await m.fit(inputs, labels, {
    epochs: 2, batchSize: 16, verbose: 0, validationSplit: 0.25,
    callbacks: [{ onBatchEnd: (_b: number, logs?: Record<string, number>) => void losses.push(logs!.loss) }],
  });
  const evaluation = m.evaluate(inputs, labels, { batchSize: 32, verbose: 0 });
  const predictions = m.predict(inputs, { batchSize: 20 });
  return {
    losses,
    history: history.history as Record<string, number[]>,
    weights: m.getWeights().map((w) => Float32Array.from(w.data as Float32Array)),
    slots: optimizer.getState().slots,
    evaluation,
    predictions: Float32Array.from(predictions.data as Float32Array),
    model: m,
  };
}

describe('step arenas on the wasm backend', () => {
  before(async () => {
    await setNumThreads(2);
    await setBackend('wasm');
  });
  after(async () => {
    await testing.setArenaPoison(false);
    await setBackend('reference');
  });

  it('stops growing wasm memory after the first two steps, which lie side by side', async () => {
    setSeed(5);
    const m = busyModel();
    m.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const sizes: number[] = [];
    const before = testing.memoryBytes();
    // First in this file, with a larger batch than the tests below use, so that the first step has
    // to grow the memory (the tests below leave it larger than this fit needs).
    await m.fit(x, labels, {
      epochs: 3, batchSize: 48, verbose: 0, validationSplit: 0.25,
      callbacks: [{ onBatchEnd: () => void sizes.push(testing.memoryBytes()) }],
    });
    assert.ok(sizes[0] > before, `the first step grows memory: ${before} -> ${sizes[0]}`);
    // The second step runs beside the first, whose last kernels may still be running (runStep's
    // overlap); from then on, steps take turns in those two stretches of memory.
    assert.deepEqual(new Set(sizes.slice(1)), new Set([sizes[1]]), `memory per batch: ${sizes}`);
  });

  it('puts the tensors of a step in wasm memory, and only those', async () => {
    const seen: boolean[] = [];
    const user = tensor([1, 2, 3, 4], [2, 2]);
    const m = sequential({ layers: [layers.dense({ units: 3, activation: 'softmax', inputShape: [6] })] });
    // A custom loss runs inside the step: its operands must be step tensors.
    m.compile({
      optimizer: 'sgd',
      loss: (yTrue: Tensor, yPred: Tensor) => {
        seen.push(testing.inWasmMemory(yPred.data));
        return yPred;
      },
    });
    const xs = tensor(Float32Array.from({ length: 48 }, (_, i) => (i % 7) / 7), [8, 6]);
    const ys = tensor(new Float32Array(24), [8, 3]);
    await m.fit(xs, ys, { epochs: 1, batchSize: 4, verbose: 0 });
    assert.ok(seen.length > 0 && seen.every(Boolean), `step tensors in wasm memory: ${seen}`);
    assert.equal(testing.inWasmMemory(user.data), false, 'a tensor the user creates is on the heap');
    const y = m.predict(xs);
    assert.equal(testing.inWasmMemory(y.data), false, 'predict returns heap storage');
    assert.equal(testing.inWasmMemory(m.predictOnBatch(xs).data), false, 'predictOnBatch returns heap storage');
    for (const w of m.weights) assert.equal(testing.inWasmMemory(w.value.data), false, `weight ${w.name} is on the heap`);
  });

  it('copies an unshuffled float32 batch into the step once, and views it outside a step', () => {
    // A heap view inside a step would be copied into wasm memory by every kernel that reads it.
    const inside = runStep(() => {
      const b = batchOf(x, null, 8, 12, 'float32');
      return { owned: testing.inWasmMemory(b.data), values: Array.from(b.data), shape: b.shape };
    }, 4);
    assert.equal(inside.owned, true, 'the batch lies in wasm memory inside a step');
    assert.deepEqual(inside.shape, [4, 12, 12, 1]);
    assert.deepEqual(inside.values, Array.from(x.data.subarray(8 * 144, 12 * 144)));
    const outside = batchOf(x, null, 8, 12, 'float32');
    assert.equal(outside.data.buffer, x.data.buffer, 'outside a step the batch is a view of the input');
    assert.equal(outside.data.byteOffset, x.data.byteOffset + 8 * 144 * 4);
  });

  it('turns a tensor that escapes its step into NaN when poisoned', async () => {
    await testing.setArenaPoison(true);
    let escaped: Tensor | null = null;
    const m = sequential({ layers: [layers.dense({ units: 2, inputShape: [3] })] });
    m.compile({
      optimizer: 'sgd',
      loss: (yTrue: Tensor, yPred: Tensor) => {
        escaped = yPred;
        return yPred;
      },
    });
    await m.fit(tensor(new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3]), tensor(new Float32Array(4), [2, 2]), { epochs: 1, batchSize: 2, verbose: 0 });
    const leaked = escaped as unknown as Tensor;
    assert.ok(leaked !== null && Array.from(leaked.data).every(Number.isNaN), `an escaped step tensor should read NaN, read ${leaked && Array.from(leaked.data)}`);
    await testing.setArenaPoison(false);
  });

  for (const [name, make] of [
    ['adam', () => optimizers.adam({ learningRate: 0.01 })],
    ['sgd with nesterov momentum', () => optimizers.sgd({ learningRate: 0.05, momentum: 0.9, nesterov: true })],
    ['rmsprop with momentum', () => optimizers.rmsprop({ learningRate: 0.005, momentum: 0.5 })],
  ] as const) {
    it(`trains, evaluates and predicts identically with the arena poisoned (${name})`, async () => {
      const clean = await run(false, make);
      const poisoned = await run(true, make);
      assert.ok(clean.losses.every(Number.isFinite), `finite losses: ${clean.losses}`);
      assert.deepEqual(poisoned.losses, clean.losses);
      assert.deepEqual(poisoned.history, clean.history);
      assert.deepEqual(poisoned.evaluation, clean.evaluation);
      assert.deepEqual(poisoned.predictions, clean.predictions);
      poisoned.weights.forEach((w, i) => assert.deepEqual(w, clean.weights[i], `weight ${i}`));
      assert.deepEqual(poisoned.slots, clean.slots);
      for (const w of poisoned.model.weights) assert.equal(testing.inWasmMemory(w.value.data), false, `weight ${w.name} is on the heap`);
      const slots = (poisoned.model.optimizer as unknown as { slots: Map<string, Record<string, Float32Array>> }).slots;
      assert.ok(slots.size > 0);
      for (const [variable, s] of slots) for (const [k, v] of Object.entries(s)) assert.equal(testing.inWasmMemory(v), false, `slot ${k} of ${variable} is on the heap`);
    });
  }

  it('converts uint8 pixels batch by batch inside the step, poisoned or not', async () => {
    const make = () => optimizers.adam({ learningRate: 0.01 });
    const clean = await run(false, make, pixels);
    const poisoned = await run(true, make, pixels);
    assert.ok(clean.losses.every(Number.isFinite));
    assert.deepEqual(poisoned.losses, clean.losses);
    assert.deepEqual(poisoned.predictions, clean.predictions);
  });

  it('keeps weights and slots in wasm memory during fit and gives the heap tensors back after', async () => {
    await testing.setArenaPoison(true);
    setSeed(9);
    const m = busyModel();
    m.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
    const before = m.weights.map((w) => w.value);
    const during: boolean[] = [];
    let snapshot: Tensor[] = [];
    await m.fit(x, labels, {
      epochs: 2, batchSize: 16, verbose: 0,
      callbacks: [{
        onBatchEnd: () => void during.push(m.weights.every((w) => testing.inWasmMemory(w.value.data))),
        // As EarlyStopping's restoreBestWeights: weights read and written from callbacks in fit.
        onEpochEnd: (epoch: number) => {
          if (epoch === 0) snapshot = m.getWeights();
          else m.setWeights(snapshot);
        },
      }],
    });
    assert.ok(during.length > 0 && during.every(Boolean), 'weights live in wasm memory during fit');
    m.weights.forEach((w, i) => {
      assert.equal(w.value, before[i], `weight ${w.name} is the tensor it was before fit`);
      assert.equal(testing.inWasmMemory(w.value.data), false);
      assert.deepEqual(w.value.data, snapshot[i].data, `weight ${w.name} holds what the callback set`);
    });
    await testing.setArenaPoison(false);
  });

  it('runs two fits at once, each as it runs alone', async () => {
    const fitOne = async (seed: number): Promise<number[]> => {
      const m = busyModel();
      const rngInit = new Random(seed);
      m.setWeights(m.getWeights().map((w) => tensor(Float32Array.from(w.data, () => rngInit.uniform(-0.3, 0.3)), w.shape)));
      m.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
      const losses: number[] = [];
      await m.fit(x, labels, {
        epochs: 2, batchSize: 16, verbose: 0, shuffle: false, yieldEvery: 'batch',
        callbacks: [{ onBatchEnd: (_b: number, logs?: Record<string, number>) => void losses.push(logs!.loss) }],
      });
      return [...losses, ...Array.from(m.predict(x).data)];
    };
    await testing.setArenaPoison(true);
    const alone = [await fitOne(1), await fitOne(2)];
    const together = await Promise.all([fitOne(1), fitOne(2)]);
    assert.deepEqual(together, alone);
    await testing.setArenaPoison(false);
  });

  // Queued kernel calls reuse a zone of scratch per kind of command (engine.ts scratch()): whole
  // calls one, each lane its own. With lanes off, convolutions run whole on both threads and their
  // filter gradients leave partials in scratch that a second command adds up; with lanes on, each
  // lane's calls reuse its zone while the other lane's run beside them.
  for (const lanes of [true, false]) it(`reuses kernel scratch across queued calls, bit for bit as fresh scratch, in less memory (lanes: ${lanes})`, async () => {
    const fitWith = async (reuse: boolean): Promise<{ outcome: number[]; trainBytes: number; predictBytes: number }> => {
      await testing.setReuseScratch(reuse);
      await testing.setDataParallel(lanes);
      clearSession();
      setSeed(41);
      const inp = input({ shape: [12, 12, 1] });
      let h = layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(inp);
      h = layers.conv2d({ filters: 16, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(h);
      h = layers.maxPooling2d({ poolSize: 2 }).apply(h);
      h = layers.flatten().apply(h);
      h = layers.dense({ units: 32, activation: 'relu' }).apply(h);
      const m = model({ inputs: inp, outputs: layers.dense({ units: 4, activation: 'softmax' }).apply(h) });
      const optimizer = optimizers.adam({ learningRate: 0.01 });
      m.compile({ optimizer, loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
      const seen: number[] = [];
      testing.resetArenaHighWater();
      await m.fit(x, labels, {
        epochs: 2, batchSize: 16, verbose: 0,
        callbacks: [{ onBatchEnd: (_b: number, logs?: Record<string, number>) => void seen.push(logs!.loss, logs!.accuracy) }],
      });
      const trainBytes = testing.arenaHighWater();
      testing.resetArenaHighWater();
      // Prediction runs conv → pool as one kernel (conv_pool.ts), whose scratch is a zone's too.
      const predictions = Array.from(m.predict(x, { batchSize: 48 }).data);
      const predictBytes = testing.arenaHighWater();
      const weights = m.getWeights().flatMap((w) => Array.from(w.data));
      const slots = Object.values(optimizer.getState().slots).flatMap((s) => Object.values(s).flat());
      return { outcome: [...seen, ...predictions, ...weights, ...slots], trainBytes, predictBytes };
    };
    try {
      const fresh = await fitWith(false);
      const reused = await fitWith(true);
      assert.ok(reused.outcome.every(Number.isFinite));
      assert.deepEqual(reused.outcome, fresh.outcome);
      // Each matMul alone takes ~1.1 MiB of packing scratch per thread; the steps here have a few hundred KiB of tensors.
      assert.ok(reused.trainBytes < 0.5 * fresh.trainBytes, `training: ${reused.trainBytes} bytes reusing scratch, ${fresh.trainBytes} with fresh scratch`);
      assert.ok(reused.predictBytes < fresh.predictBytes, `prediction: ${reused.predictBytes} bytes reusing scratch, ${fresh.predictBytes} with fresh scratch`);
    } finally {
      await testing.setReuseScratch(true);
      await testing.setDataParallel(true);
    }
  });

  // Without metrics, a step reads its loss as soon as the forward pass is done, and its backward
  // pass runs on too; metrics read their operands' data, which waits for the backward pass.
  for (const metrics of [[], ['sparseCategoricalAccuracy']]) it(`ends fit's training steps with their last kernels still running, bit for bit as waiting for them (metrics: [${metrics}])`, async () => {
    const fitWith = async (overlap: boolean): Promise<{ outcome: number[]; overlapped: number; sizes: number[]; offsets: number[] }> => {
      await testing.setOverlapSteps(overlap);
      clearSession();
      setSeed(31);
      // Dense weights large enough (19 k) that Adam's update is cut into shares for both threads
      // and queued, so it really runs on after the step; a smaller one runs at once, on this
      // thread (the step still ends as overlapped, but nothing is left running).
      const inp = input({ shape: [12, 12, 1] });
      let h = layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(inp);
      h = layers.maxPooling2d({ poolSize: 2 }).apply(h);
      h = layers.flatten().apply(h);
      h = layers.dense({ units: 64, activation: 'relu' }).apply(h);
      const m = model({ inputs: inp, outputs: layers.dense({ units: 4, activation: 'softmax' }).apply(h) });
      const optimizer = optimizers.adam({ learningRate: 0.01 });
      // Where each step's predictions lie (reading them waits for the kernels that wrote them).
      const offsets: number[] = [];
      const loss = (yTrue: Tensor, yPred: Tensor): Tensor => {
        offsets.push(yPred.data.byteOffset);
        return losses.sparseCategoricalCrossentropy(yTrue, yPred);
      };
      m.compile({ optimizer, loss, metrics });
      const seen: number[] = [];
      const sizes: number[] = [];
      let epoch = 0;
      const before = testing.overlappedSteps();
      await m.fit(x, labels, {
        epochs: 2, batchSize: 16, verbose: 0, validationSplit: 0.25,
        callbacks: [{
          onEpochBegin: (e: number) => void (epoch = e),
          onBatchEnd: (_b: number, logs?: Record<string, number>) => {
            seen.push(logs!.loss, logs!.sparseCategoricalAccuracy ?? 0);
            // In the second epoch, a callback reads a weight between steps, which waits for the
            // update of the step just ended: it must see that update.
            if (epoch === 1) seen.push(m.weights[0].value.data[0]);
            sizes.push(testing.memoryBytes());
          },
        }],
      });
      const overlapped = testing.overlappedSteps() - before;
      const weights = m.getWeights().flatMap((w) => Array.from(w.data));
      const slots = Object.values(optimizer.getState().slots).flatMap((s) => Object.values(s).flat());
      return { outcome: [...seen, ...weights, ...slots], overlapped, sizes, offsets };
    };
    try {
      const waited = await fitWith(false);
      const overlapped = await fitWith(true);
      // 72 training samples in batches of 16: 5 steps an epoch.
      assert.equal(waited.overlapped, 0);
      assert.equal(overlapped.overlapped, 10, 'every training step ends with its update queued');
      assert.ok(overlapped.outcome.every(Number.isFinite));
      assert.deepEqual(overlapped.outcome, waited.outcome);
      // While a step's update runs on, the next step's tensors lie beside its memory, not in it:
      // steps alternate between two stretches of memory, and after the second nothing grows.
      // (The first four steps: a full batch each, before the smaller fifth and validation.)
      assert.equal(new Set(waited.offsets.slice(0, 4)).size, 1, `one stretch when each step waits: ${waited.offsets}`);
      for (let i = 1; i < 4; i++) {
        assert.notEqual(overlapped.offsets[i], overlapped.offsets[i - 1], `step ${i} beside step ${i - 1}: ${overlapped.offsets}`);
        if (i >= 2) assert.equal(overlapped.offsets[i], overlapped.offsets[i - 2], `step ${i} where step ${i - 2} was: ${overlapped.offsets}`);
      }
      assert.deepEqual(new Set(overlapped.sizes.slice(1)), new Set([overlapped.sizes[1]]), `memory per batch: ${overlapped.sizes}`);
    } finally {
      await testing.setOverlapSteps(true);
    }
  });
});
