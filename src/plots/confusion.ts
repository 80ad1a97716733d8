/** The confusion matrix as a heat map: true classes down, predicted classes across. */
import { INK, MUTED, colormaps, css, finish, inkOn, text, whiteCanvas, type Picture } from './canvas.js';

/** counts[t * k + p] = how many samples of true class t were predicted as p. */
export function confusionMatrix(labels: ArrayLike<number>, predicted: ArrayLike<number>, numClasses: number): Int32Array {
  if (labels.length !== predicted.length) throw new Error(`confusionMatrix: ${labels.length} labels but ${predicted.length} predictions`);
  const m = new Int32Array(numClasses * numClasses);
  for (let i = 0; i < labels.length; i++) {
    const t = labels[i];
    const p = predicted[i];
    if (!(t >= 0 && t < numClasses && p >= 0 && p < numClasses)) throw new Error(`confusionMatrix: class index out of range [0, ${numClasses - 1}] at sample ${i} (true ${t}, predicted ${p})`);
    m[t * numClasses + p]++;
  }
  return m;
}

export function plotConfusionMatrix(counts: ArrayLike<number>, classNames: readonly string[], options: { title?: string } = {}): Picture {
  const k = classNames.length;
  if (counts.length !== k * k) throw new Error(`plotConfusionMatrix: expected ${k} x ${k} counts for ${k} classes, received ${counts.length}`);
  const cell = k <= 10 ? 58 : Math.max(18, Math.floor(580 / k));
  const left = 170;
  const top = 80;
  const right = 150;
  const bottom = 150;
  const width = left + k * cell + right;
  const height = top + k * cell + bottom;
  const { canvas, ctx } = whiteCanvas(width, height);

  let total = 0;
  let diag = 0;
  let max = 1;
  for (let t = 0; t < k; t++) {
    for (let p = 0; p < k; p++) {
      const v = counts[t * k + p];
      total += v;
      if (t === p) diag += v;
      if (v > max) max = v;
    }
  }
  text(ctx, options.title ?? `Confusion matrix: accuracy ${total ? ((100 * diag) / total).toFixed(2) : '0.00'}% of ${total}`, width / 2, 34, { size: 22, bold: true, align: 'center' });
  text(ctx, 'rows: true class, columns: predicted class; right column: per-class accuracy', width / 2, 58, { size: 14, align: 'center', color: MUTED });

  const fontSize = cell >= 50 ? 14 : Math.max(9, Math.floor(cell / 3));
  for (let t = 0; t < k; t++) {
    let rowTotal = 0;
    for (let p = 0; p < k; p++) {
      const v = counts[t * k + p];
      rowTotal += v;
      // A square-root scale keeps the off-diagonal mistakes visible next to the large diagonal.
      const colour = colormaps.blues(Math.sqrt(v / max));
      ctx.fillStyle = css(colour);
      ctx.fillRect(left + p * cell, top + t * cell, cell, cell);
      if (cell >= 24) text(ctx, String(v), left + p * cell + cell / 2, top + t * cell + cell / 2, { size: fontSize, align: 'center', baseline: 'middle', color: inkOn(colour), maxWidth: cell - 4 });
    }
    text(ctx, classNames[t], left - 10, top + t * cell + cell / 2, { size: fontSize, align: 'right', baseline: 'middle', maxWidth: left - 50 });
    const acc = rowTotal ? `${((100 * counts[t * k + t]) / rowTotal).toFixed(1)}%` : 'n/a';
    text(ctx, acc, left + k * cell + 12, top + t * cell + cell / 2, { size: fontSize, baseline: 'middle', color: INK });
  }
  ctx.strokeStyle = '#888888';
  ctx.lineWidth = 1;
  ctx.strokeRect(left + 0.5, top + 0.5, k * cell, k * cell);
  for (let p = 0; p < k; p++) {
    ctx.save();
    ctx.translate(left + p * cell + cell / 2, top + k * cell + 10);
    ctx.rotate(-Math.PI / 4);
    text(ctx, classNames[p], 0, 0, { size: fontSize, align: 'right', baseline: 'middle', maxWidth: bottom - 40 });
    ctx.restore();
  }
  text(ctx, 'predicted class', left + (k * cell) / 2, height - 16, { size: 16, bold: true, align: 'center' });
  ctx.save();
  ctx.translate(22, top + (k * cell) / 2);
  ctx.rotate(-Math.PI / 2);
  text(ctx, 'true class', 0, 0, { size: 16, bold: true, align: 'center', baseline: 'middle' });
  ctx.restore();
  return finish(canvas);
}
