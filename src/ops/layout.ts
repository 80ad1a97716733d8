import { record } from '../autograd/tape.js';
import { allocateFloat, type FloatArray, type FloatDType } from '../tensor/dtype.js';
import { formatShape, sizeOf } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { floatData } from './arithmetic.js';
import { gatherElements } from './gather.js';

/**
 * Ops that move values without arithmetic — padding, cropping, transposing, repeating, table
 * lookup — written as a gather: each output cell names the input cell it copies (-1: a zero).
 * The gather's gradient is the matching scatter-add, so all of them are differentiable through
 * one rule.
 */

function strides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

/** Visits every output index in row-major order, calling visit(flat index, multi-index). */
function forEachIndex(shape: readonly number[], visit: (flat: number, index: number[]) => void): void {
  const total = sizeOf(shape);
  const index = new Array<number>(shape.length).fill(0);
  for (let flat = 0; flat < total; flat++) {
    visit(flat, index);
    for (let a = shape.length - 1; a >= 0; a--) {
      if (++index[a] < shape[a]) break;
      index[a] = 0;
    }
  }
}

/** Zero padding: paddings[a] = [before, after] cells on axis a, as `tf.pad` with 0. */
export function pad(x: Tensor, paddings: readonly (readonly [number, number])[]): Tensor {
  if (paddings.length !== x.rank || paddings.some(([b, a]) => !(Number.isInteger(b) && Number.isInteger(a) && b >= 0 && a >= 0))) {
    throw new Error(`Pad: expected ${x.rank} pairs of non-negative integers for input shape ${formatShape(x.shape)}, received ${JSON.stringify(paddings)}`);
  }
  const outShape = x.shape.map((d, a) => d + paddings[a][0] + paddings[a][1]);
  const inStrides = strides(x.shape);
  const source = new Int32Array(sizeOf(outShape));
  forEachIndex(outShape, (flat, index) => {
    let s = 0;
    for (let a = 0; a < index.length; a++) {
      const i = index[a] - paddings[a][0];
      if (i < 0 || i >= x.shape[a]) {
        s = -1;
        break;
      }
      s += i * inStrides[a];
    }
    source[flat] = s;
  });
  return gatherElements(x, source, outShape);
}

/** The block of `size` cells starting at `begin` on every axis, as `tf.slice`. */
export function slice(x: Tensor, begin: readonly number[], size: readonly number[]): Tensor {
  const ok = begin.length === x.rank && size.length === x.rank
    && begin.every((b, a) => Number.isInteger(b) && Number.isInteger(size[a]) && b >= 0 && size[a] >= 0 && b + size[a] <= x.shape[a]);
  if (!ok) throw new Error(`Slice: begin ${JSON.stringify(begin)} and size ${JSON.stringify(size)} do not fit inside shape ${formatShape(x.shape)}`);
  const inStrides = strides(x.shape);
  const source = new Int32Array(sizeOf(size));
  forEachIndex(size, (flat, index) => {
    let s = 0;
    for (let a = 0; a < index.length; a++) s += (index[a] + begin[a]) * inStrides[a];
    source[flat] = s;
  });
  return gatherElements(x, source, size);
}

/** Axis a of the output is axis perm[a] of the input, as `tf.transpose`. */
export function transpose(x: Tensor, perm: readonly number[]): Tensor {
  const sorted = [...perm].sort((a, b) => a - b);
  if (perm.length !== x.rank || sorted.some((p, i) => p !== i)) {
    throw new Error(`Transpose: perm must be a permutation of 0..${x.rank - 1} for shape ${formatShape(x.shape)}, received ${JSON.stringify(perm)}`);
  }
  const outShape = perm.map((p) => x.shape[p]);
  const inStrides = strides(x.shape);
  const source = new Int32Array(x.size);
  forEachIndex(outShape, (flat, index) => {
    let s = 0;
    for (let a = 0; a < index.length; a++) s += index[a] * inStrides[perm[a]];
    source[flat] = s;
  });
  return gatherElements(x, source, outShape);
}

/**
 * Rows of a table: out[..., j] = table[ids[...], j], for Embedding. ids must be integers in
 * [0, rows); the gradient reaches the table only (ids are not differentiable).
 */
export function gatherRows(table: Tensor, ids: Tensor): Tensor {
  if (table.rank !== 2) throw new Error(`GatherRows: the table must have rank 2 [rows, columns], received shape ${formatShape(table.shape)}`);
  const [rows, cols] = table.shape;
  const values = ids.data;
  const source = new Int32Array(ids.size * cols);
  for (let i = 0; i < values.length; i++) {
    const id = values[i];
    if (!(Number.isInteger(id) && id >= 0 && id < rows)) {
      throw new Error(`Embedding: index ${id} at position ${i} of the input is out of range; expected integers in [0, ${rows - 1}] (inputDim ${rows})`);
    }
    for (let j = 0; j < cols; j++) source[i * cols + j] = id * cols + j;
  }
  return gatherElements(table, source, [...ids.shape, cols]);
}

/**
 * out[i] = Σₖ weights[i·k + k'] · x[sources[i·k + k']] for k' < k: a gather that blends k
 * cells, as bilinear resizing does (k = 4). Its gradient scatters dy back with the same weights.
 */
export function weightedGather(x: Tensor, sources: Int32Array, weights: Float64Array, k: number, shape: readonly number[]): Tensor {
  const data = floatData(x, 'WeightedGather');
  const n = sizeOf(shape);
  if (sources.length !== n * k || weights.length !== n * k) throw new Error(`WeightedGather: expected ${n * k} sources and weights for shape ${formatShape(shape)}`);
  const out = allocateFloat(x.dtype as FloatDType, n);
  for (let i = 0; i < n; i++) {
    let v = 0;
    for (let j = i * k; j < i * k + k; j++) v += weights[j] * data[sources[j]];
    out[i] = v;
  }
  const y = new Tensor(out, shape);
  record('WeightedGather', [x], y, { sources, weights, k });
  return y;
}

export function weightedGatherGrad(dy: Tensor, x: Tensor, sources: Int32Array, weights: Float64Array, k: number): Tensor {
  const dx = allocateFloat(x.dtype as FloatDType, x.size) as FloatArray;
  const g = dy.data;
  for (let i = 0; i < g.length; i++) {
    for (let j = i * k; j < i * k + k; j++) dx[sources[j]] += weights[j] * g[i];
  }
  return new Tensor(dx, x.shape);
}
