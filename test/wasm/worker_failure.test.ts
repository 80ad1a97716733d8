import { test } from 'node:test';
import assert from 'node:assert/strict';
import { layers, sequential, setBackend, setSeed, tensor, type Tensor } from '../../src/index.js';
import { getNumThreads, setNumThreads, testing } from '../../src/kernels/wasm/index.js';
import * as ops from '../../src/ops/index.js';

/*
 * Threads that fail loudly: a worker that dies makes the call that needs it reject with the
 * worker's error within a bounded time; the backend then carries on on one thread, with a
 * warning, until setNumThreads() starts a new pool. A worker whose kernel throws lives on: its
 * share is retried, and computed by the main thread if it fails again.
 */

const x = tensor(new Float32Array(96 * 8 * 8 * 2).map((_, i) => ((i * 7) % 11) / 11), [96, 8, 8, 2]);
const y = tensor(new Int32Array(96).map((_, i) => i % 3), [96]);

function model() {
  setSeed(3);
  const m = sequential({ layers: [layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', activation: 'relu', inputShape: [8, 8, 2] }), layers.flatten(), layers.dense({ units: 3, activation: 'softmax' })] });
  m.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
  return m;
}

function captureWarnings(): { lines: string[]; restore: () => void } {
  const lines: string[] = [];
  const original = console.warn;
  console.warn = (...args: unknown[]) => { lines.push(args.join(' ')); };
  return { lines, restore: () => { console.warn = original; } };
}

test('a worker killed mid-training makes fit reject with its error; training goes on on one thread', async () => {
  await setBackend('wasm');
  await setNumThreads(2);
  const warnings = captureWarnings();
  try {
    const m = model();
    const started = Date.now();
    await assert.rejects(
      m.fit(x, y, {
        epochs: 2, batchSize: 16, verbose: 0,
        callbacks: { onBatchEnd: async (batch) => { if (batch === 2) { testing.terminateWorker(0); await new Promise((r) => setTimeout(r, 200)); } } },
      }),
      /wasm backend: wasm worker 1 exited with code \d+/,
    );
    assert.ok(Date.now() - started < 15000, `rejected after ${Date.now() - started} ms`);
    assert.equal(getNumThreads(), 1);
    assert.ok(warnings.lines.some((l) => /continues on one thread \(call setNumThreads\(\) to start workers again\)/.test(l)), warnings.lines.join('\n'));
    const h = await model().fit(x, y, { epochs: 1, batchSize: 16, verbose: 0 });
    assert.ok(Number.isFinite(h.history.loss[0]));
    assert.equal(await setNumThreads(2), 2);
    const again = await model().fit(x, y, { epochs: 1, batchSize: 16, verbose: 0 });
    assert.ok(Math.abs(again.history.loss[0] - h.history.loss[0]) < 1e-5, 'a new pool computes what one thread did');
  } finally {
    warnings.restore();
    await setBackend('reference');
  }
});

test('a share a worker fails is retried, then computed by the main thread: training gives the same losses', async () => {
  await setBackend('wasm');
  await setNumThreads(2);
  // Poison freed step memory, so a share nobody computed cannot pass for the last run's values.
  await testing.setArenaPoison(true);
  const expected = (await model().fit(x, y, { epochs: 1, batchSize: 16, verbose: 0 })).history.loss[0];
  process.env.CONVLAB_TEST_WORKER_FAULTS = '3';
  try {
    // A new pool's worker fails its first kernel twice (the main thread runs that share) and its second once (the retry runs it).
    await setNumThreads(1);
    assert.equal(await setNumThreads(2), 2);
    const loss = (await model().fit(x, y, { epochs: 1, batchSize: 16, verbose: 0 })).history.loss[0];
    assert.equal(getNumThreads(), 2, 'the pool is still whole');
    assert.equal(loss, expected, 'the same bits as a run without faults');
  } finally {
    delete process.env.CONVLAB_TEST_WORKER_FAULTS;
    await testing.setArenaPoison(false);
    await setNumThreads(2);
    await setBackend('reference');
  }
});

test('a worker that dies inside a kernel is noticed by the job time-out, not waited for forever', async () => {
  await setBackend('wasm');
  await setNumThreads(2);
  testing.setJobTimeout(1500);
  const warnings = captureWarnings();
  try {
    const a = tensor(new Float32Array(256 * 256).fill(0.5), [256, 256]);
    ops.matMul(a, a); // the pool works
    // Terminate, then block this thread long enough for the worker to be gone: its 'exit' event
    // cannot run before the next kernel starts, as when a worker dies inside a kernel.
    testing.terminateWorker(0);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300);
    const started = Date.now();
    let result: Tensor | null = null;
    assert.throws(() => { result = ops.matMul(a, a); }, /did not finish a kernel within 1\.5 s \(it may have died\)/);
    assert.equal(result, null);
    assert.ok(Date.now() - started < 10000, `${Date.now() - started} ms`);
    assert.equal(getNumThreads(), 1);
    assert.equal(ops.matMul(a, a).data[0], 64, 'one thread computes the product');
  } finally {
    testing.setJobTimeout(60000);
    warnings.restore();
    await setBackend('reference');
  }
});
