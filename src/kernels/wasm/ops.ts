import type { ActivationGradOp, BinaryOp, Conv2DInfo, UnaryOp } from '../backend.js';

/** Op codes of assembly/index.ts's `run` dispatcher; the two lists must agree. */
export const OP = {
  unary: 1,
  activationGrad: 2,
  binary: 3,
  binaryBroadcast: 4,
  sumRows: 5,
  sumGroups: 6,
  sumStrided: 7,
  matMul: 8,
  biasAdd: 9,
  conv2d: 10,
  conv2dBackpropInput: 11,
  conv2dBackpropFilter: 12,
  conv2dFilterReduce: 13,
  maxPool: 14,
  maxPoolGrad: 15,
  avgPool: 16,
  avgPoolGrad: 17,
  softmax: 18,
  softmaxGrad: 19,
  sparseSoftmaxCrossEntropy: 20,
  adam: 21,
  sgd: 22,
  rmsprop: 23,
  bnStats: 24,
  bnStatsFinalize: 25,
  bnCoefficients: 26,
  bnApply: 27,
  bnGradSums: 28,
  bnGradFinalize: 29,
  bnGradApply: 30,
  binaryChannel: 31,
  adamMany: 32,
  depthwiseConv2d: 33,
  depthwiseConv2dBackpropInput: 34,
  depthwiseConv2dBackpropFilter: 35,
  bnReluGradSums: 36,
  bnReluGradApply: 37,
  bnReluPool: 38,
  bnReluPoolGradSums: 39,
  bnReluPoolGradApply: 40,
  winograd4Filter: 41,
  conv2dMaxPool: 42,
  conv2dBackpropFilterChannels: 43,
  sumMiddle: 44,
} as const;

/** Codes of assembly/elementwise.ts. */
export const UNARY: Record<UnaryOp, number> = {
  neg: 0, exp: 1, log: 2, sqrt: 3, square: 4, abs: 5, relu: 6, tanh: 7, sigmoid: 8, elu: 9, leakyRelu: 10, reciprocal: 11,
};

export const ACTIVATION_GRAD: Record<ActivationGradOp, number> = { relu: 0, tanh: 1, sigmoid: 2, elu: 3, leakyRelu: 4 };

export const BINARY: Record<BinaryOp, number> = { add: 0, sub: 1, mul: 2, div: 3, maximum: 4, minimum: 5 };

/** Looks up an op code, failing with the list of valid names (as the reference kernels do). */
export function code<K extends string>(table: Record<K, number>, op: K, what: string): number {
  const c = table[op];
  if (c === undefined) throw new Error(`Unknown ${what} '${String(op)}'; expected one of ${Object.keys(table).join(', ')}`);
  return c;
}

/**
 * Shares per thread (see worker_source.ts): more shares balance threads that run at different
 * speeds, and shorten the wait for the last share at the end of each kernel. Kernels whose
 * shares only split the output take FINE; matMul takes fewer, because each share packs its own
 * GEMM panels of A or B; convolutions pack only their small filters.
 */
export const FINE = 4;
export const GEMM_SHARES = 2;
export const CONV_SHARES = 2;

/** Below this many multiply-adds a kernel runs on one thread: waking workers would cost more than it saves. */
export const PARALLEL_MACS = 100_000;

/** A convolution's geometry as the int32 slots of assembly's ConvInfo. */
export function convInts(c: Conv2DInfo): number[] {
  return [c.batch, c.inHeight, c.inWidth, c.inChannels, c.outHeight, c.outWidth, c.outChannels,
    c.kernelHeight, c.kernelWidth, c.strideHeight, c.strideWidth, c.dilationHeight, c.dilationWidth, c.padTop, c.padLeft];
}
