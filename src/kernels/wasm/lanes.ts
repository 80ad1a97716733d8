import type { Backend, BinaryOp, Conv2DInfo } from '../backend.js';
import type { TypedArray } from '../../tensor/dtype.js';
import type { WasmEngine } from './engine.js';
import { OP } from './ops.js';

/*
 * Data-parallel steps. Cut kernel by kernel into shares, a small network's training step makes its
 * threads meet after every kernel, and at batch 32 those meetings cost LeNet-5 a fifth of its
 * two-thread step. Inside a step that sets a batch (runStep(f, batch), engine.laneBatch), the
 * kernels here instead run each call on the batch as one call per lane, one lane per thread,
 * lane l taking samples [⌊l·B/T⌋, ⌊(l+1)·B/T⌋): the same kernels on a smaller batch. A lane's
 * command waits only for the lane's previous command (worker_source.ts), so each thread carries
 * its part of the batch through the forward and backward passes on its own.
 *
 * Where a kernel sums over the batch (filter and weight gradients, bias gradients, a loss's sum),
 * each lane writes a partial sum and one reduce command adds them in lane order: results depend
 * only on the thread count, as before. Nothing waits for a reduce command but barriers (ordinary
 * commands) and lane_ranges.ts keeps lanes from touching its output.
 *
 * A call runs whole (as a barrier, on all threads) where lanes would not pay or not be safe: the
 * step set no batch, fewer samples than lanes, less work than engine.laneMinWork (tiny calls), more
 * than LANE_MAX_MACS (large kernels share out well by themselves, and their shares share work such
 * as filter transforms), an operand whose size is not a multiple of the batch, an output on the JS heap, or what
 * lane_ranges.ts refuses. Kernels not listed here (batch normalization, optimizers, ...) always
 * run whole.
 */

/** Above this many multiply-adds (or elements) a call runs whole, cut into shares. */
const LANE_MAX_MACS = 1 << 25;

/**
 * matMul splits into lanes only while its weight-side operand is this small (floats): every lane
 * reads and packs all of it, and a weight gradient's lanes each write a partial of its size, where
 * the call's shares would split its columns once. On the lab CNN's 980x120 dense layer, lanes took
 * the two-thread speed-up at batch 32 from 1.57x to 1.42x.
 */
const LANE_MAX_WEIGHTS = 1 << 14;

/** The part of a batch-split operand that one lane reads or writes. */
type Part = <A extends TypedArray>(a: A) => A;

function f32(...arrays: TypedArray[]): boolean {
  return arrays.every((a) => a instanceof Float32Array);
}

function convMacs(c: Conv2DInfo): number {
  return c.batch * c.outHeight * c.outWidth * c.kernelHeight * c.kernelWidth * c.inChannels * c.outChannels;
}

/** Lane-splitting versions of `k`'s batch-wise kernels, each falling back to `k`'s own. */
export function laneKernels(e: WasmEngine, k: Backend): Partial<Backend> {
  const whole = { ...k };

  /** The operands that lie in wasm memory: the only ones lanes could race on (heap operands are copied in per call). */
  const owned = <A extends TypedArray>(list: readonly A[]): A[] => list.filter((a) => e.owns(a));

  /**
   * The lane count for a call over `reads` and `writes` split by sample and `shared` read whole by
   * every lane (the owned ones given again as ownedReads and ownedShared), or 0 when it runs whole.
   */
  function lanesFor(work: number, reads: readonly TypedArray[], writes: readonly Float32Array[], ownedReads: readonly TypedArray[], ownedShared: readonly Float32Array[]): number {
    const batch = e.laneBatch;
    const lanes = e.laneCount;
    // Inside a lane (a kernel that composes others), calls run whole within it.
    if (batch === 0 || lanes < 2 || batch < lanes || work > LANE_MAX_MACS || work < e.laneMinWork || e.lane >= 0) return 0;
    for (const a of reads) if (a.length === 0 || a.length % batch !== 0) return 0;
    for (const a of writes) if (a.length === 0 || a.length % batch !== 0 || !e.owns(a)) return 0;
    return e.laneRanges.admits(ownedReads, writes, ownedShared) ? lanes : 0;
  }

  /**
   * Runs `run` once per lane (inside the lane), with heap operands among `shared` copied in once
   * and `extraBytes` of scratch at `extra` that every lane's call keeps.
   */
  function runLanes(lanes: number, shared: readonly Float32Array[], extraBytes: number, run: (part: Part, shared: Float32Array[], samples: number, lane: number, extra: number) => void): void {
    const batch = e.laneBatch;
    e.reset();
    const views = shared.map((a) => (e.owns(a) ? a : e.view(e.put(a), a.length)));
    const extra = extraBytes > 0 ? e.alloc(extraBytes) : 0;
    e.holdCall();
    try {
      for (let lane = 0; lane < lanes; lane++) {
        const lo = Math.floor((lane * batch) / lanes);
        const hi = Math.floor(((lane + 1) * batch) / lanes);
        e.lane = lane;
        run(<A extends TypedArray>(a: A) => a.subarray(lo * (a.length / batch), hi * (a.length / batch)) as A, views, hi - lo, lane, extra);
      }
    } finally {
      e.lane = -1;
    }
  }

  /** A call split by sample; false where it must run whole. */
  function split(work: number, reads: readonly TypedArray[], writes: readonly Float32Array[], shared: readonly Float32Array[], run: (part: Part, shared: Float32Array[], samples: number) => void): boolean {
    const ownedReads = owned(reads);
    const ownedShared = owned(shared);
    const lanes = lanesFor(work, reads, writes, ownedReads, ownedShared);
    if (lanes === 0) return false;
    try {
      runLanes(lanes, shared, 0, run);
    } finally {
      e.held = 0;
    }
    e.laneRanges.record(ownedReads, writes, ownedShared);
    return true;
  }

  /**
   * A call that sums over the batch: each lane writes its partial sum of out's size, and a reduce
   * command adds the partials in lane order into `out`; false where it must run whole.
   */
  function reduce(work: number, reads: readonly TypedArray[], shared: readonly Float32Array[], out: Float32Array, run: (part: Part, shared: Float32Array[], samples: number, partial: Float32Array) => void): boolean {
    if (!e.owns(out)) return false;
    const ownedReads = owned(reads);
    const ownedShared = owned(shared);
    const lanes = lanesFor(work, reads, [], ownedReads, ownedShared);
    if (lanes === 0) return false;
    const n = out.length;
    try {
      let partials = 0;
      runLanes(lanes, shared, lanes * n * 4, (part, views, samples, lane, extra) => {
        partials = extra;
        run(part, views, samples, e.view(extra + lane * n * 4, n));
      });
      e.reset();
      e.setParams([OP.sumRows, partials, e.out(out), lanes, n]);
      e.reducing = true;
      e.exec(1);
    } finally {
      e.reducing = false;
      e.held = 0;
    }
    e.laneRanges.record(ownedReads, [], ownedShared);
    e.laneRanges.recordReduced(out);
    return true;
  }

  const isBatch = (batch: number): boolean => batch === e.laneBatch;

  /** A pooling kernel split by sample. */
  const pooling = (name: 'maxPool' | 'avgPool'): Backend['maxPool'] => (x, out, info) => {
    if (!(f32(x, out) && isBatch(info.batch)
      && split(x.length, [x], [out as Float32Array], [], (part, _, samples) => whole[name](part(x), part(out), { ...info, batch: samples })))) {
      whole[name](x, out, info);
    }
  };

  /** A convolution split by sample (forward, input gradient): every lane reads the whole filter. */
  const bySample = (name: 'conv2d' | 'conv2dBackpropInput' | 'depthwiseConv2d' | 'depthwiseConv2dBackpropInput'): Backend['conv2d'] => (x, filter, out, info) => {
    if (!(f32(x, filter, out) && isBatch(info.batch)
      && split(convMacs(info), [x], [out as Float32Array], [filter as Float32Array], (part, [f], samples) => whole[name](part(x), f, part(out), { ...info, batch: samples })))) {
      whole[name](x, filter, out, info);
    }
  };

  /** A filter gradient: each lane's partial sum over its samples, added in lane order. */
  const summedOverBatch = (name: 'conv2dBackpropFilter' | 'depthwiseConv2dBackpropFilter'): Backend['conv2dBackpropFilter'] => (x, dy, dFilter, info) => {
    if (!(f32(x, dy, dFilter) && isBatch(info.batch)
      && reduce(convMacs(info), [x, dy], [], dFilter as Float32Array, (part, _, samples, partial) => whole[name](part(x), part(dy), partial, { ...info, batch: samples })))) {
      whole[name](x, dy, dFilter, info);
    }
  };

  /**
   * A broadcasting binary op by sample. Where the output's first axis is the batch, an operand
   * with that axis is split and one broadcast along it (rank below the output's, or first axis
   * 1) is read whole. Otherwise (a flattened batch) full-size operands are split by length and a
   * scalar or a last-axis vector is read whole.
   */
  function splitBinary(op: BinaryOp, a: Float32Array, aShape: readonly number[], b: Float32Array, bShape: readonly number[], out: Float32Array, outShape: readonly number[]): boolean {
    const n = out.length;
    const batch = e.laneBatch;
    if (outShape.length > 0 && outShape[0] === batch) {
      const rank = outShape.length;
      const isSplit = (shape: readonly number[]): boolean => shape.length === rank && shape[0] === batch;
      const isWhole = (shape: readonly number[]): boolean => shape.length < rank || shape[0] === 1;
      if (!(isSplit(aShape) || isWhole(aShape)) || !(isSplit(bShape) || isWhole(bShape))) return false;
      const sub = (shape: readonly number[], samples: number): number[] => [samples, ...shape.slice(1)];
      return split(n, [a, b].filter((_, i) => isSplit(i === 0 ? aShape : bShape)), [out], [a, b].filter((_, i) => !isSplit(i === 0 ? aShape : bShape)), (part, shared, samples) => {
        let next = 0;
        const pa = isSplit(aShape) ? part(a) : shared[next++];
        const pb = isSplit(bShape) ? part(b) : shared[next++];
        whole.binary(op, pa, isSplit(aShape) ? sub(aShape, samples) : aShape, pb, isSplit(bShape) ? sub(bShape, samples) : bShape, part(out), sub(outShape, samples));
      });
    }
    const channels = outShape.length > 0 ? outShape[outShape.length - 1] : 1;
    const isVector = (length: number, shape: readonly number[]): boolean =>
      channels > 0 && length === channels && shape.length > 0 && shape[shape.length - 1] === channels && shape.every((d, i) => i === shape.length - 1 || d === 1);
    const aFull = a.length === n;
    const bFull = b.length === n;
    const splittable = (aFull && bFull) || (aFull && b.length === 1) || (bFull && a.length === 1)
      || (((aFull && isVector(b.length, bShape)) || (bFull && isVector(a.length, aShape))) && (n / batch) % channels === 0);
    if (!splittable) return false;
    return split(n, [a, b].filter((v) => v.length === n), [out], [a, b].filter((v) => v.length !== n), (part, shared) => {
      const o = part(out);
      // Rows of channels where the other operand is a channel vector, else the flat part.
      const vector = !(aFull && bFull) && a.length !== 1 && b.length !== 1;
      const shape = vector ? [o.length / channels, channels] : [o.length];
      const [pa, pb] = aFull && bFull ? [part(a), part(b)] : aFull ? [part(a), shared[0]] : [shared[0], part(b)];
      whole.binary(op, pa, aFull ? shape : aShape, pb, bFull ? shape : bShape, o, shape);
    });
  }

  return {
    unary(op, x, out, alpha) {
      if (!(f32(x, out) && split(x.length, [x], [out as Float32Array], [], (part) => whole.unary(op, part(x), part(out), alpha)))) whole.unary(op, x, out, alpha);
    },
    activationGrad(op, dy, yOrX, out, alpha) {
      if (!(f32(dy, yOrX, out) && dy.length === out.length && yOrX.length === out.length
        && split(out.length, [dy, yOrX], [out as Float32Array], [], (part) => whole.activationGrad(op, part(dy), part(yOrX), part(out), alpha)))) {
        whole.activationGrad(op, dy, yOrX, out, alpha);
      }
    },
    binary(op, a, aShape, b, bShape, out, outShape) {
      if (!(f32(a, b, out) && e.laneBatch > 0 && splitBinary(op, a as Float32Array, aShape, b as Float32Array, bShape, out as Float32Array, outShape))) {
        whole.binary(op, a, aShape, b, bShape, out, outShape);
      }
    },
    reduceSum(x, xShape, out, outShape) {
      // Leading axes summed away (bias gradients, a loss's sum): rows of `inner` values.
      const inner = out.length;
      const rows = outShape.every((d, i) => d === xShape[i] || (d === 1 && outShape.slice(0, i).every((v) => v === 1)));
      if (!(f32(x, out) && rows && inner > 0 && e.laneBatch > 0 && (x.length / e.laneBatch) % inner === 0
        && reduce(x.length, [x], [], out as Float32Array, (part, _, __, partial) => {
          const p = part(x);
          whole.reduceSum(p, [p.length / inner, inner], partial, [1, inner]);
        }))) {
        whole.reduceSum(x, xShape, out, outShape);
      }
    },
    matMul(a, b, out, m, k, n, transposeA, transposeB) {
      const work = m * k * n;
      const weights = transposeA ? m * n : k * n;
      const done = f32(a, b, out) && m > 0 && k > 0 && n > 0 && weights <= LANE_MAX_WEIGHTS && (transposeA
        // aᵀ·b summed over the batch (a weight gradient): a is [k, m] and b [k, n], split along k.
        ? !transposeB && reduce(work, [a, b], [], out as Float32Array, (part, _, __, partial) => {
          const pa = part(a);
          whole.matMul(pa, part(b), partial, m, pa.length / m, n, true, false);
        })
        // Rows of a by sample (a layer's forward pass, an input gradient): a is [m, k], out [m, n].
        : split(work, [a], [out as Float32Array], [b as Float32Array], (part, [pb]) => {
          const pa = part(a);
          whole.matMul(pa, pb, part(out), pa.length / k, k, n, false, transposeB);
        }));
      if (!done) whole.matMul(a, b, out, m, k, n, transposeA, transposeB);
    },
    biasAdd(x, bias, out, relu = false) {
      const c = bias.length;
      if (!(f32(x, bias, out) && c > 0 && e.laneBatch > 0 && (x.length / e.laneBatch) % c === 0
        && split(x.length, [x], [out as Float32Array], [bias as Float32Array], (part, [pb]) => whole.biasAdd(part(x), pb, part(out), relu)))) {
        whole.biasAdd(x, bias, out, relu);
      }
    },
    conv2d: bySample('conv2d'),
    conv2dBackpropInput: bySample('conv2dBackpropInput'),
    conv2dBackpropFilter: summedOverBatch('conv2dBackpropFilter'),
    depthwiseConv2d: bySample('depthwiseConv2d'),
    depthwiseConv2dBackpropInput: bySample('depthwiseConv2dBackpropInput'),
    depthwiseConv2dBackpropFilter: summedOverBatch('depthwiseConv2dBackpropFilter'),
    maxPool: pooling('maxPool'),
    avgPool: pooling('avgPool'),
    maxPoolGrad(dy, x, dx, info) {
      if (!(f32(dy, x, dx) && isBatch(info.batch)
        && split(x.length, [dy, x], [dx as Float32Array], [], (part, _, samples) => whole.maxPoolGrad(part(dy), part(x), part(dx), { ...info, batch: samples })))) {
        whole.maxPoolGrad(dy, x, dx, info);
      }
    },
    avgPoolGrad(dy, dx, info) {
      if (!(f32(dy, dx) && isBatch(info.batch)
        && split(dx.length, [dy], [dx as Float32Array], [], (part, _, samples) => whole.avgPoolGrad(part(dy), part(dx), { ...info, batch: samples })))) {
        whole.avgPoolGrad(dy, dx, info);
      }
    },
    softmax(x, out, rows, cols) {
      if (!(f32(x, out) && cols > 0 && rows % Math.max(e.laneBatch, 1) === 0
        && split(x.length, [x], [out as Float32Array], [], (part) => whole.softmax(part(x), part(out), part(x).length / cols, cols)))) {
        whole.softmax(x, out, rows, cols);
      }
    },
    softmaxGrad(dy, y, out, rows, cols) {
      if (!(f32(dy, y, out) && cols > 0 && rows % Math.max(e.laneBatch, 1) === 0
        && split(out.length, [dy, y], [out as Float32Array], [], (part) => whole.softmaxGrad(part(dy), part(y), part(out), part(out).length / cols, cols)))) {
        whole.softmaxGrad(dy, y, out, rows, cols);
      }
    },
    sparseSoftmaxCrossEntropy(logits, labels, losses, probs, rows, cols) {
      if (!(f32(logits, losses, probs) && cols > 0 && labels.length === rows && rows % Math.max(e.laneBatch, 1) === 0
        && split(logits.length, [logits, labels], [losses as Float32Array, probs as Float32Array], [], (part) => {
          const p = part(logits);
          whole.sparseSoftmaxCrossEntropy(p, part(labels), part(losses), part(probs), p.length / cols, cols);
        }))) {
        whole.sparseSoftmaxCrossEntropy(logits, labels, losses, probs, rows, cols);
      }
    },
  };
}
