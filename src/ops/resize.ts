import { formatShape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { gatherElements } from './gather.js';
import { weightedGather } from './layout.js';

/**
 * Image resizing of NHWC batches as TensorFlow 2's `tf.image.resize` does it, which is what
 * Keras's Resizing and UpSampling2D call: half-pixel centres, no antialiasing. (TF.js's
 * resizeBilinear defaults to the older corner-aligned sampling, which gives other values.)
 */

export type Interpolation = 'nearest' | 'bilinear';

function checkImages(x: Tensor, height: number, width: number, op: string): void {
  if (x.rank !== 4) throw new Error(`${op}: expected images of rank 4 [batch, height, width, channels], received shape ${formatShape(x.shape)}`);
  if (!(Number.isInteger(height) && Number.isInteger(width) && height > 0 && width > 0)) {
    throw new Error(`${op}: the target size must be positive integers, received ${height}x${width}`);
  }
}

/** Nearest neighbour: source cell floor((out + 0.5) · in / outSize), clamped. */
export function resizeNearest(x: Tensor, height: number, width: number): Tensor {
  checkImages(x, height, width, 'ResizeNearest');
  const [n, h, w, c] = x.shape;
  const rowOf = Int32Array.from({ length: height }, (_, i) => Math.min(Math.floor((i + 0.5) * (h / height)), h - 1));
  const colOf = Int32Array.from({ length: width }, (_, j) => Math.min(Math.floor((j + 0.5) * (w / width)), w - 1));
  const source = new Int32Array(n * height * width * c);
  let o = 0;
  for (let b = 0; b < n; b++) {
    for (let i = 0; i < height; i++) {
      for (let j = 0; j < width; j++) {
        const base = ((b * h + rowOf[i]) * w + colOf[j]) * c;
        for (let k = 0; k < c; k++) source[o++] = base + k;
      }
    }
  }
  return gatherElements(x, source, [n, height, width, c]);
}

/** Per output coordinate: the two source cells and the weight of the upper one. */
function linearTaps(outSize: number, inSize: number): { lo: Int32Array; hi: Int32Array; t: Float64Array } {
  const scale = inSize / outSize;
  const lo = new Int32Array(outSize);
  const hi = new Int32Array(outSize);
  const t = new Float64Array(outSize);
  for (let i = 0; i < outSize; i++) {
    const p = (i + 0.5) * scale - 0.5;
    const f = Math.floor(p);
    lo[i] = Math.max(f, 0);
    hi[i] = Math.min(Math.ceil(p), inSize - 1);
    t[i] = p - f;
  }
  return { lo, hi, t };
}

/** Bilinear interpolation between the four nearest cells (half-pixel centres). */
export function resizeBilinear(x: Tensor, height: number, width: number): Tensor {
  checkImages(x, height, width, 'ResizeBilinear');
  const [n, h, w, c] = x.shape;
  const rows = linearTaps(height, h);
  const cols = linearTaps(width, w);
  const size = n * height * width * c;
  const sources = new Int32Array(size * 4);
  const weights = new Float64Array(size * 4);
  let o = 0;
  for (let b = 0; b < n; b++) {
    for (let i = 0; i < height; i++) {
      const ty = rows.t[i];
      for (let j = 0; j < width; j++) {
        const tx = cols.t[j];
        const cells = [
          [rows.lo[i], cols.lo[j], (1 - ty) * (1 - tx)],
          [rows.lo[i], cols.hi[j], (1 - ty) * tx],
          [rows.hi[i], cols.lo[j], ty * (1 - tx)],
          [rows.hi[i], cols.hi[j], ty * tx],
        ];
        for (let k = 0; k < c; k++) {
          for (const [r, q, weight] of cells) {
            sources[o] = ((b * h + r) * w + q) * c + k;
            weights[o++] = weight;
          }
        }
      }
    }
  }
  return weightedGather(x, sources, weights, 4, [n, height, width, c]);
}

export function resizeImages(x: Tensor, height: number, width: number, interpolation: Interpolation): Tensor {
  if (interpolation === 'nearest') return resizeNearest(x, height, width);
  if (interpolation === 'bilinear') return resizeBilinear(x, height, width);
  throw new Error(`Resize: interpolation must be 'nearest' or 'bilinear', received ${JSON.stringify(interpolation)}`);
}
