import { record } from '../autograd/tape.js';
import { allocateFloat, type FloatArray, type FloatDType } from '../tensor/dtype.js';
import { Tensor } from '../tensor/tensor.js';
import { floatData } from './arithmetic.js';

/** log(softmax(x)) over the last axis, computed as x - max - log(sum(exp(x - max))). */
export function logSoftmax(x: Tensor): Tensor {
  const data = floatData(x, 'LogSoftmax');
  const cols = x.shape[x.rank - 1];
  const rows = x.size / cols;
  const out = allocateFloat(x.dtype as FloatDType, x.size);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    let max = -Infinity;
    for (let j = 0; j < cols; j++) if (data[base + j] > max) max = data[base + j];
    let s = 0;
    for (let j = 0; j < cols; j++) s += Math.exp(data[base + j] - max);
    const shift = max + Math.log(s);
    for (let j = 0; j < cols; j++) out[base + j] = data[base + j] - shift;
  }
  const y = new Tensor(out, x.shape);
  record('LogSoftmax', [x], y);
  return y;
}

/** dx = dy - softmax(x) * sum(dy), per row. */
export function logSoftmaxGrad(dy: Tensor, y: Tensor): Tensor {
  const cols = y.shape[y.rank - 1];
  const rows = y.size / cols;
  const out = allocateFloat(y.dtype as FloatDType, y.size);
  const g = dy.data as FloatArray;
  const ly = y.data as FloatArray;
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    let s = 0;
    for (let j = 0; j < cols; j++) s += g[base + j];
    for (let j = 0; j < cols; j++) out[base + j] = g[base + j] - Math.exp(ly[base + j]) * s;
  }
  return new Tensor(out, y.shape);
}
