/**
 * Decodes one image file into the pixels a batch holds: decoded by content (sniff.ts), EXIF
 * orientation applied, converted to grey, RGB or RGBA, optionally cropped to the target's aspect
 * ratio, then resized as tf.image.resize does (resize.ts). Node only.
 *
 * Decoding uses sharp (libvips), which reports truncated and corrupt files instead of returning
 * grey pixels, and applies the EXIF orientation; BMP, which libvips lacks, goes through
 * @napi-rs/canvas (Skia).
 */
import { readFile } from 'node:fs/promises';
import { aspectCrop, crop, fromRGBA, resize, type Image, type Interpolation } from './resize.js';
import { SNIFF_BYTES, sniffImage } from './sniff.js';

export interface DecodeSpec {
  height: number;
  width: number;
  channels: 1 | 3 | 4;
  interpolation: Interpolation;
  cropToAspectRatio: boolean;
}

export type SkipReason = 'unreadable' | 'empty' | 'not-an-image' | 'unsupported-format' | 'corrupt';

export type Decoded = { ok: true; pixels: Uint8Array } | { ok: false; reason: SkipReason; message: string };

type SharpModule = typeof import('sharp').default;
let sharpModule: Promise<SharpModule> | null = null;

function loadSharp(): Promise<SharpModule> {
  sharpModule ??= import('sharp').then((m) => {
    const sharp = m.default;
    // Parallelism comes from our decode workers; libvips's own threads would oversubscribe them.
    sharp.concurrency(1);
    sharp.cache(false);
    return sharp;
  });
  return sharpModule;
}

interface Decoded8 {
  data: Uint8Array;
  width: number;
  height: number;
  channels: 3 | 4;
}

/** RGBA when the target keeps alpha, else RGB straight from libvips (no alpha to drop here). */
async function pixelsWithSharp(bytes: Uint8Array, alpha: boolean): Promise<Decoded8> {
  const sharp = await loadSharp();
  // failOn 'error': truncated and corrupt data fail (libvips would otherwise fill them with grey);
  // warnings that TensorFlow's decoders also accept do not.
  const pipeline = sharp(bytes, { failOn: 'error', pages: 1, limitInputPixels: 0x10000000 }).autoOrient().toColourspace('srgb');
  const { data, info } = await (alpha ? pipeline.ensureAlpha() : pipeline.removeAlpha()).raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  const channels = alpha ? 4 : 3;
  if (info.channels !== channels) throw new Error(`expected ${channels} channels from the decoder, received ${info.channels}`);
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height, channels };
}

async function rgbaWithCanvas(bytes: Uint8Array): Promise<Decoded8> {
  const { createCanvas, loadImage } = await import('@napi-rs/canvas');
  const img = await loadImage(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  if (!(img.width > 0 && img.height > 0)) throw new Error('the image has no pixels');
  const canvas = createCanvas(img.width, img.height);
  const ctx = canvas.getContext('2d');
  ctx.drawImage(img, 0, 0);
  const data = ctx.getImageData(0, 0, img.width, img.height).data;
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: img.width, height: img.height, channels: 4 };
}

/** Decodes bytes already read; `what` names the file in messages. */
export async function decodeBytes(bytes: Uint8Array, spec: DecodeSpec): Promise<Decoded> {
  if (bytes.length === 0) return { ok: false, reason: 'empty', message: 'empty file (0 bytes)' };
  const sniffed = sniffImage(bytes.subarray(0, SNIFF_BYTES));
  if (sniffed.format === null) {
    return sniffed.what === 'not an image'
      ? { ok: false, reason: 'not-an-image', message: 'content is not a JPEG, PNG, GIF or BMP image' }
      : { ok: false, reason: 'unsupported-format', message: `${sniffed.what} content (Keras reads JPEG, PNG, GIF and BMP)` };
  }
  let rgba: Decoded8;
  try {
    rgba = sniffed.format === 'bmp' ? await rgbaWithCanvas(bytes) : await pixelsWithSharp(bytes, spec.channels === 4);
  } catch (e) {
    return { ok: false, reason: 'corrupt', message: `${sniffed.format.toUpperCase()} could not be decoded: ${(e as Error).message.split('\n')[0]}` };
  }
  let img: Image = fromRGBA(rgba.data, rgba.height, rgba.width, spec.channels, rgba.channels);
  if (spec.cropToAspectRatio) img = crop(img, aspectCrop(img.height, img.width, spec.height, spec.width));
  img = resize(img, spec.height, spec.width, spec.interpolation);
  // fromRGBA returns the decoder's buffer when it has the target's channels and size: copy so callers own it.
  return { ok: true, pixels: img.data === rgba.data ? img.data.slice() : img.data };
}

export async function decodeFile(path: string, spec: DecodeSpec): Promise<Decoded> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    return { ok: false, reason: 'unreadable', message: (e as NodeJS.ErrnoException).code ?? (e as Error).message };
  }
  return decodeBytes(bytes, spec);
}
