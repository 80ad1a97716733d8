import type { Layer, SymbolicShape } from '../layers/layer.js';
import { formatSymbolic } from '../layers/layer.js';

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

/** The classic Keras summary table; columns widen instead of wrapping when names are long. */
export function summaryLines(modelName: string, layers: Layer[], outputShapes: SymbolicShape[]): string[] {
  // As Keras: plain counts in the rows, thousands separators in the totals.
  const rows = layers.map((layer, i) => [`${layer.name} (${layer.className})`, formatSymbolic(outputShapes[i]), String(layer.countParams())]);
  const widths = [
    Math.max(29, ...rows.map((r) => r[0].length + 3)),
    Math.max(26, ...rows.map((r) => r[1].length + 2)),
    Math.max(10, ...rows.map((r) => r[2].length + 1)),
  ];
  const total = widths[0] + widths[1] + widths[2];
  const row = (cells: string[]) => (' ' + cells.map((c, i) => c.padEnd(widths[i] - (i === 0 ? 1 : 0))).join('')).trimEnd();
  const trainable = layers.reduce((n, l) => n + l.trainableWeights.reduce((m, w) => m + w.value.size, 0), 0);
  const all = layers.reduce((n, l) => n + l.countParams(), 0);
  const lines = [`Model: "${modelName}"`, '_'.repeat(total), row(['Layer (type)', 'Output Shape', 'Param #']), '='.repeat(total)];
  rows.forEach((r, i) => {
    lines.push(row(r));
    if (i < rows.length - 1) lines.push('');
  });
  lines.push('='.repeat(total));
  lines.push(`Total params: ${formatCount(all)}`);
  lines.push(`Trainable params: ${formatCount(trainable)}`);
  lines.push(`Non-trainable params: ${formatCount(all - trainable)}`);
  lines.push('_'.repeat(total));
  return lines;
}
