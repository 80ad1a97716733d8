import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { referenceBackend as ref } from '../../src/kernels/reference/index.js';
import { createWasmKernels } from '../../src/kernels/wasm/index.js';
import { Random } from '../../src/utils/random.js';
import { assertClose, engineVariants, int, randomArray } from './helpers.js';

/*
 * Batch norm + ReLU fused (assembly/batchnorm.ts's bnApply with relu, assembly/batchnorm_relu.ts)
 * against the unfused reference kernels: batchNormTrain, then relu, then the relu gradient and
 * batchNormGrad. The fused gradient recomputes the ReLU's mask from x instead of reading y, so
 * its oracle masks with the y this engine's forward wrote (where the normalised value is within
 * rounding of zero, the reference's own y may fall on the other side): that checks that the
 * recomputed mask is exactly the forward's, and the rest against the reference.
 */

const engines = engineVariants();

function relu(y: Float32Array): Float32Array {
  return y.map((v) => (v <= 0 ? 0 : v));
}

describe('wasm batch norm + ReLU fused equals the unfused reference (relative 1e-4)', () => {
  it('training forward, inference forward and the gradient: 50 shapes', () => {
    const rng = new Random(71);
    for (let t = 0; t < 50; t++) {
      const big = t % 5 === 0;
      const c = t % 3 === 0 ? 4 * int(rng, 1, 8) : int(rng, 1, 37);
      // Batch 1 of one pixel (every x equals its mean), odd row counts, and sizes split across threads.
      const rows = t % 7 === 0 ? 1 : big ? Math.ceil(70_000 / c) + int(rng, 0, 50) : int(rng, 1, 300);
      const offset = t % 4 === 0 ? 50 : 0;
      const x = randomArray(rng, rows * c, offset - 2, offset + 2);
      const dy = randomArray(rng, rows * c);
      const gamma = rng.next() < 0.7 ? randomArray(rng, c, -1, 2) : null;
      const beta = rng.next() < 0.7 ? randomArray(rng, c) : null;
      const n = rows * c;
      const label = `${rows}x${c} gamma=${gamma !== null} beta=${beta !== null}`;
      const y = new Float32Array(n);
      const mean = new Float32Array(c);
      const variance = new Float32Array(c);
      const invStd = new Float32Array(c);
      ref.batchNormTrain(x, gamma, beta, y, mean, variance, invStd, rows, c, 1e-3);
      const yInf = new Float32Array(n);
      ref.batchNormApply(x, mean, invStd, gamma, beta, yInf, rows, c);
      // The reference's own fused forward is the unfused pair.
      const yRef = new Float32Array(n);
      ref.batchNormTrain(x, gamma, beta, yRef, new Float32Array(c), new Float32Array(c), new Float32Array(c), rows, c, 1e-3, true);
      assert.deepEqual(yRef, relu(y), `reference batchNormTrain with relu ${label}`);
      for (const { name, engine } of engines) {
        const k = createWasmKernels(engine);
        const what = `${label} (${name})`;
        const y2 = new Float32Array(n).fill(NaN);
        const m2 = new Float32Array(c).fill(NaN);
        const v2 = new Float32Array(c).fill(NaN);
        const i2 = new Float32Array(c).fill(NaN);
        k.batchNormTrain(x, gamma, beta, y2, m2, v2, i2, rows, c, 1e-3, true);
        assertClose(m2, mean, `batchNormTrain+relu mean ${what}`);
        assertClose(v2, variance, `batchNormTrain+relu variance ${what}`);
        assertClose(i2, invStd, `batchNormTrain+relu invStd ${what}`);
        assertClose(y2, relu(y), `batchNormTrain+relu y ${what}`);
        const yInf2 = new Float32Array(n).fill(NaN);
        k.batchNormApply(x, mean, invStd, gamma, beta, yInf2, rows, c, true);
        assertClose(yInf2, relu(yInf), `batchNormApply+relu ${what}`);

        // The gradient at this engine's statistics and output.
        const dxRef = new Float32Array(n);
        const s1Ref = new Float32Array(c);
        const s2Ref = new Float32Array(c);
        const masked = dy.map((g, i) => (y2[i] <= 0 ? 0 : g));
        ref.batchNormGrad(masked, x, m2, i2, gamma, dxRef, s1Ref, s2Ref, rows, c, true);
        const dx = new Float32Array(n).fill(NaN);
        const s1 = new Float32Array(c).fill(NaN);
        const s2 = new Float32Array(c).fill(NaN);
        k.batchNormReluGrad(dy, x, y2, m2, i2, gamma, beta, dx, s1, s2, rows, c);
        assertClose(dx, dxRef, `batchNormReluGrad dx ${what}`);
        assertClose(s1, s1Ref, `batchNormReluGrad sumDy ${what}`);
        assertClose(s2, s2Ref, `batchNormReluGrad sumDyXhat ${what}`);
        const s1b = new Float32Array(c).fill(NaN);
        const s2b = new Float32Array(c).fill(NaN);
        k.batchNormReluGrad(dy, x, y2, m2, i2, gamma, beta, null, s1b, s2b, rows, c);
        assertClose(s1b, s1Ref, `batchNormReluGrad without dx ${what}`);
        assertClose(s2b, s2Ref, `batchNormReluGrad without dx, sumDyXhat ${what}`);
      }
    }
  });

  it('the reference fused gradient is the relu gradient then batchNormGrad', () => {
    const rng = new Random(72);
    const rows = 37;
    const c = 5;
    const x = randomArray(rng, rows * c, -2, 3);
    const dy = randomArray(rng, rows * c);
    const gamma = randomArray(rng, c, 0.5, 2);
    const beta = randomArray(rng, c);
    const y = new Float32Array(rows * c);
    const stats = [new Float32Array(c), new Float32Array(c), new Float32Array(c)];
    ref.batchNormTrain(x, gamma, beta, y, stats[0], stats[1], stats[2], rows, c, 1e-3, true);
    const masked = new Float32Array(rows * c);
    ref.activationGrad('relu', dy, y, masked, 0);
    const expected = [new Float32Array(rows * c), new Float32Array(c), new Float32Array(c)];
    ref.batchNormGrad(masked, x, stats[0], stats[2], gamma, expected[0], expected[1], expected[2], rows, c, true);
    const actual = [new Float32Array(rows * c), new Float32Array(c), new Float32Array(c)];
    ref.batchNormReluGrad(dy, x, y, stats[0], stats[2], gamma, beta, actual[0], actual[1], actual[2], rows, c);
    actual.forEach((a, i) => assert.deepEqual(a, expected[i], `output ${i}`));
    assert.ok(masked.some((v) => v === 0) && masked.some((v) => v !== 0), 'the mask keeps some values and drops others');
  });

  it('NaN: the forward keeps it (as relu does), the gradient passes dy where the output is NaN', () => {
    const c = 6;
    const rows = 9;
    const rng = new Random(73);
    const x = randomArray(rng, rows * c);
    const dy = randomArray(rng, rows * c);
    const mean = new Float32Array(c);
    const invStd = new Float32Array(c).fill(1);
    invStd[1] = NaN;
    invStd[5] = NaN;
    const expected = new Float32Array(rows * c);
    ref.batchNormApply(x, mean, invStd, null, null, expected, rows, c, true);
    for (const { name, engine } of engines) {
      const k = createWasmKernels(engine);
      const y = new Float32Array(rows * c);
      k.batchNormApply(x, mean, invStd, null, null, y, rows, c, true);
      assert.deepEqual(y, expected, `forward (${name})`);
      assert.ok(Number.isNaN(y[1]) && Number.isNaN(y[5]), `NaN kept (${name})`);
      const dx = new Float32Array(rows * c);
      const s1 = new Float32Array(c);
      const s2 = new Float32Array(c);
      k.batchNormReluGrad(dy, x, y, mean, invStd, null, null, dx, s1, s2, rows, c);
      const s1Ref = new Float32Array(c);
      const s2Ref = new Float32Array(c);
      ref.batchNormReluGrad(dy, x, y, mean, invStd, null, null, null, s1Ref, s2Ref, rows, c);
      assertClose(s1, s1Ref, `sumDy with NaN (${name})`);
      assert.ok(Number.isNaN(dx[1]) && Number.isNaN(s2[1]), `NaN reaches the gradient (${name})`);
    }
  });

  it('gives the same bits on every run and on 1, 2 or 3 threads', () => {
    const rng = new Random(74);
    const rows = 64 * 14 * 14 + 5;
    const c = 19;
    const x = randomArray(rng, rows * c, -3, 5);
    const dy = randomArray(rng, rows * c);
    const gamma = randomArray(rng, c, 0.5, 2);
    const beta = randomArray(rng, c);
    const results: Float32Array[][] = [];
    for (const { name, engine } of engines) {
      const k = createWasmKernels(engine);
      const run = (): Float32Array[] => {
        const y = new Float32Array(rows * c);
        const stats = [new Float32Array(c), new Float32Array(c), new Float32Array(c)];
        k.batchNormTrain(x, gamma, beta, y, stats[0], stats[1], stats[2], rows, c, 1e-3, true);
        const dx = new Float32Array(rows * c);
        const sums = [new Float32Array(c), new Float32Array(c)];
        k.batchNormReluGrad(dy, x, y, stats[0], stats[2], gamma, beta, dx, sums[0], sums[1], rows, c);
        return [y, ...stats, dx, ...sums];
      };
      const first = run();
      for (let r = 0; r < 2; r++) {
        run().forEach((a, i) => assert.deepEqual(a, first[i], `run ${r + 2}, output ${i} differs from the first run (${name})`));
      }
      results.push(first);
    }
    for (let t = 1; t < 3; t++) {
      results[t].forEach((a, i) => assert.deepEqual(a, results[0][i], `output ${i}: ${engines[t].name} differs from ${engines[0].name}`));
    }
  });
});
