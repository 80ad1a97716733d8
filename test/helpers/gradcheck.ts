import assert from 'node:assert/strict';
import { valueAndGrads } from '../../src/autograd/backprop.js';
import { Random } from '../../src/utils/random.js';
import { Tensor } from '../../src/tensor/tensor.js';

export function randomTensor(shape: number[], rng: Random, lo = -1, hi = 1): Tensor {
  const size = shape.reduce((p, d) => p * d, 1);
  const data = new Float64Array(size);
  for (let i = 0; i < size; i++) data[i] = rng.uniform(lo, hi);
  return new Tensor(data, shape);
}

/**
 * Compares analytic gradients of the scalar f() with central finite differences in float64.
 * f must read the current values of `inputs` (they are perturbed in place).
 */
export function checkGradients(name: string, f: () => Tensor, inputs: Tensor[], options: { h?: number; tolerance?: number } = {}): number {
  const h = options.h ?? 1e-6;
  const tolerance = options.tolerance ?? 1e-6;
  for (const t of inputs) assert.equal(t.dtype, 'float64', `${name}: gradient checks run in float64`);
  const { grads } = valueAndGrads(f, inputs);
  let worst = 0;
  inputs.forEach((input, k) => {
    const data = input.data as Float64Array;
    const analytic = grads[k].data;
    assert.equal(analytic.length, data.length, `${name}: gradient ${k} has the wrong size`);
    for (let i = 0; i < data.length; i++) {
      const saved = data[i];
      data[i] = saved + h;
      const plus = f().data[0];
      data[i] = saved - h;
      const minus = f().data[0];
      data[i] = saved;
      const numeric = (plus - minus) / (2 * h);
      // Relative error, with a floor so that tiny gradients are judged by absolute error (1e-8).
      const error = Math.abs(numeric - analytic[i]) / Math.max(1e-2, Math.abs(numeric) + Math.abs(analytic[i]));
      worst = Math.max(worst, error);
      assert.ok(error < tolerance, `${name}: input ${k}, element ${i}: analytic ${analytic[i]} vs numeric ${numeric} (relative error ${error.toExponential(2)})`);
    }
  });
  return worst;
}
