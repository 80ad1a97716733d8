/**
 * The lab's two training plots, `history_df[['loss', 'val_loss']].plot()` and
 * `history_df[['accuracy', 'val_accuracy']].plot()`, as PNG line charts per epoch.
 */
import { GRID, INK, MUTED, SERIES, finish, font, text, whiteCanvas, type Context, type Picture } from './canvas.js';

export interface HistoryPlotOptions {
  /** The history keys to draw, e.g. ['loss', 'val_loss']. Missing keys are skipped. */
  keys: string[];
  title?: string;
  yLabel?: string;
  width?: number;
  height?: number;
}

/** Round tick values covering [min, max], about `count` of them (1, 2, 2.5 or 5 times 10^k). */
export function niceTicks(min: number, max: number, count = 6): number[] {
  if (!(Number.isFinite(min) && Number.isFinite(max))) return [0, 1];
  if (max - min < 1e-12) {
    const pad = Math.abs(max) > 0 ? Math.abs(max) * 0.1 : 1;
    min -= pad;
    max += pad;
  }
  const raw = (max - min) / Math.max(count - 1, 1);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const first = Math.floor(min / step + 1e-9) * step;
  const ticks: number[] = [];
  for (let v = first; v <= max + step * 0.5 + 1e-12; v += step) ticks.push(Number(v.toPrecision(12)));
  if (ticks[ticks.length - 1] < max - 1e-12) ticks.push(ticks[ticks.length - 1] + step);
  return ticks;
}

function formatTick(v: number, ticks: number[]): string {
  // The fewest decimals that show every tick exactly (0.25 needs two, 0.5 one, 2 none).
  let decimals = 0;
  while (decimals < 6 && ticks.some((t) => Math.abs(t * 10 ** decimals - Math.round(t * 10 ** decimals)) > 1e-6)) decimals++;
  return v.toFixed(decimals);
}

/** Epoch ticks: every epoch when few, else a round step. */
function epochTicks(n: number): number[] {
  if (n <= 12) return Array.from({ length: n }, (_, i) => i + 1);
  const step = niceTicks(1, n, 8)[1] - niceTicks(1, n, 8)[0];
  const ticks = [1];
  for (let v = step; v <= n; v += step) ticks.push(v);
  return ticks;
}

/** A line chart of history series against epoch (1-based), with legend and grid. */
export function plotHistory(history: Record<string, number[]>, options: HistoryPlotOptions): Picture {
  const width = options.width ?? 800;
  const height = options.height ?? 500;
  const series = options.keys.filter((k) => Array.isArray(history[k]) && history[k].length > 0).map((k) => ({ key: k, values: history[k] }));
  if (series.length === 0) {
    throw new Error(`plotHistory: the history has none of ${options.keys.join(', ')}; it has ${Object.keys(history).join(', ') || 'no series'}`);
  }
  const { canvas, ctx } = whiteCanvas(width, height);
  const box = { left: 90, top: 60, right: width - 30, bottom: height - 70 };
  const epochs = Math.max(...series.map((s) => s.values.length));
  const all = series.flatMap((s) => s.values.filter(Number.isFinite));
  const yTicks = niceTicks(Math.min(...all), Math.max(...all));
  const yMin = yTicks[0];
  const yMax = yTicks[yTicks.length - 1];
  // One epoch is a single point: centre it rather than dividing by zero.
  const xOf = (epoch: number) => (epochs === 1 ? (box.left + box.right) / 2 : box.left + ((epoch - 1) / (epochs - 1)) * (box.right - box.left));
  const yOf = (v: number) => box.bottom - ((v - yMin) / (yMax - yMin)) * (box.bottom - box.top);

  text(ctx, options.title ?? options.keys.join(' and '), width / 2, 36, { size: 22, bold: true, align: 'center' });
  drawGrid(ctx, box, yTicks, yOf, epochTicks(epochs), xOf);
  text(ctx, 'epoch', (box.left + box.right) / 2, height - 22, { size: 16, align: 'center', color: INK });
  ctx.save();
  ctx.translate(24, (box.top + box.bottom) / 2);
  ctx.rotate(-Math.PI / 2);
  text(ctx, options.yLabel ?? options.keys[0], 0, 0, { size: 16, align: 'center', baseline: 'middle' });
  ctx.restore();

  series.forEach((s, i) => {
    const color = SERIES[i % SERIES.length];
    ctx.strokeStyle = color;
    ctx.fillStyle = color;
    ctx.lineWidth = 3;
    ctx.setLineDash(s.key.startsWith('val_') ? [10, 6] : []);
    ctx.beginPath();
    s.values.forEach((v, e) => (e === 0 ? ctx.moveTo(xOf(e + 1), yOf(v)) : ctx.lineTo(xOf(e + 1), yOf(v))));
    ctx.stroke();
    ctx.setLineDash([]);
    s.values.forEach((v, e) => {
      ctx.beginPath();
      ctx.arc(xOf(e + 1), yOf(v), 5, 0, 2 * Math.PI);
      ctx.fill();
    });
  });
  drawLegend(ctx, series.map((s, i) => ({ label: `${s.key} (last ${s.values[s.values.length - 1].toFixed(4)})`, color: SERIES[i % SERIES.length], dashed: s.key.startsWith('val_') })), box.right - 10, box.top + 10);
  return finish(canvas);
}

function drawGrid(ctx: Context, box: { left: number; top: number; right: number; bottom: number }, yTicks: number[], yOf: (v: number) => number, xTicks: number[], xOf: (e: number) => number): void {
  ctx.lineWidth = 1;
  for (const t of yTicks) {
    const y = Math.round(yOf(t)) + 0.5;
    ctx.strokeStyle = GRID;
    ctx.beginPath();
    ctx.moveTo(box.left, y);
    ctx.lineTo(box.right, y);
    ctx.stroke();
    text(ctx, formatTick(t, yTicks), box.left - 10, y, { size: 14, align: 'right', baseline: 'middle', color: MUTED });
  }
  for (const e of xTicks) {
    const x = Math.round(xOf(e)) + 0.5;
    ctx.strokeStyle = GRID;
    ctx.beginPath();
    ctx.moveTo(x, box.top);
    ctx.lineTo(x, box.bottom);
    ctx.stroke();
    text(ctx, String(e), x, box.bottom + 22, { size: 14, align: 'center', color: MUTED });
  }
  ctx.strokeStyle = INK;
  ctx.lineWidth = 1.5;
  ctx.strokeRect(box.left, box.top, box.right - box.left, box.bottom - box.top);
}

function drawLegend(ctx: Context, items: { label: string; color: string; dashed: boolean }[], right: number, top: number): void {
  ctx.font = font(15);
  const w = Math.max(...items.map((i) => ctx.measureText(i.label).width)) + 70;
  const h = items.length * 26 + 12;
  ctx.fillStyle = 'rgba(255, 255, 255, 0.9)';
  ctx.strokeStyle = '#bbbbbb';
  ctx.lineWidth = 1;
  ctx.fillRect(right - w, top, w, h);
  ctx.strokeRect(right - w + 0.5, top + 0.5, w - 1, h - 1);
  items.forEach((item, i) => {
    const y = top + 19 + i * 26;
    ctx.strokeStyle = item.color;
    ctx.lineWidth = 3;
    ctx.setLineDash(item.dashed ? [8, 5] : []);
    ctx.beginPath();
    ctx.moveTo(right - w + 12, y);
    ctx.lineTo(right - w + 52, y);
    ctx.stroke();
    ctx.setLineDash([]);
    text(ctx, item.label, right - w + 60, y, { size: 15, baseline: 'middle' });
  });
}
