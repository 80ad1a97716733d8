import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { setNumThreads } from '../../src/kernels/wasm/index.js';
import { WasmEngine } from '../../src/kernels/wasm/engine.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('wasm worker threads', () => {
  it('rejects a thread count that is not a positive integer', async () => {
    await assert.rejects(setNumThreads(0), /setNumThreads: expected a positive integer, received 0/);
    await assert.rejects(setNumThreads(1.5), /expected a positive integer, received 1.5/);
  });

  it('falls back to one thread on private (unshared) memory', async () => {
    const engine = await WasmEngine.create({ shared: false });
    assert.equal(await engine.setThreads(2), 1);
    engine.close();
  });

  it('lets a process that trained on two threads exit by itself', () => {
    const script = `
      import { setBackend, setNumThreads, getNumThreads, sequential, layers, tensor } from './src/index.ts';
      await setNumThreads(2);
      await setBackend('wasm');
      const m = sequential({ layers: [layers.conv2d({ filters: 4, kernelSize: 3, inputShape: [8, 8, 1] }), layers.flatten(), layers.dense({ units: 2 })] });
      m.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
      await m.fit(tensor(new Float32Array(64 * 64), [64, 8, 8, 1]), tensor(new Float32Array(128), [64, 2]), { epochs: 1, verbose: 0 });
      console.log('threads', getNumThreads());
    `;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.signal, null, `the process had to be killed (it did not exit): ${r.stderr}`);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /threads 2/);
  });
});
