import type { Pool2DInfo } from '../backend.js';
import type { FloatArray } from '../../tensor/dtype.js';

/*
 * Pooling over NHWC input. Padded cells never take part, as in TensorFlow: max ignores them (and
 * returns the first NaN of a window that holds one, as PyTorch does; TF.js's CPU kernel keeps NaN
 * only when it comes first) and
 * average divides by the number of real cells in each window. poolWindows clips every window to
 * the input once; the kernels then loop over (window, channel).
 */

/** Per output pixel: [h0, h1, w0, w1), the window clipped to the input. */
export function poolWindows(p: Pool2DInfo): Int32Array {
  const windows = new Int32Array(p.outHeight * p.outWidth * 4);
  let k = 0;
  for (let oh = 0; oh < p.outHeight; oh++) {
    const top = oh * p.strideHeight - p.padTop;
    for (let ow = 0; ow < p.outWidth; ow++) {
      const left = ow * p.strideWidth - p.padLeft;
      windows[k++] = Math.max(top, 0);
      windows[k++] = Math.min(top + p.poolHeight, p.inHeight);
      windows[k++] = Math.max(left, 0);
      windows[k++] = Math.min(left + p.poolWidth, p.inWidth);
    }
  }
  return windows;
}

/**
 * Index of the first maximum of channel c in a window of image b, or of its first NaN: NaN
 * propagates through max pooling, as in PyTorch. -1 for an empty window or one of -Infinity only.
 */
function argmaxInWindow(x: FloatArray, p: Pool2DInfo, win: Int32Array, k: number, b: number, c: number): number {
  let best = -Infinity;
  let bestIndex = -1;
  for (let ih = win[k]; ih < win[k + 1]; ih++) {
    for (let iw = win[k + 2]; iw < win[k + 3]; iw++) {
      const i = ((b * p.inHeight + ih) * p.inWidth + iw) * p.channels + c;
      if (x[i] > best) {
        best = x[i];
        bestIndex = i;
      } else if (x[i] !== x[i]) {
        return i;
      }
    }
  }
  return bestIndex;
}

export function maxPool(x: FloatArray, out: FloatArray, p: Pool2DInfo): void {
  const win = poolWindows(p);
  const C = p.channels;
  let o = 0;
  for (let b = 0; b < p.batch; b++) {
    for (let k = 0; k < win.length; k += 4) {
      for (let c = 0; c < C; c++) {
        const i = argmaxInWindow(x, p, win, k, b, c);
        out[o++] = i < 0 ? -Infinity : x[i];
      }
    }
  }
}

/** Routes each output gradient to the first cell holding the window's maximum. */
export function maxPoolGrad(dy: FloatArray, x: FloatArray, dx: FloatArray, p: Pool2DInfo): void {
  const win = poolWindows(p);
  const C = p.channels;
  dx.fill(0);
  let o = 0;
  for (let b = 0; b < p.batch; b++) {
    for (let k = 0; k < win.length; k += 4) {
      for (let c = 0; c < C; c++) {
        const i = argmaxInWindow(x, p, win, k, b, c);
        if (i >= 0) dx[i] += dy[o];
        o++;
      }
    }
  }
}

export function avgPool(x: FloatArray, out: FloatArray, p: Pool2DInfo): void {
  const win = poolWindows(p);
  const { inHeight: H, inWidth: W, channels: C } = p;
  let o = 0;
  for (let b = 0; b < p.batch; b++) {
    for (let k = 0; k < win.length; k += 4) {
      const count = (win[k + 1] - win[k]) * (win[k + 3] - win[k + 2]);
      for (let c = 0; c < C; c++) {
        let s = 0;
        for (let ih = win[k]; ih < win[k + 1]; ih++) {
          for (let iw = win[k + 2]; iw < win[k + 3]; iw++) s += x[((b * H + ih) * W + iw) * C + c];
        }
        out[o++] = s / count;
      }
    }
  }
}

export function avgPoolGrad(dy: FloatArray, dx: FloatArray, p: Pool2DInfo): void {
  const win = poolWindows(p);
  const { inHeight: H, inWidth: W, channels: C } = p;
  dx.fill(0);
  let o = 0;
  for (let b = 0; b < p.batch; b++) {
    for (let k = 0; k < win.length; k += 4) {
      const count = (win[k + 1] - win[k]) * (win[k + 3] - win[k + 2]);
      for (let c = 0; c < C; c++) {
        const g = dy[o++] / count;
        for (let ih = win[k]; ih < win[k + 1]; ih++) {
          for (let iw = win[k + 2]; iw < win[k + 3]; iw++) dx[((b * H + ih) * W + iw) * C + c] += g;
        }
      }
    }
  }
}
