import type { ActivationGradOp, Conv2DInfo, Pool2DInfo } from '../kernels/backend.js';
import { kernels } from '../kernels/registry.js';
import { add, cast, div, mul, neg, sub, sumToShape } from '../ops/arithmetic.js';
import { matMul } from '../ops/nn.js';
import { logSoftmaxGrad } from '../ops/log_softmax.js';
import { gatherElementsGrad } from '../ops/gather.js';
import { splitLastAxis } from '../ops/concat.js';
import { batchNormGradient, batchNormInferenceGradient, batchNormReluGradient } from '../ops/batchnorm.js';
import { batchNormReluMaxPoolGradient } from '../ops/batchnorm_pool.js';
import { allocateFloat, allocateKernelOutput, type FloatArray, type FloatDType } from '../tensor/dtype.js';
import { sizeOf } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import type { TapeNode } from './tape.js';
import { layerGradients } from './gradients_layers.js';

/**
 * Gradient rules, one per op, in one table. Each takes dL/dy and the recorded node and returns
 * dL/dx for every input (null where an input has no gradient). Rules use only ops and kernels,
 * so any backend gets autodiff for free.
 */
export type GradientRule = (dy: Tensor, node: TapeNode) => (Tensor | null)[];

function like(t: Tensor, shape: readonly number[] = t.shape): FloatArray {
  return allocateFloat(t.dtype as FloatDType, sizeOf(shape));
}

/** Like like(), for a kernel that writes every value (zeroing first where it accumulates). */
function likeOutput(t: Tensor): FloatArray {
  return allocateKernelOutput(t.dtype as FloatDType, t.size);
}

function activationGradient(op: ActivationGradOp, fromInput: boolean): GradientRule {
  return (dy, node) => {
    const source = fromInput ? node.inputs[0] : node.output;
    const out = allocateKernelOutput(dy.dtype as FloatDType, dy.size);
    kernels().activationGrad(op, dy.storage as FloatArray, source.storage as FloatArray, out, (node.attrs.alpha as number) ?? 0);
    return [new Tensor(out, dy.shape)];
  };
}

function maskWhere(x: Tensor, keep: (v: number, i: number) => boolean): Tensor {
  const out = like(x);
  for (let i = 0; i < out.length; i++) out[i] = keep(x.data[i], i) ? 1 : 0;
  return new Tensor(out, x.shape);
}

export const gradients: Record<string, GradientRule> = {
  // Only for the inputs that need one: a mean divides by a constant count, whose gradient would
  // cost four kernels a step for nothing.
  Add: (dy, { inputs: [a, b], needsGrad: [ga, gb] }) => [ga ? sumToShape(dy, a.shape) : null, gb ? sumToShape(dy, b.shape) : null],
  Sub: (dy, { inputs: [a, b], needsGrad: [ga, gb] }) => [ga ? sumToShape(dy, a.shape) : null, gb ? sumToShape(neg(dy), b.shape) : null],
  Mul: (dy, { inputs: [a, b], needsGrad: [ga, gb] }) => [ga ? sumToShape(mul(dy, b), a.shape) : null, gb ? sumToShape(mul(dy, a), b.shape) : null],
  Div: (dy, { inputs: [a, b], needsGrad: [ga, gb] }) => [
    ga ? sumToShape(div(dy, b), a.shape) : null,
    gb ? sumToShape(neg(div(mul(dy, a), mul(b, b))), b.shape) : null,
  ],
  Maximum: (dy, { inputs: [a, b], output }) => {
    const fromA = maskWhere(output, (v, i) => a.data[a.size === 1 ? 0 : i] === v);
    return [sumToShape(mul(dy, fromA), a.shape), sumToShape(mul(dy, add(neg(fromA), 1)), b.shape)];
  },
  Minimum: (dy, { inputs: [a, b], output }) => {
    const fromA = maskWhere(output, (v, i) => a.data[a.size === 1 ? 0 : i] === v);
    return [sumToShape(mul(dy, fromA), a.shape), sumToShape(mul(dy, add(neg(fromA), 1)), b.shape)];
  },
  Neg: (dy) => [neg(dy)],
  Exp: (dy, { output }) => [mul(dy, output)],
  Log: (dy, { inputs: [x] }) => [div(dy, x)],
  Sqrt: (dy, { output }) => [div(dy, mul(output, 2))],
  Square: (dy, { inputs: [x] }) => [mul(dy, mul(x, 2))],
  Abs: (dy, { inputs: [x] }) => {
    const sign = like(x);
    for (let i = 0; i < sign.length; i++) sign[i] = Math.sign(x.data[i]);
    return [mul(dy, new Tensor(sign, x.shape))];
  },
  Relu: activationGradient('relu', false),
  Tanh: activationGradient('tanh', false),
  Sigmoid: activationGradient('sigmoid', false),
  Elu: activationGradient('elu', false),
  LeakyRelu: activationGradient('leakyRelu', true),
  Reshape: (dy, { inputs: [x] }) => [dy.reshape(x.shape)],
  Sum: (dy, { inputs: [x], attrs }) => {
    const kept = dy.reshape(attrs.keptShape as number[]);
    const zeros = like(x);
    const out = like(x);
    kernels().binary('add', zeros, x.shape, kept.storage as FloatArray, kept.shape, out, x.shape);
    return [new Tensor(out, x.shape)];
  },
  ClipByValue: (dy, { inputs: [x], attrs }) => {
    const lo = attrs.lo as number;
    const hi = attrs.hi as number;
    return [mul(dy, maskWhere(x, (v) => v >= lo && v <= hi))];
  },
  Cast: (dy, { attrs }) => [cast(dy, attrs.dtype as FloatDType)],
  Softmax: (dy, { output }) => {
    const cols = output.shape[output.rank - 1];
    const out = like(dy);
    kernels().softmaxGrad(dy.storage as FloatArray, output.storage as FloatArray, out, output.size / cols, cols);
    return [new Tensor(out, dy.shape)];
  },
  LogSoftmax: (dy, { output }) => [logSoftmaxGrad(dy, output)],
  Concat: (dy, { attrs }) => splitLastAxis(dy, attrs.widths as number[]),
  GatherElements: (dy, { inputs: [x], attrs }) => [gatherElementsGrad(dy, x, attrs.source as Int32Array)],
  MatMul: (dy, { inputs: [a, b], attrs, needsGrad: [gradA, gradB] }) => {
    const tA = attrs.transposeA as boolean;
    const tB = attrs.transposeB as boolean;
    if (!tA && !tB) return [gradA ? matMul(dy, b, false, true) : null, gradB ? matMul(a, dy, true, false) : null];
    if (!tA && tB) return [gradA ? matMul(dy, b, false, false) : null, gradB ? matMul(dy, a, true, false) : null];
    if (tA && !tB) return [gradA ? matMul(b, dy, false, true) : null, gradB ? matMul(a, dy, false, false) : null];
    return [gradA ? matMul(b, dy, true, true) : null, gradB ? matMul(dy, a, true, true) : null];
  },
  BiasAdd: (dy, { inputs: [, bias] }) => [dy, sumToShape(dy, bias.shape)],
  BiasAddRelu: (dy, node) => {
    const [dx] = gradients.Relu(dy, node);
    return [dx, sumToShape(dx!, node.inputs[1].shape)];
  },
  BatchNorm: batchNormGradient,
  BatchNormRelu: batchNormReluGradient,
  BatchNormReluMaxPool: batchNormReluMaxPoolGradient,
  BatchNormInference: batchNormInferenceGradient,
  Conv2D: (dy, { inputs: [x, filter], attrs, needsGrad: [gradX, gradFilter] }) => {
    const info = attrs.info as Conv2DInfo;
    let dx: Tensor | null = null;
    let dFilter: Tensor | null = null;
    if (gradX) {
      dx = new Tensor(likeOutput(x), x.shape);
      kernels().conv2dBackpropInput(dy.storage as FloatArray, filter.storage as FloatArray, dx.storage as FloatArray, info);
    }
    if (gradFilter) {
      dFilter = new Tensor(like(filter), filter.shape);
      kernels().conv2dBackpropFilter(x.storage as FloatArray, dy.storage as FloatArray, dFilter.storage as FloatArray, info);
    }
    return [dx, dFilter];
  },
  MaxPool: (dy, { inputs: [x], attrs }) => {
    const dx = likeOutput(x);
    kernels().maxPoolGrad(dy.storage as FloatArray, x.storage as FloatArray, dx, attrs.info as Pool2DInfo);
    return [new Tensor(dx, x.shape)];
  },
  AvgPool: (dy, { inputs: [x], attrs }) => {
    const dx = likeOutput(x);
    kernels().avgPoolGrad(dy.storage as FloatArray, dx, attrs.info as Pool2DInfo);
    return [new Tensor(dx, x.shape)];
  },
  SparseSoftmaxCrossEntropy: (dy, { attrs }) => {
    // dy·softmax - dy·onehot, in kernels so that queued kernels need not be waited for. Each
    // value is rounded as dy·p, then less dy at the label: the order of the plain loop.
    const probs = attrs.probs as Tensor;
    const labels = (attrs.labels as Tensor).data;
    const cols = probs.shape[probs.rank - 1];
    const onehot = like(probs);
    for (let r = 0; r < labels.length; r++) onehot[r * cols + labels[r]] = 1;
    const column = dy.reshape([labels.length, 1]);
    return [sub(mul(column, probs), mul(column, new Tensor(onehot, probs.shape)))];
  },
  ...layerGradients,
};
