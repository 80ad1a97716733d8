/**
 * `summary`, `compare` and `models`: the lab's Desafio 1 (parameter counts, MLP against CNN) and
 * Desafio 2 (output shapes before and after pooling), without writing code.
 */
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import type { Sequential } from '../../src/models/sequential.js';
import { zoo, type ZooEntry } from '../../src/zoo/index.js';
import { CliError, type Context } from '../context.js';
import { loadModel } from '../model_store.js';
import { formatInt, formatShape } from '../options.js';

/** A zoo name, or the directory of a saved model. */
export async function resolveModel(arg: string): Promise<Sequential> {
  if (zoo.names.includes(arg)) return zoo.create(arg);
  if (existsSync(arg)) return (await loadModel(arg)).model;
  throw new CliError(`Unknown model '${arg}'; valid models: ${zoo.names.join(', ')} (or the directory of a saved model)`);
}

function layerRows(model: Sequential): { label: string; shape: string; params: string }[] {
  const shapes = model.outputShapes();
  return [
    { label: 'input', shape: formatShape(model.inputShape), params: '' },
    ...model.layers.map((l, i) => ({ label: `${l.name} (${l.className})`, shape: formatShape(shapes[i]), params: formatInt(l.countParams()) })),
  ];
}

export function compareLines(nameA: string, a: Sequential, nameB: string, b: Sequential): string[] {
  const pa = a.countParams();
  const pb = b.countParams();
  const w = Math.max(nameA.length, nameB.length, formatInt(pa).length, formatInt(pb).length, formatShape(a.outputShape).length, formatShape(b.outputShape).length) + 2;
  const lines = [
    `${''.padEnd(18)}${nameA.padStart(w)}${nameB.padStart(w)}`,
    `${'Total params'.padEnd(18)}${formatInt(pa).padStart(w)}${formatInt(pb).padStart(w)}`,
    `${'Layers'.padEnd(18)}${String(a.layers.length).padStart(w)}${String(b.layers.length).padStart(w)}`,
    `${'Output shape'.padEnd(18)}${formatShape(a.outputShape).padStart(w)}${formatShape(b.outputShape).padStart(w)}`,
  ];
  if (pa > 0 && pb > 0) {
    const [big, small, bigName, smallName] = pa >= pb ? [pa, pb, nameA, nameB] : [pb, pa, nameB, nameA];
    const ratio = big / small;
    lines.push('', `Ratio: ${bigName} has ${ratio >= 100 ? formatInt(Math.round(ratio)) : ratio.toFixed(2)} times as many parameters as ${smallName} (${formatInt(big)} / ${formatInt(small)})`);
  } else {
    lines.push('', `Ratio: undefined (${pa === 0 ? nameA : nameB} has no parameters)`);
  }
  const ra = layerRows(a);
  const rb = layerRows(b);
  const colA = Math.max(nameA.length, ...ra.map((r) => r.label.length + r.shape.length + r.params.length + 4)) + 2;
  lines.push('', 'Layer by layer (output shape, params):', `${'#'.padStart(3)}  ${nameA.padEnd(colA)}${nameB}`);
  for (let i = 0; i < Math.max(ra.length, rb.length); i++) {
    const cell = (r?: { label: string; shape: string; params: string }) => (r ? `${r.label} ${r.shape}${r.params ? `  ${r.params}` : ''}` : '');
    lines.push(`${String(i).padStart(3)}  ${cell(ra[i]).padEnd(colA)}${cell(rb[i])}`.trimEnd());
  }
  return lines;
}

export function registerInspect(program: Command, ctx: Context): void {
  program
    .command('summary')
    .description('print the Keras summary of a zoo model or a saved model (e.g. summary lab-cnn)')
    .argument('<model>', `zoo model (${zoo.names.join(', ')}), saved model directory or Keras .keras / .h5 file`)
    .action(async (name: string) => {
      const model = await resolveModel(name);
      model.summary((line) => ctx.out(line));
    });

  program
    .command('compare')
    .description('parameter counts side by side with their ratio (Desafio 1) and layer-by-layer output shapes (Desafio 2)')
    .argument('<modelA>', 'zoo model or saved model directory')
    .argument('<modelB>', 'zoo model or saved model directory')
    .action(async (nameA: string, nameB: string) => {
      const a = await resolveModel(nameA);
      const b = await resolveModel(nameB);
      for (const line of compareLines(nameA, a, nameB, b)) ctx.out(line);
    });

  program
    .command('models')
    .description('list the model zoo')
    .action(() => {
      const w = Math.max(...zoo.entries.map((e) => e.name.length)) + 2;
      for (const e of zoo.entries) {
        ctx.out(`${e.name.padEnd(w)}input ${e.inputShape.join('x').padEnd(9)} ${e.description}`);
        ctx.out(`${''.padEnd(w)}source: ${e.source}${e.train ? `; train defaults: ${trainDefaults(e)}` : ''}`);
      }
    });
}

/** One line of a recipe's training settings, e.g. "cifar10, 10 epochs, batch 64, adamw 0.004, one-cycle, ...". */
function trainDefaults(e: ZooEntry): string {
  const t = e.train!;
  return [
    `${e.dataset}, ${t.epochs} epochs, batch ${t.batchSize}, ${t.optimizer} ${t.learningRate}`,
    t.schedule && t.schedule !== 'constant' ? `${t.schedule} schedule` : '',
    t.weightDecay ? `weight decay ${t.weightDecay}` : '',
    t.labelSmoothing ? `label smoothing ${t.labelSmoothing}` : '',
    t.flipAverage ? 'flip-averaged evaluation' : '',
  ].filter(Boolean).join(', ');
}
