import type { AdamState, Backend, Conv2DInfo, Pool2DInfo } from '../backend.js';
import { referenceBackend } from '../reference/index.js';
import type { TypedArray } from '../../tensor/dtype.js';
import type { WasmEngine } from './engine.js';
import { ACTIVATION_GRAD, BINARY, CONV_SHARES, FINE, GEMM_SHARES, OP, PARALLEL_MACS, UNARY, code, convInts } from './ops.js';
import { createWasmBatchNorm } from './batchnorm.js';
import { createWasmBatchNormPool } from './batchnorm_pool.js';
import { createWasmConvPool } from './conv_pool.js';
import { laneKernels } from './lanes.js';

/*
 * The Backend interface over the wasm kernels. Each method gives the engine its float32 operands
 * (step tensors already in wasm memory are used in place; heap arrays are copied in), describes
 * the call in the parameter block, runs it on as many threads as the work deserves, and has the
 * result copied out unless it was written in place. Float64 tensors go to the reference kernels,
 * which are exact in float64; the wasm kernels are float32 only.
 */

/** Below this many elements (PARALLEL_MACS, ops.ts, for products) a kernel runs on one thread. */
const PARALLEL_ELEMENTS = 1 << 16;

function f32(...arrays: (TypedArray | null)[]): boolean {
  for (const a of arrays) if (a !== null && !(a instanceof Float32Array)) return false;
  return true;
}

function poolInts(p: Pool2DInfo): number[] {
  return [p.batch, p.inHeight, p.inWidth, p.channels, p.outHeight, p.outWidth, p.poolHeight, p.poolWidth, p.strideHeight, p.strideWidth, p.padTop, p.padLeft];
}

/** Strides of `shape` aligned to `outShape`'s rank, 0 on broadcast axes (as the reference). */
function broadcastStrides(shape: readonly number[], outShape: readonly number[]): number[] {
  const rank = outShape.length;
  const strides = new Array<number>(rank).fill(0);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[rank - shape.length + i] = shape[i] === 1 ? 0 : s;
    s *= shape[i];
  }
  return strides;
}

/** Whether one operand is just the last axis (shape [C] or [1, ..., 1, C]) of the other, full-size one: 0 when b is, 1 when a is, -1 otherwise. */
function channelVectorSide(aLength: number, aShape: readonly number[], bLength: number, bShape: readonly number[], outShape: readonly number[]): number {
  const n = outShape.reduce((p, d) => p * d, 1);
  const channels = outShape[outShape.length - 1];
  const isVector = (length: number, shape: readonly number[]): boolean =>
    channels > 0 && length === channels && shape.length > 0 && shape[shape.length - 1] === channels && shape.every((d, i) => i === shape.length - 1 || d === 1);
  if (aLength === n && isVector(bLength, bShape)) return 0;
  if (bLength === n && isVector(aLength, aShape)) return 1;
  return -1;
}

/**
 * The reference kernels, each waiting first for the wasm kernels still queued: they read and
 * write their operands from JavaScript (float64 tensors, mixed dtypes).
 */
export function afterQueued(e: WasmEngine): Backend {
  const wrapped: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(referenceBackend)) {
    wrapped[name] = typeof value === 'function' ? (...args: unknown[]) => (e.flush(), (value as (...a: unknown[]) => unknown)(...args)) : value;
  }
  return wrapped as unknown as Backend;
}

/** F(4x4, 3x3) transformed filters from this size on are shared by a call's shares. */
const SHARED_FILTER_BYTES = 1 << 20;

export function createWasmKernels(e: WasmEngine): Backend {
  const ref = afterQueued(e);
  const threadsFor = (work: number, threshold: number): number => (work >= threshold ? e.numThreads : 1);

  /** Runs the call in the parameter block as an elementwise kernel over n values. */
  const execElementwise = (n: number): void => e.exec(threadsFor(n, PARALLEL_ELEMENTS), FINE);

  function conv(op: number, a: Float32Array, b: Float32Array, out: Float32Array, c: Conv2DInfo): void {
    e.reset();
    const pa = e.put(a);
    const pb = e.put(b);
    const po = e.out(out);
    const kkci = c.kernelHeight * c.kernelWidth * c.inChannels;
    const macs = c.batch * c.outHeight * c.outWidth * kkci * c.outChannels;
    const nt = threadsFor(macs, PARALLEL_MACS);
    const stride = e.exports.convScratchBytes(kkci, c.outChannels);
    // Filter-gradient shares leave partials in scratch of their own, which a second call adds up
    // in share order; the other convolutions index scratch by thread.
    const winograd4 = e.exports.winograd4Uses(c.kernelHeight, c.kernelWidth, c.strideHeight, c.strideWidth, c.dilationHeight, c.dilationWidth,
      c.inChannels, c.outChannels) !== 0;
    // An F(4x4, 3x3) filter gradient over few tiles splits its output channels instead (no partials).
    const tiles = c.batch * Math.ceil(c.outHeight / 4) * Math.ceil(c.outWidth / 4);
    const byChannels = op === OP.conv2dBackpropFilter && winograd4 && nt > 1 && tiles <= e.filterGradChannelSplitTiles;
    const perThread = op === OP.conv2dBackpropFilter && winograd4 ? e.winogradFilterGradShares : CONV_SHARES;
    const partials = op === OP.conv2dBackpropFilter && !byChannels ? e.shareCount(nt, perThread) : 0;
    const scratch = e.scratch(stride * Math.max(nt, partials));
    // F(4x4, 3x3) forward and input gradient split into several shares: a large filter (a
    // transform of 1 MiB or more) is transformed once, by all threads, instead of once per share
    // (a smaller one costs less than the extra phase; docs/performance.md).
    let shared = 0;
    const filterBytes = winograd4 ? e.exports.winograd4SharedFilterBytes(c.inChannels, c.outChannels) : 0;
    if (op !== OP.conv2dBackpropFilter && winograd4 && e.shareWinogradFilter && e.shareCount(nt, CONV_SHARES) > 1
      && filterBytes >= SHARED_FILTER_BYTES) {
      shared = e.alloc(filterBytes);
      e.setParams([OP.winograd4Filter, pb, shared, c.inChannels, c.outChannels, op === OP.conv2dBackpropInput ? 1 : 0]);
      e.exec(nt, FINE);
    }
    e.setParams([byChannels ? OP.conv2dBackpropFilterChannels : op, pa, pb, po, scratch, stride, ...convInts(c), shared]);
    e.exec(nt, perThread);
    if (partials > 1) {
      e.setParams([OP.conv2dFilterReduce, po, kkci, c.outChannels, scratch, stride, partials]);
      e.exec(nt, FINE);
    }
    e.get(po, out);
  }

  /** Depthwise kernels (assembly/depthwise.ts): forward and input gradient split the batch, the filter gradient the channels. */
  function depthwise(op: number, a: Float32Array, b: Float32Array, out: Float32Array, c: Conv2DInfo): void {
    e.reset();
    const pa = e.put(a);
    const pb = e.put(b);
    const po = e.out(out);
    const macs = c.batch * c.outHeight * c.outWidth * c.kernelHeight * c.kernelWidth * c.outChannels;
    e.setParams([op, pa, pb, po, c.outChannels / c.inChannels, 0, ...convInts(c)]);
    e.exec(threadsFor(macs, PARALLEL_MACS), FINE);
    e.get(po, out);
  }

  function pool(op: number, a: Float32Array, b: Float32Array | null, out: Float32Array, p: Pool2DInfo): void {
    e.reset();
    const pa = e.put(a);
    const pb = b ? e.put(b) : 0;
    const po = e.out(out);
    const nt = threadsFor(Math.max(a.length, out.length), PARALLEL_ELEMENTS);
    e.setParams(b ? [op, pa, pb, po, 0, 0, ...poolInts(p)] : [op, pa, po, 0, 0, 0, ...poolInts(p)]);
    e.exec(nt, FINE);
    e.get(po, out);
  }

  const backend: Backend = {
    name: 'wasm',
    ...createWasmBatchNorm(e, ref),
    ...createWasmBatchNormPool(e, ref, () => backend),
    ...createWasmConvPool(e, ref, () => backend),
    // Without shared memory the engine serves no step tensors, so steps need not ask it.
    arena: e.features.sharedMemory ? e : undefined,

    unary(op, x, out, alpha) {
      if (!f32(x, out)) return ref.unary(op, x, out, alpha);
      const c = code(UNARY, op, 'unary op');
      e.reset();
      const px = e.put(x as Float32Array);
      const po = e.out(out as Float32Array);
      e.setParams([OP.unary, c, px, po, x.length], [alpha]);
      execElementwise(x.length);
      e.get(po, out as Float32Array);
    },

    activationGrad(op, dy, yOrX, out, alpha) {
      if (!f32(dy, yOrX, out)) return ref.activationGrad(op, dy, yOrX, out, alpha);
      const c = code(ACTIVATION_GRAD, op, 'activation gradient');
      e.reset();
      const pd = e.put(dy as Float32Array);
      const pv = e.put(yOrX as Float32Array);
      const po = e.out(out as Float32Array);
      e.setParams([OP.activationGrad, c, pd, pv, po, dy.length], [alpha]);
      execElementwise(dy.length);
      e.get(po, out as Float32Array);
    },

    binary(op, a, aShape, b, bShape, out, outShape) {
      if (!f32(a, b, out)) return ref.binary(op, a, aShape, b, bShape, out, outShape);
      const c = code(BINARY, op, 'binary op');
      const n = out.length;
      e.reset();
      const pa = e.put(a as Float32Array);
      const pb = e.put(b as Float32Array);
      const po = e.out(out as Float32Array);
      const mode = a.length === n && b.length === n ? 0 : b.length === 1 && a.length === n ? 1 : a.length === 1 && b.length === n ? 2 : -1;
      const vectorSide = mode >= 0 ? -1 : channelVectorSide(a.length, aShape, b.length, bShape, outShape);
      if (mode >= 0) {
        e.setParams([OP.binary, c, mode, pa, pb, po, n]);
        execElementwise(n);
      } else if (vectorSide >= 0) {
        const channels = outShape[outShape.length - 1];
        e.setParams([OP.binaryChannel, c, vectorSide, pa, pb, po, n / channels, channels]);
        execElementwise(n);
      } else {
        const rank = outShape.length;
        const shape = e.putInt32(outShape);
        const as = e.putInt32(broadcastStrides(aShape, outShape));
        const bs = e.putInt32(broadcastStrides(bShape, outShape));
        const index = e.alloc(rank * 4);
        e.setParams([OP.binaryBroadcast, c, pa, pb, po, rank, shape, as, bs, index, n]);
        e.exec(1);
      }
      e.get(po, out as Float32Array);
    },

    firstNonFinite(x) {
      if (!f32(x)) return ref.firstNonFinite(x);
      // Called directly on this thread: x is read as it is now. A step tensor still being written
      // by queued kernels is finished first (as reading its data from JavaScript would).
      if (e.owns(x as Float32Array)) e.flush();
      e.reset();
      return e.exports.firstNonFinite(e.put(x as Float32Array), x.length);
    },

    reduceSum(x, xShape, out, outShape) {
      if (!f32(x, out)) return ref.reduceSum(x, xShape, out, outShape);
      e.reset();
      const px = e.put(x as Float32Array);
      const po = e.out(out as Float32Array);
      const inner = out.length;
      // The same three cases as the reference, in the same order of additions.
      if (outShape.every((d, i) => d === xShape[i] || (d === 1 && outShape.slice(0, i).every((v) => v === 1)))) {
        e.setParams([OP.sumRows, px, po, inner === 0 ? 0 : x.length / inner, inner]);
        e.exec(1);
      } else if (outShape.every((d, i) => d === xShape[i] || (d === 1 && outShape.slice(i).every((v) => v === 1)))) {
        e.setParams([OP.sumGroups, px, po, inner, x.length / Math.max(inner, 1)]);
        execElementwise(x.length);
      } else if (xShape.length >= 3 && outShape.length === xShape.length && outShape[0] === xShape[0]
        && outShape[xShape.length - 1] === xShape[xShape.length - 1] && outShape.every((d, i) => d === 1 || i === 0 || i === xShape.length - 1)) {
        // The middle axes of [batch, ..., channels] (global pooling): each sample's rows summed in
        // the reference's order, samples shared between threads.
        const outer = xShape[0];
        e.setParams([OP.sumMiddle, px, po, outer, inner === 0 ? 0 : x.length / inner, outer === 0 ? 0 : inner / outer]);
        execElementwise(x.length);
      } else {
        const rank = xShape.length;
        const shape = e.putInt32(xShape);
        const strides = e.putInt32(broadcastStrides(outShape, xShape));
        const index = e.alloc(rank * 4);
        e.setParams([OP.sumStrided, px, po, out.length, rank, shape, strides, index, x.length]);
        e.exec(1);
      }
      e.get(po, out as Float32Array);
    },

    matMul(a, b, out, m, k, n, transposeA, transposeB) {
      if (!f32(a, b, out)) return ref.matMul(a, b, out, m, k, n, transposeA, transposeB);
      e.reset();
      const pa = e.put(a as Float32Array);
      const pb = e.put(b as Float32Array);
      const po = e.out(out as Float32Array);
      const nt = threadsFor(m * n * k, PARALLEL_MACS);
      const stride = e.exports.gemmScratchBytes();
      const scratch = e.scratch(stride * nt);
      const [rsA, csA] = transposeA ? [1, m] : [k, 1];
      const [rsB, csB] = transposeB ? [1, k] : [n, 1];
      const splitRows = Math.ceil(m / 6) >= Math.ceil(n / 8) ? 1 : 0;
      e.setParams([OP.matMul, pa, rsA, csA, pb, rsB, csB, po, m, k, n, scratch, stride, splitRows]);
      e.exec(nt, GEMM_SHARES);
      e.get(po, out as Float32Array);
    },

    biasAdd(x, bias, out, relu = false) {
      if (!f32(x, bias, out)) return ref.biasAdd(x, bias, out, relu);
      const c = bias.length;
      e.reset();
      const px = e.put(x as Float32Array);
      const pb = e.put(bias as Float32Array);
      const po = e.out(out as Float32Array);
      e.setParams([OP.biasAdd, px, pb, po, c === 0 ? 0 : x.length / c, c, relu ? 1 : 0]);
      execElementwise(x.length);
      e.get(po, out as Float32Array);
    },

    conv2d(x, filter, out, info) {
      if (!f32(x, filter, out)) return ref.conv2d(x, filter, out, info);
      conv(OP.conv2d, x as Float32Array, filter as Float32Array, out as Float32Array, info);
    },
    conv2dBackpropInput(dy, filter, dx, info) {
      if (!f32(dy, filter, dx)) return ref.conv2dBackpropInput(dy, filter, dx, info);
      conv(OP.conv2dBackpropInput, dy as Float32Array, filter as Float32Array, dx as Float32Array, info);
    },
    conv2dBackpropFilter(x, dy, dFilter, info) {
      if (!f32(x, dy, dFilter)) return ref.conv2dBackpropFilter(x, dy, dFilter, info);
      conv(OP.conv2dBackpropFilter, x as Float32Array, dy as Float32Array, dFilter as Float32Array, info);
    },
    depthwiseConv2d(x, filter, out, info) {
      if (!f32(x, filter, out)) return ref.depthwiseConv2d(x, filter, out, info);
      depthwise(OP.depthwiseConv2d, x as Float32Array, filter as Float32Array, out as Float32Array, info);
    },
    depthwiseConv2dBackpropInput(dy, filter, dx, info) {
      if (!f32(dy, filter, dx)) return ref.depthwiseConv2dBackpropInput(dy, filter, dx, info);
      depthwise(OP.depthwiseConv2dBackpropInput, dy as Float32Array, filter as Float32Array, dx as Float32Array, info);
    },
    depthwiseConv2dBackpropFilter(x, dy, dFilter, info) {
      if (!f32(x, dy, dFilter)) return ref.depthwiseConv2dBackpropFilter(x, dy, dFilter, info);
      depthwise(OP.depthwiseConv2dBackpropFilter, x as Float32Array, dy as Float32Array, dFilter as Float32Array, info);
    },

    maxPool(x, out, info) {
      if (!f32(x, out)) return ref.maxPool(x, out, info);
      pool(OP.maxPool, x as Float32Array, null, out as Float32Array, info);
    },
    maxPoolGrad(dy, x, dx, info) {
      if (!f32(dy, x, dx)) return ref.maxPoolGrad(dy, x, dx, info);
      pool(OP.maxPoolGrad, dy as Float32Array, x as Float32Array, dx as Float32Array, info);
    },
    avgPool(x, out, info) {
      if (!f32(x, out)) return ref.avgPool(x, out, info);
      pool(OP.avgPool, x as Float32Array, null, out as Float32Array, info);
    },
    avgPoolGrad(dy, dx, info) {
      if (!f32(dy, dx)) return ref.avgPoolGrad(dy, dx, info);
      pool(OP.avgPoolGrad, dy as Float32Array, null, dx as Float32Array, info);
    },

    softmax(x, out, rows, cols) {
      if (!f32(x, out)) return ref.softmax(x, out, rows, cols);
      e.reset();
      const px = e.put(x as Float32Array);
      const po = e.out(out as Float32Array);
      e.setParams([OP.softmax, px, po, rows, cols]);
      execElementwise(x.length);
      e.get(po, out as Float32Array);
    },
    softmaxGrad(dy, y, out, rows, cols) {
      if (!f32(dy, y, out)) return ref.softmaxGrad(dy, y, out, rows, cols);
      e.reset();
      const pd = e.put(dy as Float32Array);
      const py = e.put(y as Float32Array);
      const po = e.out(out as Float32Array);
      e.setParams([OP.softmaxGrad, pd, py, po, rows, cols]);
      execElementwise(dy.length);
      e.get(po, out as Float32Array);
    },
    sparseSoftmaxCrossEntropy(logits, labels, losses, probs, rows, cols) {
      if (!f32(logits, losses, probs)) return ref.sparseSoftmaxCrossEntropy(logits, labels, losses, probs, rows, cols);
      e.reset();
      const pl = e.put(logits as Float32Array);
      const pL = e.putInt32(labels);
      const ploss = e.out(losses as Float32Array);
      const pp = e.out(probs as Float32Array);
      e.setParams([OP.sparseSoftmaxCrossEntropy, pl, pL, ploss, pp, rows, cols]);
      execElementwise(logits.length);
      e.get(ploss, losses as Float32Array);
      e.get(pp, probs as Float32Array);
    },

    adamUpdate(param, grad, m, v, s: AdamState) {
      if (!f32(param, grad, m, v)) return ref.adamUpdate(param, grad, m, v, s);
      const lrT = (s.lr * Math.sqrt(1 - Math.pow(s.beta2, s.step))) / (1 - Math.pow(s.beta1, s.step));
      e.reset();
      const pp = e.put(param as Float32Array);
      const pg = e.put(grad as Float32Array);
      const pm = e.put(m as Float32Array);
      const pv = e.put(v as Float32Array);
      e.setParams([OP.adam, pp, pg, pm, pv, param.length], [lrT, s.beta1, s.beta2, s.epsilon, s.lr * s.weightDecay]);
      execElementwise(param.length);
      e.get(pp, param as Float32Array);
      e.get(pm, m as Float32Array);
      e.get(pv, v as Float32Array);
    },
    adamUpdateMany(variables, s: AdamState) {
      if (!variables.every(({ param, grad, m, v }) => f32(param, grad, m, v))) {
        for (const { param, grad, m, v } of variables) this.adamUpdate(param, grad, m, v, s);
        return;
      }
      const lrT = (s.lr * Math.sqrt(1 - Math.pow(s.beta2, s.step))) / (1 - Math.pow(s.beta1, s.step));
      e.reset();
      const rows: number[] = [];
      let total = 0;
      for (const { param, grad, m, v } of variables) {
        const pp = e.put(param as Float32Array);
        const pg = e.put(grad as Float32Array);
        const pm = e.put(m as Float32Array);
        const pv = e.put(v as Float32Array);
        rows.push(pp, pg, pm, pv, param.length);
        total += param.length;
      }
      const table = e.putInt32(rows);
      e.setParams([OP.adamMany, table, variables.length, total], [lrT, s.beta1, s.beta2, s.epsilon, s.lr * s.weightDecay]);
      // An Adam element reads four floats, writes three and takes a square root and a division:
      // worth splitting from a quarter of the size of a plain elementwise op.
      e.exec(threadsFor(total, PARALLEL_ELEMENTS / 4), FINE);
      variables.forEach(({ param, m, v }, i) => {
        e.get(rows[5 * i], param as Float32Array);
        e.get(rows[5 * i + 2], m as Float32Array);
        e.get(rows[5 * i + 3], v as Float32Array);
      });
    },
    sgdUpdate(param, grad, velocity, lr, momentum, nesterov, weightDecay) {
      if (!f32(param, grad, velocity)) return ref.sgdUpdate(param, grad, velocity, lr, momentum, nesterov, weightDecay);
      e.reset();
      const pp = e.put(param as Float32Array);
      const pg = e.put(grad as Float32Array);
      const pv = velocity ? e.put(velocity as Float32Array) : 0;
      e.setParams([OP.sgd, pp, pg, pv, param.length, nesterov ? 1 : 0], [lr, momentum, weightDecay]);
      execElementwise(param.length);
      e.get(pp, param as Float32Array);
      if (velocity) e.get(pv, velocity as Float32Array);
    },
    rmspropUpdate(param, grad, meanSquare, velocity, lr, rho, momentum, epsilon) {
      if (!f32(param, grad, meanSquare, velocity)) return ref.rmspropUpdate(param, grad, meanSquare, velocity, lr, rho, momentum, epsilon);
      e.reset();
      const pp = e.put(param as Float32Array);
      const pg = e.put(grad as Float32Array);
      const pm = e.put(meanSquare as Float32Array);
      const pv = velocity ? e.put(velocity as Float32Array) : 0;
      e.setParams([OP.rmsprop, pp, pg, pm, pv, param.length], [lr, rho, momentum, epsilon]);
      execElementwise(param.length);
      e.get(pp, param as Float32Array);
      e.get(pm, meanSquare as Float32Array);
      if (velocity) e.get(pv, velocity as Float32Array);
    },
  };
  // Batch-wise kernels split by sample inside data-parallel steps (lanes.ts).
  Object.assign(backend, laneKernels(e, backend));
  return backend;
}
