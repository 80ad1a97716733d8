import type { Backend } from '../backend.js';
import { activationGrad, binary, biasAdd, firstNonFinite, reduceSum, unary } from './elementwise.js';
import { matMul } from './matmul.js';
import { conv2d, conv2dBackpropFilter, conv2dBackpropInput } from './conv.js';
import { depthwiseConv2d, depthwiseConv2dBackpropFilter, depthwiseConv2dBackpropInput } from './depthwise.js';
import { avgPool, avgPoolGrad, maxPool, maxPoolGrad } from './pool.js';
import { softmax, softmaxGrad, sparseSoftmaxCrossEntropy } from './softmax.js';
import { adamUpdate, rmspropUpdate, sgdUpdate } from './optimizers.js';
import { batchNormApply, batchNormGrad, batchNormReluGrad, batchNormTrain } from './batchnorm.js';
import { batchNormReluMaxPool, batchNormReluMaxPoolGrad } from './batchnorm_pool.js';
import { conv2dMaxPool } from './conv_pool.js';

/** Plain TypeScript kernels: readable, float32 and float64, and the oracle for faster backends. */
export const referenceBackend: Backend = {
  name: 'reference',
  unary,
  activationGrad,
  binary,
  reduceSum,
  firstNonFinite,
  matMul,
  biasAdd,
  conv2d,
  conv2dBackpropInput,
  conv2dBackpropFilter,
  conv2dMaxPool,
  depthwiseConv2d,
  depthwiseConv2dBackpropInput,
  depthwiseConv2dBackpropFilter,
  maxPool,
  maxPoolGrad,
  avgPool,
  avgPoolGrad,
  softmax,
  softmaxGrad,
  sparseSoftmaxCrossEntropy,
  batchNormTrain,
  batchNormApply,
  batchNormGrad,
  batchNormReluGrad,
  batchNormReluMaxPool,
  batchNormReluMaxPoolGrad,
  adamUpdate,
  sgdUpdate,
  rmspropUpdate,
};
