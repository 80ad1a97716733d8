import { allocateFloat, getFloatX, isFloat, type FloatDType } from '../tensor/dtype.js';
import { formatShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';

/**
 * Rows [start, end) of x, in the order given by `order` when present. Float inputs in the
 * model's dtype are viewed without a copy; integer inputs (uint8 pixels) are converted to
 * floats one batch at a time, so a whole dataset never needs float storage.
 */
export function batchOf(x: Tensor, order: Int32Array | null, start: number, end: number, floatDType: FloatDType | null): Tensor {
  const rows = end - start;
  const rowSize = x.shape[0] === 0 ? 0 : x.size / x.shape[0];
  const shape = [rows, ...x.shape.slice(1)];
  const wantFloat = floatDType !== null && x.dtype !== floatDType;
  if (order === null && !wantFloat) return new Tensor(x.data.subarray(start * rowSize, end * rowSize), shape);
  // Float batches go through allocateFloat, so inside a step they land in the backend's arena.
  const out = wantFloat || isFloat(x.dtype) ? allocateFloat(wantFloat ? floatDType! : (x.dtype as FloatDType), rows * rowSize) : new (x.data.constructor as Float32ArrayConstructor)(rows * rowSize);
  for (let r = 0; r < rows; r++) {
    const src = (order ? order[start + r] : start + r) * rowSize;
    if (wantFloat) {
      const dst = r * rowSize;
      for (let j = 0; j < rowSize; j++) out[dst + j] = x.data[src + j];
    } else {
      out.set(x.data.subarray(src, src + rowSize) as Float32Array, r * rowSize);
    }
  }
  return new Tensor(out, shape);
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
