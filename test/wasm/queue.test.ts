import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { layers, ops, sequential, setBackend, setSeed, tensor, type Tensor } from '../../src/index.js';
import { runStep } from '../../src/kernels/arena.js';
import type { BatchNormalization } from '../../src/layers/index.js';
import { WasmEngine } from '../../src/kernels/wasm/engine.js';
import { setNumThreads, testing } from '../../src/kernels/wasm/index.js';
import { Random } from '../../src/utils/random.js';

/*
 * With worker threads, the wasm backend queues kernel calls and returns before they run
 * (src/kernels/wasm/engine.ts). Whatever JavaScript reads must still be final: a value read
 * between queued kernels, a float64 op that falls back to the reference kernels, the results a
 * step leaves. Each is compared with the same chain run one call at a time (bit for bit) and on
 * the reference backend (float32 tolerance).
 */

const rng = new Random(5);
const values = (n: number): Float32Array => Float32Array.from({ length: n }, () => rng.uniform(-1, 1));
const x = tensor(values(6 * 14 * 14 * 3), [6, 14, 14, 3]);
const filter = tensor(values(3 * 3 * 3 * 16), [3, 3, 3, 16]);
const weights = tensor(values(7 * 7 * 16 * 24), [7 * 7 * 16, 24]);
const bias = tensor(values(24), [24]);

interface Reads {
  /** Read right after the convolution was queued, with later kernels still to be queued. */
  conv: Float32Array;
  /** A float64 sum: the reference kernel reads the queued activation from JavaScript. */
  float64Sum: number;
  probs: Float32Array;
}

/** One inference chain inside a step, reading values from JavaScript between kernel calls. */
function chain(): Reads {
  return runStep(() => {
    const conv = ops.conv2d(x, filter, { padding: 'same' });
    const convRead = Float32Array.from(conv.data as Float32Array);
    const hidden = ops.maxPool(ops.relu(conv), { poolSize: 2 });
    const float64Sum = ops.sum(ops.cast(hidden, 'float64')).data[0];
    const logits = ops.biasAdd(ops.matMul(ops.reshape(hidden, [6, 7 * 7 * 16]), weights), bias);
    const probs = ops.softmax(ops.mul(logits, ops.sum(hidden)));
    return { conv: convRead, float64Sum, probs: Float32Array.from(probs.data as Float32Array) };
  });
}

async function run(backend: 'wasm' | 'reference', queue = true): Promise<Reads> {
  if (backend === 'wasm') {
    await setNumThreads(2);
    await testing.setQueueKernels(queue);
  }
  await setBackend(backend);
  return chain();
}

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < actual.length; i++) {
    assert.ok(Math.abs(actual[i] - expected[i]) <= 1e-4 * Math.max(1, Math.abs(expected[i])), `${what}[${i}]: ${actual[i]}, expected ${expected[i]}`);
  }
}

describe('the wasm kernel queue', () => {
  after(async () => {
    await testing.setQueueKernels(true);
    await setBackend('reference');
  });

  it('lets JavaScript read final values between queued kernels', async () => {
    const queued = await run('wasm');
    const oneByOne = await run('wasm', false);
    const reference = await run('reference');
    assert.deepEqual(queued.conv, oneByOne.conv);
    assert.equal(queued.float64Sum, oneByOne.float64Sum);
    assert.deepEqual(queued.probs, oneByOne.probs);
    assertClose(queued.conv, reference.conv, 'conv');
    assertClose([queued.float64Sum], [reference.float64Sum], 'float64 sum');
    assertClose(queued.probs, reference.probs, 'probs');
    assert.ok(queued.conv.some((v) => v !== 0), 'the convolution should not be all zeros');
  });

  it('lets a training step with BatchNormalization wait only where fit reads the loss and the metrics', async () => {
    const images = tensor(values(64 * 64), [64, 8, 8, 1]);
    const labels = tensor(Int32Array.from({ length: 64 }, (_, i) => i % 3), [64]);
    const train = async (queue: boolean): Promise<{ waits: number; moving: Float32Array[] }> => {
      await setNumThreads(2);
      await testing.setQueueKernels(queue);
      await setBackend('wasm');
      setSeed(3);
      const model = sequential({ layers: [
        layers.conv2d({ filters: 4, kernelSize: 3, useBias: false, inputShape: [8, 8, 1] }),
        layers.batchNormalization(),
        layers.activation({ activation: 'relu' }),
        layers.flatten(),
        layers.dense({ units: 3, activation: 'softmax' }),
      ] });
      model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
      const flush = WasmEngine.prototype.flush;
      let waits = 0;
      WasmEngine.prototype.flush = function (this: WasmEngine) {
        if ((this as unknown as { pendingTop: number }).pendingTop !== 0) waits++;
        flush.call(this);
      };
      try {
        await model.fit(images, labels, { epochs: 1, batchSize: 16, shuffle: false, verbose: 0 });
      } finally {
        WasmEngine.prototype.flush = flush;
      }
      const bn = model.layers[1] as BatchNormalization;
      return { waits, moving: [bn.movingMean!.value, bn.movingVariance!.value].map((t) => Float32Array.from(t.data as Float32Array)) };
    };
    const queued = await train(true);
    const oneByOne = await train(false);
    // Four steps, each waiting for its loss and its accuracy, and the end of fit at most once.
    assert.ok(queued.waits <= 4 * 2 + 1, `${queued.waits} waits for the queue in 4 steps`);
    assert.deepEqual(queued.moving, oneByOne.moving, 'the moving averages, queued and one call at a time');
    assert.ok(queued.moving[0].some((v) => v !== 0), 'the moving mean should have moved');
  });

  it('never sleeps through the completion of the last queued kernel', async () => {
    // A thread that checked "all complete" before reading the progress word could miss a
    // completion between the two reads and wait out its one-second limit: thousands of tiny
    // queued kernels, each read at once, made that happen every few hundred reads. A wait that
    // runs out its time with every worker alive is such a lost wakeup.
    await setNumThreads(2);
    await testing.setQueueKernels(true);
    await setBackend('wasm');
    const before = testing.stalls();
    const a = tensor(values(64), [64]);
    const started = Date.now();
    let reads = 0;
    for (; reads < 60000 && testing.stalls() === before && Date.now() - started < 20000; reads++) {
      runStep(() => ops.add(a, ops.mul(a, a)).data[0]);
    }
    assert.equal(testing.stalls() - before, 0, `a wait ran out its time after ${reads} reads of queued kernels`);
  });

  it('trains a small model on two threads exactly as on one, running its tiny calls on this thread', async () => {
    // Every call of a 16-8-4 dense network at batch 32 is below the lane and share thresholds: a
    // one-share call with nothing queued runs where it is issued instead of being handed over.
    await setNumThreads(2);
    await testing.setQueueKernels(true);
    await setBackend('wasm');
    const rng = new Random(9);
    const n = 96;
    const x = tensor(Float32Array.from({ length: n * 16 }, () => rng.uniform(-1, 1)), [n, 16]);
    const y = tensor(Int32Array.from({ length: n }, () => rng.int(4)), [n]);
    const train = async (threads: number): Promise<{ weights: number[]; queued: number }> => {
      await testing.limitThreads(threads);
      setSeed(3);
      const model = sequential({ layers: [layers.dense({ units: 8, activation: 'relu', inputShape: [16] }), layers.dense({ units: 4, activation: 'softmax' })] });
      model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
      const before = testing.queuedCommands();
      await model.fit(x, y, { epochs: 2, batchSize: 32, shuffle: false, verbose: 0 });
      return { weights: model.getWeights().flatMap((t) => Array.from(t.dataSync())), queued: testing.queuedCommands() - before };
    };
    try {
      const two = await train(2);
      const one = await train(1);
      assert.equal(two.queued, 0, 'kernel calls queued for the workers');
      assert.deepEqual(two.weights, one.weights);
    } finally {
      await testing.limitThreads(Infinity);
    }
  });
});
