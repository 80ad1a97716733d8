/**
 * The colours of a heat map laid over an image, shared by the PNG pictures (src/plots, Node)
 * and the browser lab: matplotlib's 'jet' (blue = no weight, red = most), 45% over the image,
 * as Keras's Grad-CAM example superimposes them. No canvas here, so both can use it.
 */
export type RGB = [number, number, number];

// matplotlib's 'jet' at nine anchor points.
const JET: RGB[] = [[0, 0, 128], [0, 0, 255], [0, 128, 255], [0, 255, 255], [128, 255, 128], [255, 255, 0], [255, 128, 0], [255, 0, 0], [128, 0, 0]];

export const HEAT_WEIGHT = 0.45;

/** The jet colour of t in [0, 1] (NaN and values outside are clamped; NaN shows as 0). */
export function jet(t: number): RGB {
  const x = Math.min(Math.max(Number.isFinite(t) ? t : 0, 0), 1) * (JET.length - 1);
  const i = Math.min(Math.floor(x), JET.length - 2);
  const f = x - i;
  return [0, 1, 2].map((c) => JET[i][c] + (JET[i + 1][c] - JET[i][c]) * f) as RGB;
}

/** One pixel of the overlay: the image colour (0-255) blended with the heat's jet colour. */
export function blend(base: RGB, heat: number): RGB {
  const j = jet(heat);
  return [0, 1, 2].map((c) => (1 - HEAT_WEIGHT) * base[c] + HEAT_WEIGHT * j[c]) as RGB;
}

/**
 * RGBA pixels (for ImageData) of an h x w overlay. `pixel(i)` gives the image colour of pixel i
 * (row-major), 0-255; `heat` holds h * w values in [0, 1].
 */
export function overlayRGBA(pixel: (i: number) => RGB, heat: ArrayLike<number>, h: number, w: number): Uint8ClampedArray {
  const out = new Uint8ClampedArray(h * w * 4);
  for (let i = 0; i < h * w; i++) {
    const [r, g, b] = blend(pixel(i), heat[i]);
    out[i * 4] = r;
    out[i * 4 + 1] = g;
    out[i * 4 + 2] = b;
    out[i * 4 + 3] = 255;
  }
  return out;
}
