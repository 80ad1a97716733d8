import type { FloatArray, TypedArray } from '../../tensor/dtype.js';

export function softmax(x: FloatArray, out: FloatArray, rows: number, cols: number): void {
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    let max = -Infinity;
    for (let j = 0; j < cols; j++) if (x[base + j] > max) max = x[base + j];
    let sum = 0;
    for (let j = 0; j < cols; j++) {
      const e = Math.exp(x[base + j] - max);
      out[base + j] = e;
      sum += e;
    }
    for (let j = 0; j < cols; j++) out[base + j] /= sum;
  }
}

/** dx = y * (dy - sum(dy * y)) per row. */
export function softmaxGrad(dy: FloatArray, y: FloatArray, out: FloatArray, rows: number, cols: number): void {
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    let dot = 0;
    for (let j = 0; j < cols; j++) dot += dy[base + j] * y[base + j];
    for (let j = 0; j < cols; j++) out[base + j] = y[base + j] * (dy[base + j] - dot);
  }
}

export function sparseSoftmaxCrossEntropy(logits: FloatArray, labels: TypedArray, losses: FloatArray, probs: FloatArray, rows: number, cols: number): void {
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    let max = -Infinity;
    for (let j = 0; j < cols; j++) if (logits[base + j] > max) max = logits[base + j];
    let sum = 0;
    for (let j = 0; j < cols; j++) {
      const e = Math.exp(logits[base + j] - max);
      probs[base + j] = e;
      sum += e;
    }
    for (let j = 0; j < cols; j++) probs[base + j] /= sum;
    const label = labels[r];
    // log-sum-exp form keeps the loss finite even when the label's probability underflows.
    losses[r] = Math.log(sum) + max - logits[base + label];
  }
}
