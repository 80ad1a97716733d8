import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { referenceBackend as ref } from '../../src/kernels/reference/index.js';
import { createWasmKernels } from '../../src/kernels/wasm/index.js';
import { conv2dInfo } from '../../src/ops/conv_util.js';
import { Random } from '../../src/utils/random.js';
import { assertClose, engineVariants, int, randomArray } from './helpers.js';

/*
 * The few-channel convolution (assembly/direct_few.ts): 1-8 input channels (a first layer, LeNet's second), output channels in
 * groups of 16. Its forward must equal the reference on random geometries (odd sizes, 'same'
 * and 'valid', strides, dilations, 1x1 to 5x5 kernels, batch 1, an odd number of output pixels
 * so that the last pair is a single pixel) and the CIFAR first layer, on 1-3 threads and the
 * portable build; and equal im2col + GEMM, the path it replaces (setFewChannels(false)). The
 * filter gradient too (assembly/few_filter_grad.ts where the depth is 36 or less).
 */

const engines = engineVariants();

describe('few-input-channel convolution equals the reference (relative 1e-4)', () => {
  it('60 random geometries, 32x32x3 -> 32 at batch 4 and LeNet\'s 14x14x6 -> 16', () => {
    const rng = new Random(61);
    const cases = [conv2dInfo([4, 32, 32, 3], [3, 3, 3, 32], [1, 1], 'same', [1, 1]), conv2dInfo([3, 14, 14, 6], [5, 5, 6, 16], [1, 1], 'valid', [1, 1])];
    while (cases.length < 62) {
      const k = int(rng, 1, 5);
      const dilation = rng.next() < 0.2 ? 2 : 1;
      const stride = rng.next() < 0.3 ? 2 : 1;
      const h = int(rng, 1, 13);
      const w = int(rng, 1, 13);
      const padding = rng.next() < 0.5 ? 'same' : 'valid';
      if (padding === 'valid' && (h < (k - 1) * dilation + 1 || w < (k - 1) * dilation + 1)) continue;
      const ci = int(rng, 1, 8);
      const co = 16 * int(rng, 1, 4);
      cases.push(conv2dInfo([int(rng, 1, 3), h, w, ci], [k, k, ci, co], [stride, stride], padding, [dilation, dilation]));
    }
    let oddPixels = 0;
    for (const c of cases) {
      if ((c.batch * c.outHeight * c.outWidth) % 2 === 1) oddPixels++;
      const x = randomArray(rng, c.batch * c.inHeight * c.inWidth * c.inChannels);
      const w = randomArray(rng, c.kernelHeight * c.kernelWidth * c.inChannels * c.outChannels);
      const ySize = c.batch * c.outHeight * c.outWidth * c.outChannels;
      const y = new Float32Array(ySize);
      ref.conv2d(x, w, y, c);
      const label = `${c.batch}x${c.inHeight}x${c.inWidth}x${c.inChannels} k${c.kernelHeight} s${c.strideHeight} d${c.dilationHeight} pad ${c.padTop},${c.padLeft} -> ${c.outChannels}`;
      for (const { name, engine } of engines) {
        const y2 = new Float32Array(ySize).fill(NaN);
        createWasmKernels(engine).conv2d(x, w, y2, c);
        assertClose(y2, y, `conv2d ${label} (${name})`);
        // The filter gradient (assembly/few_filter_grad.ts, depth up to 36): the reference's, within float32 rounding.
        const dy = randomArray(rng, ySize);
        const dw = new Float32Array(w.length);
        ref.conv2dBackpropFilter(x, dy, dw, c);
        const dw2 = new Float32Array(w.length).fill(NaN);
        createWasmKernels(engine).conv2dBackpropFilter(x, dy, dw2, c);
        assertClose(dw2, dw, `conv2dBackpropFilter ${label} (${name})`);
        if (engine.numThreads === 1) {
          engine.exports.setFewChannels(0);
          const y3 = new Float32Array(ySize).fill(NaN);
          createWasmKernels(engine).conv2d(x, w, y3, c);
          engine.exports.setFewChannels(1);
          assertClose(y3, y, `im2col conv2d ${label} (${name})`);
        }
      }
    }
    assert.ok(oddPixels >= 5, `${oddPixels} cases end with a single pixel`);
  });
});
