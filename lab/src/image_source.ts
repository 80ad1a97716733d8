/**
 * Pictures into pixels: files decoded in a worker (decode_worker.ts, image_decode.ts), and
 * frames of the webcam (getUserMedia), prepared on the page's thread since they are small.
 */
import type { DecodeReply, DecodeRequest } from './decode_worker.js';
import { decodeImage, rgbaOf, type DecodedFile } from './image_decode.js';
import { preparePixels, type ImageSettings } from './images_data.js';

export type { DecodedFile };

let worker: Worker | null = null;
let workerFailed = false;
let nextId = 1;
const waiting = new Map<number, { file: Blob; settings: ImageSettings; done: (r: DecodedFile) => void }>();

function decodeWorker(): Worker | null {
  if (worker || workerFailed || typeof OffscreenCanvas === 'undefined') return worker;
  try {
    worker = new Worker(new URL('./decode_worker.ts', import.meta.url), { type: 'module' });
  } catch {
    workerFailed = true;
    return null;
  }
  worker.onmessage = (e: MessageEvent<DecodeReply>) => {
    waiting.get(e.data.id)?.done(e.data.result);
    waiting.delete(e.data.id);
  };
  worker.onerror = () => {
    // Without the worker the page decodes, the requests in flight included.
    workerFailed = true;
    worker = null;
    for (const { file, settings, done } of waiting.values()) void decodeImage(file, settings).then(done);
    waiting.clear();
  };
  return worker;
}

/** Decodes in a worker where the browser has OffscreenCanvas, else in the page. */
export function decodeImageFile(file: Blob, settings: ImageSettings): Promise<DecodedFile> {
  const w = decodeWorker();
  if (!w) return decodeImage(file, settings);
  const id = nextId++;
  return new Promise((resolve) => {
    waiting.set(id, { file, settings, done: resolve });
    w.postMessage({ id, file, settings } satisfies DecodeRequest);
  });
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
