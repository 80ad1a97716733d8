import type { Backend } from '../backend.js';
import { convThenMaxPool } from '../reference/conv_pool.js';
import { poolWindowsDisjoint } from '../../ops/conv_util.js';
import { allocateKernelOutput } from '../../tensor/dtype.js';
import type { WasmEngine } from './engine.js';
import { OP, PARALLEL_MACS, convInts } from './ops.js';
import { f32 } from './batchnorm_grad.js';

/*
 * Conv2D (+ bias, + ReLU) → max pooling in inference (assembly/conv_pool.ts): each thread
 * computes the convolution a band of pooled rows at a time and writes only the pooled values.
 * Where the convolution runs in Winograd tiles (3x3, 16 or more channels), which compute whole
 * images rather than bands of pixels, the three kernels run one after the other instead.
 */

type Kernels = Pick<Backend, 'conv2dMaxPool'>;

/**
 * Shares per thread: a share costs little to start here, and the main thread waits at the end of
 * each kernel for the worker's last share, half a share on average (16 against 4 gave LeNet-5's
 * 2-thread predict 3-5% in alternating runs).
 */
const CONV_POOL_SHARES = 16;

export function createWasmConvPool(e: WasmEngine, ref: Backend, self: () => Backend): Kernels {
  return {
    conv2dMaxPool(x, filter, bias, out, c, p, relu) {
      if (!f32(x, filter, bias, out)) return ref.conv2dMaxPool(x, filter, bias, out, c, p, relu);
      const winograd = e.exports.winogradConvUses(c.kernelHeight, c.kernelWidth, c.strideHeight, c.strideWidth, c.dilationHeight, c.dilationWidth,
        c.inChannels, c.outChannels) !== 0;
      if (winograd || !poolWindowsDisjoint(p)) {
        const y = allocateKernelOutput('float32', c.batch * c.outHeight * c.outWidth * c.outChannels);
        return convThenMaxPool(self(), y, x, filter, bias, out, c, p, relu);
      }
      const kkci = c.kernelHeight * c.kernelWidth * c.inChannels;
      const macs = c.batch * c.outHeight * c.outWidth * kkci * c.outChannels;
      const nt = macs >= PARALLEL_MACS ? e.numThreads : 1;
      e.reset();
      const px = e.put(x as Float32Array);
      const pw = e.put(filter as Float32Array);
      const pb = bias ? e.put(bias as Float32Array) : 0;
      const po = e.out(out as Float32Array);
      const stride = e.exports.convPoolScratchBytes(kkci, c.outChannels, c.outWidth, p.poolHeight, p.outHeight);
      const scratch = e.scratch(stride * nt);
      e.setParams([OP.conv2dMaxPool, px, pw, pb, po, scratch, ...convInts(c), stride, p.poolHeight, p.poolWidth, p.outHeight, p.outWidth, relu ? 1 : 0]);
      e.exec(nt, CONV_POOL_SHARES);
      e.get(po, out as Float32Array);
    },
  };
}
