/**
 * The lab's `plot_image` for many images at once: each test image with
 * "Predicted 97% (True)" under it, blue when right and red when wrong, beside the bars of its
 * class probabilities (the predicted class's bar red, the true class's bar blue, as in the
 * TensorFlow classification tutorial the lab follows).
 */
import { INK, MUTED, RIGHT, WRONG, drawSample, finish, text, whiteCanvas, type Context, type Picture } from './canvas.js';

export interface PredictionGridInput {
  /** NHWC images (uint8 0-255 or floats 0-1), at least as many as `count`. */
  images: { data: ArrayLike<number>; shape: readonly number[] };
  /** Probabilities [n, numClasses], row-major. */
  probabilities: ArrayLike<number>;
  /** True class of each image. */
  labels: ArrayLike<number>;
  classNames: readonly string[];
  /** Which images to draw (default the first rows x cols). */
  indices?: number[];
  rows?: number;
  cols?: number;
  title?: string;
}

const CELL = 150;
const BARS_W = 190;
const PAIR_W = CELL + BARS_W + 40;
const PAIR_H = CELL + 62;

/** Index of the largest value in row i. */
export function argmaxRow(p: ArrayLike<number>, i: number, k: number): number {
  let best = 0;
  for (let j = 1; j < k; j++) if (p[i * k + j] > p[i * k + best]) best = j;
  return best;
}

export function plotPredictionGrid(input: PredictionGridInput): Picture {
  const k = input.classNames.length;
  const n = input.images.shape[0];
  if (input.probabilities.length !== n * k) {
    throw new Error(`plotPredictionGrid: expected ${n} x ${k} probabilities for ${n} images and ${k} classes, received ${input.probabilities.length} values`);
  }
  const rows = input.rows ?? 5;
  const cols = input.cols ?? 3;
  const indices = (input.indices ?? Array.from({ length: rows * cols }, (_, i) => i)).filter((i) => i < n).slice(0, rows * cols);
  const usedRows = Math.max(1, Math.ceil(indices.length / cols));
  const legendH = 30 + Math.ceil(k / 5) * 22;
  // Wide enough for the subtitle and the class key even for a single image.
  const width = Math.max(cols * PAIR_W + 20, 640);
  const left = (width - cols * PAIR_W) / 2;
  const height = 70 + usedRows * PAIR_H + legendH;
  const { canvas, ctx } = whiteCanvas(width, height);

  let right = 0;
  for (const i of indices) if (argmaxRow(input.probabilities, i, k) === input.labels[i]) right++;
  text(ctx, input.title ?? `Predictions: ${right} of ${indices.length} right`, width / 2, 32, { size: 22, bold: true, align: 'center', maxWidth: width - 20 });
  text(ctx, 'label: predicted class, confidence (true class); blue = right, red = wrong', width / 2, 56, { size: 14, align: 'center', color: MUTED, maxWidth: width - 20 });

  indices.forEach((i, slot) => {
    const x0 = left + (slot % cols) * PAIR_W;
    const y0 = 70 + Math.floor(slot / cols) * PAIR_H;
    drawPair(ctx, input, i, k, x0, y0);
  });

  // Index → class name key for the bar charts' x axes.
  const ky = 70 + usedRows * PAIR_H + 12;
  text(ctx, 'classes:', 14, ky + 10, { size: 14, bold: true });
  const colW = (width - 100) / 5;
  input.classNames.forEach((name, j) => {
    text(ctx, `${j} ${name}`, 90 + (j % 5) * colW, ky + 10 + Math.floor(j / 5) * 22, { size: 14, color: INK, maxWidth: colW - 8 });
  });
  return finish(canvas);
}

function drawPair(ctx: Context, input: PredictionGridInput, i: number, k: number, x0: number, y0: number): void {
  const p = input.probabilities;
  const predicted = argmaxRow(p, i, k);
  const truth = input.labels[i];
  const ok = predicted === truth;
  drawSample(ctx, input.images.data, input.images.shape, i, x0, y0, CELL);
  const label = `${input.classNames[predicted] ?? predicted} ${Math.round(100 * p[i * k + predicted])}% (${input.classNames[truth] ?? truth})`;
  text(ctx, label, x0 + CELL / 2 + BARS_W / 2, y0 + CELL + 26, { size: 15, bold: true, align: 'center', color: ok ? RIGHT : WRONG, maxWidth: PAIR_W - 16 });

  // Probability bars, 0 to 1, class indices underneath.
  const bx = x0 + CELL + 16;
  const bw = BARS_W;
  const top = y0 + 4;
  const bottom = y0 + CELL - 16;
  ctx.strokeStyle = '#999999';
  ctx.lineWidth = 1;
  ctx.beginPath();
  ctx.moveTo(bx, bottom + 0.5);
  ctx.lineTo(bx + bw, bottom + 0.5);
  ctx.stroke();
  const slot = bw / k;
  for (let j = 0; j < k; j++) {
    const v = Math.min(Math.max(p[i * k + j], 0), 1);
    ctx.fillStyle = j === truth ? RIGHT : j === predicted ? WRONG : '#9e9e9e';
    const h = v * (bottom - top);
    ctx.fillRect(bx + j * slot + slot * 0.15, bottom - h, slot * 0.7, h);
    text(ctx, String(j), bx + j * slot + slot / 2, bottom + 14, { size: 11, align: 'center', color: MUTED });
  }
}
