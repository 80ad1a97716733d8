import { ConvInfo, convPixels, convScratchBytes } from './conv';
import { sliceEnd, sliceStart } from './simd';
import { rowsConvMaxPool, rowsPoolApplies } from './conv_pool_rows';

/*
 * Inference of Conv2D (+ bias, + ReLU) followed by a MaxPooling2D whose windows do not overlap
 * (stride = window, 'valid'), the lab CNN's and LeNet's conv → pool stages. Unfused, the
 * full-size convolution output is written, read and written again by the bias kernel, and read
 * once more by the pool. Here a thread computes the convolution a band of pooled rows at a time
 * into a buffer that stays in L1 and writes only the pooled values: max over the window, then
 * the bias, then the ReLU. That order gives the same floats as bias, ReLU, then max, because
 * adding a constant and the ReLU are monotone (rounding keeps order), and f32 max propagates
 * NaN as the pool kernels do.
 */

/** Convolution output floats per band (32 KiB, in L1 while it is pooled); at least one pooled row. */
const BAND_FLOATS: i32 = 8 * 1024;

@inline function pooledRowsPerBand(c: ConvInfo, ph: i32): i32 {
  const rowFloats = ph * c.ow * c.co;
  return max(1, BAND_FLOATS / rowFloats);
}

/** Per-thread scratch: a convolution's (convScratchBytes), then the band. */
export function convPoolScratchBytes(kkci: i32, co: i32, ow: i32, ph: i32, poh: i32): i32 {
  const rowFloats = ph * ow * co;
  const rows = min(poh, max(1, BAND_FLOATS / rowFloats));
  return convScratchBytes(kkci, co) + ((rows * rowFloats * 4 + 63) & ~63);
}

/**
 * out[b, i, j, k] = relu?(max over the ph x pw window (i, j) of conv(x)[b, ·, ·, k] + bias[k]) for
 * pooled rows (b, i) in share tid of nt. bias may be 0 (none). Pixels of the convolution that no
 * window covers (the last row or column of an odd size) are not computed.
 */
export function conv2dMaxPool(
  x: usize, w: usize, bias: usize, out: usize, c: ConvInfo, ph: i32, pw: i32, poh: i32, pow: i32, relu: bool,
  tid: i32, nt: i32, scratch: usize,
): void {
  if (rowsPoolApplies(c, ph, pw)) {
    const total = c.batch * poh;
    rowsConvMaxPool(x, w, bias, out, c, poh, pow, relu, sliceStart(total, 1, tid, nt), sliceEnd(total, 1, tid, nt), scratch);
    return;
  }
  const band = scratch + <usize>convScratchBytes(c.kh * c.kw * c.ci, c.co);
  const perBand = pooledRowsPerBand(c, ph);
  const total = c.batch * poh;
  const p1 = sliceEnd(total, 1, tid, nt);
  let p = sliceStart(total, 1, tid, nt);
  while (p < p1) {
    const b = p / poh;
    const i = p - b * poh;
    const n = min(perBand, min(p1 - p, poh - i));
    const r0 = (b * c.oh + i * ph) * c.ow;
    const r1 = r0 + n * ph * c.ow;
    // convPixels writes pixel r at out + r·co floats: shifting the origin back by r0 pixels puts
    // pixel r0 at the start of the band (the address arithmetic wraps, as wasm's i32 does).
    convPixels(x, w, band - (<usize>(r0 * c.co) << 2), c, r0, r1, scratch);
    if (relu) poolBand(band, bias, out + (<usize>(p * pow * c.co) << 2), n, c.ow, c.co, ph, pw, pow, true);
    else poolBand(band, bias, out + (<usize>(p * pow * c.co) << 2), n, c.ow, c.co, ph, pw, pow, false);
    p += n;
  }
}

/** The max of one window's four channels at corner (a vector of channel k..k+3), then bias and ReLU, stored at o. */
// @ts-ignore: decorator
@inline
function poolVector(corner: usize, bias: usize, o: usize, ph: i32, pw: i32, pixelBytes: usize, rowBytes: usize, RELU: bool): void {
  let best: v128;
  if (ph == 2 && pw == 2) {
    best = f32x4.max(f32x4.max(v128.load(corner), v128.load(corner + pixelBytes)),
      f32x4.max(v128.load(corner + rowBytes), v128.load(corner + rowBytes + pixelBytes)));
  } else {
    best = v128.load(corner);
    for (let dy = 0; dy < ph; dy++) {
      const q = corner + <usize>dy * rowBytes;
      for (let dx = 0; dx < pw; dx++) best = f32x4.max(best, v128.load(q + <usize>dx * pixelBytes));
    }
  }
  let v = bias != 0 ? f32x4.add(best, v128.load(bias)) : best;
  // Clearing the lanes where v <= 0 zeroes those (-0 becomes +0) and keeps NaN, as biasAdd's ReLU.
  if (RELU) v = v128.andnot(v, f32x4.le(v, f32x4.splat(0)));
  v128.store(o, v);
}

// @ts-ignore: decorator
@inline
function poolBand(band: usize, bias: usize, out: usize, rows: i32, ow: i32, co: i32, ph: i32, pw: i32, pow: i32, RELU: bool): void {
  const pixelBytes = <usize>co << 2;
  const rowBytes = <usize>(ow * co) << 2;
  // Channels in vectors of four; the last vector of a count that is not a multiple of four
  // overlaps the one before it (its shared channels get the same values twice).
  const last = co >= 4 ? co - 4 : 0;
  let o = out;
  for (let i = 0; i < rows; i++) {
    const top = band + <usize>(i * ph) * rowBytes;
    for (let j = 0; j < pow; j++) {
      const corner = top + <usize>(j * pw) * pixelBytes;
      if (co >= 4) {
        for (let k = 0; k < last; k += 4) {
          const kb = <usize>k << 2;
          poolVector(corner + kb, bias != 0 ? bias + kb : 0, o + kb, ph, pw, pixelBytes, rowBytes, RELU);
        }
        const kb = <usize>last << 2;
        poolVector(corner + kb, bias != 0 ? bias + kb : 0, o + kb, ph, pw, pixelBytes, rowBytes, RELU);
      } else {
        for (let k = 0; k < co; k++) {
          const kb = <usize>k << 2;
          let best = load<f32>(corner + kb);
          for (let dy = 0; dy < ph; dy++) {
            const q = corner + <usize>dy * rowBytes + kb;
            for (let dx = 0; dx < pw; dx++) best = max<f32>(best, load<f32>(q + <usize>dx * pixelBytes));
          }
          let v = bias != 0 ? best + load<f32>(bias + kb) : best;
          if (RELU) v = v <= 0 ? 0 : v;
          store<f32>(o + kb, v);
        }
      }
      o += pixelBytes;
    }
  }
}
