import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { ModelFormatError, layers, loadLayersModel, sequential, setSeed, tensor } from '../../src/index.js';
import { artifactsToModel, modelToArtifacts } from '../../src/io/model_io.js';
import type { ModelArtifacts } from '../../src/io/types.js';
import type { Sequential } from '../../src/models/sequential.js';
import { applyEdits, assertSpecificError, jsonEdits, memoryGuard, mutateAll, mutations, fuzzCheck, fuzzCheckAsync, recordInput, sizeLike, within, type Json } from './fuzz.js';

/*
 * Fuzzing of model loading: model.json (topology and weights manifest) and the weight shards.
 * Inputs start from a valid saved model with the common layer kinds; model.json is damaged at
 * the JSON level (a value anywhere in the tree replaced, a key removed) or at the text level,
 * and the shard bytes are damaged. Every load must give a model whose weights match the
 * manifest, or a ModelFormatError; a model that loads must also run `predict`, failing only
 * with a specific error.
 */
const root = mkdtempSync(join(tmpdir(), 'convlab-fuzz-models-'));
const good = join(root, 'good');
let valid: ModelArtifacts;
let modelJson: { [k: string]: Json };

before(async () => {
  setSeed(3);
  const model = sequential({ layers: [
    layers.rescaling({ scale: 1 / 255, inputShape: [8, 8, 1] }),
    layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same', activation: 'relu' }),
    layers.batchNormalization(),
    layers.maxPooling2d({ poolSize: 2 }),
    layers.averagePooling2d({ poolSize: 2 }),
    layers.flatten(),
    layers.dropout({ rate: 0.25 }),
    layers.dense({ units: 4, activation: 'softmax' }),
  ] });
  valid = modelToArtifacts(model);
  await model.save(good);
  modelJson = JSON.parse(readFileSync(join(good, 'model.json'), 'utf8'));
});
after(() => rmSync(root, { recursive: true, force: true }));

/** A model that loaded predicts on a small batch, or fails with a specific error. */
function checkLoaded(model: Sequential): void {
  const dims = model.layers[0]?.batchInputShape?.slice(1);
  if (!dims || dims.some((d) => d === null || d > 64)) return;
  const shape = dims as number[];
  const input = tensor(new Float32Array(2 * shape.reduce((a, b) => a * b, 1)), [2, ...shape]);
  try {
    const y = model.predict(input) as { shape: readonly number[] };
    assert.equal(y.shape[0], 2);
  } catch (e) {
    assertSpecificError(e, [Error]);
  }
}

describe('fuzz: model.json and weights in memory (artifactsToModel)', () => {
  it('the untouched artifacts load (the corpus starts from a valid model)', () => {
    const model = artifactsToModel(valid);
    assert.equal(model.layers.length, 8);
  });

  it('JSON-level damage to the topology and manifest: a model or a ModelFormatError', () => {
    const done = memoryGuard(192);
    fuzzCheck('model-json', 
      fc.property(jsonEdits, (edits) => {
        const j = applyEdits(modelJson, edits);
        recordInput(JSON.stringify(j), 'json');
        const group = (j.weightsManifest as Array<{ [k: string]: Json }> | undefined)?.[0];
        const artifacts = { modelTopology: j.modelTopology, weightSpecs: group?.weights, weightData: valid.weightData } as unknown as ModelArtifacts;
        let model: Sequential;
        try {
          model = artifactsToModel(artifacts);
        } catch (e) {
          assertSpecificError(e, [ModelFormatError]);
          return;
        }
        checkLoaded(model);
      }),
      3000,
    );
    done();
  });

  it('damaged weight data: loads only when the bytes match the manifest exactly', () => {
    const data = new Uint8Array(valid.weightData as ArrayBuffer);
    fuzzCheck('model-weights', 
      fc.property(mutations(data.length), (ms) => {
        const bytes = mutateAll(data, ms);
        recordInput(bytes, 'bin');
        try {
          artifactsToModel({ ...valid, weightData: bytes.slice().buffer });
          assert.equal(bytes.length, data.length);
        } catch (e) {
          assertSpecificError(e, [ModelFormatError], /weight data|weights manifest/i);
        }
      }),
      1000,
    );
  });
});

describe('fuzz: model files on disk (loadLayersModel)', () => {
  let counter = 0;
  async function load(text: string | null, shard: Uint8Array | null): Promise<void> {
    const dir = join(root, `case-${counter++}`);
    cpSync(good, dir, { recursive: true });
    recordInput(shard ?? text ?? '', shard ? 'bin' : 'json');
    if (text !== null) writeFileSync(join(dir, 'model.json'), text);
    if (shard !== null) writeFileSync(join(dir, 'weights.bin'), shard);
    try {
      const model = await within(5000, 'loading a damaged model', () => loadLayersModel(dir));
      checkLoaded(model);
    } catch (e) {
      assertSpecificError(e, [ModelFormatError]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('text-level damage to model.json: a model or a ModelFormatError', async () => {
    const done = memoryGuard(192);
    const text = new Uint8Array(Buffer.from(JSON.stringify(modelJson)));
    await fuzzCheckAsync('model-json-text', 
      fc.asyncProperty(mutations(text.length), async (ms) => load(Buffer.from(mutateAll(text, ms)).toString('latin1'), null)),
      250,
    );
    done();
  });

  it('damaged manifest paths, shard sizes and shard bytes: a model or a ModelFormatError', async () => {
    const done = memoryGuard(192);
    const shard = new Uint8Array(readFileSync(join(good, 'weights.bin')));
    const manifestEdit = fc.record({
      path: fc.constantFrom('weights.bin', '../weights.bin', '/etc/passwd', 'missing.bin', '', '.', 'weights.bin/..', 'a\u0000b', 'http://example.invalid/w.bin'),
      shape: fc.option(fc.array(sizeLike, { maxLength: 5 })),
    });
    await fuzzCheckAsync('model-files', 
      fc.asyncProperty(manifestEdit, mutations(shard.length), async (m, ms) => {
        const j = structuredClone(modelJson) as { weightsManifest: Array<{ paths: string[]; weights: Array<{ shape: Json }> }> };
        j.weightsManifest[0].paths = [m.path];
        if (m.shape) j.weightsManifest[0].weights[0].shape = m.shape;
        await load(JSON.stringify(j), mutateAll(shard, ms));
      }),
      300,
    );
    done();
  });
});
