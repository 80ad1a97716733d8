import { record } from '../autograd/tape.js';
import { allocateFloat, type FloatArray, type FloatDType } from '../tensor/dtype.js';
import { Tensor } from '../tensor/tensor.js';
import { floatData } from './arithmetic.js';

/**
 * y[i] = x[source[i]], or 0 where source[i] is -1. Any rearrangement of values — flips,
 * translations, crops — is one of these, and its gradient is the matching scatter-add.
 */
export function gatherElements(x: Tensor, source: Int32Array, shape: readonly number[]): Tensor {
  const data = floatData(x, 'GatherElements');
  const out = allocateFloat(x.dtype as FloatDType, source.length);
  for (let i = 0; i < source.length; i++) {
    const s = source[i];
    out[i] = s < 0 ? 0 : data[s];
  }
  const y = new Tensor(out, shape);
  record('GatherElements', [x], y, { source });
  return y;
}

export function gatherElementsGrad(dy: Tensor, x: Tensor, source: Int32Array): Tensor {
  const dx = allocateFloat(x.dtype as FloatDType, x.size);
  const g = dy.data as FloatArray;
  for (let i = 0; i < source.length; i++) {
    const s = source[i];
    if (s >= 0) dx[s] += g[i];
  }
  return new Tensor(dx, x.shape);
}
