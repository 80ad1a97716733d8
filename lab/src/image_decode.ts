/**
 * A picture file → the model's input pixels, in the page or in a worker: recognised by its
 * first bytes with the formats `convlab predict` reads (JPEG, PNG, GIF, BMP), decoded with
 * createImageBitmap (EXIF orientation applied, colours converted to sRGB, as sharp does for
 * predict), read back through an OffscreenCanvas, then prepared by images_data.ts's code.
 */
import { sniffImage, SNIFF_BYTES } from '../../src/datasets/image_folder/sniff.js';
import { preparePixels, type ImageSettings, type SkipReason } from './images_data.js';

/** Larger images are skipped: their RGBA copy alone would take 400 MB. */
const MAX_PIXELS = 100_000_000;

export type DecodedFile = { ok: true; pixels: Uint8Array } | { ok: false; reason: SkipReason; message: string };

type Context2D = OffscreenCanvasRenderingContext2D | CanvasRenderingContext2D;
let scratch: { canvas: OffscreenCanvas | HTMLCanvasElement; ctx: Context2D } | null = null;

/** Draws a bitmap or a video frame at its own size and reads its RGBA pixels back. */
export function rgbaOf(source: CanvasImageSource, width: number, height: number): Uint8ClampedArray {
  if (!scratch) {
    const canvas = typeof OffscreenCanvas !== 'undefined' ? new OffscreenCanvas(1, 1) : document.createElement('canvas');
    const ctx = canvas.getContext('2d', { willReadFrequently: true }) as Context2D | null;
    if (!ctx) throw new Error('this browser gives no 2-D canvas context');
    scratch = { canvas, ctx };
  }
  const { canvas, ctx } = scratch;
  canvas.width = width;
  canvas.height = height;
  ctx.clearRect(0, 0, width, height);
  ctx.drawImage(source, 0, 0);
  const data = ctx.getImageData(0, 0, width, height).data;
  // Keep the scratch canvas small between pictures: a 12-megapixel one holds 48 MB.
  canvas.width = 1;
  canvas.height = 1;
  return data;
}

export async function decodeImage(file: Blob, settings: ImageSettings): Promise<DecodedFile> {
  if (file.size === 0) return { ok: false, reason: 'empty', message: 'empty file (0 bytes)' };
  const sniffed = sniffImage(new Uint8Array(await file.slice(0, SNIFF_BYTES).arrayBuffer()));
  if (sniffed.format === null) {
    return sniffed.what === 'not an image'
      ? { ok: false, reason: 'not-an-image', message: 'content is not a JPEG, PNG, GIF or BMP image' }
      : { ok: false, reason: 'unsupported-format', message: `${sniffed.what} content (convlab predict, like Keras, reads JPEG, PNG, GIF and BMP)` };
  }
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file, { imageOrientation: 'from-image', premultiplyAlpha: 'none' });
  } catch (e) {
    return { ok: false, reason: 'corrupt', message: `${sniffed.format.toUpperCase()} could not be decoded: ${(e as Error).message}` };
  }
  try {
    const { width, height } = bitmap;
    if (width * height > MAX_PIXELS) return { ok: false, reason: 'too-large', message: `${width}×${height} is more than ${MAX_PIXELS.toLocaleString('en-US')} pixels` };
    return { ok: true, pixels: preparePixels(rgbaOf(bitmap, width, height), height, width, settings) };
  } finally {
    bitmap.close();
  }
}
