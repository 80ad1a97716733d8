import type { Backend } from '../backend.js';
import type { FloatArray } from '../../tensor/dtype.js';
import type { WasmEngine } from './engine.js';
import { FINE, OP } from './ops.js';
import { PARALLEL_ELEMENTS, align64, f32, runBnGrad } from './batchnorm_grad.js';

/*
 * The batch-norm kernels of assembly/batchnorm.ts. Each call runs in phases: partial sums over
 * chunks of CHUNK_ROWS rows (whole chunks per thread), a reduction of the chunks' partials in
 * chunk order on one thread, and an elementwise pass over the rows. The chunks do not depend on
 * the thread count, so neither do the results. Operands and results that are step tensors are
 * used in place (see engine.ts); float64 operands go to the reference kernels.
 */


/**
 * Rows summed in float32 before a chunk's sums are kept in float64: long enough to keep the
 * partials small (a quarter of a byte per element), short enough to keep float32 sums exact to
 * about 1e-6.
 */
const CHUNK_ROWS = 64;

type BatchNormKernels = Pick<Backend, 'batchNormTrain' | 'batchNormApply' | 'batchNormGrad' | 'batchNormReluGrad'>;


export function createWasmBatchNorm(e: WasmEngine, ref: Backend): BatchNormKernels {
  const threadsFor = (n: number): number => (n >= PARALLEL_ELEMENTS ? e.numThreads : 1);

  /** Per-thread float32 accumulators (2c each) and the chunks' float64 partials (2c each). */
  function sumScratch(c: number, rows: number, nt: number): { acc: number; accStride: number; partials: number } {
    const accStride = align64(8 * c);
    return { acc: e.alloc(accStride * nt), accStride, partials: e.alloc(16 * c * Math.ceil(rows / CHUNK_ROWS)) };
  }

  const put = (a: FloatArray | null): number => (a ? e.put(a as Float32Array) : 0);

  return {
    batchNormTrain(x, gamma, beta, out, mean, variance, invStd, rows, channels, epsilon, relu = false) {
      if (!f32(x, gamma, beta, out, mean, variance, invStd)) {
        return ref.batchNormTrain(x, gamma, beta, out, mean, variance, invStd, rows, channels, epsilon, relu);
      }
      const c = channels;
      const nt = threadsFor(x.length);
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
      const s = sumScratch(c, rows, nt);
      e.setParams([OP.bnStats, px, c, rows, CHUNK_ROWS, s.acc, s.accStride, s.partials]);
      e.exec(nt, FINE);
      e.setParams([OP.bnStatsFinalize, px, c, rows, s.partials, Math.ceil(rows / CHUNK_ROWS), pm, pv, pi], [epsilon]);
      e.exec(1);
      e.setParams([OP.bnCoefficients, c, pi, pg, pb, scale, shift]);
      e.exec(1);
      e.setParams([OP.bnApply, px, pm, scale, shift, po, rows, c, relu ? 1 : 0]);
      e.exec(nt, FINE);
      e.get(po, out as Float32Array);
      e.get(pm, mean as Float32Array);
      e.get(pv, variance as Float32Array);
      e.get(pi, invStd as Float32Array);
    },

    batchNormApply(x, mean, invStd, gamma, beta, out, rows, channels, relu = false) {
      if (!f32(x, mean, invStd, gamma, beta, out)) return ref.batchNormApply(x, mean, invStd, gamma, beta, out, rows, channels, relu);
      const c = channels;
      e.reset();
      const px = e.put(x as Float32Array);
      const pm = e.put(mean as Float32Array);
      const pi = e.put(invStd as Float32Array);
      const pg = put(gamma);
      const pb = put(beta);
      const po = e.out(out as Float32Array);
      const scale = e.alloc(c * 4);
      const shift = e.alloc(c * 4);
      e.setParams([OP.bnCoefficients, c, pi, pg, pb, scale, shift]);
      e.exec(1);
      e.setParams([OP.bnApply, px, pm, scale, shift, po, rows, c, relu ? 1 : 0]);
      e.exec(threadsFor(x.length), FINE);
      e.get(po, out as Float32Array);
    },

    batchNormGrad(dy, x, mean, invStd, gamma, dx, sumDy, sumDyXhat, rows, channels, training) {
      if (!f32(dy, x, mean, invStd, gamma, dx, sumDy, sumDyXhat)) {
        return ref.batchNormGrad(dy, x, mean, invStd, gamma, dx, sumDy, sumDyXhat, rows, channels, training);
      }
      const c = channels;
      const nt = threadsFor(x.length);
      runBnGrad(e, { dy, x, mean, invStd, gamma, beta: null, dx, sumDy, sumDyXhat }, c, rows, nt, {
        relu: false,
        training,
        sums: (p) => {
          const s = sumScratch(c, rows, nt);
          return { params: [OP.bnGradSums, p.dy, p.x, p.mean, c, rows, CHUNK_ROWS, s.acc, s.accStride, s.partials], partials: s.partials, chunks: Math.ceil(rows / CHUNK_ROWS) };
        },
        apply: (p, pdx) => [OP.bnGradApply, p.dy, p.x, p.mean, p.ca, p.ck, p.cm, pdx, rows, c, training ? 1 : 0],
      });
    },

    batchNormReluGrad(dy, x, y, mean, invStd, gamma, beta, dx, sumDy, sumDyXhat, rows, channels) {
      if (!f32(dy, x, y, mean, invStd, gamma, beta, dx, sumDy, sumDyXhat)) {
        return ref.batchNormReluGrad(dy, x, y, mean, invStd, gamma, beta, dx, sumDy, sumDyXhat, rows, channels);
      }
      // y is not read: the kernels recompute the mask from x (assembly/batchnorm_relu.ts).
      const c = channels;
      const nt = threadsFor(x.length);
      runBnGrad(e, { dy, x, mean, invStd, gamma, beta, dx, sumDy, sumDyXhat }, c, rows, nt, {
        relu: true,
        training: true,
        sums: (p) => {
          const s = sumScratch(c, rows, nt);
          return { params: [OP.bnReluGradSums, p.dy, p.x, p.mean, p.scale, p.shift, c, rows, CHUNK_ROWS, s.acc, s.accStride, s.partials], partials: s.partials, chunks: Math.ceil(rows / CHUNK_ROWS) };
        },
        apply: (p, pdx) => [OP.bnReluGradApply, p.dy, p.x, p.mean, p.scale, p.shift, p.ca, p.ck, p.cm, pdx, rows, c],
      });
    },
  };
}
