import { existsSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import assert from 'node:assert/strict';
import type { LayersModel } from '../../../src/models/layers_model.js';
import { Tensor } from '../../../src/tensor/tensor.js';

/** Where the Fashion-MNIST files are on this machine and in CI (Debian's dataset-fashion-mnist). */
const DIRS = [process.env.CONVLAB_FASHION_MNIST_DIR, '/usr/share/datasets/fashion-mnist', '/work/shared/datasets/fashion-mnist'];

/**
 * The first n Fashion-MNIST test images as float32 pixels in [0, 255], NHWC [n, 28, 28, 1], and
 * their labels: real inputs for comparing predictions. Read directly (IDX is a 16-byte header
 * and raw bytes) so these tests do not depend on the datasets module.
 */
export function fashionMnistSample(n: number, offset = 0): { x: Tensor; y: Tensor } {
  const dir = DIRS.find((d) => d && existsSync(`${d}/t10k-images-idx3-ubyte.gz`));
  if (!dir) throw new Error(`Fashion-MNIST not found in ${DIRS.filter(Boolean).join(', ')}; install the Debian package dataset-fashion-mnist or set CONVLAB_FASHION_MNIST_DIR`);
  const images = gunzipSync(readFileSync(`${dir}/t10k-images-idx3-ubyte.gz`));
  const labels = gunzipSync(readFileSync(`${dir}/t10k-labels-idx1-ubyte.gz`));
  const px = new Float32Array(n * 784);
  for (let i = 0; i < px.length; i++) px[i] = images[16 + offset * 784 + i];
  const ys = new Float32Array(n);
  for (let i = 0; i < n; i++) ys[i] = labels[8 + offset + i];
  return { x: new Tensor(px, [n, 28, 28, 1]), y: new Tensor(new Int32Array(ys), [n]) };
}

/** Deterministic pseudo-random values in [lo, hi), for inputs of any shape. */
export function randomInput(shape: number[], seed = 1, lo = 0, hi = 1): Tensor {
  const size = shape.reduce((p, d) => p * d, 1);
  const data = new Float32Array(size);
  let s = seed >>> 0;
  for (let i = 0; i < size; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[i] = lo + ((s >>> 8) / 16777216) * (hi - lo);
  }
  return new Tensor(data, shape);
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Weight names and bytes (and array types) of two models equal, weight by weight: a bit-identical round trip. */
export function assertSameWeights(a: LayersModel, b: LayersModel, what: string): void {
  assert.deepEqual(b.weights.map((w) => w.name), a.weights.map((w) => w.name), `${what}: weight names`);
  a.weights.forEach((w, i) => {
    const x = w.value.data;
    const y = b.weights[i].value.data;
    assert.equal(y.constructor, x.constructor, `${what}: ${w.name} dtype`);
    assert.ok(Buffer.from(x.buffer, x.byteOffset, x.byteLength).equals(Buffer.from(y.buffer, y.byteOffset, y.byteLength)), `${what}: ${w.name} differs`);
  });
}
