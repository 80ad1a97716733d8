import { record } from '../autograd/tape.js';
import { kernels } from '../kernels/registry.js';
import type { BinaryOp, UnaryOp } from '../kernels/backend.js';
import { allocateFloat, allocateKernelOutput, isFloat, type FloatArray, type FloatDType } from '../tensor/dtype.js';
import { broadcastShapes, formatShape, shapesEqual, sizeOf } from '../tensor/shape.js';
import { Tensor, scalar } from '../tensor/tensor.js';

/** The values of a float tensor, for JavaScript to read. */
export function floatData(t: Tensor, opName: string): FloatArray {
  floatStorage(t, opName);
  return t.data as FloatArray;
}

/** The storage of a float tensor, to pass to a kernel (see Tensor.storage). */
export function floatStorage(t: Tensor, opName: string): FloatArray {
  if (!isFloat(t.dtype)) throw new Error(`${opName}: expected a float32 or float64 tensor, received ${t.dtype}`);
  return t.storage as FloatArray;
}

export function sameFloatDType(a: Tensor, b: Tensor, opName: string): FloatDType {
  floatStorage(a, opName);
  floatStorage(b, opName);
  if (a.dtype !== b.dtype) throw new Error(`${opName}: dtypes differ (${a.dtype} and ${b.dtype}); cast one of them first`);
  return a.dtype as FloatDType;
}

function toTensor(x: Tensor | number, like: Tensor): Tensor {
  return typeof x === 'number' ? scalar(x, like.dtype) : x;
}

function binaryOp(op: BinaryOp, name: string, aIn: Tensor | number, bIn: Tensor | number): Tensor {
  const a = typeof aIn === 'number' ? toTensor(aIn, bIn as Tensor) : aIn;
  const b = toTensor(bIn, a);
  const dtype = sameFloatDType(a, b, name);
  const outShape = broadcastShapes(a.shape, b.shape, name);
  const out = allocateKernelOutput(dtype, sizeOf(outShape));
  kernels().binary(op, a.storage as FloatArray, a.shape, b.storage as FloatArray, b.shape, out, outShape);
  const y = new Tensor(out, outShape);
  record(name, [a, b], y);
  return y;
}

export const add = (a: Tensor | number, b: Tensor | number): Tensor => binaryOp('add', 'Add', a, b);
export const sub = (a: Tensor | number, b: Tensor | number): Tensor => binaryOp('sub', 'Sub', a, b);
export const mul = (a: Tensor | number, b: Tensor | number): Tensor => binaryOp('mul', 'Mul', a, b);
export const div = (a: Tensor | number, b: Tensor | number): Tensor => binaryOp('div', 'Div', a, b);
export const maximum = (a: Tensor | number, b: Tensor | number): Tensor => binaryOp('maximum', 'Maximum', a, b);
export const minimum = (a: Tensor | number, b: Tensor | number): Tensor => binaryOp('minimum', 'Minimum', a, b);

export function unaryOp(op: UnaryOp, name: string, x: Tensor, alpha = 0): Tensor {
  const data = floatStorage(x, name);
  const out = allocateKernelOutput(x.dtype as FloatDType, x.size);
  kernels().unary(op, data, out, alpha);
  const y = new Tensor(out, x.shape);
  record(name, [x], y, { alpha });
  return y;
}

export const neg = (x: Tensor): Tensor => unaryOp('neg', 'Neg', x);
export const exp = (x: Tensor): Tensor => unaryOp('exp', 'Exp', x);
export const log = (x: Tensor): Tensor => unaryOp('log', 'Log', x);
export const sqrt = (x: Tensor): Tensor => unaryOp('sqrt', 'Sqrt', x);
export const square = (x: Tensor): Tensor => unaryOp('square', 'Square', x);
export const abs = (x: Tensor): Tensor => unaryOp('abs', 'Abs', x);

export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  return x.reshape(shape);
}

function normalizeAxes(axis: number | readonly number[] | undefined, rank: number, opName: string): number[] {
  if (axis === undefined) return Array.from({ length: rank }, (_, i) => i);
  const list = typeof axis === 'number' ? [axis] : [...axis];
  return list.map((a) => {
    const n = a < 0 ? a + rank : a;
    if (!Number.isInteger(n) || n < 0 || n >= rank) throw new Error(`${opName}: axis ${a} is out of range for rank ${rank}`);
    return n;
  });
}

/** Sum over axes (all by default), as `tf.sum`. */
export function sum(x: Tensor, axis?: number | readonly number[], keepDims = false): Tensor {
  const data = floatStorage(x, 'Sum');
  const axes = normalizeAxes(axis, x.rank, 'Sum');
  const keptShape = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const out = allocateFloat(x.dtype as FloatDType, sizeOf(keptShape));
  kernels().reduceSum(data, x.shape, out, keptShape);
  const outShape = keepDims ? keptShape : x.shape.filter((_, i) => !axes.includes(i));
  const y = new Tensor(out, outShape);
  record('Sum', [x], y, { keptShape });
  return y;
}

export function mean(x: Tensor, axis?: number | readonly number[], keepDims = false): Tensor {
  const axes = normalizeAxes(axis, x.rank, 'Mean');
  const count = axes.reduce((p, a) => p * x.shape[a], 1);
  return div(sum(x, axes, keepDims), count);
}

/** Sums a broadcast gradient back down to the shape of the operand it came from. */
export function sumToShape(dy: Tensor, shape: readonly number[]): Tensor {
  if (shapesEqual(dy.shape, shape)) return dy;
  const lead = dy.rank - shape.length;
  if (lead < 0) throw new Error(`sumToShape: cannot reduce ${formatShape(dy.shape)} to ${formatShape(shape)}`);
  const keptShape = dy.shape.map((d, i) => (i < lead ? 1 : shape[i - lead] === 1 ? 1 : d));
  const out = allocateFloat(dy.dtype as FloatDType, sizeOf(keptShape));
  kernels().reduceSum(dy.storage as FloatArray, dy.shape, out, keptShape);
  return new Tensor(out, shape);
}

/** Clips values into [lo, hi]; the gradient passes only where the value was inside. */
export function clipByValue(x: Tensor, lo: number, hi: number): Tensor {
  const data = floatData(x, 'ClipByValue');
  const out = allocateFloat(x.dtype as FloatDType, x.size);
  for (let i = 0; i < data.length; i++) out[i] = data[i] < lo ? lo : data[i] > hi ? hi : data[i];
  const y = new Tensor(out, x.shape);
  record('ClipByValue', [x], y, { lo, hi });
  return y;
}

/** A float copy of any tensor, e.g. uint8 pixels or int32 labels. */
export function cast(x: Tensor, dtype: FloatDType | 'int32'): Tensor {
  if (x.dtype === dtype) return x;
  const out = dtype === 'int32' ? new Int32Array(x.size) : allocateFloat(dtype, x.size);
  const values = x.data;
  for (let i = 0; i < values.length; i++) out[i] = values[i];
  const y = new Tensor(out, x.shape);
  if (isFloat(x.dtype) && dtype !== 'int32') record('Cast', [x], y, { dtype: x.dtype });
  return y;
}
