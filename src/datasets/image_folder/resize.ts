/**
 * Resizing as Keras's `image_dataset_from_directory` does it: `tf.image.resize` (half-pixel
 * centres, no antialiasing) for 'bilinear', 'nearest', 'bicubic' and 'area', and Keras's
 * `smart_resize` central crop for `cropToAspectRatio`. Pixels are interleaved (HWC) uint8; the
 * result is rounded back to uint8 so that batches and the cache stay a quarter of float32's size.
 */
export type Interpolation = 'bilinear' | 'nearest' | 'bicubic' | 'area';
export const INTERPOLATIONS: readonly Interpolation[] = ['bilinear', 'nearest', 'bicubic', 'area'];

export interface Image {
  data: Uint8Array;
  height: number;
  width: number;
  channels: number;
}

/** Keras's smart_resize crop box: the largest central window with the target's aspect ratio. */
export function aspectCrop(height: number, width: number, targetHeight: number, targetWidth: number): { top: number; left: number; height: number; width: number } {
  const cropHeight = Math.min(height, Math.trunc((width * targetHeight) / targetWidth));
  const cropWidth = Math.min(width, Math.trunc((height * targetWidth) / targetHeight));
  return { top: Math.trunc((height - cropHeight) / 2), left: Math.trunc((width - cropWidth) / 2), height: cropHeight, width: cropWidth };
}

export function crop(img: Image, box: { top: number; left: number; height: number; width: number }): Image {
  const { channels: c } = img;
  const out = new Uint8Array(box.height * box.width * c);
  for (let y = 0; y < box.height; y++) {
    const src = ((box.top + y) * img.width + box.left) * c;
    out.set(img.data.subarray(src, src + box.width * c), y * box.width * c);
  }
  return { data: out, height: box.height, width: box.width, channels: c };
}

function toUint8(v: number): number {
  return v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
}

/** Source taps and weights along one axis, for each output coordinate. */
interface Taps {
  index: Int32Array;
  weight: Float64Array;
  count: number;
}

function clampIndex(i: number, size: number): number {
  return i < 0 ? 0 : i >= size ? size - 1 : i;
}

function linearTaps(inSize: number, outSize: number): Taps {
  const scale = inSize / outSize;
  const index = new Int32Array(outSize * 2);
  const weight = new Float64Array(outSize * 2);
  for (let o = 0; o < outSize; o++) {
    const x = Math.max(0, (o + 0.5) * scale - 0.5);
    const lo = Math.floor(x);
    const f = x - lo;
    index[2 * o] = clampIndex(lo, inSize);
    index[2 * o + 1] = clampIndex(lo + 1, inSize);
    weight[2 * o] = 1 - f;
    weight[2 * o + 1] = f;
  }
  return { index, weight, count: 2 };
}

function nearestTaps(inSize: number, outSize: number): Taps {
  const scale = inSize / outSize;
  const index = new Int32Array(outSize);
  for (let o = 0; o < outSize; o++) index[o] = clampIndex(Math.floor((o + 0.5) * scale), inSize);
  return { index, weight: new Float64Array(outSize).fill(1), count: 1 };
}

/** Keys' cubic kernel with a = -0.5, as TensorFlow's half-pixel bicubic resize. */
function cubicTaps(inSize: number, outSize: number): Taps {
  const scale = inSize / outSize;
  const a = -0.5;
  const k = (t: number): number => {
    const x = Math.abs(t);
    if (x <= 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
    if (x < 2) return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a;
    return 0;
  };
  const index = new Int32Array(outSize * 4);
  const weight = new Float64Array(outSize * 4);
  for (let o = 0; o < outSize; o++) {
    const x = (o + 0.5) * scale - 0.5;
    const lo = Math.floor(x);
    const f = x - lo;
    for (let t = 0; t < 4; t++) {
      index[4 * o + t] = clampIndex(lo - 1 + t, inSize);
      weight[4 * o + t] = k(f + 1 - t);
    }
  }
  return { index, weight, count: 4 };
}

/** Box filter over the exact source interval [o * scale, (o + 1) * scale), as ResizeArea. */
function areaTaps(inSize: number, outSize: number): Taps {
  const scale = inSize / outSize;
  const count = Math.ceil(scale) + 1;
  const index = new Int32Array(outSize * count);
  const weight = new Float64Array(outSize * count);
  for (let o = 0; o < outSize; o++) {
    const start = o * scale;
    const end = start + scale;
    let t = 0;
    for (let i = Math.floor(start); i < end && t < count; i++, t++) {
      const overlap = Math.min(i + 1, end) - Math.max(i, start);
      index[o * count + t] = clampIndex(i, inSize);
      weight[o * count + t] = overlap / scale;
    }
  }
  return { index, weight, count };
}

function taps(method: Interpolation, inSize: number, outSize: number): Taps {
  switch (method) {
    case 'bilinear': return linearTaps(inSize, outSize);
    case 'nearest': return nearestTaps(inSize, outSize);
    case 'bicubic': return cubicTaps(inSize, outSize);
    case 'area': return areaTaps(inSize, outSize);
  }
}

/**
 * Separable resize: rows first into a float buffer, then columns. Every output value sums its
 * taps in the same order as a plain per-pixel loop would; the loops only keep the arrays in
 * locals (a Buffer from the decoder and a Uint8Array would otherwise make every access
 * polymorphic) and precompute the source offsets, which makes this several times faster.
 */
export function resize(img: Image, height: number, width: number, method: Interpolation): Image {
  const { channels: c, height: inHeight, width: inWidth } = img;
  if (inHeight === height && inWidth === width) return img;
  const src = img.data;
  const tx = taps(method, inWidth, width);
  const ty = taps(method, inHeight, height);
  const kx = tx.count;
  const ky = ty.count;
  const wx = tx.weight;
  const wy = ty.weight;
  const xOffset = new Int32Array(width * kx);
  for (let i = 0; i < xOffset.length; i++) xOffset[i] = tx.index[i] * c;
  const rowLength = width * c;
  const rows = new Float64Array(inHeight * rowLength);
  for (let y = 0; y < inHeight; y++) {
    const srcRow = y * inWidth * c;
    let o = y * rowLength;
    for (let x = 0; x < width; x++) {
      const tb = x * kx;
      if (kx === 2) {
        // Bilinear: two taps, the same sum as the loop below without its overhead.
        const a = srcRow + xOffset[tb], b = srcRow + xOffset[tb + 1], wa = wx[tb], wb = wx[tb + 1];
        for (let ch = 0; ch < c; ch++, o++) rows[o] = wa * src[a + ch] + wb * src[b + ch];
        continue;
      }
      for (let ch = 0; ch < c; ch++, o++) {
        let sum = 0;
        for (let t = 0; t < kx; t++) sum += wx[tb + t] * src[srcRow + xOffset[tb + t] + ch];
        rows[o] = sum;
      }
    }
  }
  const out = new Uint8Array(height * rowLength);
  const yOffset = new Int32Array(height * ky);
  for (let i = 0; i < yOffset.length; i++) yOffset[i] = ty.index[i] * rowLength;
  for (let y = 0; y < height; y++) {
    const tb = y * ky;
    const o = y * rowLength;
    if (ky === 2) {
      const a = yOffset[tb], b = yOffset[tb + 1], wa = wy[tb], wb = wy[tb + 1];
      for (let i = 0; i < rowLength; i++) {
        const sum = wa * rows[a + i] + wb * rows[b + i];
        out[o + i] = sum <= 0 ? 0 : sum >= 255 ? 255 : Math.round(sum);
      }
      continue;
    }
    for (let i = 0; i < rowLength; i++) {
      let sum = 0;
      for (let t = 0; t < ky; t++) sum += wy[tb + t] * rows[yOffset[tb + t] + i];
      out[o + i] = sum <= 0 ? 0 : sum >= 255 ? 255 : Math.round(sum);
    }
  }
  return { data: out, height, width, channels: c };
}

/**
 * RGB or RGBA pixels (`from` channels) → the requested channels: grey by ITU-R 601 luma
 * (tf.image.rgb_to_grayscale), RGB drops alpha. The input is returned as it is when it already
 * has the requested channels.
 */
export function fromRGBA(rgba: Uint8Array, height: number, width: number, channels: 1 | 3 | 4, from: 3 | 4 = 4): Image {
  if (channels === from) return { data: rgba, height, width, channels };
  if (channels === 4) throw new Error(`fromRGBA: cannot add alpha to ${from}-channel pixels`);
  const n = height * width;
  const out = new Uint8Array(n * channels);
  for (let i = 0; i < n; i++) {
    const r = rgba[from * i], g = rgba[from * i + 1], b = rgba[from * i + 2];
    if (channels === 1) out[i] = toUint8(0.2989 * r + 0.587 * g + 0.114 * b);
    else {
      out[3 * i] = r;
      out[3 * i + 1] = g;
      out[3 * i + 2] = b;
    }
  }
  return { data: out, height, width, channels };
}
