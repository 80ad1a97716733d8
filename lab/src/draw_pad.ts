/**
 * A canvas to draw a clothing item on, turned into a 28×28 input the way Fashion-MNIST images
 * were made: the item's bounding box scaled to fit the frame and centred, light on dark.
 */
import { h } from './dom.js';

const SIZE = 280;
const FIT = 26;

export class DrawPad {
  readonly canvas = h('canvas', { class: 'drawpad', id: 'draw-canvas', width: SIZE, height: SIZE });
  private readonly ctx = this.canvas.getContext('2d', { willReadFrequently: true })!;
  private drawing = false;
  private last: { x: number; y: number } | null = null;
  private empty = true;
  private listeners: ((pixels: Float32Array | null, final: boolean) => void)[] = [];
  brush = 24;

  constructor() {
    this.clear();
    this.canvas.addEventListener('pointerdown', (e) => { this.drawing = true; this.canvas.setPointerCapture(e.pointerId); this.last = null; this.stroke(e); });
    this.canvas.addEventListener('pointermove', (e) => { if (this.drawing) this.stroke(e); });
    const end = () => { if (this.drawing) { this.drawing = false; this.emit(true); } };
    this.canvas.addEventListener('pointerup', end);
    this.canvas.addEventListener('pointercancel', end);
  }

  onChange(listener: (pixels: Float32Array | null, final: boolean) => void): void {
    this.listeners.push(listener);
  }

  clear(): void {
    this.ctx.fillStyle = '#000';
    this.ctx.fillRect(0, 0, SIZE, SIZE);
    this.empty = true;
    this.emit(true);
  }

  private stroke(e: PointerEvent): void {
    const rect = this.canvas.getBoundingClientRect();
    const p = { x: ((e.clientX - rect.left) * SIZE) / rect.width, y: ((e.clientY - rect.top) * SIZE) / rect.height };
    const ctx = this.ctx;
    ctx.strokeStyle = '#fff';
    ctx.fillStyle = '#fff';
    ctx.lineWidth = this.brush;
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    ctx.beginPath();
    if (this.last) {
      ctx.moveTo(this.last.x, this.last.y);
      ctx.lineTo(p.x, p.y);
      ctx.stroke();
    } else {
      ctx.arc(p.x, p.y, this.brush / 2, 0, 2 * Math.PI);
      ctx.fill();
    }
    this.last = p;
    this.empty = false;
    this.emit(false);
  }

  private pending = false;
  /** Live updates at most once per frame; the final one (pointer up) always goes out. */
  private emit(final: boolean): void {
    if (final) {
      const px = this.pixels();
      for (const l of this.listeners) l(px, true);
      return;
    }
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      const px = this.pixels();
      for (const l of this.listeners) l(px, false);
    });
  }

  /** The drawing as 28×28 floats in [0, 1], or null when nothing is drawn. */
  pixels(): Float32Array | null {
    if (this.empty) return null;
    const src = this.ctx.getImageData(0, 0, SIZE, SIZE).data;
    let top = SIZE, left = SIZE, bottom = -1, right = -1;
    for (let y = 0; y < SIZE; y++) {
      for (let x = 0; x < SIZE; x++) {
        if (src[(y * SIZE + x) * 4] > 20) {
          if (y < top) top = y;
          if (y > bottom) bottom = y;
          if (x < left) left = x;
          if (x > right) right = x;
        }
      }
    }
    if (bottom < 0) return null;
    const bw = right - left + 1;
    const bh = bottom - top + 1;
    const scale = FIT / Math.max(bw, bh);
    const dw = Math.max(1, bw * scale);
    const dh = Math.max(1, bh * scale);
    const small = document.createElement('canvas');
    small.width = 28;
    small.height = 28;
    const sctx = small.getContext('2d', { willReadFrequently: true })!;
    sctx.fillStyle = '#000';
    sctx.fillRect(0, 0, 28, 28);
    sctx.imageSmoothingEnabled = true;
    sctx.imageSmoothingQuality = 'high';
    sctx.drawImage(this.canvas, left, top, bw, bh, (28 - dw) / 2, (28 - dh) / 2, dw, dh);
    const out = new Float32Array(28 * 28);
    const d = sctx.getImageData(0, 0, 28, 28).data;
    for (let i = 0; i < out.length; i++) out[i] = d[i * 4] / 255;
    return out;
  }
}
