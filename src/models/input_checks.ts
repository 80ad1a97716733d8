/**
 * Checks made once on the data given to fit, evaluate and predict, before any work: at least one
 * sample, and no NaN or ±Infinity in float inputs. A NaN pixel would otherwise surface only as a
 * NaN loss some batches later (or, through a layer that hides it, never), far from its cause.
 */
import { isFloat } from '../tensor/dtype.js';
import { formatShape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { firstNonFinite } from '../kernels/reference/elementwise.js';

/** Fails when `x` has no samples: Keras refuses empty data too. */
export function checkNotEmpty(x: Tensor, name: string, what: string): void {
  if (x.rank > 0 && x.shape[0] === 0) {
    throw new Error(`${what}: ${name} has 0 samples (shape ${formatShape(x.shape)}); expected at least one`);
  }
}

/** Index of each axis of flat position `i` in `shape`. */
function unravel(i: number, shape: readonly number[]): number[] {
  const index = new Array<number>(shape.length);
  for (let a = shape.length - 1; a >= 0; a--) {
    index[a] = i % shape[a];
    i = Math.floor(i / shape[a]);
  }
  return index;
}

/**
 * Fails on the first NaN or ±Infinity of a float tensor, naming the tensor, the sample and the
 * element. Integer tensors (uint8 pixels, labels) cannot hold either and are not read.
 */
export function checkFinite(x: Tensor, name: string, what: string): void {
  if (!isFloat(x.dtype)) return;
  const i = firstNonFinite(x.data as Float32Array | Float64Array);
  if (i >= 0) throw nonFiniteError(x, i, name, what);
}

/** The error for element i (flat) of x, a NaN or ±Infinity. */
export function nonFiniteError(x: Tensor, i: number, name: string, what: string): Error {
  const index = unravel(i, x.shape);
  return new Error(
    `${what}: ${name} holds ${x.data[i]} at sample ${index[0]} (element [${index.join(', ')}] of shape ${formatShape(x.shape)}); ` +
      `the data is corrupt or was not normalised. Fix the data, or pass checkFinite: false to skip this check`,
  );
}

/** Both checks for the tensors of one call, in order. */
export function checkInputs(tensors: Array<[Tensor, string]>, what: string, finite: boolean | undefined): void {
  for (const [t, name] of tensors) checkNotEmpty(t, name, what);
  if (finite === false) return;
  for (const [t, name] of tensors) checkFinite(t, name, what);
}
