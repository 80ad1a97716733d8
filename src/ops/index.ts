export { add, sub, mul, div, maximum, minimum, neg, exp, log, sqrt, square, abs, reshape, sum, mean, clipByValue, cast } from './arithmetic.js';
export { relu, tanh, sigmoid, elu, leakyRelu, softmax, matMul, biasAdd, conv2d, maxPool, avgPool, sparseSoftmaxCrossEntropy } from './nn.js';
export { logSoftmax } from './log_softmax.js';
export { gatherElements } from './gather.js';
export { concatLastAxis } from './concat.js';
export { batchNormTraining, batchNormInference } from './batchnorm.js';
