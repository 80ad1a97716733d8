import { PoolInfo } from './pool_info';
import { isTiled, maxPoolGradTiled, maxPoolTiled } from './pool_tiled';
import { at, sliceEnd, sliceStart } from './simd';

export { PoolInfo };

/*
 * Pooling over NHWC input, split across threads by whole images. Padded cells never take part,
 * as in TensorFlow: max ignores them and average divides by the count of real cells.
 */


/**
 * Lanes where v replaces the window's best so far: a larger value, or the first NaN (NaN
 * propagates through max pooling, as in PyTorch, and the first NaN takes the gradient).
 */
@inline function takes(v: v128, best: v128): v128 {
  return v128.or(f32x4.gt(v, best), v128.andnot(f32x4.ne(v, v), f32x4.ne(best, best)));
}

export function maxPool(x: usize, out: usize, p: PoolInfo, tid: i32, nt: i32): void {
  if (isTiled(p)) {
    maxPoolTiled(x, out, p, tid, nt);
    return;
  }
  const C = p.c;
  const b0 = sliceStart(p.batch, 1, tid, nt);
  const b1 = sliceEnd(p.batch, 1, tid, nt);
  for (let b = b0; b < b1; b++) {
    for (let oh = 0; oh < p.oh; oh++) {
      const hs = oh * p.sh - p.pt;
      const h0 = max(hs, 0);
      const h1 = min(hs + p.ph, p.h);
      for (let ow = 0; ow < p.ow; ow++) {
        const ws = ow * p.sw - p.pl;
        const w0 = max(ws, 0);
        const w1 = min(ws + p.pw, p.w);
        const o = ((b * p.oh + oh) * p.ow + ow) * C;
        let c = 0;
        for (; c + 4 <= C; c += 4) {
          let best = f32x4.splat(<f32>-Infinity);
          for (let ih = h0; ih < h1; ih++) {
            for (let iw = w0; iw < w1; iw++) {
              const v = v128.load(at(x, ((b * p.h + ih) * p.w + iw) * C + c));
              best = v128.bitselect(v, best, takes(v, best));
            }
          }
          v128.store(at(out, o + c), best);
        }
        for (; c < C; c++) {
          let best = <f32>-Infinity;
          for (let ih = h0; ih < h1; ih++) {
            for (let iw = w0; iw < w1; iw++) {
              const v = load<f32>(at(x, ((b * p.h + ih) * p.w + iw) * C + c));
              if (v > best || (v != v && best == best)) best = v;
            }
          }
          store<f32>(at(out, o + c), best);
        }
      }
    }
  }
}

const LANES = i32x4(0, 1, 2, 3);

@inline function addAt(dx: usize, index: i32, g: f32): void {
  if (index < 0) return;
  const d = at(dx, index);
  store<f32>(d, load<f32>(d) + g);
}

/** Routes each output gradient to the first cell holding the window's maximum. */
export function maxPoolGrad(dy: usize, x: usize, dx: usize, p: PoolInfo, tid: i32, nt: i32): void {
  if (isTiled(p)) {
    maxPoolGradTiled(dy, x, dx, p, tid, nt);
    return;
  }
  const C = p.c;
  const b0 = sliceStart(p.batch, 1, tid, nt);
  const b1 = sliceEnd(p.batch, 1, tid, nt);
  const hwc = p.h * p.w * C;
  if (b1 > b0) memory.fill(at(dx, b0 * hwc), 0, <usize>((b1 - b0) * hwc) << 2);
  for (let b = b0; b < b1; b++) {
    for (let oh = 0; oh < p.oh; oh++) {
      const hs = oh * p.sh - p.pt;
      const h0 = max(hs, 0);
      const h1 = min(hs + p.ph, p.h);
      for (let ow = 0; ow < p.ow; ow++) {
        const ws = ow * p.sw - p.pl;
        const w0 = max(ws, 0);
        const w1 = min(ws + p.pw, p.w);
        const o = ((b * p.oh + oh) * p.ow + ow) * C;
        let c = 0;
        // Four channels at once: track the best value and its flat index per lane.
        for (; c + 4 <= C; c += 4) {
          let best = f32x4.splat(<f32>-Infinity);
          let bestIndex = i32x4.splat(-1);
          for (let ih = h0; ih < h1; ih++) {
            for (let iw = w0; iw < w1; iw++) {
              const i = ((b * p.h + ih) * p.w + iw) * C + c;
              const v = v128.load(at(x, i));
              const take = takes(v, best);
              best = v128.bitselect(v, best, take);
              bestIndex = v128.bitselect(i32x4.add(i32x4.splat(i), LANES), bestIndex, take);
            }
          }
          const g = v128.load(at(dy, o + c));
          addAt(dx, i32x4.extract_lane(bestIndex, 0), f32x4.extract_lane(g, 0));
          addAt(dx, i32x4.extract_lane(bestIndex, 1), f32x4.extract_lane(g, 1));
          addAt(dx, i32x4.extract_lane(bestIndex, 2), f32x4.extract_lane(g, 2));
          addAt(dx, i32x4.extract_lane(bestIndex, 3), f32x4.extract_lane(g, 3));
        }
        for (; c < C; c++) {
          let best = <f32>-Infinity;
          let bestIndex = -1;
          for (let ih = h0; ih < h1; ih++) {
            for (let iw = w0; iw < w1; iw++) {
              const i = ((b * p.h + ih) * p.w + iw) * C + c;
              const v = load<f32>(at(x, i));
              if (v > best || (v != v && best == best)) {
                best = v;
                bestIndex = i;
              }
            }
          }
          if (bestIndex >= 0) {
            const d = at(dx, bestIndex);
            store<f32>(d, load<f32>(d) + load<f32>(at(dy, o + c)));
          }
        }
      }
    }
  }
}

export function avgPool(x: usize, out: usize, p: PoolInfo, tid: i32, nt: i32): void {
  const C = p.c;
  const b0 = sliceStart(p.batch, 1, tid, nt);
  const b1 = sliceEnd(p.batch, 1, tid, nt);
  for (let b = b0; b < b1; b++) {
    for (let oh = 0; oh < p.oh; oh++) {
      const hs = oh * p.sh - p.pt;
      const h0 = max(hs, 0);
      const h1 = min(hs + p.ph, p.h);
      for (let ow = 0; ow < p.ow; ow++) {
        const ws = ow * p.sw - p.pl;
        const w0 = max(ws, 0);
        const w1 = min(ws + p.pw, p.w);
        const count = <f64>((h1 - h0) * (w1 - w0));
        const o = ((b * p.oh + oh) * p.ow + ow) * C;
        for (let c = 0; c < C; c++) {
          let s: f64 = 0;
          for (let ih = h0; ih < h1; ih++) {
            for (let iw = w0; iw < w1; iw++) s += <f64>load<f32>(at(x, ((b * p.h + ih) * p.w + iw) * C + c));
          }
          store<f32>(at(out, o + c), <f32>(s / count));
        }
      }
    }
  }
}

export function avgPoolGrad(dy: usize, dx: usize, p: PoolInfo, tid: i32, nt: i32): void {
  const C = p.c;
  const b0 = sliceStart(p.batch, 1, tid, nt);
  const b1 = sliceEnd(p.batch, 1, tid, nt);
  const hwc = p.h * p.w * C;
  if (b1 > b0) memory.fill(at(dx, b0 * hwc), 0, <usize>((b1 - b0) * hwc) << 2);
  for (let b = b0; b < b1; b++) {
    for (let oh = 0; oh < p.oh; oh++) {
      const hs = oh * p.sh - p.pt;
      const h0 = max(hs, 0);
      const h1 = min(hs + p.ph, p.h);
      for (let ow = 0; ow < p.ow; ow++) {
        const ws = ow * p.sw - p.pl;
        const w0 = max(ws, 0);
        const w1 = min(ws + p.pw, p.w);
        const count = <f32>((h1 - h0) * (w1 - w0));
        const o = ((b * p.oh + oh) * p.ow + ow) * C;
        for (let c = 0; c < C; c++) {
          const g = load<f32>(at(dy, o + c)) / count;
          for (let ih = h0; ih < h1; ih++) {
            for (let iw = w0; iw < w1; iw++) {
              const d = at(dx, ((b * p.h + ih) * p.w + iw) * C + c);
              store<f32>(d, load<f32>(d) + g);
            }
          }
        }
      }
    }
  }
}
