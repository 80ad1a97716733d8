import { kernels } from '../kernels/registry.js';
import { allocateKernelOutput, getFloatX, inArena, isFloat, onHeap, type FloatArray, type FloatDType } from '../tensor/dtype.js';
import { nonFiniteError } from './input_checks.js';
import { formatShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';

/**
 * Rows [start, end) of x, in the order given by `order` when present. Float inputs in the
 * model's dtype are viewed without a copy outside a step arena; inside one, float32 rows are
 * copied into it once (a heap view would be copied in again by every kernel that reads it: the
 * forward convolution and its filter gradient). Integer inputs (uint8 pixels) are converted to
 * floats one batch at a time, so a whole dataset never needs float storage.
 */
export function batchOf(x: Tensor, order: Int32Array | null, start: number, end: number, floatDType: FloatDType | null): Tensor {
  const rows = end - start;
  const rowSize = x.shape[0] === 0 ? 0 : x.size / x.shape[0];
  const shape = [rows, ...x.shape.slice(1)];
  const wantFloat = floatDType !== null && x.dtype !== floatDType;
  const values = x.data;
  if (order === null && !wantFloat && !(x.dtype === 'float32' && inArena())) return new Tensor(values.subarray(start * rowSize, end * rowSize), shape);
  // Float batches land in the backend's arena inside a step; every row is written below, so
  // that memory need not be zeroed first.
  const out = wantFloat || isFloat(x.dtype) ? allocateKernelOutput(wantFloat ? floatDType! : (x.dtype as FloatDType), rows * rowSize) : new (values.constructor as Float32ArrayConstructor)(rows * rowSize);
  for (let r = 0; r < rows; r++) {
    const src = (order ? order[start + r] : start + r) * rowSize;
    if (wantFloat) {
      const dst = r * rowSize;
      for (let j = 0; j < rowSize; j++) out[dst + j] = values[src + j];
    } else {
      out.set(values.subarray(src, src + rowSize) as Float32Array, r * rowSize);
    }
  }
  return new Tensor(out, shape);
}

/**
 * batchOf for targets: on the JS heap even inside a step. Targets are small, and JavaScript reads
 * them (labels, metrics) while the step's kernels may still be running: reading a tensor in the
 * arena would wait for those kernels (src/kernels/wasm/engine.ts).
 */
export function targetBatchOf(y: Tensor, order: Int32Array | null, start: number, end: number): Tensor {
  return onHeap(() => batchOf(y, order, start, end, null));
}

/** The float dtype a model input is converted to. */
export function inputFloatDType(x: Tensor): FloatDType {
  return isFloat(x.dtype) ? (x.dtype as FloatDType) : getFloatX();
}

export function checkTensor(value: unknown, name: string, what: string): asserts value is Tensor {
  if (!(value instanceof Tensor)) {
    const got = Array.isArray(value) ? 'an array' : value === null ? 'null' : ArrayBuffer.isView(value) ? 'a typed array' : typeof value;
    throw new Error(`${what}: expected ${name} to be a Tensor, received ${got}; wrap values with tensor(values, shape)`);
  }
}

export function checkSameLength(x: Tensor, y: Tensor, what: string): void {
  checkTensor(x, 'x', what);
  checkTensor(y, 'y', what);
  if (x.rank === 0 || y.rank === 0) throw new Error(`${what}: x and y need a batch axis, received shapes ${formatShape(x.shape)} and ${formatShape(y.shape)}`);
  if (x.shape[0] !== y.shape[0]) {
    throw new Error(`${what}: x has ${x.shape[0]} samples but y has ${y.shape[0]} (shapes ${formatShape(x.shape)} and ${formatShape(y.shape)}); they must match`);
  }
}

/**
 * A float batch of x (rows from `start`, as batchOf made it) checked for NaN and ±Infinity by the
 * backend: copied first into the step's memory when it is still a view of x, so that the copy a
 * kernel would make anyway is the one checked (the wasm backend's kernel is SIMD; a JavaScript
 * pass over predict's whole input cost about a sixth of the lab CNN's prediction on one thread). The error names the sample in x, as checkInputs' does.
 */
export function checkedFloatBatch(batch: Tensor, x: Tensor, start: number, name: string, what: string): Tensor {
  if (!isFloat(x.dtype)) return batch;
  let data = batch.storage as FloatArray;
  if (data.buffer === x.data.buffer) {
    const copy = allocateKernelOutput(batch.dtype as FloatDType, data.length);
    copy.set(data);
    data = copy;
  }
  const i = kernels().firstNonFinite(data);
  if (i >= 0) throw nonFiniteError(x, start * (batch.size / Math.max(1, batch.shape[0])) + i, name, what);
  return data === batch.storage ? batch : new Tensor(data, batch.shape);
}
