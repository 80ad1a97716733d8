import { isRecording } from '../autograd/tape.js';
import { kernels } from '../kernels/registry.js';
import { allocateKernelOutput, type FloatArray } from '../tensor/dtype.js';
import { formatShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { sameFloatDType } from './arithmetic.js';
import { normalizePadding, normalizePair, pool2dInfo, poolWindowsDisjoint } from './conv_util.js';
import { biasAdd, checkedConv2dInfo, conv2d, maxPool, relu as reluOp, type Conv2DOptions, type Pool2DOptions } from './nn.js';

/*
 * maxPool(relu?(conv2d(x) + bias)) for inference, the conv → pool stage of the lab CNN and
 * LeNet: one kernel that never writes the full-size convolution output (src/kernels/wasm/conv_pool.ts).
 * It has no gradient rule: under a recording tape it runs as the separate ops, which have; so
 * it does for a pool whose windows overlap, are padded or leave the input.
 */
export function conv2dMaxPool(x: Tensor, filter: Tensor, bias: Tensor | null, conv: Conv2DOptions, pool: Pool2DOptions, relu: boolean): Tensor {
  const poolSize = normalizePair(pool.poolSize, 'poolSize');
  const strides = normalizePair(pool.strides ?? poolSize, 'strides');
  const padding = normalizePadding(pool.padding ?? 'valid');
  const separate = (): Tensor => {
    let y = conv2d(x, filter, conv);
    if (bias) y = biasAdd(y, bias, relu ? 'relu' : undefined);
    else if (relu) y = reluOp(y);
    return maxPool(y, pool);
  };
  if (isRecording()) return separate();
  const dtype = sameFloatDType(x, filter, 'Conv2D');
  if (bias) sameFloatDType(x, bias, 'BiasAdd');
  const info = checkedConv2dInfo(x, filter, conv);
  if (bias && (bias.rank !== 1 || bias.shape[0] !== info.outChannels)) {
    throw new Error(`BiasAdd: bias of shape ${formatShape(bias.shape)} does not match the ${info.outChannels} output channels of the convolution`);
  }
  const poolInfo = pool2dInfo([info.batch, info.outHeight, info.outWidth, info.outChannels], poolSize, strides, padding);
  if (!poolWindowsDisjoint(poolInfo)) return separate();
  const out = allocateKernelOutput(dtype, poolInfo.batch * poolInfo.outHeight * poolInfo.outWidth * poolInfo.channels);
  kernels().conv2dMaxPool(x.storage as FloatArray, filter.storage as FloatArray, bias ? (bias.storage as FloatArray) : null, out, info, poolInfo, relu);
  return new Tensor(out, [poolInfo.batch, poolInfo.outHeight, poolInfo.outWidth, poolInfo.channels]);
}
