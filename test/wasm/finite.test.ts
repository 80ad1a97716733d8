import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { referenceBackend as ref } from '../../src/kernels/reference/index.js';
import { createWasmKernels } from '../../src/kernels/wasm/index.js';
import { Random } from '../../src/utils/random.js';
import { engineVariants, int, randomArray } from './helpers.js';

/*
 * firstNonFinite (assembly/elementwise.ts), which predict runs on each batch: the index of the
 * first NaN or ±Infinity, or -1, as the reference, for lengths around its 64-value blocks and bad
 * values anywhere (first, last, in the tail after the blocks, several).
 */

const engines = engineVariants();

describe('firstNonFinite equals the reference', () => {
  it('200 random arrays', () => {
    const rng = new Random(5);
    let found = 0;
    for (let t = 0; t < 200; t++) {
      const n = [0, 1, 3, 63, 64, 65, 127, 128, 200, 1000][t % 10] + (t >= 100 ? int(rng, 0, 70) : 0);
      const x = randomArray(rng, n, -1e30, 1e30);
      const bad = int(rng, 0, 3);
      for (let b = 0; b < bad && n > 0; b++) x[int(rng, 0, n - 1)] = [NaN, Infinity, -Infinity][int(rng, 0, 2)];
      const expected = ref.firstNonFinite(x);
      if (expected >= 0) found++;
      for (const { name, engine } of engines) assert.equal(createWasmKernels(engine).firstNonFinite(x), expected, `n ${n}, ${bad} bad (${name})`);
    }
    assert.ok(found >= 100, `${found} arrays with a bad value`);
  });
});
