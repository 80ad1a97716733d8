import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { layers, sequential, setBackend, setSeed, tensor, type Tensor } from '../../src/index.js';
import { getNumThreads, setNumThreads, testing } from '../../src/kernels/wasm/index.js';
import { Random } from '../../src/utils/random.js';

/*
 * The lab CNN trained on both backends from the same seed: the loss curves must agree within
 * float32 tolerance, and wasm training must repeat bit for bit at a fixed thread count.
 */

const SAMPLES = 384;

/** A learnable synthetic set: each class lights a different 6x6 block of a noisy 28x28 image. */
function syntheticData(): [Tensor, Tensor] {
  const rng = new Random(11);
  const x = new Float32Array(SAMPLES * 784);
  const y = new Int32Array(SAMPLES);
  for (let s = 0; s < SAMPLES; s++) {
    const label = rng.int(10);
    y[s] = label;
    const top = 2 + 8 * Math.floor(label / 3);
    const left = 2 + 8 * (label % 3);
    for (let i = 0; i < 784; i++) {
      const r = Math.floor(i / 28);
      const c = i % 28;
      const inBlock = r >= top && r < top + 6 && c >= left && c < left + 6;
      x[s * 784 + i] = (inBlock ? 0.7 : 0) + rng.uniform(0, 0.3);
    }
  }
  return [tensor(x, [SAMPLES, 28, 28, 1]), tensor(y, [SAMPLES])];
}

const [xs, ys] = syntheticData();

interface Run {
  losses: number[];
  weights: Float32Array[];
}

async function train(backend: 'reference' | 'wasm', threads = 1): Promise<Run> {
  if (backend === 'wasm') await setNumThreads(threads);
  await setBackend(backend);
  setSeed(1234);
  const model = sequential({
    layers: [
      layers.conv2d({ filters: 5, kernelSize: 3, activation: 'relu', padding: 'same', inputShape: [28, 28, 1] }),
      layers.maxPooling2d({ poolSize: 2 }),
      layers.flatten(),
      layers.dense({ units: 120, activation: 'relu' }),
      layers.dense({ units: 10, activation: 'softmax' }),
    ],
  });
  model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  const losses: number[] = [];
  await model.fit(xs, ys, {
    epochs: 2,
    batchSize: 32,
    verbose: 0,
    callbacks: [{ onBatchEnd: (_batch: number, logs?: Record<string, number>) => void losses.push(logs!.loss) }],
  });
  return { losses, weights: model.getWeights().map((w) => Float32Array.from(w.data as Float32Array)) };
}

describe('training the lab CNN on the wasm backend', () => {
  after(async () => {
    await setBackend('reference');
  });

  it('follows the reference loss curve within float32 tolerance', async () => {
    const reference = await train('reference');
    const wasm = await train('wasm', 2);
    assert.equal(wasm.losses.length, reference.losses.length);
    assert.ok(reference.losses[reference.losses.length - 1] < reference.losses[0] * 0.5, `the model should learn: ${reference.losses[0]} -> ${reference.losses.at(-1)}`);
    for (let i = 0; i < reference.losses.length; i++) {
      const r = reference.losses[i];
      const w = wasm.losses[i];
      assert.ok(Math.abs(w - r) <= 1e-4 * Math.abs(r), `batch ${i}: wasm loss ${w}, reference ${r}`);
    }
  });

  it('trains bit for bit alike whether kernel calls are queued or run one at a time', async () => {
    for (const threads of [2, 3]) {
      const queued = await train('wasm', threads);
      await testing.setQueueKernels(false);
      try {
        const oneByOne = await train('wasm', threads);
        assert.deepEqual(queued.losses, oneByOne.losses, `losses with ${threads} threads`);
        queued.weights.forEach((w, i) => assert.deepEqual(w, oneByOne.weights[i], `weight ${i} with ${threads} threads`));
      } finally {
        await testing.setQueueKernels(true);
      }
    }
  });

  it('limited to one thread of a running pool, trains as one thread does, bit for bit', async () => {
    const one = await train('wasm', 1);
    await setNumThreads(2);
    await testing.limitThreads(1);
    try {
      const limited = await train('wasm', 2);
      assert.deepEqual(limited.losses, one.losses);
      limited.weights.forEach((w, i) => assert.deepEqual(w, one.weights[i], `weight ${i}`));
    } finally {
      await testing.limitThreads(Infinity);
    }
  });

  it('repeats bit for bit with a fixed seed and thread count', async () => {
    for (const threads of [1, 2]) {
      const first = await train('wasm', threads);
      const second = await train('wasm', threads);
      assert.equal(getNumThreads(), threads);
      assert.deepEqual(second.losses, first.losses, `losses with ${threads} thread(s)`);
      second.weights.forEach((w, i) => assert.deepEqual(w, first.weights[i], `weight ${i} with ${threads} thread(s)`));
    }
  });
});
