import { describe, it } from 'node:test';
import type { Conv2DInfo } from '../../src/kernels/backend.js';
import { referenceBackend as ref } from '../../src/kernels/reference/index.js';
import { createWasmKernels } from '../../src/kernels/wasm/index.js';
import { conv2dInfo } from '../../src/ops/conv_util.js';
import { Random } from '../../src/utils/random.js';
import { assertClose, engineVariants, int, randomArray } from './helpers.js';

/*
 * The row-vectorised kernels of assembly/direct_rows.ts (one input channel, stride 1 along the
 * width, up to 8 output channels) against the reference, on 1, 2 and 3 threads: with 3 threads
 * the pixel ranges split output rows, which exercises the partial-row and row-end paths.
 */

const engines = engineVariants();

function randomRowsConv(rng: Random, big: boolean): Conv2DInfo | null {
  const k = [int(rng, 1, 5), int(rng, 1, 5)] as [number, number];
  const dilated = rng.next() < 0.25;
  const strides = (dilated ? [1, 1] : [int(rng, 1, 3), rng.next() < 0.8 ? 1 : 2]) as [number, number];
  const dilations = (dilated ? [int(rng, 1, 3), int(rng, 1, 3)] : [1, 1]) as [number, number];
  const x = big ? [int(rng, 4, 8), int(rng, 20, 31), int(rng, 20, 31), 1] : [int(rng, 1, 3), int(rng, 1, 13), int(rng, 1, 13), 1];
  const info = conv2dInfo(x, [k[0], k[1], 1, int(rng, 1, 8)], strides, rng.next() < 0.5 ? 'same' : 'valid', dilations);
  return info.outHeight > 0 && info.outWidth > 0 ? info : null;
}

describe('one-channel convolutions vectorised along the row equal the reference', () => {
  it('conv2d forward and filter gradient: 120 geometries, batch 1 to 8, 1 to 8 output channels', () => {
    const rng = new Random(21);
    let tested = 0;
    for (let t = 0; tested < 120; t++) {
      const c = randomRowsConv(rng, t % 3 === 0);
      if (!c) continue;
      tested++;
      const label = JSON.stringify(c);
      const x = randomArray(rng, c.batch * c.inHeight * c.inWidth);
      const w = randomArray(rng, c.kernelHeight * c.kernelWidth * c.outChannels);
      const ySize = c.batch * c.outHeight * c.outWidth * c.outChannels;
      const dy = randomArray(rng, ySize);
      const y = new Float32Array(ySize);
      const dw = new Float32Array(w.length);
      ref.conv2d(x, w, y, c);
      ref.conv2dBackpropFilter(x, dy, dw, c);
      for (const { name, engine } of engines) {
        const k = createWasmKernels(engine);
        const y2 = new Float32Array(ySize).fill(NaN);
        const dw2 = new Float32Array(w.length).fill(NaN);
        k.conv2d(x, w, y2, c);
        k.conv2dBackpropFilter(x, dy, dw2, c);
        assertClose(y2, y, `conv2d ${label} (${name})`);
        assertClose(dw2, dw, `conv2dBackpropFilter ${label} (${name})`);
      }
    }
  });
});
