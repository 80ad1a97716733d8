/**
 * Every layer and activation added for Keras files (test/layers/cases.ts) round-trips through
 * .keras and .h5: the same config, bit-identical weights and the same predictions.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { layers, loadLayersModel, sequential, setSeed } from '../../src/index.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { activationCases, layerCases } from '../layers/cases.js';
import { perturbWeights, predictData } from './helpers/models.js';

const root = mkdtempSync(join(tmpdir(), 'convlab-keras-layers-'));
after(() => rmSync(root, { recursive: true, force: true }));

function sample(shape: number[], vocab?: number): Tensor {
  const size = 2 * shape.reduce((a, b) => a * b, 1);
  return new Tensor(Float32Array.from({ length: size }, (_, i) => (vocab ? i % vocab : Math.sin(i * 0.731) * 1.5)), [2, ...shape]);
}

describe('every new layer round-trips through .keras and .h5', () => {
  const cases = [
    ...layerCases.map((c) => ({ name: c.name, build: () => sequential({ layers: [c.make({ inputShape: c.shape })] }), shape: c.shape, vocab: c.vocab, formats: undefined })),
    ...activationCases.map((a) => ({ name: `Dense activation '${a.name}'`, build: () => sequential({ layers: [layers.dense({ units: 3, activation: a.name, inputShape: [4] })] }), shape: [4], vocab: undefined, formats: a.kerasFormats })),
  ];
  cases.forEach((c, k) => {
    for (const ext of c.formats ?? (['keras', 'h5'] as const)) {
      it(`${c.name} (.${ext})`, async () => {
        setSeed(30 + k);
        const m = c.build();
        perturbWeights(m);
        const file = join(root, `case-${k}.${ext}`);
        await m.save(file);
        const back = await loadLayersModel(file);
        assert.deepEqual(back.getConfig(), m.getConfig());
        assert.equal(back.weights.length, m.weights.length);
        m.weights.forEach((w, i) => assert.deepEqual(back.weights[i].value.data, w.value.data, w.name));
        const x = sample(c.shape, c.vocab);
        assert.deepEqual(predictData(back, x), predictData(m, x));
      });
    }
  });
});
