/**
 * What every picture shares: a white canvas, the fonts, the colours, colour maps and the way
 * image tensors are drawn. Rendering is done by @napi-rs/canvas (Skia); text uses the system's
 * DejaVu Sans (Debian: fonts-dejavu-core) and falls back to any sans-serif font.
 */
import { createCanvas, type Canvas, type SKRSContext2D } from '@napi-rs/canvas';

export type Context = SKRSContext2D;

export const FONT = '"DejaVu Sans", "Liberation Sans", Arial, sans-serif';
/** The lab's `plot_image` convention: blue when the prediction is right, red when it is wrong. */
export const RIGHT = '#1f4fd8';
export const WRONG = '#d62728';
/** pandas' default colours, which the lab's `history_df.plot()` shows: blue, then orange. */
export const SERIES = ['#1f77b4', '#ff7f0e', '#2ca02c', '#9467bd'];
export const INK = '#222222';
export const MUTED = '#666666';
export const GRID = '#e3e3e3';

export interface Picture {
  png: Buffer;
  width: number;
  height: number;
}

export function font(size: number, bold = false): string {
  return `${bold ? 'bold ' : ''}${size}px ${FONT}`;
}

/** A canvas with a white background (PNG viewers show transparency as black or checks). */
export function whiteCanvas(width: number, height: number): { canvas: Canvas; ctx: Context } {
  const canvas = createCanvas(Math.round(width), Math.round(height));
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  return { canvas, ctx };
}

export function finish(canvas: Canvas): Picture {
  return { png: canvas.toBuffer('image/png'), width: canvas.width, height: canvas.height };
}

export function text(ctx: Context, s: string, x: number, y: number, opts: { size?: number; bold?: boolean; color?: string; align?: CanvasTextAlign; baseline?: CanvasTextBaseline; maxWidth?: number } = {}): void {
  ctx.font = font(opts.size ?? 14, opts.bold);
  ctx.fillStyle = opts.color ?? INK;
  ctx.textAlign = opts.align ?? 'left';
  ctx.textBaseline = opts.baseline ?? 'alphabetic';
  if (opts.maxWidth !== undefined) ctx.fillText(s, x, y, opts.maxWidth);
  else ctx.fillText(s, x, y);
}

type RGB = [number, number, number];

function lerpStops(stops: RGB[], t: number): RGB {
  const x = Math.min(Math.max(Number.isFinite(t) ? t : 0, 0), 1) * (stops.length - 1);
  const i = Math.min(Math.floor(x), stops.length - 2);
  const f = x - i;
  const a = stops[i];
  const b = stops[i + 1];
  return [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f, a[2] + (b[2] - a[2]) * f];
}

// Anchor points of matplotlib's colour maps, linearly interpolated.
const VIRIDIS: RGB[] = [[68, 1, 84], [72, 40, 120], [62, 74, 137], [49, 104, 142], [38, 130, 142], [31, 158, 137], [53, 183, 121], [109, 205, 89], [180, 222, 44], [253, 231, 37]];
const BLUES: RGB[] = [[247, 251, 255], [222, 235, 247], [198, 219, 239], [158, 202, 225], [107, 174, 214], [66, 146, 198], [33, 113, 181], [8, 81, 156], [8, 48, 107]];
const RDBU: RGB[] = [[33, 102, 172], [103, 169, 207], [209, 229, 240], [247, 247, 247], [253, 219, 199], [239, 138, 98], [178, 24, 43]];

export const colormaps = {
  /** Perceptually uniform, for activations (dark = low, yellow = high). */
  viridis: (t: number): RGB => lerpStops(VIRIDIS, t),
  /** White to dark blue, for counts. */
  blues: (t: number): RGB => lerpStops(BLUES, t),
  /** Blue for negative, white for zero, red for positive (t = 0.5 at zero). */
  rdbu: (t: number): RGB => lerpStops(RDBU, t),
  /** matplotlib's 'binary', the lab's cmap for images: 0 white, 1 black. */
  binary: (t: number): RGB => {
    const v = 255 * (1 - Math.min(Math.max(t, 0), 1));
    return [v, v, v];
  },
};

export function css([r, g, b]: RGB): string {
  return `rgb(${Math.round(r)}, ${Math.round(g)}, ${Math.round(b)})`;
}

/** Black or white, whichever reads better on the given background. */
export function inkOn([r, g, b]: RGB): string {
  return 0.299 * r + 0.587 * g + 0.114 * b > 150 ? INK : '#ffffff';
}

/**
 * Draws an h x w image, upscaled without smoothing so pixels stay sharp. `pixel(y, x)` returns
 * the colour of one source pixel.
 */
export function drawPixels(ctx: Context, h: number, w: number, pixel: (y: number, x: number) => RGB, dx: number, dy: number, dw: number, dh: number): void {
  const small = createCanvas(w, h);
  const sctx = small.getContext('2d');
  const img = sctx.createImageData(w, h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const [r, g, b] = pixel(y, x);
      const o = (y * w + x) * 4;
      img.data[o] = r;
      img.data[o + 1] = g;
      img.data[o + 2] = b;
      img.data[o + 3] = 255;
    }
  }
  sctx.putImageData(img, 0, 0);
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(small, dx, dy, dw, dh);
  ctx.imageSmoothingEnabled = true;
}

/**
 * One image of an NHWC batch (values 0-255 for uint8, or 0-1 for floats) drawn as the lab
 * does: single-channel images with the 'binary' map (dark ink on white), RGB as is.
 */
export function drawSample(ctx: Context, data: ArrayLike<number>, shape: readonly number[], index: number, dx: number, dy: number, size: number): void {
  const [, h, w, c] = shape;
  const base = index * h * w * c;
  const scale = isByteRange(data, base, h * w * c) ? 1 / 255 : 1;
  const pixel = (y: number, x: number): RGB => {
    const o = base + (y * w + x) * c;
    if (c >= 3) return [data[o] * scale * 255, data[o + 1] * scale * 255, data[o + 2] * scale * 255];
    return colormaps.binary(data[o] * scale);
  };
  drawPixels(ctx, h, w, pixel, dx, dy, size * (w / Math.max(h, w)), size * (h / Math.max(h, w)));
  ctx.strokeStyle = '#bbbbbb';
  ctx.lineWidth = 1;
  ctx.strokeRect(dx + 0.5, dy + 0.5, size * (w / Math.max(h, w)) - 1, size * (h / Math.max(h, w)) - 1);
}

function isByteRange(data: ArrayLike<number>, start: number, n: number): boolean {
  if (data instanceof Uint8Array || data instanceof Uint8ClampedArray) return true;
  for (let i = start; i < start + n; i++) if (data[i] > 1.0001) return true;
  return false;
}
