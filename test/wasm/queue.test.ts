import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ops, setBackend, tensor, type Tensor } from '../../src/index.js';
import { runStep } from '../../src/kernels/arena.js';
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
});
