import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { referenceBackend as ref } from '../../src/kernels/reference/index.js';
import { createWasmKernels } from '../../src/kernels/wasm/index.js';
import { conv2dInfo, pool2dInfo } from '../../src/ops/conv_util.js';
import { Random } from '../../src/utils/random.js';
import { assertClose, engineVariants, int, randomArray } from './helpers.js';

/*
 * Conv2D (+ bias, + ReLU) → max pooling in one inference kernel (assembly/conv_pool.ts). On
 * random geometries (every convolution path that works pixel by pixel: one-channel rows, direct,
 * few-channel, 1x1, im2col + GEMM; odd sizes whose last row or column no window covers, batch 1,
 * 'same' and 'valid', strides, dilations, pool windows 1x1 to 3x3, with and without bias and
 * ReLU, NaN inputs) it must equal the reference composition on 1-3 threads and the portable
 * build, and equal, float for float, the wasm kernels run one after the other.
 */

const engines = engineVariants();

describe('fused conv2d + max pool equals the three kernels', () => {
  it('100 random geometries (20 for the one-channel 2x2 kernel), the lab CNN and LeNet stages, and a Winograd-sized conv (which runs unfused)', () => {
    const rng = new Random(42);
    type Case = { x: number[]; f: number[]; s: number; d: number; padding: 'same' | 'valid'; pool: [number, number]; bias: boolean; relu: boolean };
    const cases: Case[] = [
      { x: [3, 28, 28, 1], f: [3, 3, 1, 5], s: 1, d: 1, padding: 'same', pool: [2, 2], bias: true, relu: true },
      { x: [3, 28, 28, 1], f: [5, 5, 1, 6], s: 1, d: 1, padding: 'same', pool: [2, 2], bias: true, relu: true },
      { x: [3, 14, 14, 6], f: [5, 5, 6, 16], s: 1, d: 1, padding: 'valid', pool: [2, 2], bias: true, relu: true },
      { x: [2, 9, 9, 16], f: [3, 3, 16, 16], s: 1, d: 1, padding: 'same', pool: [2, 2], bias: true, relu: true },
    ];
    // The one-channel 2x2 kernel (assembly/conv_pool_rows.ts): channel counts 1-8, odd sizes.
    while (cases.length < 24) {
      const k = int(rng, 1, 5);
      const h = int(rng, 2, 13);
      const w = int(rng, 2, 19);
      const padding = rng.next() < 0.5 ? 'same' : 'valid';
      if (padding === 'valid' && (h < k + 1 || w < k + 1)) continue;
      cases.push({ x: [int(rng, 1, 3), h, w, 1], f: [k, k, 1, int(rng, 1, 8)], s: 1, d: 1, padding, pool: [2, 2], bias: rng.next() < 0.7, relu: rng.next() < 0.6 });
    }
    while (cases.length < 104) {
      const k = int(rng, 1, 5);
      const d = rng.next() < 0.15 ? 2 : 1;
      const s = d === 1 && rng.next() < 0.25 ? 2 : 1;
      const h = int(rng, 2, 15);
      const w = int(rng, 2, 15);
      const padding = rng.next() < 0.5 ? 'same' : 'valid';
      const span = (k - 1) * d + 1;
      if (padding === 'valid' && (h < span || w < span)) continue;
      const ci = [1, 1, 2, 3, 5, 6, 8, 12, 20][int(rng, 0, 8)];
      const co = [1, 3, 5, 6, 7, 8, 13, 16, 32][int(rng, 0, 8)];
      const pool: [number, number] = [int(rng, 1, 3), int(rng, 1, 3)];
      cases.push({ x: [int(rng, 1, 3), h, w, ci], f: [k, k, ci, co], s, d, padding, pool, bias: rng.next() < 0.7, relu: rng.next() < 0.6 });
    }
    let tested = 0;
    let withNaN = 0;
    for (const t of cases) {
      const c = conv2dInfo(t.x, t.f, [t.s, t.s], t.padding, [t.d, t.d]);
      if (c.outHeight < t.pool[0] || c.outWidth < t.pool[1]) continue;
      tested++;
      const p = pool2dInfo([c.batch, c.outHeight, c.outWidth, c.outChannels], t.pool, t.pool, 'valid');
      const x = randomArray(rng, c.batch * c.inHeight * c.inWidth * c.inChannels);
      // A NaN in some inputs: it must reach the pooled outputs it reaches unfused.
      if (rng.next() < 0.2) x[int(rng, 0, x.length - 1)] = NaN;
      const f = randomArray(rng, t.f.reduce((a, b) => a * b, 1));
      const bias = t.bias ? randomArray(rng, c.outChannels) : null;
      const n = p.batch * p.outHeight * p.outWidth * p.channels;
      const expected = new Float32Array(n);
      ref.conv2dMaxPool(x, f, bias, expected, c, p, t.relu);
      if (expected.some(Number.isNaN)) withNaN++;
      const label = `${t.x.join('x')} k${t.f[0]} s${t.s} d${t.d} ${t.padding} -> ${c.outChannels}, pool ${t.pool.join('x')}, bias ${t.bias}, relu ${t.relu}`;
      for (const { name, engine } of engines) {
        const wasm = createWasmKernels(engine);
        const fused = new Float32Array(n).fill(12345);
        wasm.conv2dMaxPool(x, f, bias, fused, c, p, t.relu);
        for (let i = 0; i < n; i++) assert.equal(Number.isNaN(fused[i]), Number.isNaN(expected[i]), `${label} (${name}): NaN at element ${i}`);
        assertClose(fused.map((v) => (Number.isNaN(v) ? 0 : v)), expected.map((v) => (Number.isNaN(v) ? 0 : v)), `${label} (${name})`);
        // The wasm kernels one after the other: the same floats.
        const y = new Float32Array(c.batch * c.outHeight * c.outWidth * c.outChannels);
        wasm.conv2d(x, f, y, c);
        if (bias) wasm.biasAdd(y, bias, y, t.relu);
        else if (t.relu) wasm.unary('relu', y, y, 0);
        const separate = new Float32Array(n);
        wasm.maxPool(y, separate, p);
        for (let i = 0; i < n; i++) {
          if (!Object.is(fused[i], separate[i]) && !(fused[i] === 0 && separate[i] === 0)) {
            assert.fail(`${label} (${name}): element ${i} is ${fused[i]} fused, ${separate[i]} unfused`);
          }
        }
      }
    }
    assert.ok(tested >= 90, `${tested} geometries tested`);
    assert.ok(withNaN >= 8, `${withNaN} geometries with a NaN output`);
  });
});
