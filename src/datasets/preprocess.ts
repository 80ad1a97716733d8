/**
 * Turning uint8 datasets into network inputs without materialising everything as floats:
 * `toFloat` for a whole (small) set, `normalizeBatch` / `batches` per batch. Browser-safe.
 */
import { Tensor } from '../tensor/tensor.js';
import { Random } from '../utils/random.js';
import type { Split } from './types.js';

export interface ScaleOptions {
  /** Multiplier applied to each uint8 value (default 1/255, giving [0, 1]). */
  scale?: number;
  /** Added after scaling (default 0); e.g. scale 2/255 and offset -1 give [-1, 1]. */
  offset?: number;
}

function rowSize(images: Tensor): number {
  if (images.rank < 1) throw new Error(`expected a tensor with a batch dimension, received shape [${images.shape.join(', ')}]`);
  return images.shape.slice(1).reduce((a, b) => a * b, 1);
}

/** The whole tensor as float32, `value * scale + offset` (default: [0, 1]), same shape (NHWC). */
export function toFloat(images: Tensor, options: ScaleOptions = {}): Tensor {
  return normalizeBatch(images, 0, images.shape[0] ?? 1, options);
}

/**
 * Rows `start` (inclusive) to `end` (exclusive) of `images` as a float32 Tensor
 * `[end-start, ...rest]`, scaled (default 1/255), so a large uint8 set is converted one batch
 * at a time.
 */
export function normalizeBatch(images: Tensor, start: number, end: number, options: ScaleOptions = {}): Tensor {
  const n = images.shape[0];
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > n || start > end) {
    throw new Error(`normalizeBatch: rows [${start}, ${end}) out of range for ${n} images`);
  }
  const scale = options.scale ?? 1 / 255;
  const offset = options.offset ?? 0;
  const row = rowSize(images);
  const src = images.data;
  const out = new Float32Array((end - start) * row);
  const base = start * row;
  if (offset === 0) {
    for (let i = 0; i < out.length; i++) out[i] = src[base + i] * scale;
  } else {
    for (let i = 0; i < out.length; i++) out[i] = src[base + i] * scale + offset;
  }
  return new Tensor(out, [end - start, ...images.shape.slice(1)]);
}

/** The rows of `images` at `indices`, as float32 scaled (default 1/255). */
export function gatherBatch(images: Tensor, indices: ArrayLike<number>, options: ScaleOptions = {}): Tensor {
  const n = images.shape[0];
  const scale = options.scale ?? 1 / 255;
  const offset = options.offset ?? 0;
  const row = rowSize(images);
  const src = images.data;
  const out = new Float32Array(indices.length * row);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k];
    if (!(i >= 0 && i < n)) throw new Error(`gatherBatch: index ${i} out of range for ${n} images`);
    const s = i * row;
    const d = k * row;
    for (let j = 0; j < row; j++) out[d + j] = src[s + j] * scale + offset;
  }
  return new Tensor(out, [indices.length, ...images.shape.slice(1)]);
}

/** The labels at `indices`, keeping their dtype (uint8 for the built-in datasets). */
export function gatherLabels(labels: Tensor, indices: ArrayLike<number>): Tensor {
  const row = rowSize(labels);
  const src = labels.data;
  const out = new (src.constructor as new (n: number) => typeof src)(indices.length * row);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k];
    if (!(i >= 0 && i < labels.shape[0])) throw new Error(`gatherLabels: index ${i} out of range for ${labels.shape[0]} labels`);
    for (let j = 0; j < row; j++) out[k * row + j] = src[i * row + j];
  }
  return new Tensor(out, [indices.length, ...labels.shape.slice(1)]);
}

export interface BatchOptions extends ScaleOptions {
  batchSize: number;
  /** Visit the examples in a random order (default false). */
  shuffle?: boolean;
  /** Seed for the shuffle, for reproducible order. */
  seed?: number;
  /** Skip a last batch smaller than batchSize (default false). */
  dropRemainder?: boolean;
}

export interface Batch {
  /** float32 [b, ...] scaled images. */
  xs: Tensor;
  /** labels of the same rows, dtype kept. */
  ys: Tensor;
  /** Index of this batch, from 0. */
  index: number;
  /** Number of rows in it. */
  size: number;
}

/**
 * Iterates over (images, labels) in float32 batches: at most one batch of floats exists at a
 * time, so CIFAR-10's 150 MB of uint8 never becomes 600 MB of float32.
 */
export function* batches(images: Tensor, labels: Tensor, options: BatchOptions): Generator<Batch> {
  const n = images.shape[0];
  if (labels.shape[0] !== n) {
    throw new Error(`batches: ${n} images but ${labels.shape[0]} labels`);
  }
  const { batchSize } = options;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`batches: batchSize must be a positive integer, received ${batchSize}`);
  const lrow = rowSize(labels);
  const order = options.shuffle ? new Random(options.seed).permutation(n) : null;
  let index = 0;
  for (let start = 0; start < n; start += batchSize) {
    const end = Math.min(n, start + batchSize);
    if (options.dropRemainder && end - start < batchSize) break;
    if (order) {
      const idx = order.subarray(start, end);
      yield { xs: gatherBatch(images, idx, options), ys: gatherLabels(labels, idx), index: index++, size: end - start };
    } else {
      yield {
        xs: normalizeBatch(images, start, end, options),
        ys: new Tensor(labels.data.subarray(start * lrow, end * lrow), [end - start, ...labels.shape.slice(1)]),
        index: index++,
        size: end - start,
      };
    }
  }
}

/** The first `n` examples of a split (from `offset`), as views: no copy. */
export function subset(split: Split, n: number, offset = 0): Split {
  const total = split.images.shape[0];
  if (!Number.isInteger(n) || !Number.isInteger(offset) || n < 0 || offset < 0 || offset + n > total) {
    throw new Error(`subset: rows [${offset}, ${offset + n}) out of range for ${total} examples`);
  }
  const row = rowSize(split.images);
  const lrow = rowSize(split.labels);
  return {
    images: new Tensor(split.images.data.subarray(offset * row, (offset + n) * row), [n, ...split.images.shape.slice(1)]),
    labels: new Tensor(split.labels.data.subarray(offset * lrow, (offset + n) * lrow), [n, ...split.labels.shape.slice(1)]),
    count: n,
  };
}
