import type { Backend, Pool2DInfo } from '../backend.js';
import { allocateKernelOutput, type FloatArray } from '../../tensor/dtype.js';
import type { WasmEngine } from './engine.js';
import { FINE, OP } from './ops.js';
import { PARALLEL_ELEMENTS, align64, f32, runBnGrad } from './batchnorm_grad.js';
import { poolTilesExactly } from '../../ops/conv_util.js';

/*
 * Batch normalization + ReLU + max pooling in training mode (assembly/batchnorm_relu_pool.ts),
 * where the pool's windows tile the input exactly and the channels are a multiple of four. Other
 * geometries run this backend's own kernels one after the other (batch norm with ReLU, then the
 * pool), with the full-size ReLU output as a temporary. The statistics are batchNormTrain's
 * kernels, and the sums are chunked by window rows whatever the thread count, so results depend
 * only on the shapes.
 */

type Kernels = Pick<Backend, 'batchNormReluMaxPool' | 'batchNormReluMaxPoolGrad'>;

/** Input rows (pixels) summed in float32 per chunk, at most, as batchnorm.ts's CHUNK_ROWS. */
const CHUNK_PIXELS = 64;

/** Whether the fused kernels take this geometry. */
export function poolFuses(p: Pool2DInfo): boolean {
  return p.channels % 4 === 0 && p.channels > 0 && poolTilesExactly(p);
}


export function createWasmBatchNormPool(e: WasmEngine, ref: Backend, self: () => Backend): Kernels {
  const put = (a: FloatArray | null): number => (a ? e.put(a as Float32Array) : 0);
  const threadsFor = (n: number): number => (n >= PARALLEL_ELEMENTS ? e.numThreads : 1);

  return {
    batchNormReluMaxPool(x, gamma, beta, out, mean, variance, invStd, epsilon, info) {
      if (!f32(x, gamma, beta, out, mean, variance, invStd)) return ref.batchNormReluMaxPool(x, gamma, beta, out, mean, variance, invStd, epsilon, info);
      const c = info.channels;
      const rows = c === 0 ? 0 : x.length / c;
      if (!poolFuses(info)) {
        const y = allocateKernelOutput('float32', x.length);
        self().batchNormTrain(x, gamma, beta, y, mean, variance, invStd, rows, c, epsilon, true);
        self().maxPool(y, out, info);
        return;
      }
      const nt = threadsFor(x.length);
      const chunks = Math.ceil(rows / 64);
      e.reset();
      const px = e.put(x as Float32Array);
      const pg = put(gamma);
      const pb = put(beta);
      const po = e.out(out as Float32Array);
      const pm = e.out(mean as Float32Array);
      const pv = e.out(variance as Float32Array);
      const pi = e.out(invStd as Float32Array);
      const scale = e.alloc(c * 4);
      const shift = e.alloc(c * 4);
      const accStride = align64(8 * c);
      const acc = e.alloc(accStride * nt);
      const partials = e.alloc(16 * c * chunks);
      // The statistics exactly as batchNormTrain's (64-row chunks), then the pooled output.
      e.setParams([OP.bnStats, px, c, rows, 64, acc, accStride, partials]);
      e.exec(nt, FINE);
      e.setParams([OP.bnStatsFinalize, px, c, rows, partials, chunks, pm, pv, pi], [epsilon]);
      e.exec(1);
      e.setParams([OP.bnCoefficients, c, pi, pg, pb, scale, shift]);
      e.exec(1);
      e.setParams([OP.bnReluPool, px, pm, scale, shift, po, c, info.inWidth, info.poolHeight, info.poolWidth, info.batch * info.outHeight]);
      e.exec(nt, FINE);
      e.get(po, out as Float32Array);
      e.get(pm, mean as Float32Array);
      e.get(pv, variance as Float32Array);
      e.get(pi, invStd as Float32Array);
    },

    batchNormReluMaxPoolGrad(dy, x, mean, invStd, gamma, beta, dx, sumDy, sumDyXhat, info) {
      if (!f32(dy, x, mean, invStd, gamma, beta, dx, sumDy, sumDyXhat)) {
        return ref.batchNormReluMaxPoolGrad(dy, x, mean, invStd, gamma, beta, dx, sumDy, sumDyXhat, info);
      }
      const c = info.channels;
      const rows = c === 0 ? 0 : x.length / c;
      if (!poolFuses(info)) {
        const k = self();
        const y = allocateKernelOutput('float32', x.length);
        k.batchNormApply(x, mean, invStd, gamma, beta, y, rows, c, true);
        const dyFull = allocateKernelOutput('float32', x.length);
        k.maxPoolGrad(dy, y, dyFull, info);
        k.batchNormReluGrad(dyFull, x, y, mean, invStd, gamma, beta, dx, sumDy, sumDyXhat, rows, c);
        return;
      }
      const nt = threadsFor(x.length);
      const windowRows = info.batch * info.outHeight;
      const chunk = Math.max(1, Math.floor(CHUNK_PIXELS / (info.poolHeight * info.inWidth)));
      const chunks = Math.ceil(windowRows / chunk);
      const geometry = [c, info.inWidth, info.poolHeight, info.poolWidth, windowRows];
      runBnGrad(e, { dy, x, mean, invStd, gamma, beta, dx, sumDy, sumDyXhat }, c, rows, nt, {
        relu: true,
        training: true,
        sums: (p) => {
          const accStride = align64(8 * c);
          const acc = e.alloc(accStride * nt);
          const partials = e.alloc(16 * c * chunks);
          return { params: [OP.bnReluPoolGradSums, p.dy, p.x, p.mean, p.scale, p.shift, ...geometry, chunk, acc, accStride, partials], partials, chunks };
        },
        apply: (p, pdx) => [OP.bnReluPoolGradApply, p.dy, p.x, p.mean, p.scale, p.shift, p.ca, p.ck, p.cm, pdx, ...geometry],
      });
    },
  };
}
