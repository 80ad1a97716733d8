import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { layers, tensor, Tensor, setFloatX } from '../src/index.js';
import { checkGradients, randomTensor } from './helpers/gradcheck.js';
import { Random } from '../src/utils/random.js';
import * as ops from '../src/ops/index.js';

const image = (values: number[][]) => tensor(values.flat(), [1, values.length, values[0].length, 1]);
const rows = (t: Tensor, b = 0) => {
  const [, h, w] = t.shape;
  return Array.from({ length: h }, (_, r) => Array.from(t.data.subarray((b * h + r) * w, (b * h + r + 1) * w)));
};

describe('random augmentation layers', () => {
  it('are the identity at inference', () => {
    const x = image([[1, 2], [3, 4]]);
    assert.equal(layers.randomFlip({ seed: 1 }).apply(x, false), x);
    assert.equal(layers.randomTranslation({ heightFactor: 0.5, widthFactor: 0.5, seed: 1 }).apply(x, false), x);
  });
  it('randomFlip only ever produces flips of each image, and both occur', () => {
    const flip = layers.randomFlip({ mode: 'horizontal', seed: 3 });
    const x = tensor(Array.from({ length: 40 }, (_, i) => [i * 10 + 1, i * 10 + 2, i * 10 + 3]).flat(), [40, 1, 3, 1]);
    const y = flip.apply(x, true);
    let flipped = 0;
    for (let b = 0; b < 40; b++) {
      const row = rows(y, b)[0];
      const original = [b * 10 + 1, b * 10 + 2, b * 10 + 3];
      if (row.join() === [...original].reverse().join()) flipped++;
      else assert.deepEqual(row, original);
    }
    assert.ok(flipped > 8 && flipped < 32, `flipped ${flipped} of 40`);
  });
  it('randomTranslation shifts whole pixels and fills as asked', () => {
    const x = image([[1, 2, 3, 4]]);
    const seen = new Set<string>();
    const zeroFill = layers.randomTranslation({ heightFactor: 0, widthFactor: 0.5, fillMode: 'constant', seed: 9 });
    for (let i = 0; i < 60; i++) seen.add(rows(zeroFill.apply(x, true))[0].join());
    assert.deepEqual([...seen].sort(), ['0,0,1,2', '0,1,2,3', '1,2,3,4', '2,3,4,0', '3,4,0,0'].sort());
    const reflect = layers.randomTranslation({ heightFactor: 0, widthFactor: 0.5, seed: 9 });
    const reflected = new Set<string>();
    for (let i = 0; i < 60; i++) reflected.add(rows(reflect.apply(x, true))[0].join());
    assert.ok(reflected.has('2,1,1,2') && reflected.has('3,4,4,3'), [...reflected].join(' | '));
  });
  it('passes gradients through as the matching scatter-add', () => {
    setFloatX('float64');
    try {
      const rng = new Random(1);
      const x = randomTensor([2, 4, 5, 2], rng);
      const w = randomTensor([2, 4, 5, 2], rng);
      // The same seed state each call, so the finite differences see the same translation.
      const fresh = () => layers.randomTranslation({ heightFactor: 0.3, widthFactor: 0.3, fillMode: 'constant', seed: 4 });
      checkGradients('randomTranslation', () => ops.sum(ops.mul(fresh().apply(x, true), w)), [x]);
    } finally {
      setFloatX('float32');
    }
  });
});
