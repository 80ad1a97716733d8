import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { BinaryOp } from '../../src/kernels/backend.js';
import { referenceBackend as ref } from '../../src/kernels/reference/index.js';
import { createWasmKernels } from '../../src/kernels/wasm/index.js';
import { Random } from '../../src/utils/random.js';
import { assertClose, engineVariants, int, randomArray } from './helpers.js';

/*
 * The fused batch-norm kernels (assembly/batchnorm.ts) and the per-channel broadcast of the
 * binary kernel against the reference, on 1, 2 and 3 threads and on private memory. Shapes mix
 * batch 1, channel counts that are and are not multiples of four, and sizes large enough to be
 * split across threads, where the per-thread partial sums are reduced.
 */

const engines = engineVariants();

interface Case {
  rows: number;
  c: number;
  x: Float32Array;
  dy: Float32Array;
  gamma: Float32Array | null;
  beta: Float32Array | null;
}

function randomCase(rng: Random, t: number): Case {
  const big = t % 5 === 0;
  const c = t % 3 === 0 ? 4 * int(rng, 1, 8) : int(rng, 1, 37);
  const rows = t % 7 === 0 ? 1 : big ? Math.ceil(70_000 / c) + int(rng, 0, 50) : int(rng, 1, 300);
  // A channel offset well away from zero checks the variance for cancellation.
  const offset = t % 4 === 0 ? 50 : 0;
  const x = randomArray(rng, rows * c, offset - 2, offset + 2);
  return {
    rows, c, x,
    dy: randomArray(rng, rows * c),
    gamma: rng.next() < 0.7 ? randomArray(rng, c, 0.5, 2) : null,
    beta: rng.next() < 0.7 ? randomArray(rng, c) : null,
  };
}

describe('wasm batch norm equals the reference (relative 1e-4)', () => {
  it('training forward, inference forward and both gradients: 60 shapes', () => {
    const rng = new Random(31);
    for (let t = 0; t < 60; t++) {
      const { rows, c, x, dy, gamma, beta } = randomCase(rng, t);
      const label = `${rows}x${c} gamma=${gamma !== null} beta=${beta !== null}`;
      const n = rows * c;
      const y = new Float32Array(n);
      const mean = new Float32Array(c);
      const variance = new Float32Array(c);
      const invStd = new Float32Array(c);
      ref.batchNormTrain(x, gamma, beta, y, mean, variance, invStd, rows, c, 1e-3);
      const yInf = new Float32Array(n);
      ref.batchNormApply(x, mean, invStd, gamma, beta, yInf, rows, c);
      const grads = [true, false].map((training) => {
        const dx = new Float32Array(n);
        const s1 = new Float32Array(c);
        const s2 = new Float32Array(c);
        ref.batchNormGrad(dy, x, mean, invStd, gamma, dx, s1, s2, rows, c, training);
        return { dx, s1, s2 };
      });
      for (const { name, engine } of engines) {
        const k = createWasmKernels(engine);
        const what = `${label} (${name})`;
        const y2 = new Float32Array(n).fill(NaN);
        const m2 = new Float32Array(c).fill(NaN);
        const v2 = new Float32Array(c).fill(NaN);
        const i2 = new Float32Array(c).fill(NaN);
        k.batchNormTrain(x, gamma, beta, y2, m2, v2, i2, rows, c, 1e-3);
        assertClose(m2, mean, `batchNormTrain mean ${what}`);
        assertClose(v2, variance, `batchNormTrain variance ${what}`);
        assertClose(i2, invStd, `batchNormTrain invStd ${what}`);
        assertClose(y2, y, `batchNormTrain y ${what}`);
        const yInf2 = new Float32Array(n).fill(NaN);
        k.batchNormApply(x, mean, invStd, gamma, beta, yInf2, rows, c);
        assertClose(yInf2, yInf, `batchNormApply ${what}`);
        [true, false].forEach((training, g) => {
          const dx = new Float32Array(n).fill(NaN);
          const s1 = new Float32Array(c).fill(NaN);
          const s2 = new Float32Array(c).fill(NaN);
          k.batchNormGrad(dy, x, mean, invStd, gamma, dx, s1, s2, rows, c, training);
          assertClose(dx, grads[g].dx, `batchNormGrad dx training=${training} ${what}`);
          assertClose(s1, grads[g].s1, `batchNormGrad sumDy training=${training} ${what}`);
          assertClose(s2, grads[g].s2, `batchNormGrad sumDyXhat training=${training} ${what}`);
        });
        const s1 = new Float32Array(c).fill(NaN);
        const s2 = new Float32Array(c).fill(NaN);
        k.batchNormGrad(dy, x, mean, invStd, gamma, null, s1, s2, rows, c, true);
        assertClose(s1, grads[0].s1, `batchNormGrad without dx ${what}`);
      }
    }
  });

  it('gives the same bits on every run and on 1, 2 or 3 threads', () => {
    const rng = new Random(32);
    const rows = 64 * 14 * 14 + 5;
    const c = 19;
    const x = randomArray(rng, rows * c, -3, 5);
    const dy = randomArray(rng, rows * c);
    const gamma = randomArray(rng, c, 0.5, 2);
    const results: Float32Array[][] = [];
    for (const { name, engine } of engines) {
      const k = createWasmKernels(engine);
      const run = (): Float32Array[] => {
        const y = new Float32Array(rows * c);
        const stats = [new Float32Array(c), new Float32Array(c), new Float32Array(c)];
        k.batchNormTrain(x, gamma, null, y, stats[0], stats[1], stats[2], rows, c, 1e-3);
        const dx = new Float32Array(rows * c);
        const sums = [new Float32Array(c), new Float32Array(c)];
        k.batchNormGrad(dy, x, stats[0], stats[2], gamma, dx, sums[0], sums[1], rows, c, true);
        return [y, ...stats, dx, ...sums];
      };
      const first = run();
      for (let r = 0; r < 3; r++) {
        run().forEach((a, i) => assert.deepEqual(a, first[i], `run ${r + 2}, output ${i} differs from the first run (${name})`));
      }
      results.push(first);
    }
    // The sums are chunked independently of the thread count (the portable build, last, may
    // round its multiply-adds differently, so it is compared with itself only).
    for (let t = 1; t < 3; t++) {
      results[t].forEach((a, i) => assert.deepEqual(a, results[0][i], `output ${i}: ${engines[t].name} differs from ${engines[0].name}`));
    }
  });

  it('a per-channel vector broadcast over the last axis, either side, every op', () => {
    const rng = new Random(33);
    const ops: BinaryOp[] = ['add', 'sub', 'mul', 'div', 'maximum', 'minimum'];
    for (let t = 0; t < 48; t++) {
      const c = t % 2 ? int(rng, 1, 4) * 4 : int(rng, 2, 23);
      const outShape = t % 6 === 0 ? [Math.ceil(70_000 / c), c] : [int(rng, 1, 4), int(rng, 1, 9), int(rng, 1, 9), c];
      const n = outShape.reduce((p, d) => p * d, 1);
      const vectorShape = t % 3 === 0 ? [1, 1, c] : [c];
      const op = ops[t % ops.length];
      const full = randomArray(rng, n, 0.5, 2);
      const vector = randomArray(rng, c, 0.5, 2);
      for (const vectorFirst of [false, true]) {
        const [a, aShape, b, bShape] = vectorFirst ? [vector, vectorShape, full, outShape] : [full, outShape, vector, vectorShape];
        const expected = new Float32Array(n);
        ref.binary(op, a, aShape, b, bShape, expected, outShape);
        for (const { name, engine } of engines) {
          const out = new Float32Array(n).fill(NaN);
          createWasmKernels(engine).binary(op, a, aShape, b, bShape, out, outShape);
          assertClose(out, expected, `binary ${op} [${aShape}] [${bShape}] (${name})`);
        }
      }
      // The gradient of such a broadcast: a sum over every leading axis.
      const sum = new Float32Array(c);
      ref.reduceSum(full, outShape, sum, outShape.map((d, i) => (i === outShape.length - 1 ? d : 1)));
      for (const { name, engine } of engines) {
        const out = new Float32Array(c).fill(NaN);
        createWasmKernels(engine).reduceSum(full, outShape, out, outShape.map((d, i) => (i === outShape.length - 1 ? d : 1)));
        assertClose(out, sum, `reduceSum [${outShape}] over the leading axes (${name})`);
      }
    }
  });
});
