import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { ModelCheckpoint, Tensor, layers, loadLayersModel, sequential, setSeed } from '../../src/index.js';
import { formatCheckpointPath } from '../../src/callbacks/index.js';
import { loadTrainingState, readTrainingState, saveTrainingState } from '../../src/io/index.js';
import { randomInput } from './helpers/data.js';

const here = dirname(fileURLToPath(import.meta.url));
const child = join(here, 'helpers', 'train_child.ts');
const root = mkdtempSync(join(tmpdir(), 'convlab-ckpt-'));
after(() => rmSync(root, { recursive: true, force: true }));

interface Run { proc: ChildProcess; output: string[]; exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }> }

function startChild(args: string[], env: Record<string, string> = {}): Run {
  const proc = spawn(process.execPath, ['--import', 'tsx', child, ...args], { cwd: join(here, '..', '..'), stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  const output: string[] = [];
  proc.stdout!.on('data', (d) => output.push(String(d)));
  proc.stderr!.on('data', (d) => output.push(String(d)));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  return { proc, output, exit };
}

async function runToEnd(args: string[]): Promise<string> {
  const run = startChild(args);
  const { code } = await run.exit;
  assert.equal(code, 0, `child failed:\n${run.output.join('')}`);
  return run.output.join('');
}

/**
 * Loads the checkpoint over and over while the child trains: every load must succeed (or find
 * no checkpoint yet). Stops when `until` says so; returns the number of successful loads.
 */
async function pollLoads(dir: string, done: (loads: number) => boolean): Promise<{ loads: number; generations: Set<number> }> {
  let loads = 0;
  const generations = new Set<number>();
  while (!done(loads)) {
    if (existsSync(join(dir, 'training_state.json'))) {
      const state = await loadTrainingState(dir, null, { restoreRandom: false });
      await loadLayersModel(dir);
      generations.add(state.generation);
      loads++;
    }
    await new Promise((r) => setTimeout(r, 2));
  }
  return { loads, generations };
}

function sameFile(a: string, b: string): boolean {
  return readFileSync(a).equals(readFileSync(b));
}

describe('checkpoints survive SIGKILL and resume exactly', () => {
  const reference = join(root, 'reference');
  it('an uninterrupted run (the reference)', async () => {
    const out = await runToEnd([join(root, 'ref-ckpt'), reference]);
    assert.match(out, /DONE/);
    const state = await readTrainingState(join(root, 'ref-ckpt'));
    assert.equal(state.epoch, 6);
    assert.equal(state.history.epoch.length, 6);
  });

  it('killed mid-epoch, resumed: same final weights; the checkpoint was loadable throughout', async () => {
    const dir = join(root, 'killed');
    const run = startChild([dir, join(root, 'unused'), '3:4']);
    let exited = false;
    void run.exit.then(() => { exited = true; });
    // Past HANG the child waits to be killed: polling goes on until one load has happened, so a
    // parent that got no CPU while the child trained (a busy machine) still checks a load.
    const polling = pollLoads(dir, (loads) => exited || (run.output.join('').includes('HANG') && loads > 0));
    const { loads } = await polling;
    assert.ok(run.output.join('').includes('HANG'), `child did not reach the hang point:\n${run.output.join('')}`);
    run.proc.kill('SIGKILL');
    const { signal } = await run.exit;
    assert.equal(signal, 'SIGKILL');
    assert.ok(loads > 0, 'the checkpoint was never loaded while the child ran');
    const state = await readTrainingState(dir);
    assert.equal(state.epoch, 3, 'the last checkpoint is the end of epoch 3 (0-based epoch 3 was in progress)');
    const final = join(root, 'resumed');
    const out = await runToEnd([dir, final]);
    assert.match(out, /RESUMED 3/);
    assert.ok(sameFile(join(reference, 'weights.bin'), join(final, 'weights.bin')), 'final weights differ from the uninterrupted run');
    const ref = await readTrainingState(join(root, 'ref-ckpt'));
    const resumed = await readTrainingState(dir);
    assert.deepEqual(resumed.history, ref.history);
    assert.equal(resumed.optimizer!.iterations, ref.optimizer!.iterations);
  });

  it('killed at arbitrary moments (also during saves) twice, then resumed: same final weights', async () => {
    const dir = join(root, 'crashy');
    for (const killAtGeneration of [2, 4]) {
      // 20 ms after each batch: the kill must come before the run ends, even when this process is starved.
      const run = startChild([dir, join(root, 'unused2')], { CHILD_BATCH_DELAY_MS: '20' });
      let exited = false;
      void run.exit.then(() => { exited = true; });
      let seen = 0;
      await pollLoads(dir, () => {
        if (exited) return true;
        try {
          seen = JSON.parse(readFileSync(join(dir, 'training_state.json'), 'utf8')).generation;
        } catch {
          seen = 0;
        }
        return seen >= killAtGeneration;
      });
      run.proc.kill('SIGKILL');
      const { signal } = await run.exit;
      assert.equal(signal, 'SIGKILL', `the child finished before generation ${killAtGeneration}:\n${run.output.join('')}`);
      await loadTrainingState(dir, null, { restoreRandom: false });
    }
    const final = join(root, 'crashy-final');
    await runToEnd([dir, final]);
    // A kill between the commit and the clean-up may leave an extra generation; the next save removes it.
    const binaries = readdirSync(dir).filter((f) => /^(weights|optimizer)-\d+\.bin$/.test(f));
    assert.equal(binaries.length, 4, `expected the last two generations only, found ${binaries.join(', ')}`);
    assert.ok(!readdirSync(dir).some((f) => f.includes('.tmp-')), 'no temporary files are left behind');
    assert.ok(sameFile(join(reference, 'weights.bin'), join(final, 'weights.bin')), 'final weights differ from the uninterrupted run');
  });
});

describe('ModelCheckpoint and training state (in process)', () => {
  function smallModel() {
    return sequential({ layers: [
      layers.flatten({ inputShape: [4, 4, 1] }),
      layers.dense({ units: 8, activation: 'relu' }),
      layers.dense({ units: 3, activation: 'softmax' }),
    ] });
  }
  const x = randomInput([48, 4, 4, 1], 3);
  const y = new Tensor(new Int32Array(48).map((_, i) => i % 3), [48]);

  it('formats Keras-style filepaths', () => {
    assert.equal(formatCheckpointPath('ck-{epoch:03d}-{val_loss:.2f}', 7, { val_loss: 0.12345 }), 'ck-007-0.12');
    assert.throws(() => formatCheckpointPath('ck-{val_acc}', 1, { loss: 1 }), /uses \{val_acc\}, which is not in the logs; available: epoch, loss/);
    assert.throws(() => new ModelCheckpoint({ filepath: 'x', saveFreq: 5 as never }), /saveFreq must be 'epoch'/);
  });

  it('saves every epoch to templated paths, and with saveBestOnly only on improvement', async () => {
    setSeed(8);
    const model = smallModel();
    model.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const every = new ModelCheckpoint({ filepath: join(root, 'every', 'e{epoch:02d}') });
    const best = new ModelCheckpoint({ filepath: join(root, 'best'), monitor: 'loss', saveBestOnly: true });
    let bestSaves = 0;
    const counter = { onEpochEnd: () => { if (best.lastSaved) bestSaves++; best.lastSaved = null; } };
    await model.fit(x, y, { epochs: 3, batchSize: 16, verbose: 0, callbacks: [every, best, counter] });
    assert.deepEqual(readdirSync(join(root, 'every')).sort(), ['e01', 'e02', 'e03']);
    const loaded = await loadLayersModel(join(root, 'best'));
    assert.equal(loaded.countParams(), model.countParams());
    assert.ok(bestSaves >= 1 && bestSaves <= 3);
    assert.equal(best.best, Math.min(...(model.history!.history.loss)));
  });

  it('loadTrainingState without a model rebuilds and compiles it as saved', async () => {
    setSeed(9);
    const model = smallModel();
    model.compile({ optimizer: 'rmsprop', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const history = await model.fit(x, y, { epochs: 2, batchSize: 16, verbose: 0 });
    await saveTrainingState(join(root, 'state'), model, { epoch: 2, history, userData: { note: 'hi' } });
    const restored = await loadTrainingState(join(root, 'state'));
    assert.equal(restored.epoch, 2);
    assert.deepEqual(restored.userData, { note: 'hi' });
    assert.equal(restored.model.optimizer!.className, 'RMSprop');
    assert.equal(restored.model.optimizer!.iterations, model.optimizer!.iterations);
    assert.deepEqual(restored.model.evaluate(x, y, { verbose: 0 }), model.evaluate(x, y, { verbose: 0 }));
  });

  it('refuses a model of another architecture or optimizer, naming the difference', async () => {
    const other = sequential({ layers: [layers.flatten({ inputShape: [4, 4, 1] }), layers.dense({ units: 3, activation: 'softmax' })] });
    await assert.rejects(loadTrainingState(join(root, 'state'), other), /is for layers \[Flatten, Dense, Dense\], but the model given has \[Flatten, Dense\]/);
    const same = smallModel();
    same.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
    await assert.rejects(loadTrainingState(join(root, 'state'), same), /trained with RMSprop but the model is compiled with Adam/);
    await assert.rejects(loadTrainingState(join(root, 'nothing-here')), /does not exist/);
  });
});
