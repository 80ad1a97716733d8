/**
 * One explanation as a picture: the image, the heat map laid over it (jet colours, as in
 * Keras's Grad-CAM example: blue = no weight, red = most weight), and the model's top classes
 * with their probabilities, the explained one marked.
 */
import { blend, jet, type RGB } from '../explain/overlay.js';
import { INK, MUTED, RIGHT, colormaps, css, drawPixels, drawSample, finish, text, whiteCanvas, type Context, type Picture } from './canvas.js';

export { jet };

export interface ExplanationInput {
  /** The image as the model saw it, NHWC [1, h, w, c]: uint8 0-255 or floats 0-1. */
  image: { data: ArrayLike<number>; shape: readonly number[] };
  /** The heat map [h, w], values in [0, 1], the image's height and width. */
  heatmap: { data: ArrayLike<number>; shape: readonly number[] };
  /** The model's classes, most probable first: the first three are shown, and the explained one wherever it ranks. */
  top: { className: string; classIndex: number; probability: number }[];
  /** The class the map explains. */
  explained: { className: string; classIndex: number };
  /** What made the map, e.g. "Grad-CAM, layer conv2d_1". */
  method: string;
  title?: string;
}

const PANEL = 240;
const GAP = 30;

/** Grey (or colour) value of one pixel, 0-255, for blending. */
function pixelRGB(data: ArrayLike<number>, shape: readonly number[], y: number, x: number, scale: number): RGB {
  const [, , w, c] = shape;
  const o = (y * w + x) * c;
  if (c >= 3) return [data[o] * scale, data[o + 1] * scale, data[o + 2] * scale];
  // The lab's 'binary' map: ink dark on white.
  return colormaps.binary(data[o] * scale / 255);
}

export function plotExplanation(input: ExplanationInput): Picture {
  const { image, heatmap } = input;
  if (image.shape.length !== 4 || image.shape[0] !== 1) throw new Error(`plotExplanation: expected one image [1, h, w, c], received shape [${image.shape.join(', ')}]`);
  const [, h, w] = image.shape;
  if (heatmap.shape.length !== 2 || heatmap.shape[0] !== h || heatmap.shape[1] !== w) {
    throw new Error(`plotExplanation: the heat map must have the image's size [${h}, ${w}], received [${heatmap.shape.join(', ')}]`);
  }
  const width = 3 * PANEL + 4 * GAP + 40;
  const height = 110 + PANEL + 56;
  const { canvas, ctx } = whiteCanvas(width, height);
  text(ctx, input.title ?? `Why "${input.explained.className}"?`, width / 2, 34, { size: 22, bold: true, align: 'center', maxWidth: width - 20 });
  text(ctx, `${input.method}: where the evidence for class ${input.explained.classIndex} (${input.explained.className}) lies`, width / 2, 60, { size: 14, align: 'center', color: MUTED, maxWidth: width - 20 });

  const top = 90;
  const side = PANEL * Math.min(1, w / h);
  const tall = PANEL * Math.min(1, h / w);
  const x1 = GAP;
  const x2 = x1 + PANEL + GAP;
  const x3 = x2 + PANEL + GAP + 10;

  drawSample(ctx, image.data, image.shape, 0, x1, top, PANEL);
  text(ctx, `input ${h}x${w}x${image.shape[3]}`, x1 + side / 2, top + tall + 24, { size: 14, align: 'center' });

  // Overlay: the jet colour of the map over the image (src/explain/overlay.ts).
  let byteScale = 255;
  for (let i = 0; i < image.data.length; i++) if (image.data[i] > 1.0001) { byteScale = 1; break; }
  const hm = heatmap.data;
  drawPixels(ctx, h, w, (y, x) => {
    return blend(pixelRGB(image.data, image.shape, y, x, byteScale), hm[y * w + x]);
  }, x2, top, side, tall);
  ctx.strokeStyle = '#bbbbbb';
  ctx.strokeRect(x2 + 0.5, top + 0.5, side - 1, tall - 1);
  colourBar(ctx, x2, top + tall + 12, side);

  topClasses(ctx, input, x3, top, width - x3 - GAP);
  return finish(canvas);
}

function colourBar(ctx: Context, x: number, y: number, w: number): void {
  drawPixels(ctx, 1, 64, (_r, c) => jet(c / 63), x, y, w, 12);
  text(ctx, '0', x, y + 28, { size: 12, color: MUTED });
  text(ctx, 'heat (share of the maximum)', x + w / 2, y + 28, { size: 12, color: MUTED, align: 'center' });
  text(ctx, '1', x + w, y + 28, { size: 12, color: MUTED, align: 'right' });
}

function topClasses(ctx: Context, input: ExplanationInput, x: number, y: number, w: number): void {
  text(ctx, `top ${Math.min(3, input.top.length)} classes`, x, y + 14, { size: 16, bold: true });
  const rank = input.top.findIndex((t) => t.classIndex === input.explained.classIndex);
  const rows = input.top.slice(0, 3).map((t, i) => ({ t, i }));
  if (rank >= 3) rows.push({ t: input.top[rank], i: rank });
  rows.forEach(({ t, i }, row) => {
    const rowY = y + 40 + row * 62 - (row === 3 ? 14 : 0);
    const marked = t.classIndex === input.explained.classIndex;
    text(ctx, `${i + 1}. ${t.className} (${t.classIndex})${marked ? '  ← explained' : ''}`, x, rowY + 12, { size: 15, bold: marked, color: marked ? RIGHT : INK, maxWidth: w });
    const p = Math.min(Math.max(t.probability, 0), 1);
    ctx.fillStyle = '#eeeeee';
    ctx.fillRect(x, rowY + 20, w - 60, 16);
    ctx.fillStyle = marked ? RIGHT : '#9e9e9e';
    ctx.fillRect(x, rowY + 20, (w - 60) * p, 16);
    text(ctx, `${(100 * t.probability).toFixed(1)}%`, x + w, rowY + 33, { size: 14, align: 'right', color: css([34, 34, 34]) });
  });
}
