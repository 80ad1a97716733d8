import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Pool2DInfo } from '../../src/kernels/backend.js';
import { referenceBackend as ref } from '../../src/kernels/reference/index.js';
import { createWasmKernels } from '../../src/kernels/wasm/index.js';
import { poolFuses } from '../../src/kernels/wasm/batchnorm_pool.js';
import { pool2dInfo } from '../../src/ops/conv_util.js';
import { Random } from '../../src/utils/random.js';
import { assertClose, engineVariants, int, randomArray } from './helpers.js';

/*
 * Batch norm + ReLU + max pooling fused (assembly/batchnorm_relu_pool.ts) against the reference
 * kernels run one after the other. The forward must equal the reference pool of this engine's
 * own batch norm + ReLU output bit for bit (the fused kernel maxes the same values as it makes
 * them), and the gradient the reference pool gradient, ReLU mask and batch-norm gradient of that
 * output: so the recomputed window maxima and masks are checked exactly, the rest within 1e-4.
 * Geometries the fused kernels do not take (channels not a multiple of four, pools that do not
 * tile the input) run the backend's unfused kernels and are checked the same way.
 */

const engines = engineVariants();

/** NaN where the reference has NaN, else within 1e-4 (assertClose's scale would be NaN here). */
function closeWithNaN(actual: Float32Array, expected: Float32Array, what: string): void {
  for (let i = 0; i < expected.length; i++) {
    const [a, e] = [actual[i], expected[i]];
    if (Number.isNaN(e)) assert.ok(Number.isNaN(a), `${what}: element ${i} is ${a}, reference NaN`);
    else assert.ok(Math.abs(a - e) <= 1e-4 * (Math.abs(e) + 1), `${what}: element ${i} is ${a}, reference ${e}`);
  }
}

interface Case { info: Pool2DInfo; x: Float32Array; dy: Float32Array; gamma: Float32Array | null; beta: Float32Array | null }

function randomCase(rng: Random, t: number): Case {
  const pool = t % 6 === 5 ? 3 : 2;
  const fused = t % 4 !== 3;
  const c = fused ? 4 * int(rng, 1, 9) : int(rng, 1, 13);
  const batch = t % 5 === 0 ? 1 : int(rng, 1, 3);
  // Sizes the pool divides (fused), or odd sizes and 'same' padding (not).
  const oh = int(rng, 1, 6);
  const ow = int(rng, 1, 6);
  const h = fused ? oh * pool : oh * pool + 1;
  const w = fused ? ow * pool : ow * pool + (t % 2);
  const info = pool2dInfo([batch, h, w, c], [pool, pool], [pool, pool], fused || t % 8 !== 3 ? 'valid' : 'same');
  const n = batch * h * w * c;
  const offset = t % 4 === 0 ? 30 : 0;
  return {
    info,
    x: randomArray(rng, n, offset - 2, offset + 2),
    dy: randomArray(rng, info.batch * info.outHeight * info.outWidth * c),
    gamma: rng.next() < 0.7 ? randomArray(rng, c, -1, 2) : null,
    beta: rng.next() < 0.7 ? randomArray(rng, c) : null,
  };
}

describe('wasm batch norm + ReLU + max pool fused equals the reference kernels in turn', () => {
  it('forward and gradient on 48 geometries (fused and not), 1-3 threads and portable SIMD', () => {
    const rng = new Random(91);
    let fusedCases = 0;
    for (let t = 0; t < 48; t++) {
      const { info, x, dy, gamma, beta } = randomCase(rng, t);
      const c = info.channels;
      const rows = x.length / c;
      const outLength = dy.length;
      if (poolFuses(info)) fusedCases++;
      const label = `${info.batch}x${info.inHeight}x${info.inWidth}x${c} pool ${info.poolHeight} pad ${info.padTop},${info.padLeft} gamma=${gamma !== null} beta=${beta !== null}`;
      const expected = new Float32Array(outLength);
      const stats = [new Float32Array(c), new Float32Array(c), new Float32Array(c)];
      ref.batchNormReluMaxPool(x, gamma, beta, expected, stats[0], stats[1], stats[2], 1e-3, info);
      for (const { name, engine } of engines) {
        const k = createWasmKernels(engine);
        const what = `${label} (${name})`;
        const out = new Float32Array(outLength).fill(NaN);
        const [mean, variance, invStd] = [0, 1, 2].map(() => new Float32Array(c).fill(NaN));
        k.batchNormReluMaxPool(x, gamma, beta, out, mean, variance, invStd, 1e-3, info);
        assertClose(mean, stats[0], `mean ${what}`);
        assertClose(variance, stats[1], `variance ${what}`);
        assertClose(invStd, stats[2], `invStd ${what}`);
        assertClose(out, expected, `pooled output ${what}`);
        // This engine's own full-size output, pooled by the reference: the same bits.
        const y = new Float32Array(x.length);
        k.batchNormApply(x, mean, invStd, gamma, beta, y, rows, c, true);
        const pooled = new Float32Array(outLength);
        ref.maxPool(y, pooled, info);
        assert.deepEqual(out, pooled, `pooled output equals the pool of batchNormApply's ${what}`);

        const dyFull = new Float32Array(x.length);
        ref.maxPoolGrad(dy, y, dyFull, info);
        const [dxRef, s1Ref, s2Ref] = [new Float32Array(x.length), new Float32Array(c), new Float32Array(c)];
        ref.batchNormReluGrad(dyFull, x, y, mean, invStd, gamma, beta, dxRef, s1Ref, s2Ref, rows, c);
        const [dx, s1, s2] = [new Float32Array(x.length).fill(NaN), new Float32Array(c).fill(NaN), new Float32Array(c).fill(NaN)];
        k.batchNormReluMaxPoolGrad(dy, x, mean, invStd, gamma, beta, dx, s1, s2, info);
        assertClose(dx, dxRef, `dx ${what}`);
        assertClose(s1, s1Ref, `sumDy ${what}`);
        assertClose(s2, s2Ref, `sumDyXhat ${what}`);
        const [s1b, s2b] = [new Float32Array(c).fill(NaN), new Float32Array(c).fill(NaN)];
        k.batchNormReluMaxPoolGrad(dy, x, mean, invStd, gamma, beta, null, s1b, s2b, info);
        assertClose(s1b, s1Ref, `sumDy without dx ${what}`);
        assertClose(s2b, s2Ref, `sumDyXhat without dx ${what}`);
      }
    }
    assert.ok(fusedCases >= 30 && fusedCases < 48, `${fusedCases} of 48 cases take the fused kernels`);
  });

  it('a CIFAR stage (64x32x32x32, 2x2): the same bits on every run and on 1, 2 or 3 threads', () => {
    const rng = new Random(92);
    const info = pool2dInfo([64, 32, 32, 32], [2, 2], [2, 2], 'valid');
    const x = randomArray(rng, 64 * 32 * 32 * 32, -3, 4);
    const dy = randomArray(rng, 64 * 16 * 16 * 32);
    const gamma = randomArray(rng, 32, 0.5, 2);
    const beta = randomArray(rng, 32);
    const results: Float32Array[][] = [];
    for (const { name, engine } of engines.slice(0, 3)) {
      const k = createWasmKernels(engine);
      const run = (): Float32Array[] => {
        const out = new Float32Array(dy.length);
        const stats = [new Float32Array(32), new Float32Array(32), new Float32Array(32)];
        k.batchNormReluMaxPool(x, gamma, beta, out, stats[0], stats[1], stats[2], 1e-3, info);
        const dx = new Float32Array(x.length);
        const sums = [new Float32Array(32), new Float32Array(32)];
        k.batchNormReluMaxPoolGrad(dy, x, stats[0], stats[2], gamma, beta, dx, sums[0], sums[1], info);
        return [out, ...stats, dx, ...sums];
      };
      const first = run();
      run().forEach((a, i) => assert.deepEqual(a, first[i], `second run, output ${i} differs (${name})`));
      results.push(first);
    }
    for (let t = 1; t < 3; t++) {
      results[t].forEach((a, i) => assert.deepEqual(a, results[0][i], `output ${i}: ${engines[t].name} differs from ${engines[0].name}`));
    }
  });

  it('NaN: a window with NaN pools to NaN and passes its gradient to the first NaN, as the kernels in turn do', () => {
    const rng = new Random(93);
    const info = pool2dInfo([2, 4, 6, 8], [2, 2], [2, 2], 'valid');
    const x = randomArray(rng, 2 * 4 * 6 * 8, -2, 2);
    for (const i of [3, 8 * 6 + 3, 100, 101, 250]) x[i] = NaN;
    const dy = randomArray(rng, 2 * 2 * 3 * 8);
    const mean = randomArray(rng, 8, -0.2, 0.2);
    const invStd = randomArray(rng, 8, 0.5, 2);
    const gamma = randomArray(rng, 8, -1, 2);
    const beta = randomArray(rng, 8);
    const rows = x.length / 8;
    for (const { name, engine } of engines) {
      const k = createWasmKernels(engine);
      const y = new Float32Array(x.length);
      k.batchNormApply(x, mean, invStd, gamma, beta, y, rows, 8, true);
      const dyFull = new Float32Array(x.length);
      ref.maxPoolGrad(dy, y, dyFull, info);
      const expected = [new Float32Array(x.length), new Float32Array(8), new Float32Array(8)];
      ref.batchNormReluGrad(dyFull, x, y, mean, invStd, gamma, beta, expected[0], expected[1], expected[2], rows, 8);
      const actual = [new Float32Array(x.length), new Float32Array(8), new Float32Array(8)];
      k.batchNormReluMaxPoolGrad(dy, x, mean, invStd, gamma, beta, actual[0], actual[1], actual[2], info);
      actual.forEach((a, i) => closeWithNaN(a, expected[i], `output ${i} (${name})`));
      assert.ok(Number.isNaN(actual[2][3]) && !Number.isNaN(actual[2][0]), `NaN reaches channel 3's sumDyXhat, not channel 0's (${name})`);
      // Forward: a NaN input makes its channel's statistics, and so every window of it, NaN.
      const out = new Float32Array(dy.length);
      const stats = [new Float32Array(8), new Float32Array(8), new Float32Array(8)];
      k.batchNormReluMaxPool(x, gamma, beta, out, stats[0], stats[1], stats[2], 1e-3, info);
      const expectedOut = new Float32Array(dy.length);
      ref.batchNormReluMaxPool(x, gamma, beta, expectedOut, new Float32Array(8), new Float32Array(8), new Float32Array(8), 1e-3, info);
      closeWithNaN(out, expectedOut, `forward with NaN (${name})`);
      assert.ok(Number.isNaN(out[3]) && !Number.isNaN(out[0]), `forward NaN in channel 3 only (${name})`);
    }
  });
});
