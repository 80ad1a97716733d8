/**
 * Conv2DTranspose's dilation_rate and output_padding with Keras's semantics: the output length of
 * Keras's compute_conv_transpose_output_length, values from independent scatter loops, agreement
 * with TF.js's ops (tf.conv2dTranspose with an explicit output shape; the input gradient of its
 * dilated tf.conv2d), and the Keras config keys read and written. The float64 gradient checks,
 * ONNX Runtime checks and .keras/.h5/TF.js-format round trips run on the cases in cases.ts.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { getBackend, layers, loadLayersModel, modelFromJSON, ready, sequential } from '../../src/index.js';
import { keras3Config } from '../../src/io/keras/write.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { Random } from '../../src/utils/random.js';
import { maxAbsDiff } from '../io/helpers/data.js';
import { tfjs } from '../io/helpers/tfjs.js';

const root = mkdtempSync(join(tmpdir(), 'convlab-deconv-'));
after(() => rmSync(root, { recursive: true, force: true }));

type Pair = [number, number];
interface Case { kernel: Pair; strides: Pair; dilation: Pair; padding: 'valid' | 'same'; outputPadding: Pair | null; input: [number, number] }

const cases: Case[] = [
  { kernel: [3, 3], strides: [1, 1], dilation: [2, 2], padding: 'valid', outputPadding: null, input: [4, 3] },
  { kernel: [3, 2], strides: [1, 1], dilation: [2, 3], padding: 'same', outputPadding: null, input: [4, 5] },
  { kernel: [3, 3], strides: [1, 1], dilation: [3, 1], padding: 'same', outputPadding: [0, 0], input: [3, 4] },
  { kernel: [3, 3], strides: [2, 2], dilation: [1, 1], padding: 'same', outputPadding: [1, 1], input: [3, 4] },
  { kernel: [3, 3], strides: [2, 2], dilation: [1, 1], padding: 'same', outputPadding: [0, 0], input: [3, 4] },
  { kernel: [2, 3], strides: [3, 2], dilation: [1, 1], padding: 'valid', outputPadding: [2, 0], input: [3, 2] },
  { kernel: [4, 4], strides: [2, 3], dilation: [1, 1], padding: 'same', outputPadding: [1, 2], input: [2, 3] },
  { kernel: [1, 5], strides: [2, 2], dilation: [1, 1], padding: 'valid', outputPadding: [1, 1], input: [3, 3] },
];

/** Keras's output length (compute_conv_transpose_output_length), written out independently. */
function kerasLength(n: number, k: number, s: number, d: number, padding: string, op: number | null): number {
  const kd = k + (k - 1) * (d - 1);
  if (op === null) return padding === 'valid' ? n * s + Math.max(kd - s, 0) : n * s;
  return (n - 1) * s + kd - 2 * (padding === 'same' ? Math.floor(kd / 2) : 0) + op;
}

/** TensorFlow's 'same' front padding of the convolution from `out` cells back to `n`. */
function padBefore(out: number, n: number, k: number, s: number, d: number, padding: string): number {
  if (padding === 'valid') return 0;
  return Math.floor(Math.max((n - 1) * s + (k - 1) * d + 1 - out, 0) / 2);
}

function random(shape: number[], seed: number): Tensor {
  const rng = new Random(seed);
  const size = shape.reduce((p, d) => p * d, 1);
  return new Tensor(Float64Array.from({ length: size }, () => rng.uniform(-1, 1)), shape);
}

function layerFor(c: Case, dtype: 'float32' | 'float64') {
  return layers.conv2dTranspose({ filters: 2, kernelSize: c.kernel, strides: c.strides, dilationRate: c.dilation, padding: c.padding, outputPadding: c.outputPadding, useBias: false, dtype });
}

const describeCase = (c: Case) => `kernel ${c.kernel}, strides ${c.strides}, dilation ${c.dilation}, ${c.padding}, outputPadding ${JSON.stringify(c.outputPadding)}`;

describe('Conv2DTranspose dilationRate and outputPadding', () => {
  for (const [k, c] of cases.entries()) {
    it(`${describeCase(c)}: Keras's output size; each input cell scatters kernel · value (independent loops, float64)`, () => {
      const [h, w] = c.input;
      const x = random([2, h, w, 3], 10 + k);
      const layer = layerFor(c, 'float64');
      layer.apply(x);
      const kernel = random([c.kernel[0], c.kernel[1], 2, 3], 20 + k);
      (layer.weights[0].value.data as Float64Array).set(kernel.data);
      const y = layer.apply(x);
      const outH = kerasLength(h, c.kernel[0], c.strides[0], c.dilation[0], c.padding, c.outputPadding?.[0] ?? null);
      const outW = kerasLength(w, c.kernel[1], c.strides[1], c.dilation[1], c.padding, c.outputPadding?.[1] ?? null);
      assert.deepEqual(y.shape, [2, outH, outW, 2]);
      assert.deepEqual(layer.computeOutputShape([null, h, w, 3]), [null, outH, outW, 2]);
      const top = padBefore(outH, h, c.kernel[0], c.strides[0], c.dilation[0], c.padding);
      const left = padBefore(outW, w, c.kernel[1], c.strides[1], c.dilation[1], c.padding);
      const expected = new Float64Array(2 * outH * outW * 2);
      const xd = x.data, kd = kernel.data;
      for (let b = 0; b < 2; b++) for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) for (let ch = 0; ch < 3; ch++) {
        for (let u = 0; u < c.kernel[0]; u++) for (let v = 0; v < c.kernel[1]; v++) for (let f = 0; f < 2; f++) {
          const r = i * c.strides[0] - top + u * c.dilation[0];
          const q = j * c.strides[1] - left + v * c.dilation[1];
          if (r >= 0 && r < outH && q >= 0 && q < outW) {
            expected[((b * outH + r) * outW + q) * 2 + f] += xd[((b * h + i) * w + j) * 3 + ch] * kd[((u * c.kernel[1] + v) * 2 + f) * 3 + ch];
          }
        }
      }
      assert.ok(maxAbsDiff(y.data, expected) < 1e-12, `max abs difference ${maxAbsDiff(y.data, expected)}`);
    });

    it(`${describeCase(c)}: agrees with TF.js (float32, on the default backend) within 1e-5`, async () => {
      await ready();
      const tf = await tfjs();
      const [h, w] = c.input;
      const x = random([2, h, w, 3], 30 + k);
      const kernel = random([c.kernel[0], c.kernel[1], 2, 3], 40 + k);
      const layer = layerFor(c, 'float32');
      const x32 = new Tensor(Float32Array.from(x.data), x.shape);
      layer.apply(x32);
      (layer.weights[0].value.data as Float32Array).set(Float32Array.from(kernel.data));
      const ours = layer.apply(x32);
      const tx = tf.tensor4d(Float32Array.from(x.data), [2, h, w, 3]);
      // TF.js's conv2dTranspose has no dilations (nor a gradient for dilated conv2d): it gets the
      // dilated kernel written out, zeros between the taps, which is the same convolution.
      const [kh, kw] = c.kernel, [dh, dw] = c.dilation;
      const eh = (kh - 1) * dh + 1, ew = (kw - 1) * dw + 1;
      const dilatedKernel = new Float32Array(eh * ew * 2 * 3);
      for (let u = 0; u < kh; u++) for (let v = 0; v < kw; v++) for (let q = 0; q < 6; q++) dilatedKernel[((u * dh) * ew + v * dw) * 6 + q] = kernel.data[(u * kw + v) * 6 + q];
      const tk = tf.tensor4d(dilatedKernel, [eh, ew, 2, 3]);
      // tf.conv2dTranspose takes the output shape, which is how output_padding reaches TensorFlow.
      const theirs = tf.conv2dTranspose(tx, tk, [2, ours.shape[1], ours.shape[2], 2], c.strides, c.padding).dataSync() as Float32Array;
      const diff = maxAbsDiff(ours.data, theirs);
      assert.ok(diff <= 1e-5, `max abs difference from TF.js ${diff} (backend ${getBackend()})`);
      if (process.env.CONVLAB_REPORT) console.log(`# ${describeCase(c)}: ${getBackend()} vs TF.js ${diff.toExponential(2)}`);
    });
  }

  it('refuses what Keras and TensorFlow refuse, saying why', () => {
    assert.throws(() => layers.conv2dTranspose({ filters: 1, kernelSize: 3, strides: [2, 1], outputPadding: [1, 1], name: 'up' }), /Conv2DTranspose 'up': outputPadding \[1,1\] must be less than the strides \[2,1\] on each axis/);
    assert.throws(() => layers.conv2dTranspose({ filters: 1, kernelSize: 3, dilationRate: [1, 2], strides: [2, 1], name: 'up' }), /strides other than 1 and dilation other than 1 cannot be combined/);
    assert.throws(() => layers.conv2dTranspose({ filters: 1, kernelSize: 3, strides: 2, outputPadding: -1 as never, name: 'up' }), /outputPadding must be null, a non-negative integer or a pair of them, received -1/);
    // An even kernel, 'same' and output padding 0: the output does not convolve back to the input.
    const even = layers.conv2dTranspose({ filters: 1, kernelSize: 2, strides: 2, padding: 'same', outputPadding: 0, name: 'even' });
    assert.throws(() => even.apply(new Tensor(new Float32Array(9), [1, 3, 3, 1])), /an output of \[1,4,4,1\].*does not convolve back to the input \[1,3,3,1\]; TensorFlow refuses this too/);
  });

  it('Keras configs: dilation_rate and output_padding are read from a Keras 3 config and written to .keras, .h5 and the TF.js format', async () => {
    const json = {
      module: 'keras', class_name: 'Sequential', registered_name: null,
      config: { name: 's', layers: [
        { module: 'keras.layers', class_name: 'InputLayer', registered_name: null, config: { batch_shape: [null, 5, 4, 3], name: 'input_layer' } },
        { module: 'keras.layers', class_name: 'Conv2DTranspose', registered_name: null, config: { name: 'up', filters: 2, kernel_size: [3, 3], strides: [2, 2], padding: 'same', output_padding: [1, 0], data_format: 'channels_last', dilation_rate: [1, 1], activation: 'linear', use_bias: true } },
        { module: 'keras.layers', class_name: 'Conv2DTranspose', registered_name: null, config: { name: 'dilated', filters: 1, kernel_size: [3, 3], strides: [1, 1], padding: 'valid', output_padding: null, data_format: 'channels_last', dilation_rate: [2, 2], activation: 'linear', use_bias: true } },
      ] },
    };
    const m = modelFromJSON(JSON.stringify(json));
    const [up, dilated] = m.layers as unknown as { outputPadding: Pair | null; dilationRate: Pair }[];
    assert.deepEqual(up.outputPadding, [1, 0]);
    assert.deepEqual(dilated.dilationRate, [2, 2]);
    // (5-1)*2 + 3 - 2 + 1 = 10 rows, (4-1)*2 + 3 - 2 + 0 = 7 columns; then + (3-1)*2 each.
    assert.deepEqual(m.outputShape, [null, 14, 11, 1]);
    const written = keras3Config(m) as { config: { layers: { config: Record<string, unknown> }[] } };
    assert.deepEqual(written.config.layers[1].config.output_padding, [1, 0]);
    assert.deepEqual(written.config.layers[2].config.dilation_rate, [2, 2]);
    const x = random([2, 5, 4, 3], 9);
    const x32 = new Tensor(Float32Array.from(x.data), x.shape);
    for (const file of ['m.keras', 'm.h5', 'tfjs-dir']) {
      await m.save(join(root, file));
      const back = await loadLayersModel(join(root, file));
      assert.deepEqual(back.getConfig(), m.getConfig(), file);
      assert.deepEqual(Array.from(back.predict(x32).data), Array.from(m.predict(x32).data), file);
    }
    // A model built with the options (not read) saves them too.
    const built = sequential({ layers: [layers.conv2dTranspose({ filters: 1, kernelSize: 2, strides: 3, outputPadding: [2, 1], inputShape: [3, 3, 1], name: 'u' })] });
    assert.deepEqual((keras3Config(built) as { config: { layers: { config: Record<string, unknown> }[] } }).config.layers[1].config.output_padding, [2, 1]);
  });
});
