import { record } from '../autograd/tape.js';
import { allocateFloat, type FloatDType } from '../tensor/dtype.js';
import { Tensor } from '../tensor/tensor.js';
import { floatData } from './arithmetic.js';

/**
 * Elementwise activations that the kernel backends do not have (ReLU6, swish, GELU, SELU, ...):
 * a reference loop for the value and one for the derivative, both from the input x. They are
 * cheap next to the convolutions around them, so no fast kernel is needed. Every formula lets a
 * NaN through (comparisons with NaN are false, and each branch returns x or a function of x).
 */
export interface PointwiseFn {
  name: string;
  f: (x: number) => number;
  /** dy/dx at x. */
  df: (x: number) => number;
}

export function pointwise(fn: PointwiseFn, x: Tensor): Tensor {
  const data = floatData(x, fn.name);
  const out = allocateFloat(x.dtype as FloatDType, x.size);
  for (let i = 0; i < data.length; i++) out[i] = fn.f(data[i]);
  const y = new Tensor(out, x.shape);
  record('Pointwise', [x], y, { fn });
  return y;
}

/** dL/dx = dL/dy · f'(x), for the gradient table. */
export function pointwiseGrad(dy: Tensor, x: Tensor, fn: PointwiseFn): Tensor {
  const g = dy.data;
  const data = x.data;
  const out = allocateFloat(x.dtype as FloatDType, x.size);
  for (let i = 0; i < out.length; i++) out[i] = g[i] * fn.df(data[i]);
  return new Tensor(out, x.shape);
}

/**
 * Keras's ReLU layer: x >= maxValue → maxValue; threshold <= x < maxValue → x;
 * x < threshold → negativeSlope · (x - threshold). maxValue null means no upper bound.
 */
export function reluFn(maxValue: number | null, negativeSlope: number, threshold: number): PointwiseFn {
  const hi = maxValue ?? Infinity;
  return {
    name: `ReLU(max_value=${maxValue}, negative_slope=${negativeSlope}, threshold=${threshold})`,
    f: (x) => (x >= hi ? hi : x < threshold ? negativeSlope * (x - threshold) : x),
    df: (x) => (x >= hi ? 0 : x < threshold ? negativeSlope : x !== x ? x : 1),
  };
}

const SELU_ALPHA = 1.6732632423543772848170429916717;
const SELU_SCALE = 1.0507009873554804934193349852946;
const SQRT1_2 = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

function sigmoidValue(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}

/**
 * erf to double precision: its Maclaurin series below |x| = 3, and the continued fraction of
 * erfc above (Math has no erf; GELU needs one whose derivative matches exp(-x²)·2/√π).
 */
export function erf(x: number): number {
  if (x !== x) return x;
  const ax = Math.abs(x);
  if (ax < 3) {
    let term = ax;
    let sum = ax;
    const x2 = ax * ax;
    for (let n = 1; n < 200; n++) {
      term *= -x2 / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    const v = (2 / Math.sqrt(Math.PI)) * sum;
    return x < 0 ? -v : v;
  }
  // erfc(x) = exp(-x²)/√π · 1/(x + 1/2/(x + 1/(x + 3/2/(x + ...)))), evaluated bottom-up.
  let frac = ax;
  for (let k = 60; k >= 1; k--) frac = ax + (k / 2) / frac;
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / frac;
  return x < 0 ? erfc - 1 : 1 - erfc;
}

export const activationFns = {
  relu6: reluFn(6, 0, 0),
  swish: {
    name: 'swish',
    f: (x: number) => x * sigmoidValue(x),
    df: (x: number) => {
      const s = sigmoidValue(x);
      return s + x * s * (1 - s);
    },
  },
  /** Exact GELU, x·Φ(x), Keras's default (approximate=False) and TF.js's 'gelu'. */
  gelu: {
    name: 'gelu',
    f: (x: number) => 0.5 * x * (1 + erf(x * SQRT1_2)),
    df: (x: number) => 0.5 * (1 + erf(x * SQRT1_2)) + x * INV_SQRT_2PI * Math.exp(-0.5 * x * x),
  },
  /** GELU's tanh approximation (Keras approximate=True, TF.js 'gelu_new'). */
  geluTanh: {
    name: 'gelu_new',
    f: (x: number) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x))),
    df: (x: number) => {
      const c = Math.sqrt(2 / Math.PI);
      const t = Math.tanh(c * (x + 0.044715 * x * x * x));
      return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * c * (1 + 3 * 0.044715 * x * x);
    },
  },
  /** max(0, min(1, 0.2x + 0.5)), as TF.js's 'hardSigmoid' and Keras 2's 'hard_sigmoid'. */
  hardSigmoid: {
    name: 'hardSigmoid',
    f: (x: number) => {
      const v = 0.2 * x + 0.5;
      return v < 0 ? 0 : v > 1 ? 1 : v;
    },
    df: (x: number) => (x !== x ? x : x > -2.5 && x < 2.5 ? 0.2 : 0),
  },
  /** relu6(x + 3) / 6 = max(0, min(1, x/6 + 0.5)): Keras 3's 'hard_sigmoid' (Keras 2's is the 0.2 slope above). */
  hardSigmoidKeras3: {
    name: 'hardSigmoidKeras3',
    f: (x: number) => {
      const v = x / 6 + 0.5;
      return v < 0 ? 0 : v > 1 ? 1 : v;
    },
    df: (x: number) => (x !== x ? x : x > -3 && x < 3 ? 1 / 6 : 0),
  },
  selu: {
    name: 'selu',
    f: (x: number) => (x > 0 ? SELU_SCALE * x : SELU_SCALE * SELU_ALPHA * (Math.exp(x) - 1)),
    df: (x: number) => (x > 0 ? SELU_SCALE : SELU_SCALE * SELU_ALPHA * Math.exp(x)),
  },
  /** log(1 + eˣ), computed so that it neither overflows nor loses small values. */
  softplus: {
    name: 'softplus',
    f: (x: number) => (x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x))),
    df: (x: number) => sigmoidValue(x),
  },
  softsign: {
    name: 'softsign',
    f: (x: number) => x / (1 + Math.abs(x)),
    df: (x: number) => 1 / ((1 + Math.abs(x)) * (1 + Math.abs(x))),
  },
  exponential: { name: 'exponential', f: Math.exp, df: Math.exp },
} satisfies Record<string, PointwiseFn>;

export const relu6 = (x: Tensor): Tensor => pointwise(activationFns.relu6, x);
export const swish = (x: Tensor): Tensor => pointwise(activationFns.swish, x);
export const gelu = (x: Tensor, approximate = false): Tensor => pointwise(approximate ? activationFns.geluTanh : activationFns.gelu, x);
export const hardSigmoid = (x: Tensor): Tensor => pointwise(activationFns.hardSigmoid, x);
export const hardSigmoidKeras3 = (x: Tensor): Tensor => pointwise(activationFns.hardSigmoidKeras3, x);
export const selu = (x: Tensor): Tensor => pointwise(activationFns.selu, x);
export const softplus = (x: Tensor): Tensor => pointwise(activationFns.softplus, x);
export const softsign = (x: Tensor): Tensor => pointwise(activationFns.softsign, x);
export const exponential = (x: Tensor): Tensor => pointwise(activationFns.exponential, x);
