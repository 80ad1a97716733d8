import type { Conv2DInfo, Pool2DInfo } from '../kernels/backend.js';

export type Padding = 'valid' | 'same';

export function normalizePair(value: number | readonly number[], name: string): [number, number] {
  const pair = typeof value === 'number' ? [value, value] : [...value];
  if (pair.length === 1) pair.push(pair[0]);
  if (pair.length !== 2 || !pair.every((v) => Number.isInteger(v) && v > 0)) {
    throw new Error(`${name} must be a positive integer or a pair of positive integers, received ${JSON.stringify(value)}`);
  }
  return [pair[0], pair[1]];
}

export function normalizePadding(padding: unknown): Padding {
  const p = typeof padding === 'string' ? padding.toLowerCase() : padding;
  if (p !== 'valid' && p !== 'same') {
    throw new Error(`padding must be 'valid' or 'same', received ${JSON.stringify(padding)}`);
  }
  return p;
}

/**
 * Output length and leading pad along one axis, as TensorFlow computes them: 'same' gives
 * ceil(in / stride) outputs and, when the total padding is odd, puts the extra cell at the end
 * (bottom/right).
 */
export function outputLength(inLength: number, window: number, stride: number, dilation: number, padding: Padding): { out: number; padBefore: number } {
  const effective = (window - 1) * dilation + 1;
  if (padding === 'valid') {
    return { out: Math.max(Math.floor((inLength - effective) / stride) + 1, 0), padBefore: 0 };
  }
  const out = Math.ceil(inLength / stride);
  const total = Math.max((out - 1) * stride + effective - inLength, 0);
  return { out, padBefore: Math.floor(total / 2) };
}

export function conv2dInfo(xShape: readonly number[], filterShape: readonly number[], strides: [number, number], padding: Padding, dilations: [number, number]): Conv2DInfo {
  const [batch, inHeight, inWidth, inChannels] = xShape;
  const [kernelHeight, kernelWidth, , outChannels] = filterShape;
  const h = outputLength(inHeight, kernelHeight, strides[0], dilations[0], padding);
  const w = outputLength(inWidth, kernelWidth, strides[1], dilations[1], padding);
  return {
    batch, inHeight, inWidth, inChannels,
    outHeight: h.out, outWidth: w.out, outChannels,
    kernelHeight, kernelWidth,
    strideHeight: strides[0], strideWidth: strides[1],
    dilationHeight: dilations[0], dilationWidth: dilations[1],
    padTop: h.padBefore, padLeft: w.padBefore,
  };
}

export function pool2dInfo(xShape: readonly number[], poolSize: [number, number], strides: [number, number], padding: Padding): Pool2DInfo {
  const [batch, inHeight, inWidth, channels] = xShape;
  const h = outputLength(inHeight, poolSize[0], strides[0], 1, padding);
  const w = outputLength(inWidth, poolSize[1], strides[1], 1, padding);
  return {
    batch, inHeight, inWidth, channels,
    outHeight: h.out, outWidth: w.out,
    poolHeight: poolSize[0], poolWidth: poolSize[1],
    strideHeight: strides[0], strideWidth: strides[1],
    padTop: h.padBefore, padLeft: w.padBefore,
  };
}

/**
 * Whether a pool's windows lie inside its input and do not overlap (stride = window, no padding):
 * then a fused kernel can pool whole windows as it makes them (src/ops/conv_pool.ts,
 * src/ops/batchnorm_pool.ts).
 */
export function poolWindowsDisjoint(p: Pool2DInfo): boolean {
  return p.padTop === 0 && p.padLeft === 0 && p.strideHeight === p.poolHeight && p.strideWidth === p.poolWidth
    && p.outHeight > 0 && p.outWidth > 0 && p.outHeight * p.poolHeight <= p.inHeight && p.outWidth * p.poolWidth <= p.inWidth;
}

/** Whether the windows tile the input exactly: disjoint, and sizes that divide. */
export function poolTilesExactly(p: Pool2DInfo): boolean {
  return poolWindowsDisjoint(p) && p.outHeight * p.poolHeight === p.inHeight && p.outWidth * p.poolWidth === p.inWidth;
}
