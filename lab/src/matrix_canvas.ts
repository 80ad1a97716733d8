/**
 * Draws a 2-D array of numbers as a grid of cells on a canvas: the explainers' input, output
 * and window, and the feature maps. Padding cells (outside the input) are drawn hatched.
 */
export interface Box {
  row: number;
  col: number;
  height: number;
  width: number;
  color: string;
}

export interface MatrixOptions {
  cell: number;
  /** Cells of zero padding drawn around the data on each side. */
  pad?: number;
  /** Fixed value range; by default the data's own min and max. */
  range?: [number, number];
  /** Blue-white-red around zero (for signed feature maps) instead of black to white. */
  diverging?: boolean;
  grid?: boolean;
  boxes?: Box[];
}

export function valueRange(data: ArrayLike<number>): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < data.length; i++) {
    if (data[i] < lo) lo = data[i];
    if (data[i] > hi) hi = data[i];
  }
  return lo === Infinity ? [0, 1] : [lo, hi];
}

export function colorOf(v: number, [lo, hi]: [number, number], diverging: boolean): string {
  if (diverging) {
    const m = Math.max(Math.abs(lo), Math.abs(hi)) || 1;
    const t = Math.max(-1, Math.min(1, v / m));
    const fade = (c: number) => Math.round(255 - (255 - c) * Math.abs(t));
    return t >= 0 ? `rgb(${fade(220)},${fade(38)},${fade(38)})` : `rgb(${fade(37)},${fade(99)},${fade(235)})`;
  }
  const g = Math.round(255 * Math.max(0, Math.min(1, hi > lo ? (v - lo) / (hi - lo) : 0)));
  return `rgb(${g},${g},${g})`;
}

/** Sizes the canvas and draws the matrix; returns the value range used. */
export function drawMatrix(canvas: HTMLCanvasElement, data: ArrayLike<number>, rows: number, cols: number, opts: MatrixOptions): [number, number] {
  const pad = opts.pad ?? 0;
  const c = opts.cell;
  canvas.width = (cols + 2 * pad) * c;
  canvas.height = (rows + 2 * pad) * c;
  const ctx = canvas.getContext('2d')!;
  const range = opts.range ?? valueRange(data);
  if (pad > 0) {
    ctx.fillStyle = '#eef2f7';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.strokeStyle = '#cbd5e1';
    ctx.lineWidth = 1;
    for (let d = -canvas.height; d < canvas.width; d += 6) {
      ctx.beginPath();
      ctx.moveTo(d, canvas.height);
      ctx.lineTo(d + canvas.height, 0);
      ctx.stroke();
    }
  }
  for (let r = 0; r < rows; r++) {
    for (let k = 0; k < cols; k++) {
      ctx.fillStyle = colorOf(data[r * cols + k], range, opts.diverging ?? false);
      ctx.fillRect((k + pad) * c, (r + pad) * c, c, c);
    }
  }
  if (opts.grid && c >= 6) {
    ctx.strokeStyle = 'rgba(128,128,128,0.25)';
    ctx.lineWidth = 1;
    ctx.beginPath();
    for (let r = 0; r <= rows + 2 * pad; r++) { ctx.moveTo(0, r * c + 0.5); ctx.lineTo(canvas.width, r * c + 0.5); }
    for (let k = 0; k <= cols + 2 * pad; k++) { ctx.moveTo(k * c + 0.5, 0); ctx.lineTo(k * c + 0.5, canvas.height); }
    ctx.stroke();
  }
  for (const b of opts.boxes ?? []) {
    ctx.strokeStyle = b.color;
    ctx.lineWidth = 3;
    ctx.strokeRect((b.col + pad) * c + 1.5, (b.row + pad) * c + 1.5, b.width * c - 3, b.height * c - 3);
  }
  return range;
}

/** The cell under a mouse event, in data coordinates (padding excluded). */
export function cellAt(canvas: HTMLCanvasElement, e: MouseEvent, cell: number, pad = 0): { row: number; col: number } {
  const rect = canvas.getBoundingClientRect();
  const sx = canvas.width / rect.width;
  const sy = canvas.height / rect.height;
  return { row: Math.floor(((e.clientY - rect.top) * sy) / cell) - pad, col: Math.floor(((e.clientX - rect.left) * sx) / cell) - pad };
}

/** A grayscale image (values 0..1) as a small canvas, e.g. a 28×28 thumbnail. */
export function imageCanvas(pixels: ArrayLike<number>, rows: number, cols: number, scale = 1, range: [number, number] = [0, 1], diverging = false): HTMLCanvasElement {
  const canvas = document.createElement('canvas');
  drawMatrix(canvas, pixels, rows, cols, { cell: scale, range, diverging });
  return canvas;
}
