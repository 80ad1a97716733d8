import type { Conv2DInfo } from '../kernels/backend.js';
import { conv2dTransposeGrad } from '../ops/conv_transpose.js';
import { depthwiseConv2dGrad, type DepthwiseInfo } from '../ops/depthwise_conv.js';
import { weightedGatherGrad } from '../ops/layout.js';
import { pointwiseGrad, type PointwiseFn } from '../ops/pointwise.js';
import type { Tensor } from '../tensor/tensor.js';
import type { TapeNode } from './tape.js';

/** Gradient rules of the ops behind the Keras layers added for Keras files (issue 20). */
export const layerGradients: Record<string, (dy: Tensor, node: TapeNode) => (Tensor | null)[]> = {
  Pointwise: (dy, { inputs: [x], attrs }) => [pointwiseGrad(dy, x, attrs.fn as PointwiseFn)],
  WeightedGather: (dy, { inputs: [x], attrs }) => [weightedGatherGrad(dy, x, attrs.sources as Int32Array, attrs.weights as Float64Array, attrs.k as number)],
  DepthwiseConv2D: (dy, { inputs: [x, filter], attrs, needsGrad: [gx, gf] }) => depthwiseConv2dGrad(dy, x, filter, attrs.info as DepthwiseInfo, gx, gf),
  Conv2DTranspose: (dy, { inputs: [x, filter], attrs, needsGrad: [gx, gf] }) => conv2dTransposeGrad(dy, x, filter, attrs.info as Conv2DInfo, gx, gf),
};
