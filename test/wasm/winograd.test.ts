import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Conv2DInfo } from '../../src/kernels/backend.js';
import { referenceBackend as ref } from '../../src/kernels/reference/index.js';
import { createWasmKernels } from '../../src/kernels/wasm/index.js';
import { conv2dInfo } from '../../src/ops/conv_util.js';
import { Random } from '../../src/utils/random.js';
import { assertClose, engineVariants, int, randomArray } from './helpers.js';

/*
 * The Winograd F(4x4, 3x3) and F(2x2, 3x3) kernels (assembly/winograd4.ts, winograd.ts) take 3x3 stride-1 convolutions with
 * at least 16 input and output channels, both multiples of 4. Forward, input gradient and
 * filter gradient must equal the reference on the cases the tiling makes hard: odd and tiny
 * sizes (tiles past the edge), 'same' and 'valid' padding, batch 1, more tiles than one chunk
 * holds, and shares of tiles split over 1-3 threads. Channel counts just outside the rule check
 * that the old paths still take those.
 */

const engines = engineVariants();

function check(c: Conv2DInfo, rng: Random): void {
  const xSize = c.batch * c.inHeight * c.inWidth * c.inChannels;
  const wSize = 9 * c.inChannels * c.outChannels;
  const ySize = c.batch * c.outHeight * c.outWidth * c.outChannels;
  const x = randomArray(rng, xSize);
  const w = randomArray(rng, wSize);
  const dy = randomArray(rng, ySize);
  const y = new Float32Array(ySize);
  const dx = new Float32Array(xSize);
  const dw = new Float32Array(wSize);
  ref.conv2d(x, w, y, c);
  ref.conv2dBackpropInput(dy, w, dx, c);
  ref.conv2dBackpropFilter(x, dy, dw, c);
  const label = `${c.batch}x${c.inHeight}x${c.inWidth}x${c.inChannels} -> ${c.outHeight}x${c.outWidth}x${c.outChannels} pad ${c.padTop},${c.padLeft}`;
  // F(4x4, 3x3), the default, on every engine; F(2x2, 3x3) on the one-thread engines (the tile
  // is an instance setting, and workers keep the default).
  const runs = [
    ...engines.map(({ name, engine }) => ({ name: `${name}, F(4x4)`, engine, tile: 4 })),
    ...engines.filter(({ engine }) => engine.numThreads === 1).map(({ name, engine }) => ({ name: `${name}, F(2x2)`, engine, tile: 2 })),
  ];
  for (const { name, engine, tile } of runs) {
    engine.exports.setWinograd(tile);
    const k = createWasmKernels(engine);
    const y2 = new Float32Array(ySize).fill(NaN);
    const dx2 = new Float32Array(xSize).fill(NaN);
    const dw2 = new Float32Array(wSize).fill(NaN);
    k.conv2d(x, w, y2, c);
    k.conv2dBackpropInput(dy, w, dx2, c);
    k.conv2dBackpropFilter(x, dy, dw2, c);
    assertClose(y2, y, `conv2d ${label} (${name})`);
    assertClose(dx2, dx, `conv2dBackpropInput ${label} (${name})`);
    assertClose(dw2, dw, `conv2dBackpropFilter ${label} (${name})`);
    engine.exports.setWinograd(4);
  }
}

describe('Winograd F(4x4, 3x3) and F(2x2, 3x3) convolutions equal the reference (relative 1e-4)', () => {
  it('40 random geometries: sizes 1-11 (odd included), same and valid, batch 1-3, 16-48 channels', () => {
    const rng = new Random(17);
    let tested = 0;
    while (tested < 40) {
      const b = tested < 8 ? 1 : int(rng, 1, 3);
      const h = int(rng, 1, 11);
      const w = int(rng, 1, 11);
      const ci = 4 * int(rng, 4, 12);
      const co = 4 * int(rng, 4, 12);
      const padding = rng.next() < 0.5 ? 'same' : 'valid';
      const c = conv2dInfo([b, h, w, ci], [3, 3, ci, co], [1, 1], padding, [1, 1]);
      if (c.outHeight <= 0 || c.outWidth <= 0) continue;
      tested++;
      check(c, rng);
    }
  });

  it('more tiles than one chunk holds (128 channels, 144 tiles), and the cifar-vgg stage shapes at batch 2', () => {
    const rng = new Random(18);
    check(conv2dInfo([4, 12, 11, 128], [3, 3, 128, 128], [1, 1], 'same', [1, 1]), rng);
    check(conv2dInfo([2, 16, 16, 32], [3, 3, 32, 64], [1, 1], 'same', [1, 1]), rng);
    check(conv2dInfo([2, 8, 8, 64], [3, 3, 64, 128], [1, 1], 'same', [1, 1]), rng);
    check(conv2dInfo([2, 4, 4, 128], [3, 3, 128, 256], [1, 1], 'same', [1, 1]), rng);
    check(conv2dInfo([1, 3, 3, 256], [3, 3, 256, 16], [1, 1], 'valid', [1, 1]), rng);
  });

  it('channel counts outside the rule (12, 18, 30) and strides 2 keep the other kernels, with the same results', () => {
    const rng = new Random(19);
    check(conv2dInfo([2, 7, 9, 12], [3, 3, 12, 32], [1, 1], 'same', [1, 1]), rng);
    check(conv2dInfo([2, 7, 9, 32], [3, 3, 32, 18], [1, 1], 'valid', [1, 1]), rng);
    check(conv2dInfo([1, 9, 8, 30], [3, 3, 30, 20], [1, 1], 'same', [1, 1]), rng);
    check(conv2dInfo([2, 9, 9, 16], [3, 3, 16, 16], [2, 2], 'same', [1, 1]), rng);
  });

  it('a filter gradient over few tiles splits its output channels: the same floats as one thread, on 2 and 3 threads', () => {
    const rng = new Random(20);
    // 64 and 8 tiles (the cifar-vgg 4x4 stage at batch 64 and batch 2; co 20 is not a multiple of
    // the GEMM's 8-column tile), then 144 tiles, above the threshold, split by tile.
    for (const [shape, filter] of [[[64, 4, 4, 128], [3, 3, 128, 256]], [[2, 7, 8, 16], [3, 3, 16, 20]], [[4, 12, 11, 32], [3, 3, 32, 32]]] as const) {
      const c = conv2dInfo([...shape], [...filter], [1, 1], 'same', [1, 1]);
      const x = randomArray(rng, shape.reduce((a, b) => a * b));
      const dy = randomArray(rng, c.batch * c.outHeight * c.outWidth * c.outChannels);
      const dw = (i: number): Float32Array => {
        const out = new Float32Array(9 * c.inChannels * c.outChannels).fill(NaN);
        createWasmKernels(engines[i].engine).conv2dBackpropFilter(x, dy, out, c);
        return out;
      };
      const one = dw(0);
      const tiles = c.batch * Math.ceil(c.outHeight / 4) * Math.ceil(c.outWidth / 4);
      for (const i of [1, 2]) {
        assert.ok(engines[i].engine.numThreads > 1);
        if (tiles <= engines[i].engine.filterGradChannelSplitTiles) assert.deepEqual(dw(i), one, `${tiles} tiles on ${engines[i].name}`);
        else assertClose(dw(i), one, `${tiles} tiles on ${engines[i].name}`);
      }
    }
  });
});
