/** Turning per-cell gradients and activations into a picture-sized map in [0, 1]. */
import type { FloatArray } from '../tensor/dtype.js';
import { Tensor } from '../tensor/tensor.js';

/**
 * Bilinear resize of an h x w map to outH x outW with half-pixel centres, as
 * tf.image.resize(method='bilinear') and OpenCV's cv2.resize: each map cell covers an equal
 * block of the image, however the strides and paddings of the layers before it were set.
 */
export function resizeBilinear(map: FloatArray, h: number, w: number, outH: number, outW: number): FloatArray {
  const out = new (map.constructor as Float32ArrayConstructor)(outH * outW);
  const sy = h / outH;
  const sx = w / outW;
  for (let y = 0; y < outH; y++) {
    const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), h - 1);
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, h - 1);
    const ty = fy - y0;
    for (let x = 0; x < outW; x++) {
      const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), w - 1);
      const x0 = Math.floor(fx);
      const x1 = Math.min(x0 + 1, w - 1);
      const tx = fx - x0;
      const top = map[y0 * w + x0] * (1 - tx) + map[y0 * w + x1] * tx;
      const bottom = map[y1 * w + x0] * (1 - tx) + map[y1 * w + x1] * tx;
      out[y * outW + x] = top * (1 - ty) + bottom * ty;
    }
  }
  return out;
}

/**
 * Divides by the largest value so the map spans [0, 1] (as Keras's Grad-CAM example does). An
 * all-zero map stays zero. A NaN anywhere makes the whole map NaN: it is not hidden.
 */
export function normalizeMax(map: FloatArray): FloatArray {
  let hi = 0;
  let nan = false;
  for (let i = 0; i < map.length; i++) {
    if (Number.isNaN(map[i])) nan = true;
    else if (map[i] > hi) hi = map[i];
  }
  if (nan) map.fill(NaN);
  else if (hi > 0) for (let i = 0; i < map.length; i++) map[i] /= hi;
  return map;
}

/** Row and column of the largest value of an [h, w] map (the first, in reading order, on ties). */
export function argmax2d(map: Tensor): { y: number; x: number; value: number } {
  if (map.rank !== 2) throw new Error(`argmax2d: expected a map of shape [h, w], received rank ${map.rank}`);
  const d = map.data;
  let best = 0;
  for (let i = 1; i < d.length; i++) if (d[i] > d[best]) best = i;
  const w = map.shape[1];
  return { y: Math.floor(best / w), x: best % w, value: d[best] };
}
