import { gemm, GEMM_SCRATCH } from './gemm';
import { MR, NR } from './pack';
import { ConvInfo, setFewChannels as setFew, conv2d, conv2dBackpropFilter, conv2dBackpropFilterChannels, conv2dBackpropInput, conv2dFilterReduce, convScratchBytes as convScratch } from './conv';
import { PoolInfo, avgPool, avgPoolGrad, maxPool, maxPoolGrad } from './pool';
import { activationGrad, biasAdd, binary, firstNonFinite as firstNonFiniteAt, binaryBroadcast, binaryChannel, sumGroups, sumRows, sumStrided, unary } from './elementwise';
import { softmax, softmaxGrad, sparseSoftmaxCrossEntropy } from './softmax';
import { adam, adamMany, rmsprop, sgd } from './optimizers';
import { bnApply, bnCoefficients, bnGradApply, bnGradFinalize, bnGradSums, bnStats, bnStatsFinalize } from './batchnorm';
import { bnReluGradApply, bnReluGradSums } from './batchnorm_relu';
import { bnReluPool, bnReluPoolGradApply, bnReluPoolGradSums } from './batchnorm_relu_pool';
import { sliceEnd, sliceStart } from './simd';
import { depthwiseConv2d, depthwiseConv2dBackpropFilter, depthwiseConv2dBackpropInput } from './depthwise';
import { setWinogradTile, winogradChannels, winogradTile } from './winograd';
import { winograd4Filter, winograd4FilterBytes } from './winograd4';
import { conv2dMaxPool, convPoolScratchBytes as convPoolScratch } from './conv_pool';

/*
 * One entry point for every kernel: the caller writes an op code and its arguments into a
 * parameter block (int32 slots, then float64 slots at byte 256) and threads call
 * run(block, tid, nt, slot) to compute share `tid` of `nt`, a part fixed by the shapes and nt.
 * `slot` is the calling thread's index, which picks its scratch where a kernel needs some for
 * the length of one share; kernels that leave per-share partial results for a later call
 * (conv filter gradient, batch-norm sums) keep them in share `tid`'s scratch instead, and are
 * run with one share per thread. Arguments travel through memory rather than call parameters
 * so that worker threads, which share the memory, see the same call.
 * The op codes must match src/kernels/wasm/ops.ts.
 */

const F_OFFSET: usize = 256;

@inline function I(p: usize, i: i32): i32 {
  return load<i32>(p + (<usize>i << 2));
}

@inline function U(p: usize, i: i32): usize {
  return <usize>load<u32>(p + (<usize>i << 2));
}

@inline function F(p: usize, i: i32): f32 {
  return <f32>load<f64>(p + F_OFFSET + (<usize>i << 3));
}

@inline function D(p: usize, i: i32): f64 {
  return load<f64>(p + F_OFFSET + (<usize>i << 3));
}

/** Winograd output tiles of 4 (the default), 2 or 0 (off) for this instance: for one-thread measurements only. */
export function setWinograd(tile: i32): void {
  setWinogradTile(tile);
}

/**
 * Whether a convolution of this geometry runs as F(4x4, 3x3) in this instance (workers keep the
 * default tile 4, which setThreads also gives this instance): then the backend transforms the
 * filter once per call (op 41) for every share of the forward and input-gradient kernels.
 */
export function winograd4Uses(kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32, ci: i32, co: i32): bool {
  return winogradTile() == 4 && kh == 3 && kw == 3 && sh == 1 && sw == 1 && dh == 1 && dw == 1 && winogradChannels(ci, co);
}

/** Bytes of the transformed filter op 41 writes for this many channels (packed for the GEMM). */
export function winograd4SharedFilterBytes(ci: i32, co: i32): i32 {
  return winograd4FilterBytes(ci, co);
}

/**
 * Whether conv2d runs this geometry in Winograd tiles (any tile size) rather than pixel by pixel:
 * then conv2dMaxPool (op 42), which computes bands of pixels, does not apply. (Winograd takes 16
 * or more channels, which none of the direct kernels do, so it is never overridden for them.)
 */
export function winogradConvUses(kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32, ci: i32, co: i32): bool {
  return winogradTile() != 0 && kh == 3 && kw == 3 && sh == 1 && sw == 1 && dh == 1 && dw == 1 && winogradChannels(ci, co);
}

/** The index of the first NaN or ±Infinity among the n floats at x, or -1 (called directly, not queued). */
export function firstNonFinite(x: usize, n: i32): i32 {
  return firstNonFiniteAt(x, n);
}

export function convPoolScratchBytes(kkci: i32, co: i32, ow: i32, ph: i32, poh: i32): i32 {
  return convPoolScratch(kkci, co, ow, ph, poh);
}

/** The few-input-channel forward kernel on (the default) or off, in this instance only: for one-thread measurements. */
export function setFewChannels(on: bool): void {
  setFew(on);
}

export function heapBase(): usize {
  return __heap_base;
}

export function gemmScratchBytes(): i32 {
  return GEMM_SCRATCH;
}

export function convScratchBytes(kkci: i32, co: i32): i32 {
  return convScratch(kkci, co);
}

/** Zeroes a step tensor: TypedArray.fill on shared memory is an order of magnitude slower. */
export function zero(ptr: usize, bytes: usize): void {
  memory.fill(ptr, 0, bytes);
}

export function run(p: usize, tid: i32, nt: i32, slot: i32): void {
  const op = I(p, 0);
  switch (op) {
    case 1: {
      const n = I(p, 4);
      unary(I(p, 1), U(p, 2), U(p, 3), sliceStart(n, 4, tid, nt), sliceEnd(n, 4, tid, nt), F(p, 0));
      break;
    }
    case 2: {
      const n = I(p, 5);
      activationGrad(I(p, 1), U(p, 2), U(p, 3), U(p, 4), sliceStart(n, 4, tid, nt), sliceEnd(n, 4, tid, nt), F(p, 0));
      break;
    }
    case 3: {
      const n = I(p, 6);
      binary(I(p, 1), I(p, 2), U(p, 3), U(p, 4), U(p, 5), sliceStart(n, 4, tid, nt), sliceEnd(n, 4, tid, nt));
      break;
    }
    case 4:
      if (tid == 0) binaryBroadcast(I(p, 1), U(p, 2), U(p, 3), U(p, 4), I(p, 5), U(p, 6), U(p, 7), U(p, 8), U(p, 9), I(p, 10));
      break;
    case 5:
      if (tid == 0) sumRows(U(p, 1), U(p, 2), I(p, 3), I(p, 4));
      break;
    case 6: {
      const rows = I(p, 3);
      sumGroups(U(p, 1), U(p, 2), sliceStart(rows, 1, tid, nt), sliceEnd(rows, 1, tid, nt), I(p, 4));
      break;
    }
    case 7:
      if (tid == 0) sumStrided(U(p, 1), U(p, 2), I(p, 3), I(p, 4), U(p, 5), U(p, 6), U(p, 7), I(p, 8));
      break;
    case 8: {
      // Split whichever of rows or columns is longer, in whole register tiles.
      const m = I(p, 8), k = I(p, 9), n = I(p, 10);
      const scratch = U(p, 11) + <usize>slot * U(p, 12);
      if (I(p, 13) != 0) {
        gemm(U(p, 1), I(p, 2), I(p, 3), U(p, 4), I(p, 5), I(p, 6), U(p, 7), n, k, sliceStart(m, MR, tid, nt), sliceEnd(m, MR, tid, nt), 0, n, false, scratch);
      } else {
        gemm(U(p, 1), I(p, 2), I(p, 3), U(p, 4), I(p, 5), I(p, 6), U(p, 7), n, k, 0, m, sliceStart(n, NR, tid, nt), sliceEnd(n, NR, tid, nt), false, scratch);
      }
      break;
    }
    case 9: {
      const rows = I(p, 4);
      biasAdd(U(p, 1), U(p, 2), U(p, 3), sliceStart(rows, 1, tid, nt), sliceEnd(rows, 1, tid, nt), I(p, 5), I(p, 6) != 0);
      break;
    }
    case 10:
      // Slot 21 (after the ConvInfo): a transformed filter shared by every share, or 0.
      conv2d(U(p, 1), U(p, 2), U(p, 3), changetype<ConvInfo>(p + 24), tid, nt, U(p, 4) + <usize>slot * U(p, 5), U(p, 21));
      break;
    case 11:
      conv2dBackpropInput(U(p, 1), U(p, 2), U(p, 3), changetype<ConvInfo>(p + 24), tid, nt, U(p, 4) + <usize>slot * U(p, 5), U(p, 21));
      break;
    case 12:
      conv2dBackpropFilter(U(p, 1), U(p, 2), U(p, 3), changetype<ConvInfo>(p + 24), tid, nt, U(p, 4) + <usize>tid * U(p, 5));
      break;
    case 13:
      conv2dFilterReduce(U(p, 1), I(p, 2), I(p, 3), I(p, 6), U(p, 4), I(p, 5), tid, nt);
      break;
    case 14:
      maxPool(U(p, 1), U(p, 2), changetype<PoolInfo>(p + 24), tid, nt);
      break;
    case 15:
      maxPoolGrad(U(p, 1), U(p, 2), U(p, 3), changetype<PoolInfo>(p + 24), tid, nt);
      break;
    case 16:
      avgPool(U(p, 1), U(p, 2), changetype<PoolInfo>(p + 24), tid, nt);
      break;
    case 17:
      avgPoolGrad(U(p, 1), U(p, 2), changetype<PoolInfo>(p + 24), tid, nt);
      break;
    case 18: {
      const rows = I(p, 3);
      softmax(U(p, 1), U(p, 2), sliceStart(rows, 1, tid, nt), sliceEnd(rows, 1, tid, nt), I(p, 4));
      break;
    }
    case 19: {
      const rows = I(p, 4);
      softmaxGrad(U(p, 1), U(p, 2), U(p, 3), sliceStart(rows, 1, tid, nt), sliceEnd(rows, 1, tid, nt), I(p, 5));
      break;
    }
    case 20: {
      const rows = I(p, 5);
      sparseSoftmaxCrossEntropy(U(p, 1), U(p, 2), U(p, 3), U(p, 4), sliceStart(rows, 1, tid, nt), sliceEnd(rows, 1, tid, nt), I(p, 6));
      break;
    }
    case 21: {
      const n = I(p, 5);
      adam(U(p, 1), U(p, 2), U(p, 3), U(p, 4), sliceStart(n, 4, tid, nt), sliceEnd(n, 4, tid, nt), F(p, 0), F(p, 1), F(p, 2), F(p, 3), F(p, 4));
      break;
    }
    case 22: {
      const n = I(p, 4);
      sgd(U(p, 1), U(p, 2), U(p, 3), sliceStart(n, 4, tid, nt), sliceEnd(n, 4, tid, nt), F(p, 0), F(p, 1), I(p, 5) != 0, F(p, 2));
      break;
    }
    case 23: {
      const n = I(p, 5);
      rmsprop(U(p, 1), U(p, 2), U(p, 3), U(p, 4), sliceStart(n, 4, tid, nt), sliceEnd(n, 4, tid, nt), F(p, 0), F(p, 1), F(p, 2), F(p, 3));
      break;
    }
    case 24: {
      // Whole chunks of I(p, 4) rows per share; each chunk leaves its own partial, so the share
      // count changes no result, and a thread's accumulator is its slot's.
      const chunk = I(p, 4);
      const chunks = (I(p, 3) + chunk - 1) / chunk;
      bnStats(U(p, 1), I(p, 2), I(p, 3), chunk, sliceStart(chunks, 1, tid, nt), sliceEnd(chunks, 1, tid, nt), U(p, 5) + <usize>slot * U(p, 6), U(p, 7));
      break;
    }
    case 25:
      if (tid == 0) bnStatsFinalize(U(p, 1), I(p, 2), I(p, 3), U(p, 4), I(p, 5), D(p, 0), U(p, 6), U(p, 7), U(p, 8));
      break;
    case 26:
      if (tid == 0) bnCoefficients(I(p, 1), U(p, 2), U(p, 3), U(p, 4), U(p, 5), U(p, 6));
      break;
    case 27: {
      const rows = I(p, 6);
      bnApply(U(p, 1), U(p, 2), U(p, 3), U(p, 4), U(p, 5), sliceStart(rows, 1, tid, nt), sliceEnd(rows, 1, tid, nt), I(p, 7), I(p, 8) != 0);
      break;
    }
    case 28: {
      const chunk = I(p, 6);
      const chunks = (I(p, 5) + chunk - 1) / chunk;
      bnGradSums(U(p, 1), U(p, 2), U(p, 3), I(p, 4), I(p, 5), chunk, sliceStart(chunks, 1, tid, nt), sliceEnd(chunks, 1, tid, nt), U(p, 7) + <usize>slot * U(p, 8), U(p, 9));
      break;
    }
    case 29:
      if (tid == 0) bnGradFinalize(I(p, 1), I(p, 2), U(p, 3), I(p, 4), U(p, 5), U(p, 6), U(p, 7), U(p, 8), U(p, 9), U(p, 10), U(p, 11), I(p, 12) != 0);
      break;
    case 30: {
      const rows = I(p, 8);
      bnGradApply(U(p, 1), U(p, 2), U(p, 3), U(p, 4), U(p, 5), U(p, 6), U(p, 7), sliceStart(rows, 1, tid, nt), sliceEnd(rows, 1, tid, nt), I(p, 9), I(p, 10) != 0);
      break;
    }
    case 31: {
      const rows = I(p, 6);
      binaryChannel(I(p, 1), I(p, 2), U(p, 3), U(p, 4), U(p, 5), sliceStart(rows, 1, tid, nt), sliceEnd(rows, 1, tid, nt), I(p, 7));
      break;
    }
    case 32: {
      const total = I(p, 3);
      adamMany(U(p, 1), I(p, 2), sliceStart(total, 4, tid, nt), sliceEnd(total, 4, tid, nt), F(p, 0), F(p, 1), F(p, 2), F(p, 3), F(p, 4));
      break;
    }
    case 33:
      depthwiseConv2d(U(p, 1), U(p, 2), U(p, 3), I(p, 4), changetype<ConvInfo>(p + 24), tid, nt);
      break;
    case 34:
      depthwiseConv2dBackpropInput(U(p, 1), U(p, 2), U(p, 3), I(p, 4), changetype<ConvInfo>(p + 24), tid, nt);
      break;
    case 35:
      depthwiseConv2dBackpropFilter(U(p, 1), U(p, 2), U(p, 3), I(p, 4), changetype<ConvInfo>(p + 24), tid, nt);
      break;
    case 36: {
      const chunk = I(p, 8);
      const chunks = (I(p, 7) + chunk - 1) / chunk;
      bnReluGradSums(U(p, 1), U(p, 2), U(p, 3), U(p, 4), U(p, 5), I(p, 6), I(p, 7), chunk, sliceStart(chunks, 1, tid, nt), sliceEnd(chunks, 1, tid, nt), U(p, 9) + <usize>slot * U(p, 10), U(p, 11));
      break;
    }
    case 37: {
      const rows = I(p, 10);
      bnReluGradApply(U(p, 1), U(p, 2), U(p, 3), U(p, 4), U(p, 5), U(p, 6), U(p, 7), U(p, 8), U(p, 9), sliceStart(rows, 1, tid, nt), sliceEnd(rows, 1, tid, nt), I(p, 11));
      break;
    }
    case 38: {
      const wr = I(p, 10);
      bnReluPool(U(p, 1), U(p, 2), U(p, 3), U(p, 4), U(p, 5), I(p, 6), I(p, 7), I(p, 8), I(p, 9), sliceStart(wr, 1, tid, nt), sliceEnd(wr, 1, tid, nt));
      break;
    }
    case 39: {
      // Whole chunks of I(p, 11) window rows per thread.
      const chunk = I(p, 11);
      const chunks = (I(p, 10) + chunk - 1) / chunk;
      bnReluPoolGradSums(U(p, 1), U(p, 2), U(p, 3), U(p, 4), U(p, 5), I(p, 6), I(p, 7), I(p, 8), I(p, 9), I(p, 10), chunk,
        sliceStart(chunks, 1, tid, nt), sliceEnd(chunks, 1, tid, nt), U(p, 12) + <usize>slot * U(p, 13), U(p, 14));
      break;
    }
    case 40: {
      const wr = I(p, 14);
      bnReluPoolGradApply(U(p, 1), U(p, 2), U(p, 3), U(p, 4), U(p, 5), U(p, 6), U(p, 7), U(p, 8), U(p, 9), I(p, 10), I(p, 11), I(p, 12), I(p, 13),
        sliceStart(wr, 1, tid, nt), sliceEnd(wr, 1, tid, nt));
      break;
    }
    case 41:
      winograd4Filter(U(p, 1), U(p, 2), I(p, 3), I(p, 4), I(p, 5) != 0, tid, nt);
      break;
    case 42:
      // Slots after the ConvInfo: scratch stride, pool height and width, pooled height and width, ReLU.
      conv2dMaxPool(U(p, 1), U(p, 2), U(p, 3), U(p, 4), changetype<ConvInfo>(p + 24), I(p, 22), I(p, 23), I(p, 24), I(p, 25), I(p, 26) != 0,
        tid, nt, U(p, 5) + <usize>slot * U(p, 21));
      break;
    case 43:
      conv2dBackpropFilterChannels(U(p, 1), U(p, 2), U(p, 3), changetype<ConvInfo>(p + 24), tid, nt, U(p, 4) + <usize>slot * U(p, 5));
      break;
    case 44: {
      // Sums over the middle axes of [outer, rows, inner] (global pooling's sums): whole samples per share.
      const outer = I(p, 3), rows = I(p, 4), inner = I(p, 5);
      const b1 = sliceEnd(outer, 1, tid, nt);
      for (let b = sliceStart(outer, 1, tid, nt); b < b1; b++) {
        sumRows(U(p, 1) + (<usize>b * <usize>rows * <usize>inner << 2), U(p, 2) + (<usize>b * <usize>inner << 2), rows, inner);
      }
      break;
    }
    default:
      unreachable();
  }
}
