import type { Layer, SymbolicShape } from '../layers/layer.js';
import { formatSymbolic } from '../layers/layer.js';

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

/** One row of the table: 'name (Type)', output shape, parameter count, and (graphs) inputs. */
export interface SummaryRow {
  label: string;
  shape: string;
  params: number;
  connectedTo?: string;
}

/** The classic Keras summary table; columns widen instead of wrapping when names are long. */
export function summaryTable(modelName: string, rows: SummaryRow[], layers: Layer[]): string[] {
  const withConnections = rows.some((r) => r.connectedTo !== undefined);
  const header = ['Layer (type)', 'Output Shape', 'Param #', ...(withConnections ? ['Connected to'] : [])];
  // As Keras: plain counts in the rows, thousands separators in the totals.
  const cells = rows.map((r) => [r.label, r.shape, String(r.params), ...(withConnections ? [r.connectedTo ?? ''] : [])]);
  const minimum = [29, 26, 10, 20];
  const widths = header.map((h, i) => Math.max(minimum[i], h.length + 2, ...cells.map((c) => c[i].length + (i === 0 ? 3 : 2))));
  const total = widths.reduce((a, b) => a + b, 0);
  const line = (cols: string[]) => (' ' + cols.map((c, i) => c.padEnd(widths[i] - (i === 0 ? 1 : 0))).join('')).trimEnd();
  // Each variable once: a layer may be shared between a nested model and its parent.
  const count = (variables: Iterable<{ value: { size: number } }>) => [...variables].reduce((n, w) => n + w.value.size, 0);
  const trainable = count(new Set(layers.flatMap((l) => l.trainableWeights)));
  const all = count(new Set(layers.flatMap((l) => l.weights)));
  const lines = [`Model: "${modelName}"`, '_'.repeat(total), line(header), '='.repeat(total)];
  cells.forEach((c, i) => {
    lines.push(line(c));
    if (i < cells.length - 1) lines.push('');
  });
  lines.push('='.repeat(total));
  lines.push(`Total params: ${formatCount(all)}`);
  lines.push(`Trainable params: ${formatCount(trainable)}`);
  lines.push(`Non-trainable params: ${formatCount(all - trainable)}`);
  lines.push('_'.repeat(total));
  return lines;
}

/** The summary of a stack of layers. */
export function summaryLines(modelName: string, layers: Layer[], outputShapes: SymbolicShape[]): string[] {
  const rows = layers.map((layer, i) => ({ label: `${layer.name} (${layer.className})`, shape: formatSymbolic(outputShapes[i]), params: layer.countParams() }));
  return summaryTable(modelName, rows, layers);
}
