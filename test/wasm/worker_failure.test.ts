import { test } from 'node:test';
import assert from 'node:assert/strict';
import { layers, sequential, setBackend, setSeed, tensor } from '../../src/index.js';
import { getNumThreads, setNumThreads, testing } from '../../src/kernels/wasm/index.js';
import * as ops from '../../src/ops/index.js';

/*
 * Threads that fail safely. A worker that dies between kernels held no share, so nothing is
 * lost: the backend warns and carries on on one thread until setNumThreads() starts a new pool.
 * A worker that dies holding a share makes that call reject within a bounded time, then the
 * same. A worker whose kernel throws lives on: its share is retried, and computed by the main
 * thread if it fails again.
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

test('a worker killed mid-training costs nothing: fit warns and finishes on one thread, with the same losses', async () => {
  await setBackend('wasm');
  await setNumThreads(2);
  const expected = (await model().fit(x, y, { epochs: 2, batchSize: 16, verbose: 0 })).history.loss;
  const warnings = captureWarnings();
  try {
    const h = await model().fit(x, y, {
      epochs: 2, batchSize: 16, verbose: 0,
      callbacks: { onBatchEnd: async (batch) => { if (batch === 2) { testing.terminateWorker(0); await new Promise((r) => setTimeout(r, 200)); } } },
    });
    assert.equal(getNumThreads(), 1);
    assert.ok(warnings.lines.some((l) => /wasm worker 1 exited with code \d+; the wasm backend continues on one thread \(call setNumThreads\(\) to start workers again\)/.test(l)), warnings.lines.join('\n'));
    // One thread sums some reductions in another order than two: equal within float32 rounding.
    for (let i = 0; i < expected.length; i++) assert.ok(Math.abs(h.history.loss[i] - expected[i]) < 1e-5, `epoch ${i}: ${h.history.loss[i]} vs ${expected[i]}`);
    assert.equal(await setNumThreads(2), 2);
    const again = await model().fit(x, y, { epochs: 2, batchSize: 16, verbose: 0 });
    assert.deepEqual(again.history.loss, expected, 'a new pool computes what the first did, bit for bit');
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

test('a worker that dies holding a share is noticed by the job time-out, not waited for forever', async () => {
  await setBackend('wasm');
  testing.setJobTimeout(1500);
  const warnings = captureWarnings();
  process.env.CONVLAB_TEST_WORKER_EXIT_IN_KERNEL = '1';
  try {
    // A new pool whose worker exits as soon as it has claimed a share of a kernel.
    await setNumThreads(1);
    assert.equal(await setNumThreads(2), 2);
    const a = tensor(new Float32Array(512 * 512).fill(0.5), [512, 512]);
    const started = Date.now();
    let error: Error | null = null;
    // The main thread may claim every share of a call before the worker wakes: try a few calls.
    for (let i = 0; i < 50 && !error; i++) {
      try {
        ops.matMul(a, a);
      } catch (e) {
        error = e as Error;
      }
    }
    assert.ok(error, 'no call failed: the worker never claimed a share');
    assert.match(error.message, /did not finish a kernel within 1\.5 s \(it may have died\)/);
    assert.ok(Date.now() - started < 20000, `${Date.now() - started} ms`);
    assert.equal(getNumThreads(), 1);
    assert.ok(warnings.lines.some((l) => /continues on one thread/.test(l)), warnings.lines.join('\n'));
    assert.equal(ops.matMul(a, a).data[0], 128, 'one thread computes the product');
  } finally {
    delete process.env.CONVLAB_TEST_WORKER_EXIT_IN_KERNEL;
    testing.setJobTimeout(60000);
    warnings.restore();
    await setNumThreads(2);
    await setBackend('reference');
  }
});
