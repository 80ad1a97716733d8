import { after, before, describe, it } from 'node:test';
import type { Conv2DInfo } from '../../src/kernels/backend.js';
import { referenceBackend as ref } from '../../src/kernels/reference/index.js';
import { conv2dInfo } from '../../src/ops/conv_util.js';
import { Random } from '../../src/utils/random.js';
import { assertClose, flavours, int, randomArray, type Flavour } from './helpers.js';

/* The wasm depthwise kernels (assembly/depthwise.ts) against the reference loops. */

let all: Flavour[] = [];
before(async () => {
  all = await flavours();
});
after(() => {
  for (const f of all) f.engine.close();
});

function check(c: Conv2DInfo, rng: Random, label: string): void {
  const m = c.outChannels / c.inChannels;
  const xSize = c.batch * c.inHeight * c.inWidth * c.inChannels;
  const wSize = c.kernelHeight * c.kernelWidth * c.inChannels * m;
  const ySize = c.batch * c.outHeight * c.outWidth * c.outChannels;
  const x = randomArray(rng, xSize);
  const w = randomArray(rng, wSize);
  const dy = randomArray(rng, ySize);
  const y = new Float32Array(ySize);
  const dx = new Float32Array(xSize);
  const dw = new Float32Array(wSize);
  ref.depthwiseConv2d(x, w, y, c);
  ref.depthwiseConv2dBackpropInput(dy, w, dx, c);
  ref.depthwiseConv2dBackpropFilter(x, dy, dw, c);
  for (const f of all) {
    // NaN-filled outputs: the kernels must overwrite every value.
    const y2 = new Float32Array(ySize).fill(NaN);
    const dx2 = new Float32Array(xSize).fill(NaN);
    const dw2 = new Float32Array(wSize).fill(NaN);
    f.kernels.depthwiseConv2d(x, w, y2, c);
    f.kernels.depthwiseConv2dBackpropInput(dy, w, dx2, c);
    f.kernels.depthwiseConv2dBackpropFilter(x, dy, dw2, c);
    assertClose(y2, y, `depthwiseConv2d ${label} (${f.name})`);
    assertClose(dx2, dx, `depthwiseConv2dBackpropInput ${label} (${f.name})`);
    assertClose(dw2, dw, `depthwiseConv2dBackpropFilter ${label} (${f.name})`);
  }
}

describe('wasm depthwise convolution equals the reference kernels (relative 1e-4)', () => {
  it('forward, input gradient and filter gradient: 120 random geometries, multipliers 1 to 3', () => {
    const rng = new Random(12);
    let tested = 0;
    while (tested < 120) {
      const dilated = rng.next() < 0.25;
      const strides = (dilated ? [1, 1] : [int(rng, 1, 3), int(rng, 1, 3)]) as [number, number];
      const dilations = (dilated ? [int(rng, 1, 3), int(rng, 1, 3)] : [1, 1]) as [number, number];
      const x = [int(rng, 1, 4), int(rng, 1, 12), int(rng, 1, 12), int(rng, 1, 11)];
      const m = rng.next() < 0.6 ? 1 : int(rng, 2, 3);
      const c = conv2dInfo(x, [int(rng, 1, 5), int(rng, 1, 5), x[3], x[3] * m], strides, rng.next() < 0.5 ? 'same' : 'valid', dilations);
      if (c.outHeight <= 0 || c.outWidth <= 0) continue;
      tested++;
      check(c, rng, JSON.stringify(c));
    }
  });

  it('MobileNet shapes, large enough to run on several threads', () => {
    const rng = new Random(13);
    for (const [shape, stride] of [[[8, 28, 28, 32], 1], [[4, 29, 29, 96], 2], [[2, 14, 14, 144], 1]] as const) {
      const c = conv2dInfo(shape, [3, 3, shape[3], shape[3]], [stride, stride], stride === 1 ? 'same' : 'valid', [1, 1]);
      check(c, rng, `${JSON.stringify(shape)} stride ${stride}`);
    }
  });
});
