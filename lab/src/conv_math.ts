/**
 * The arithmetic the explainers show, written out cell by cell so the page can display every
 * product. The page checks each result against the library's conv2d / pooling ops, so what a
 * student reads is what Keras (and convlab) compute. Pure functions: tested in Node.
 */
import { outputLength, type Padding } from '../../src/ops/conv_util.js';

export type { Padding };

export const KERNEL_PRESETS: Record<string, { label: string; values: number[] }> = {
  identity: { label: 'Identity', values: [0, 0, 0, 0, 1, 0, 0, 0, 0] },
  edge: { label: 'Edge (Laplacian)', values: [-1, -1, -1, -1, 8, -1, -1, -1, -1] },
  sobelX: { label: 'Vertical edges (Sobel x)', values: [-1, 0, 1, -2, 0, 2, -1, 0, 1] },
  sobelY: { label: 'Horizontal edges (Sobel y)', values: [-1, -2, -1, 0, 0, 0, 1, 2, 1] },
  sharpen: { label: 'Sharpen', values: [0, -1, 0, -1, 5, -1, 0, -1, 0] },
  blur: { label: 'Blur (box)', values: [1 / 9, 1 / 9, 1 / 9, 1 / 9, 1 / 9, 1 / 9, 1 / 9, 1 / 9, 1 / 9] },
};

export interface Geometry {
  inH: number;
  inW: number;
  k: number;
  stride: number;
  padding: Padding;
  outH: number;
  outW: number;
  padTop: number;
  padLeft: number;
}

/** Output size and leading padding, as TensorFlow computes them (the library's own helper). */
export function geometry(inH: number, inW: number, k: number, stride: number, padding: Padding): Geometry {
  const h = outputLength(inH, k, stride, 1, padding);
  const w = outputLength(inW, k, stride, 1, padding);
  return { inH, inW, k, stride, padding, outH: h.out, outW: w.out, padTop: h.padBefore, padLeft: w.padBefore };
}

/** The size formula with the numbers filled in, for one axis. */
export function sizeFormula(n: number, k: number, stride: number, padding: Padding): string {
  const { out, padBefore } = outputLength(n, k, stride, 1, padding);
  if (padding === 'valid') return `valid: ⌊(${n} − ${k}) / ${stride}⌋ + 1 = ${out}`;
  const total = Math.max((out - 1) * stride + k - n, 0);
  return `same: ⌈${n} / ${stride}⌉ = ${out}  (zero padding ${padBefore} before, ${total - padBefore} after)`;
}

export interface WindowCell {
  /** Input row/column; outside [0, inH) × [0, inW) for padding cells. */
  row: number;
  col: number;
  inside: boolean;
  x: number;
  w: number;
  product: number;
}

/** The k×k window under output pixel (outRow, outCol), row-major, padding cells included. */
export function convWindow(input: Float32Array, g: Geometry, kernel: ArrayLike<number>, outRow: number, outCol: number): { cells: WindowCell[]; sum: number } {
  checkOutput(g, outRow, outCol);
  const cells: WindowCell[] = [];
  let sum = 0;
  for (let i = 0; i < g.k; i++) {
    for (let j = 0; j < g.k; j++) {
      const row = outRow * g.stride - g.padTop + i;
      const col = outCol * g.stride - g.padLeft + j;
      const inside = row >= 0 && row < g.inH && col >= 0 && col < g.inW;
      const x = inside ? input[row * g.inW + col] : 0;
      const w = kernel[i * g.k + j];
      const product = x * w;
      sum += product;
      cells.push({ row, col, inside, x, w, product });
    }
  }
  return { cells, sum };
}

export interface PoolWindow {
  cells: { row: number; col: number; x: number }[];
  value: number;
  /** Index in `cells` of the winning input for max pooling; -1 for average. */
  winner: number;
}

/**
 * One pooling window. As TensorFlow: padding cells are ignored (never win a max, never count
 * in an average), so 'same' pooling averages over the real pixels only.
 */
export function poolWindow(input: Float32Array, g: Geometry, kind: 'max' | 'avg', outRow: number, outCol: number): PoolWindow {
  checkOutput(g, outRow, outCol);
  const cells: PoolWindow['cells'] = [];
  for (let i = 0; i < g.k; i++) {
    for (let j = 0; j < g.k; j++) {
      const row = outRow * g.stride - g.padTop + i;
      const col = outCol * g.stride - g.padLeft + j;
      if (row >= 0 && row < g.inH && col >= 0 && col < g.inW) cells.push({ row, col, x: input[row * g.inW + col] });
    }
  }
  if (kind === 'avg') return { cells, value: cells.reduce((s, c) => s + c.x, 0) / cells.length, winner: -1 };
  let winner = 0;
  // The first maximum in row-major order wins ties, as the argmax of TF's max pooling does.
  for (let i = 1; i < cells.length; i++) if (cells[i].x > cells[winner].x) winner = i;
  return { cells, value: cells[winner].x, winner };
}

function checkOutput(g: Geometry, outRow: number, outCol: number): void {
  if (!(Number.isInteger(outRow) && Number.isInteger(outCol) && outRow >= 0 && outCol >= 0 && outRow < g.outH && outCol < g.outW)) {
    throw new Error(`Output position (${outRow}, ${outCol}) is outside the ${g.outH}×${g.outW} output`);
  }
}

/** Parses the text of one kernel cell: a number or a simple fraction such as 1/9. */
export function parseKernelValue(text: string): number {
  const t = text.trim();
  const frac = /^(-?\d+(?:\.\d+)?)\s*\/\s*(\d+(?:\.\d+)?)$/.exec(t);
  const v = frac ? Number(frac[1]) / Number(frac[2]) : t === '' ? NaN : Number(t);
  if (!Number.isFinite(v)) throw new Error(`Kernel value ${JSON.stringify(text)} is not a number (write e.g. -1, 0.5 or 1/9)`);
  return v;
}

export function formatValue(v: number, digits = 3): string {
  const s = v.toFixed(digits);
  return s === `-${(0).toFixed(digits)}` ? (0).toFixed(digits) : s;
}
