/**
 * The learned kernels of the first convolution. Single-channel kernels use a diverging map
 * (blue negative, white zero, red positive) on one scale shared by all filters, so their
 * strengths compare; RGB kernels are shown in colour, each stretched to its own range.
 */
import { Conv2D } from '../layers/conv2d.js';
import type { Sequential } from '../models/sequential.js';
import { MUTED, colormaps, css, drawPixels, finish, text, whiteCanvas, type Picture } from './canvas.js';

export function firstConv(model: Sequential): Conv2D {
  const conv = model.layers.find((l): l is Conv2D => l instanceof Conv2D);
  if (!conv || !conv.kernel) throw new Error(`Model '${model.name}' has no built Conv2D layer, so it has no kernels to show`);
  return conv;
}

export function plotKernels(model: Sequential, options: { maxFilters?: number; title?: string } = {}): Picture {
  const conv = firstConv(model);
  const [kh, kw, cin, cout] = conv.kernel!.shape;
  const w = conv.kernel!.value.data;
  const count = Math.min(cout, options.maxFilters ?? 64);
  const cols = Math.min(count, 8);
  const rows = Math.ceil(count / cols);
  const tile = 96;
  const gap = 34;
  const width = Math.max(560, 40 + cols * (tile + 16));
  const height = 110 + rows * (tile + gap) + 60;
  const { canvas, ctx } = whiteCanvas(width, height);
  const rgb = cin === 3;
  text(ctx, options.title ?? `First-layer kernels: ${conv.name} (${cout} filters, ${kh}x${kw}x${cin})`, width / 2, 34, { size: 20, bold: true, align: 'center', maxWidth: width - 20 });
  const note = rgb
    ? 'each filter shown in colour, stretched to its own range'
    : `${cin > 1 ? `channel 0 of ${cin}; ` : ''}blue = negative weight, white = 0, red = positive`;
  text(ctx, note, width / 2, 60, { size: 14, align: 'center', color: MUTED });

  // HWIO layout: value of (y, x, c, f) at ((y * kw + x) * cin + c) * cout + f.
  const at = (y: number, x: number, c: number, f: number) => w[((y * kw + x) * cin + c) * cout + f];
  let maxAbs = 1e-12;
  for (let i = 0; i < w.length; i++) maxAbs = Math.max(maxAbs, Math.abs(w[i]));
  const x0 = (width - cols * (tile + 16) + 16) / 2;
  for (let f = 0; f < count; f++) {
    const dx = x0 + (f % cols) * (tile + 16);
    const dy = 84 + Math.floor(f / cols) * (tile + gap);
    if (rgb) {
      let lo = Infinity;
      let hi = -Infinity;
      for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) for (let c = 0; c < 3; c++) { lo = Math.min(lo, at(y, x, c, f)); hi = Math.max(hi, at(y, x, c, f)); }
      const s = hi > lo ? 255 / (hi - lo) : 0;
      drawPixels(ctx, kh, kw, (y, x) => [(at(y, x, 0, f) - lo) * s, (at(y, x, 1, f) - lo) * s, (at(y, x, 2, f) - lo) * s], dx, dy, tile, tile);
    } else {
      drawPixels(ctx, kh, kw, (y, x) => colormaps.rdbu(0.5 + at(y, x, 0, f) / (2 * maxAbs)), dx, dy, tile, tile);
    }
    ctx.strokeStyle = '#999999';
    ctx.strokeRect(dx + 0.5, dy + 0.5, tile - 1, tile - 1);
    text(ctx, `filter ${f}`, dx + tile / 2, dy + tile + 20, { size: 14, align: 'center' });
  }
  if (!rgb) {
    // Colour bar for the shared scale.
    const by = height - 44;
    const bw = 300;
    const bx = (width - bw) / 2;
    for (let i = 0; i < bw; i++) {
      ctx.fillStyle = css(colormaps.rdbu(i / (bw - 1)));
      ctx.fillRect(bx + i, by, 1, 14);
    }
    text(ctx, (-maxAbs).toFixed(3), bx - 8, by + 12, { size: 13, align: 'right' });
    text(ctx, maxAbs.toFixed(3), bx + bw + 8, by + 12, { size: 13 });
    text(ctx, '0', bx + bw / 2, by + 32, { size: 13, align: 'center' });
  }
  return finish(canvas);
}
