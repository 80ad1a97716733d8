/**
 * Pictures into pixels in the page: files decoded with createImageBitmap (EXIF orientation
 * applied, colours converted to sRGB, as sharp does for `convlab predict`), and frames of the
 * webcam (getUserMedia). Files are recognised by their first bytes, with the formats `convlab
 * predict` reads (JPEG, PNG, GIF, BMP), so a model trained here predicts the same files there.
 */
import { sniffImage, SNIFF_BYTES } from '../../src/datasets/image_folder/sniff.js';
import { preparePixels, type ImageSettings, type SkipReason } from './images_data.js';

/** Larger images are skipped: their RGBA copy alone would take 400 MB. */
const MAX_PIXELS = 100_000_000;

export type DecodedFile = { ok: true; pixels: Uint8Array } | { ok: false; reason: SkipReason; message: string };

let scratch: HTMLCanvasElement | null = null;

/** Draws a bitmap or a video frame at its own size and reads its RGBA pixels back. */
function rgbaOf(source: CanvasImageSource, width: number, height: number): Uint8ClampedArray {
  scratch ??= document.createElement('canvas');
  scratch.width = width;
  scratch.height = height;
  const ctx = scratch.getContext('2d', { willReadFrequently: true });
  if (!ctx) throw new Error('this browser gives no 2-D canvas context');
  ctx.clearRect(0, 0, width, height);
  ctx.drawImage(source, 0, 0);
  return ctx.getImageData(0, 0, width, height).data;
}

export async function decodeImageFile(file: Blob, settings: ImageSettings): Promise<DecodedFile> {
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

/** One camera for the section: recording per class and live testing share its stream. */
export class Webcam {
  readonly video: HTMLVideoElement;
  private stream: MediaStream | null = null;
  private listeners: ((on: boolean) => void)[] = [];

  constructor() {
    this.video = document.createElement('video');
    this.video.muted = true;
    this.video.playsInline = true;
    this.video.id = 'images-camera-video';
    this.video.width = 200;
  }

  get on(): boolean {
    return this.stream !== null && this.video.videoWidth > 0;
  }

  onChange(listener: (on: boolean) => void): void {
    this.listeners.push(listener);
  }

  async start(): Promise<void> {
    if (this.stream) return;
    if (!navigator.mediaDevices?.getUserMedia) throw new Error('this browser has no camera access here (getUserMedia needs https or localhost)');
    this.stream = await navigator.mediaDevices.getUserMedia({ video: { width: { ideal: 320 }, height: { ideal: 240 } }, audio: false });
    this.video.srcObject = this.stream;
    await this.video.play();
    // Frames have a size only once the first one has arrived.
    if (this.video.videoWidth === 0) await new Promise((r) => this.video.addEventListener('loadeddata', r, { once: true }));
    for (const l of this.listeners) l(true);
  }

  stop(): void {
    for (const t of this.stream?.getTracks() ?? []) t.stop();
    this.stream = null;
    this.video.srcObject = null;
    for (const l of this.listeners) l(false);
  }

  /** The current frame as the model's input pixels. */
  frame(settings: ImageSettings): Uint8Array {
    const { videoWidth: w, videoHeight: h } = this.video;
    if (!this.stream || w === 0) throw new Error('the camera is off');
    return preparePixels(rgbaOf(this.video, w, h), h, w, settings);
  }
}

/** Pixels (size × size × 3) onto a canvas, for thumbnails and the test preview. */
export function pixelsCanvas(pixels: Uint8Array, size: number, display: number, attrs: Record<string, string> = {}): HTMLCanvasElement {
  const canvas = document.createElement('canvas');
  canvas.width = size;
  canvas.height = size;
  canvas.style.width = `${display}px`;
  canvas.style.height = `${display}px`;
  for (const [k, v] of Object.entries(attrs)) canvas.setAttribute(k, v);
  const ctx = canvas.getContext('2d')!;
  const img = ctx.createImageData(size, size);
  for (let i = 0; i < size * size; i++) {
    img.data[4 * i] = pixels[3 * i];
    img.data[4 * i + 1] = pixels[3 * i + 1];
    img.data[4 * i + 2] = pixels[3 * i + 2];
    img.data[4 * i + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
  return canvas;
}
