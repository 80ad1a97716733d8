import type { FloatArray } from '../../tensor/dtype.js';
import type { WasmEngine } from './engine.js';
import { FINE, OP } from './ops.js';

/*
 * What the wasm batch-norm kernels share (batchnorm.ts, batchnorm_pool.ts): the float32 check,
 * the threading rule, and the passes of every batch-norm gradient. The three gradients (plain,
 * with ReLU, with ReLU and max pooling) differ only in their sums pass and their dx pass.
 */

/** Below this many elements a call runs on one thread, as the other elementwise kernels. */
export const PARALLEL_ELEMENTS = 1 << 16;

export function f32(...arrays: (FloatArray | null)[]): boolean {
  for (const a of arrays) if (a !== null && !(a instanceof Float32Array)) return false;
  return true;
}

/** Per-thread regions start on 64-byte boundaries, as the engine's allocations do. */
export const align64 = (bytes: number): number => Math.ceil(bytes / 64) * 64;

export interface BnGradOperands {
  dy: FloatArray;
  x: FloatArray;
  mean: FloatArray;
  invStd: FloatArray;
  gamma: FloatArray | null;
  /** With ReLU: the mask is recomputed from x with gamma and beta, so beta is read. */
  beta: FloatArray | null;
  dx: FloatArray | null;
  sumDy: FloatArray;
  sumDyXhat: FloatArray;
}

/** Arena addresses the variant's passes read; scale and shift are 0 without ReLU. */
export interface BnGradPointers {
  dy: number;
  x: number;
  mean: number;
  scale: number;
  shift: number;
  /** dx's coefficients from bnGradFinalize. */
  ca: number;
  ck: number;
  cm: number;
}

export interface BnGradVariant {
  relu: boolean;
  training: boolean;
  /** The sums pass's params, and where its chunk partials are and how many. */
  sums(p: BnGradPointers): { params: number[]; partials: number; chunks: number };
  /** The dx pass's params. */
  apply(p: BnGradPointers, dx: number): number[];
}

/**
 * A batch-norm gradient in passes: (with ReLU) the per-channel scale and shift, the variant's
 * partial sums on every thread, their reduction and dx's coefficients on one thread in chunk
 * order, then the variant's dx pass. Results do not depend on the thread count.
 */
export function runBnGrad(e: WasmEngine, o: BnGradOperands, channels: number, rows: number, nt: number, v: BnGradVariant): void {
  const c = channels;
  const put = (a: FloatArray | null): number => (a ? e.put(a as Float32Array) : 0);
  e.reset();
  const pd = e.put(o.dy as Float32Array);
  const px = e.put(o.x as Float32Array);
  const pm = e.put(o.mean as Float32Array);
  const pi = e.put(o.invStd as Float32Array);
  const pg = put(o.gamma);
  const pb = v.relu ? put(o.beta) : 0;
  const ps1 = e.out(o.sumDy as Float32Array);
  const ps2 = e.out(o.sumDyXhat as Float32Array);
  const scale = v.relu ? e.alloc(c * 4) : 0;
  const shift = v.relu ? e.alloc(c * 4) : 0;
  const p: BnGradPointers = { dy: pd, x: px, mean: pm, scale, shift, ca: e.alloc(c * 4), ck: e.alloc(c * 4), cm: e.alloc(c * 4) };
  if (v.relu) {
    e.setParams([OP.bnCoefficients, c, pi, pg, pb, scale, shift]);
    e.exec(1);
  }
  const s = v.sums(p);
  e.setParams(s.params);
  e.exec(nt, FINE);
  e.setParams([OP.bnGradFinalize, c, rows, s.partials, s.chunks, pi, pg, ps1, ps2, p.ca, p.ck, p.cm, v.training ? 1 : 0]);
  e.exec(1);
  if (o.dx) {
    const pdx = e.out(o.dx as Float32Array);
    e.setParams(v.apply(p, pdx));
    e.exec(nt, FINE);
    e.get(pdx, o.dx as Float32Array);
  }
  e.get(ps1, o.sumDy as Float32Array);
  e.get(ps2, o.sumDyXhat as Float32Array);
}
