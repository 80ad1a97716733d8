import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { ModelFormatError, layers, sequential, setSeed, tensor } from '../../src/index.js';
import { loadTrainingState, saveTrainingState } from '../../src/io/index.js';
import type { Sequential } from '../../src/models/sequential.js';
import { applyEdits, assertSpecificError, jsonEdits, memoryGuard, mutateAll, mutations, fuzzCheck, fuzzCheckAsync, recordInput, within, type Json } from './fuzz.js';

/*
 * Fuzzing of training checkpoints (what `convlab train --resume` and `loadTrainingState` read):
 * training_state.json damaged at the JSON level, and the optimizer shard's bytes damaged. Each
 * load must restore the state or fail with a ModelFormatError; none may crash, hang or allocate
 * what the file claims.
 */
const root = mkdtempSync(join(tmpdir(), 'convlab-fuzz-checkpoints-'));
const good = join(root, 'good');
let state: { [k: string]: Json };
let shardName = '';
after(() => rmSync(root, { recursive: true, force: true }));

function build(): Sequential {
  const model = sequential({ layers: [
    layers.conv2d({ filters: 2, kernelSize: 3, inputShape: [5, 5, 1] }),
    layers.flatten(),
    layers.dense({ units: 3, activation: 'softmax' }),
  ] });
  model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
  return model;
}

before(async () => {
  setSeed(4);
  const model = build();
  await model.fit(tensor(new Float32Array(4 * 25).map((_, i) => (i % 5) / 5), [4, 5, 5, 1]), tensor(new Int32Array([0, 1, 2, 1]), [4]), { epochs: 1, verbose: 0 });
  await saveTrainingState(good, model, { epoch: 1, userData: { note: 'fuzz' } });
  state = JSON.parse(readFileSync(join(good, 'training_state.json'), 'utf8'));
  shardName = readdirSync(good).find((f) => f.startsWith('optimizer') && f.endsWith('.bin'))!;
});

let counter = 0;
async function load(json: string, shard: Uint8Array | null): Promise<void> {
  const dir = join(root, `case-${counter++}`);
  cpSync(good, dir, { recursive: true });
  recordInput(shard ?? json, shard ? 'bin' : 'json');
  writeFileSync(join(dir, 'training_state.json'), json);
  if (shard) writeFileSync(join(dir, shardName), shard);
  try {
    const loaded = await within(5000, 'loading a damaged checkpoint', () => loadTrainingState(dir, build(), { restoreRandom: false }));
    assert.ok(Number.isInteger(loaded.epoch) && loaded.epoch >= 0);
  } catch (e) {
    assertSpecificError(e, [ModelFormatError]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('fuzz: training checkpoints (loadTrainingState)', () => {
  it('the untouched checkpoint loads', async () => {
    const loaded = await loadTrainingState(good, build(), { restoreRandom: false });
    assert.equal(loaded.epoch, 1);
  });

  it('JSON-level damage to training_state.json: restored or a ModelFormatError', async () => {
    const done = memoryGuard(192);
    await fuzzCheckAsync('checkpoint-json', fc.asyncProperty(jsonEdits, async (edits) => load(JSON.stringify(applyEdits(state, edits)), null)), 500);
    done();
  });

  it('damaged optimizer shard bytes: restored only when the size matches, else a ModelFormatError', async () => {
    const shard = new Uint8Array(readFileSync(join(good, shardName)));
    await fuzzCheckAsync('checkpoint-shard', fc.asyncProperty(mutations(shard.length), async (ms) => load(JSON.stringify(state), mutateAll(shard, ms))), 200);
  });
});
