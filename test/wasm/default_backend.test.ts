/**
 * The wasm backend is the library's default in Node, as TF.js picks its best backend: each case
 * runs in a fresh process, since the default is decided once per process.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function runScript(body: string, env: Record<string, string> = {}): string {
  const script = `import * as c from './src/index.ts';\n${body}`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, encoding: 'utf8', env: { ...process.env, CONVLAB_BACKEND: '', ...env } });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}

const cores = os.availableParallelism();

test('without setBackend, the first operation runs on wasm, and fit runs on every core', () => {
  const out = runScript(`
    const before = c.getBackend();
    c.setSeed(1);
    const m = c.sequential({ layers: [c.layers.dense({ units: 2, activation: 'softmax', inputShape: [3] })] });
    m.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
    let during = 0;
    await m.fit(c.tensor([[1, 2, 3], [3, 2, 1]]), c.tensor([0, 1]), { epochs: 1, verbose: 0, callbacks: { onBatchBegin: () => { during = c.getNumThreads(); } } });
    console.log(JSON.stringify({ before, during, after: c.getBackend(), ready: await c.ready() }));`);
  assert.deepEqual(JSON.parse(out), { before: 'wasm', during: cores, after: 'wasm', ready: 'wasm' });
});

test('setBackend before the first operation wins, and CONVLAB_BACKEND=reference opts out', () => {
  assert.equal(runScript(`await c.setBackend('reference'); c.ops.add(c.tensor([1]), c.tensor([2])); console.log(c.getBackend(), await c.ready());`), 'reference reference');
  assert.equal(runScript(`console.log(c.getBackend(), await c.ready());`, { CONVLAB_BACKEND: 'reference' }), 'reference reference');
  assert.equal(runScript(`await c.setNumThreads(1); console.log(c.getBackend(), await c.ready(), c.getNumThreads());`), 'wasm wasm 1');
});
