import { PoolInfo } from './pool_info';
import { at, sliceEnd, sliceStart } from './simd';

/*
 * Max pooling whose windows tile the input (stride = window, no padding: every CNN's 2x2 pool on
 * even sizes), for four or more channels. Every window then lies inside the input and no two
 * overlap, so the channels go four at a time with no bounds checks, and a channel count that is
 * not a multiple of four ends with one vector that overlaps the previous one (recomputing lanes
 * gives the same values). The gradient writes each window's cells outright, dy at the first
 * maximum and zero elsewhere, instead of adding into a zeroed dx one float at a time.
 * f32x4.max propagates NaN, as the general kernels' scan does (the first NaN wins, as in
 * PyTorch). The results equal pool.ts's (a zero, or a zero gradient, may differ in sign).
 */

export function isTiled(p: PoolInfo): bool {
  return p.c >= 4 && p.pt == 0 && p.pl == 0 && p.sh == p.ph && p.sw == p.pw && p.oh * p.ph <= p.h && p.ow * p.pw <= p.w;
}

const NEG_INF = f32x4.splat(<f32>-Infinity);

/** The maximum of four channels over a window whose top-left cell is at `first`. */
@inline function windowMax(first: usize, PH: i32, PW: i32, row: usize, cell: usize): v128 {
  let best = NEG_INF;
  for (let dh = 0; dh < PH; dh++) {
    let q = first + <usize>dh * row;
    for (let dw = 0; dw < PW; dw++) {
      best = f32x4.max(best, v128.load(q));
      q += cell;
    }
  }
  return best;
}

export function maxPoolTiled(x: usize, out: usize, p: PoolInfo, tid: i32, nt: i32): void {
  const C = p.c, H = p.h, W = p.w, OH = p.oh, OW = p.ow, PH = p.ph, PW = p.pw;
  const row = <usize>(W * C) << 2;
  const cell = <usize>C << 2;
  const b0 = sliceStart(p.batch, 1, tid, nt);
  const b1 = sliceEnd(p.batch, 1, tid, nt);
  let o = at(out, b0 * OH * OW * C);
  for (let b = b0; b < b1; b++) {
    for (let oh = 0; oh < OH; oh++) {
      let window = at(x, ((b * H + oh * PH) * W) * C);
      for (let ow = 0; ow < OW; ow++) {
        for (let c = 0; c < C; c += 4) {
          const offset = <usize>min(c, C - 4) << 2;
          v128.store(o + offset, windowMax(window + offset, PH, PW, row, cell));
        }
        o += cell;
        window += <usize>PW * cell;
      }
    }
  }
}

export function maxPoolGradTiled(dy: usize, x: usize, dx: usize, p: PoolInfo, tid: i32, nt: i32): void {
  const C = p.c, H = p.h, W = p.w, OH = p.oh, OW = p.ow, PH = p.ph, PW = p.pw;
  const row = <usize>(W * C) << 2;
  const cell = <usize>C << 2;
  const b0 = sliceStart(p.batch, 1, tid, nt);
  const b1 = sliceEnd(p.batch, 1, tid, nt);
  const hwc = H * W * C;
  // Cells in no window (the last row or column of an odd size) get no gradient.
  if (b1 > b0 && (OH * PH < H || OW * PW < W)) memory.fill(at(dx, b0 * hwc), 0, <usize>((b1 - b0) * hwc) << 2);
  let g = at(dy, b0 * OH * OW * C);
  for (let b = b0; b < b1; b++) {
    for (let oh = 0; oh < OH; oh++) {
      const start = ((b * H + oh * PH) * W) * C;
      let window = at(x, start);
      let target = at(dx, start);
      for (let ow = 0; ow < OW; ow++) {
        for (let c = 0; c < C; c += 4) {
          const offset = <usize>min(c, C - 4) << 2;
          const best = windowMax(window + offset, PH, PW, row, cell);
          // The first cell equal to the maximum (the first NaN when it is NaN) takes the
          // gradient; a window of -Infinity only passes none, as a strict v > best scan finds none.
          const grad = v128.load(g + offset);
          const bestIsNaN = f32x4.ne(best, best);
          let taken = f32x4.eq(best, NEG_INF);
          let r = window + offset;
          let t = target + offset;
          for (let dh = 0; dh < PH; dh++) {
            let q = r;
            let d = t;
            for (let dw = 0; dw < PW; dw++) {
              const v = v128.load(q);
              const first = v128.andnot(v128.or(f32x4.eq(v, best), v128.and(f32x4.ne(v, v), bestIsNaN)), taken);
              v128.store(d, v128.and(grad, first));
              taken = v128.or(taken, first);
              q += cell;
              d += cell;
            }
            r += row;
            t += row;
          }
        }
        g += cell;
        window += <usize>PW * cell;
        target += <usize>PW * cell;
      }
    }
  }
}
