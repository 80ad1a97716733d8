import { test } from 'node:test';
import assert from 'node:assert/strict';
import { layers, sequential, setBackend, setSeed, tensor } from '../../src/index.js';
import { getNumThreads, setNumThreads } from '../../src/kernels/wasm/index.js';

/*
 * Resizing the worker pool back and forth must never leave a job waiting on a worker that missed
 * it (a new worker once read the job counter after saying it was ready), nor let a worker of the
 * old pool take part in the new pool's jobs.
 */
test('the thread pool can be resized back and forth between training runs', async () => {
  const x = tensor(new Float32Array(64 * 8 * 8 * 2).map((_, i) => (i % 7) / 7), [64, 8, 8, 2]);
  const y = tensor(new Int32Array(64).map((_, i) => i % 3), [64]);
  const losses: number[] = [];
  await setBackend('wasm');
  try {
    for (const threads of [2, 1, 2, 3, 1, 3, 2]) {
      assert.equal(await setNumThreads(threads), threads);
      assert.equal(getNumThreads(), threads);
      setSeed(5);
      const model = sequential({ layers: [layers.conv2d({ filters: 4, kernelSize: 3, activation: 'relu', inputShape: [8, 8, 2] }), layers.flatten(), layers.dense({ units: 3, activation: 'softmax' })] });
      model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
      const started = Date.now();
      const h = await model.fit(x, y, { epochs: 1, batchSize: 16, verbose: 0 });
      assert.ok(Date.now() - started < 20000, `${threads} threads took ${Date.now() - started} ms`);
      losses.push(h.history.loss[0]);
    }
  } finally {
    await setBackend('reference');
  }
  for (const loss of losses) assert.ok(Math.abs(loss - losses[0]) < 1e-5, `losses across thread counts: ${losses}`);
});
