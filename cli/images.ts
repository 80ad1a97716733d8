/**
 * Turning an image file into a model input, as documented in docs/cli.md:
 *   1. decode (PNG, JPEG, WebP, GIF, BMP: whatever Skia reads) and composite over white;
 *   2. resize to the model's height x width (stretched, as Keras's load_img(target_size));
 *   3. for 1-channel models, convert to grey (ITU-R 601 luma, as PIL's convert('L')) and, with
 *      --invert auto, invert when the border is light: Fashion-MNIST and MNIST show light
 *      objects on a black background, while photos and scans usually have a light one;
 *   4. scale 0-255 to 0-1, as in training.
 */
import { promises as fsp } from 'node:fs';
import { createCanvas, loadImage } from '@napi-rs/canvas';
import { imageSize } from 'image-size';
import { Tensor } from '../src/tensor/tensor.js';
import { CliError } from './context.js';
import { describeFileType, sniffFileType, truncation, type FileType } from './file_type.js';

export type InvertMode = 'auto' | 'yes' | 'no';

/**
 * Largest image predict decodes (2^26 pixels, 67.1 megapixels, 256 MiB as RGBA). The decoder allocates the
 * full bitmap its header declares, so a few hundred hostile bytes claiming 10000x10000 pixels
 * would otherwise cost 400 MB; the header is read and checked first.
 */
export const MAX_IMAGE_PIXELS = 2 ** 26;

/** A file that is not a decodable image: predict reports it and goes on with the other files. */
export class UnreadableImageError extends CliError {
  constructor(
    readonly file: string,
    /** What the file is, from its first bytes ('text', 'PNG image', ...); null when it could not be read at all. */
    readonly fileType: FileType | null,
    readonly reason: string,
  ) {
    super(`Cannot read image '${file}': ${reason}`);
  }
}

/** Files larger than this are refused unread: no image predict can decode is that large. */
const MAX_IMAGE_FILE_BYTES = 4 * MAX_IMAGE_PIXELS;

async function readImageBytes(file: string): Promise<Buffer> {
  try {
    const stat = await fsp.stat(file);
    if (stat.isDirectory()) throw new UnreadableImageError(file, null, 'it is a directory');
    if (!stat.isFile()) throw new UnreadableImageError(file, null, 'it is not a regular file');
    if (stat.size > MAX_IMAGE_FILE_BYTES) throw new UnreadableImageError(file, null, `it has ${stat.size} bytes, more than the ${MAX_IMAGE_FILE_BYTES} bytes of the largest image predict decodes`);
    return await fsp.readFile(file);
  } catch (e) {
    if (e instanceof UnreadableImageError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (e as Error).message;
    throw new UnreadableImageError(file, null, reason);
  }
}

export interface PreparedImage {
  /** float32 [1, h, w, c] in [0, 1] */
  x: Tensor;
  /** uint8 [1, h, w, c], for pictures */
  raw: Tensor;
  inverted: boolean;
  originalSize: [number, number];
}

export async function prepareImage(file: string, shape: readonly number[], invert: InvertMode, pixelScale: number): Promise<PreparedImage> {
  const [h, w, c] = shape;
  if (c !== 1 && c !== 3) throw new CliError(`The model expects ${c} channels per pixel; predict handles 1 (grey) or 3 (RGB)`);
  const bytes = await readImageBytes(file);
  const type = sniffFileType(bytes);
  if (!type.decodable) {
    throw new UnreadableImageError(file, type, type.name === 'empty file' ? 'it is an empty file (0 bytes)' : `it is ${describeFileType(type)}, not a PNG, JPEG, WebP, GIF or BMP image`);
  }
  const cut = truncation(bytes, type.name);
  if (cut) throw new UnreadableImageError(file, type, `it is ${describeFileType(type)} ${cut}`);
  let declared: { width?: number; height?: number };
  try {
    declared = imageSize(bytes);
  } catch (e) {
    throw new UnreadableImageError(file, type, `it is ${describeFileType(type)} whose header cannot be read, perhaps damaged (${(e as Error).message})`);
  }
  const pixels = (declared.width ?? 0) * (declared.height ?? 0);
  if (pixels > MAX_IMAGE_PIXELS) {
    throw new UnreadableImageError(
      file,
      type,
      `its header declares ${declared.width}x${declared.height} pixels (${(pixels / 1e6).toFixed(1)} megapixels), ` +
        `more than the ${(MAX_IMAGE_PIXELS / 1e6).toFixed(1)} megapixels predict decodes; scale it down first`,
    );
  }
  let image: Awaited<ReturnType<typeof loadImage>>;
  try {
    image = await loadImage(bytes);
  } catch (e) {
    throw new UnreadableImageError(file, type, `it is ${describeFileType(type)} that cannot be decoded, perhaps truncated or damaged (${(e as Error).message})`);
  }
  if (!(image.width > 0 && image.height > 0)) throw new UnreadableImageError(file, type, `it is ${describeFileType(type)} that decodes to an empty picture (0 pixels)`);
  const canvas = createCanvas(w, h);
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, w, h);
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(image, 0, 0, w, h);
  const rgba = ctx.getImageData(0, 0, w, h).data;

  const raw = new Uint8Array(h * w * c);
  for (let i = 0; i < h * w; i++) {
    const r = rgba[i * 4];
    const g = rgba[i * 4 + 1];
    const b = rgba[i * 4 + 2];
    if (c === 1) raw[i] = Math.round(0.299 * r + 0.587 * g + 0.114 * b);
    else raw.set([r, g, b], i * 3);
  }
  let inverted = false;
  if (c === 1 && (invert === 'yes' || (invert === 'auto' && borderMean(raw, h, w) > 127))) {
    for (let i = 0; i < raw.length; i++) raw[i] = 255 - raw[i];
    inverted = true;
  }
  const x = new Float32Array(raw.length);
  for (let i = 0; i < raw.length; i++) x[i] = raw[i] * pixelScale;
  return { x: new Tensor(x, [1, h, w, c]), raw: new Tensor(raw, [1, h, w, c]), inverted, originalSize: [image.width, image.height] };
}

function borderMean(grey: Uint8Array, h: number, w: number): number {
  let sum = 0;
  let n = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (y === 0 || x === 0 || y === h - 1 || x === w - 1) {
        sum += grey[y * w + x];
        n++;
      }
    }
  }
  return sum / n;
}
