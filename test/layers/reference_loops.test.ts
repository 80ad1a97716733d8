import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { layers, type Layer } from '../../src/index.js';
import { noGrad } from '../../src/autograd/tape.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { Random } from '../../src/utils/random.js';

/**
 * Each layer against plain loops written from Keras's definition, independently of convlab's
 * ops (no shared index helpers): shapes and values, on random inputs and weights in float64.
 */

function random(shape: number[], seed: number, lo = -1, hi = 1): Tensor {
  const rng = new Random(seed);
  const n = shape.reduce((p, d) => p * d, 1);
  return new Tensor(Float64Array.from({ length: n }, () => rng.uniform(lo, hi)), shape);
}

function fillWeights(layer: Layer, seed: number): void {
  const rng = new Random(seed);
  for (const w of layer.weights) for (let i = 0; i < w.value.size; i++) w.value.data[i] = rng.uniform(-1, 1);
}

/** Value at a multi-index of a row-major array. */
function at(t: Tensor, ...index: number[]): number {
  let o = 0;
  for (let a = 0; a < index.length; a++) o = o * t.shape[a] + index[a];
  return t.data[o];
}

function close(actual: Tensor, expectedShape: number[], expected: (idx: number[]) => number, tol = 1e-12): void {
  assert.deepEqual([...actual.shape], expectedShape);
  const idx = expectedShape.map(() => 0);
  for (let flat = 0; flat < actual.size; flat++) {
    const e = expected(idx);
    const a = actual.data[flat];
    assert.ok(Math.abs(a - e) <= tol * Math.max(1, Math.abs(e)), `at [${idx}]: ${a} vs ${e}`);
    for (let k = idx.length - 1; k >= 0; k--) {
      if (++idx[k] < expectedShape[k]) break;
      idx[k] = 0;
    }
  }
}

const run = (layer: Layer, x: Tensor): Tensor => noGrad(() => layer.apply(x));

/** TensorFlow's 'same' padding before the first cell. */
function padBefore(size: number, k: number, s: number, d: number): number {
  const out = Math.ceil(size / s);
  return Math.floor(Math.max((out - 1) * s + (k - 1) * d + 1 - size, 0) / 2);
}

describe('Keras layers against independent loops', () => {
  it('ZeroPadding2D and Cropping2D', () => {
    const x = random([2, 3, 4, 2], 1);
    close(run(layers.zeroPadding2d({ padding: [[1, 2], [3, 0]], dtype: 'float64' }), x), [2, 6, 7, 2], ([b, i, j, c]) =>
      i >= 1 && i < 4 && j >= 3 ? at(x, b, i - 1, j - 3, c) : 0);
    close(run(layers.cropping2d({ cropping: [[1, 1], [0, 2]], dtype: 'float64' }), x), [2, 1, 2, 2], ([b, i, j, c]) => at(x, b, i + 1, j, c));
    close(run(layers.centerCrop({ height: 1, width: 3, dtype: 'float64' }), x), [2, 1, 3, 2], ([b, i, j, c]) => at(x, b, i + 1, j, c));
  });

  it('UpSampling2D nearest repeats; bilinear and Resizing follow tf.image.resize (half-pixel centres)', () => {
    const x = random([1, 3, 4, 2], 2);
    close(run(layers.upSampling2d({ size: [2, 3], dtype: 'float64' }), x), [1, 6, 12, 2], ([b, i, j, c]) => at(x, b, Math.floor(i / 2), Math.floor(j / 3), c));
    const bilinear = (t: Tensor, h: number, w: number) => ([b, i, j, c]: number[]): number => {
      const src = (o: number, outSize: number, inSize: number): [number, number, number] => {
        const p = Math.max((o + 0.5) * (inSize / outSize) - 0.5, 0);
        const lo = Math.min(Math.floor(p), inSize - 1);
        return [lo, Math.min(lo + 1, inSize - 1), p - Math.floor(p)];
      };
      const [y0, y1, ty] = src(i, h, t.shape[1]);
      const [x0, x1, tx] = src(j, w, t.shape[2]);
      const top = at(t, b, y0, x0, c) * (1 - tx) + at(t, b, y0, x1, c) * tx;
      const bottom = at(t, b, y1, x0, c) * (1 - tx) + at(t, b, y1, x1, c) * tx;
      return top * (1 - ty) + bottom * ty;
    };
    close(run(layers.upSampling2d({ size: 2, interpolation: 'bilinear', dtype: 'float64' }), x), [1, 6, 8, 2], bilinear(x, 6, 8));
    close(run(layers.resizing({ height: 5, width: 3, dtype: 'float64' }), x), [1, 5, 3, 2], bilinear(x, 5, 3));
    // Nearest with half-pixel centres: source floor((o + 0.5) · in / out).
    close(run(layers.resizing({ height: 2, width: 7, interpolation: 'nearest', dtype: 'float64' }), x), [1, 2, 7, 2], ([b, i, j, c]) =>
      at(x, b, Math.floor((i + 0.5) * 1.5), Math.floor((j + 0.5) * (4 / 7)), c));
    // cropToAspectRatio: 3x4 cropped to 3x3 (centred), then resized to 2x2.
    const crop = new Tensor(Float64Array.from({ length: 18 }, (_, k) => at(x, 0, Math.floor(k / 6), Math.floor(k / 2) % 3, k % 2)), [1, 3, 3, 2]);
    close(run(layers.resizing({ height: 2, width: 2, cropToAspectRatio: true, dtype: 'float64' }), x), [1, 2, 2, 2], bilinear(crop, 2, 2));
  });

  it('Reshape and Permute', () => {
    const x = random([2, 3, 4, 2], 3);
    close(run(layers.reshape({ targetShape: [4, -1], dtype: 'float64' }), x), [2, 4, 6], ([b, i, j]) => x.data[b * 24 + i * 6 + j]);
    close(run(layers.permute({ dims: [3, 1, 2], dtype: 'float64' }), x), [2, 2, 3, 4], ([b, c, i, j]) => at(x, b, i, j, c));
  });

  it('ReLU with every argument, and the activations from their formulas', () => {
    const x = random([4, 50], 4, -8, 8);
    close(run(layers.reLU({ maxValue: 6, negativeSlope: 0.1, threshold: 0.5, dtype: 'float64' }), x), [4, 50], ([i, j]) => {
      const v = at(x, i, j);
      return v >= 6 ? 6 : v >= 0.5 ? v : 0.1 * (v - 0.5);
    });
    const sig = (v: number): number => 1 / (1 + Math.exp(-v));
    // erf by Simpson's rule on 2/√π ∫₀ˣ e^{-t²} dt, independent of the series convlab uses.
    const erf = (v: number): number => {
      const n = 2000;
      const h = v / n;
      let s = 1 + Math.exp(-v * v);
      for (let k = 1; k < n; k++) s += (k % 2 ? 4 : 2) * Math.exp(-((k * h) ** 2));
      return (2 / Math.sqrt(Math.PI)) * (h / 3) * s;
    };
    const formulas: Record<string, (v: number) => number> = {
      relu6: (v) => Math.min(Math.max(v, 0), 6),
      swish: (v) => v * sig(v),
      silu: (v) => v * sig(v),
      gelu: (v) => 0.5 * v * (1 + erf(v / Math.SQRT2)),
      gelu_new: (v) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3))),
      hard_sigmoid: (v) => Math.min(Math.max(0.2 * v + 0.5, 0), 1),
      selu: (v) => (v > 0 ? 1.0507009873554805 * v : 1.0507009873554805 * 1.6732632423543772 * (Math.exp(v) - 1)),
      softplus: (v) => Math.log(1 + Math.exp(v)),
      softsign: (v) => v / (1 + Math.abs(v)),
      exponential: Math.exp,
    };
    for (const [name, f] of Object.entries(formulas)) {
      close(run(layers.activation({ activation: name, dtype: 'float64' }), x), [4, 50], ([i, j]) => f(at(x, i, j)), 1e-10);
    }
    // NaN goes through every one of them.
    const nan = new Tensor(new Float64Array([NaN, 1]), [1, 2]);
    for (const name of Object.keys(formulas)) assert.ok(Number.isNaN(run(layers.activation({ activation: name, dtype: 'float64' }), nan).data[0]), name);
    assert.ok(Number.isNaN(run(layers.reLU({ maxValue: 6, negativeSlope: 0.1, dtype: 'float64' }), nan).data[0]));
  });

  it('Softmax over a middle axis, PReLU, LeakyReLU, ELU', () => {
    const x = random([2, 3, 4], 5, -3, 3);
    close(run(layers.softmax({ axis: 1, dtype: 'float64' }), x), [2, 3, 4], ([b, i, j]) => {
      let s = 0;
      for (let k = 0; k < 3; k++) s += Math.exp(at(x, b, k, j));
      return Math.exp(at(x, b, i, j)) / s;
    });
    const prelu = layers.prelu({ sharedAxes: [1], dtype: 'float64' });
    run(prelu, x);
    fillWeights(prelu, 1);
    assert.deepEqual([...prelu.weights[0].shape], [1, 4]);
    close(run(prelu, x), [2, 3, 4], ([b, i, j]) => {
      const v = at(x, b, i, j);
      return v > 0 ? v : prelu.weights[0].value.data[j] * v;
    });
    close(run(layers.leakyReLU({ alpha: 0.2, dtype: 'float64' }), x), [2, 3, 4], ([b, i, j]) => Math.max(at(x, b, i, j), 0.2 * at(x, b, i, j)));
    close(run(layers.elu({ alpha: 0.5, dtype: 'float64' }), x), [2, 3, 4], ([b, i, j]) => (at(x, b, i, j) > 0 ? at(x, b, i, j) : 0.5 * (Math.exp(at(x, b, i, j)) - 1)));
  });

  for (const [strides, padding, dilation] of [[1, 'same', 1], [2, 'valid', 1], [2, 'same', 1], [1, 'same', 2], [1, 'valid', 2]] as const) {
    it(`DepthwiseConv2D and SeparableConv2D, strides ${strides}, ${padding}, dilation ${dilation}`, () => {
      const x = random([2, 6, 5, 3], 6);
      const dw = layers.depthwiseConv2d({ kernelSize: [3, 2], strides, padding, dilationRate: dilation, depthMultiplier: 2, dtype: 'float64' });
      const y = run(dw, x);
      fillWeights(dw, 2);
      const [kernel, bias] = dw.weights.map((w) => w.value);
      const kh = 3;
      const kw = 2;
      const outH = padding === 'same' ? Math.ceil(6 / strides) : Math.floor((6 - (kh - 1) * dilation - 1) / strides) + 1;
      const outW = padding === 'same' ? Math.ceil(5 / strides) : Math.floor((5 - (kw - 1) * dilation - 1) / strides) + 1;
      const top = padding === 'same' ? padBefore(6, kh, strides, dilation) : 0;
      const left = padding === 'same' ? padBefore(5, kw, strides, dilation) : 0;
      const depthwise = (b: number, i: number, j: number, ch: number): number => {
        const c = Math.floor(ch / 2);
        const m = ch % 2;
        let s = 0;
        for (let u = 0; u < kh; u++) for (let v = 0; v < kw; v++) {
          const r = i * strides - top + u * dilation;
          const q = j * strides - left + v * dilation;
          if (r >= 0 && r < 6 && q >= 0 && q < 5) s += at(x, b, r, q, c) * at(kernel, u, v, c, m);
        }
        return s;
      };
      assert.deepEqual([...y.shape], [2, outH, outW, 6]);
      close(run(dw, x), [2, outH, outW, 6], ([b, i, j, ch]) => depthwise(b, i, j, ch) + bias.data[ch]);
      const sep = layers.separableConv2d({ filters: 4, kernelSize: [3, 2], strides, padding, dilationRate: dilation, depthMultiplier: 2, dtype: 'float64' });
      run(sep, x);
      sep.weights[0].assign(kernel);
      fillWeights({ weights: sep.weights.slice(1) } as Layer, 3);
      const [, pointwise, sepBias] = sep.weights.map((w) => w.value);
      close(run(sep, x), [2, outH, outW, 4], ([b, i, j, f]) => {
        let s = sepBias.data[f];
        for (let ch = 0; ch < 6; ch++) s += depthwise(b, i, j, ch) * at(pointwise, 0, 0, ch, f);
        return s;
      });
    });
  }

  for (const [strides, padding] of [[1, 'valid'], [2, 'valid'], [2, 'same'], [3, 'same']] as const) {
    it(`Conv2DTranspose, strides ${strides}, ${padding}: each input cell scatters kernel · value`, () => {
      const x = random([2, 3, 2, 3], 7);
      const layer = layers.conv2dTranspose({ filters: 2, kernelSize: [3, 2], strides, padding, dtype: 'float64' });
      run(layer, x);
      fillWeights(layer, 4);
      const [kernel, bias] = layer.weights.map((w) => w.value);
      // Keras's output length, and the cells the 'same' convolution it inverts padded in front.
      const full = (n: number, k: number): number => n * strides + Math.max(k - strides, 0);
      const outH = padding === 'same' ? 3 * strides : full(3, 3);
      const outW = padding === 'same' ? 2 * strides : full(2, 2);
      const top = padding === 'same' ? Math.floor(Math.max((3 - 1) * strides + 3 - outH, 0) / 2) : 0;
      const left = padding === 'same' ? Math.floor(Math.max((2 - 1) * strides + 2 - outW, 0) / 2) : 0;
      const out = new Float64Array(2 * outH * outW * 2);
      for (let b = 0; b < 2; b++) for (let i = 0; i < 3; i++) for (let j = 0; j < 2; j++) for (let c = 0; c < 3; c++) {
        for (let u = 0; u < 3; u++) for (let v = 0; v < 2; v++) for (let f = 0; f < 2; f++) {
          const r = i * strides - top + u;
          const q = j * strides - left + v;
          if (r >= 0 && r < outH && q >= 0 && q < outW) out[((b * outH + r) * outW + q) * 2 + f] += at(x, b, i, j, c) * at(kernel, u, v, f, c);
        }
      }
      close(run(layer, x), [2, outH, outW, 2], ([b, r, q, f]) => out[((b * outH + r) * outW + q) * 2 + f] + bias.data[f]);
    });
  }

  it('Conv1D (valid, same, causal with dilation), 1-D pooling, global pooling', () => {
    const x = random([2, 7, 3], 8);
    for (const [padding, strides, dilation] of [['valid', 1, 1], ['same', 2, 1], ['causal', 1, 2]] as const) {
      const layer = layers.conv1d({ filters: 2, kernelSize: 3, strides, padding, dilationRate: dilation, dtype: 'float64' });
      run(layer, x);
      fillWeights(layer, 5);
      const [kernel, bias] = layer.weights.map((w) => w.value);
      const span = 2 * dilation + 1;
      const before = padding === 'causal' ? 2 * dilation : padding === 'same' ? padBefore(7, 3, strides, dilation) : 0;
      const steps = padding === 'valid' ? Math.floor((7 - span) / strides) + 1 : padding === 'same' ? Math.ceil(7 / strides) : 7;
      close(run(layer, x), [2, steps, 2], ([b, t, f]) => {
        let s = bias.data[f];
        for (let k = 0; k < 3; k++) {
          const p = t * strides - before + k * dilation;
          if (p >= 0 && p < 7) for (let c = 0; c < 3; c++) s += at(x, b, p, c) * at(kernel, k, c, f);
        }
        return s;
      });
    }
    close(run(layers.maxPooling1d({ poolSize: 2, dtype: 'float64' }), x), [2, 3, 3], ([b, t, c]) => Math.max(at(x, b, 2 * t, c), at(x, b, 2 * t + 1, c)));
    close(run(layers.averagePooling1d({ poolSize: 3, strides: 2, padding: 'same', dtype: 'float64' }), x), [2, 4, 3], ([b, t, c]) => {
      const cells = [2 * t - 1, 2 * t, 2 * t + 1].filter((p) => p >= 0 && p < 7);
      return cells.reduce((s, p) => s + at(x, b, p, c), 0) / cells.length;
    });
    close(run(layers.globalMaxPooling1d({ dtype: 'float64' }), x), [2, 3], ([b, c]) => Math.max(...Array.from({ length: 7 }, (_, t) => at(x, b, t, c))));
    close(run(layers.globalAveragePooling1d({ dtype: 'float64' }), x), [2, 3], ([b, c]) => Array.from({ length: 7 }, (_, t) => at(x, b, t, c)).reduce((p, v) => p + v) / 7);
    const img = random([2, 3, 4, 2], 9);
    close(run(layers.globalMaxPooling2d({ dtype: 'float64' }), img), [2, 2], ([b, c]) => Math.max(...Array.from({ length: 12 }, (_, k) => at(img, b, Math.floor(k / 4), k % 4, c))));
  });

  it('LayerNormalization, Normalization (given and adapted), Embedding, merge layers', () => {
    const x = random([3, 2, 5], 10, -2, 2);
    const ln = layers.layerNormalization({ epsilon: 1e-3, dtype: 'float64' });
    run(ln, x);
    fillWeights(ln, 6);
    const [gamma, beta] = ln.weights.map((w) => w.value);
    close(run(ln, x), [3, 2, 5], ([b, i, j]) => {
      const row = Array.from({ length: 5 }, (_, k) => at(x, b, i, k));
      const m = row.reduce((p, v) => p + v) / 5;
      const v = row.reduce((p, e) => p + (e - m) ** 2, 0) / 5;
      return ((at(x, b, i, j) - m) / Math.sqrt(v + 1e-3)) * gamma.data[j] + beta.data[j];
    }, 1e-10);
    const given = layers.normalization({ mean: 0.5, variance: 4, dtype: 'float64' });
    close(run(given, x), [3, 2, 5], ([b, i, j]) => (at(x, b, i, j) - 0.5) / 2);
    const adapted = layers.normalization({ axis: -1, dtype: 'float64' });
    adapted.adapt(x);
    // Keras's weights, in Keras's order: mean, variance, count (the reduced elements per feature).
    assert.deepEqual(adapted.weights.map((w) => w.name.split('/')[1]), ['mean', 'variance', 'count']);
    assert.equal(adapted.weights[2].value.data[0], 6);
    close(run(adapted, x), [3, 2, 5], ([b, i, j]) => {
      const col = Array.from({ length: 6 }, (_, k) => at(x, Math.floor(k / 2), k % 2, j));
      const m = col.reduce((p, v) => p + v) / 6;
      const v = col.reduce((p, e) => p + (e - m) ** 2, 0) / 6;
      return (at(x, b, i, j) - m) / Math.sqrt(v);
    }, 1e-10);
    const emb = layers.embedding({ inputDim: 5, outputDim: 3, dtype: 'float64' });
    const ids = new Tensor(new Float64Array([4, 0, 2, 2, 1, 3]), [2, 3]);
    run(emb, ids);
    close(run(emb, ids), [2, 3, 3], ([b, t, j]) => at(emb.weights[0].value, at(ids, b, t), j));
    assert.throws(() => run(emb, new Tensor(new Float64Array([0, 5, 1]), [1, 3])), /index 5 at position 1 .* out of range; expected integers in \[0, 4\]/);
    const a = random([2, 3], 11);
    const c = random([2, 3], 12);
    const merged = (layer: Layer): Tensor => noGrad(() => layer.applyTensors([a, c], false));
    close(merged(layers.multiply()), [2, 3], ([i, j]) => at(a, i, j) * at(c, i, j));
    close(merged(layers.subtract()), [2, 3], ([i, j]) => at(a, i, j) - at(c, i, j));
    close(merged(layers.average()), [2, 3], ([i, j]) => (at(a, i, j) + at(c, i, j)) / 2);
    close(merged(layers.maximum()), [2, 3], ([i, j]) => Math.max(at(a, i, j), at(c, i, j)));
    close(merged(layers.minimum()), [2, 3], ([i, j]) => Math.min(at(a, i, j), at(c, i, j)));
  });
});
