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

  it('randomErasing blanks one rectangle of the chosen size per image, and only while training', () => {
    const x = tensor(new Float32Array(6 * 8 * 8).fill(5), [6, 8, 8, 1]);
    const erasing = layers.randomErasing({ factor: [1, 1], scale: [0.25, 0.25], fillValue: 0, seed: 2 });
    assert.equal(erasing.apply(x, false), x);
    const y = erasing.apply(x, true);
    for (let b = 0; b < 6; b++) {
      const erased: [number, number][] = [];
      rows(y, b).forEach((row, r) => row.forEach((v, c) => { if (v === 0) erased.push([r, c]); else assert.equal(v, 5); }));
      // Sides of sqrt(0.25) × 8 = 4 pixels: a 4x4 block.
      assert.equal(erased.length, 16, `image ${b}`);
      const r0 = Math.min(...erased.map(([r]) => r));
      const c0 = Math.min(...erased.map(([, c]) => c));
      assert.ok(erased.every(([r, c]) => r - r0 < 4 && c - c0 < 4), `image ${b}: ${JSON.stringify(erased)}`);
    }
  });
  it('randomErasing erases with the drawn probability and fills with clipped noise by default', () => {
    const x = tensor(new Float32Array(200 * 4 * 4).fill(0.5), [200, 4, 4, 1]);
    const half = layers.randomErasing({ factor: [0.5, 0.5], scale: [0.5, 0.5], valueRange: [0, 1], seed: 5 }).apply(x, true);
    let touched = 0;
    let negativeDraws = 0;
    for (let b = 0; b < 200; b++) {
      const image = half.data.subarray(b * 16, (b + 1) * 16);
      const changed = Array.from(image).filter((v) => v !== 0.5);
      if (changed.length > 0) touched++;
      for (const v of changed) assert.ok(v >= 0 && v <= 1, `fill ${v} outside valueRange [0, 1]`);
      negativeDraws += changed.filter((v) => v === 0).length;
    }
    assert.ok(touched > 70 && touched < 130, `${touched} of 200 images erased at probability 0.5`);
    assert.ok(negativeDraws > 0, 'N(0, 1) fill clipped at 0 for negative draws');
    const never = layers.randomErasing({ factor: 0, seed: 5 }).apply(x, true);
    assert.deepEqual(Array.from(never.data), Array.from(x.data));
    assert.throws(() => layers.randomErasing({ scale: [0.1, 2] }), /RandomErasing '.*': scale must be a number or a pair of numbers in \[0, 1\], received \[0.1,2\]/);
  });
  it('randomErasing passes gradients to the kept pixels only', () => {
    setFloatX('float64');
    try {
      const rng = new Random(3);
      const x = randomTensor([3, 5, 6, 2], rng);
      const w = randomTensor([3, 5, 6, 2], rng);
      const fresh = () => layers.randomErasing({ factor: [1, 1], scale: [0.2, 0.4], valueRange: [-1, 1], seed: 8 });
      checkGradients('randomErasing', () => ops.sum(ops.mul(fresh().apply(x, true), w)), [x]);
    } finally {
      setFloatX('float32');
    }
  });
});
