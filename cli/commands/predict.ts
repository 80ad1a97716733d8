/** `convlab predict <saved model> <image...>`: class, confidence and top-3 for each image. */
import * as path from 'node:path';
import type { Command } from 'commander';
import { argmaxRow } from '../../src/plots/index.js';
import { CliError, type Context } from '../context.js';
import { DATASET_NAMES, PIXEL_SCALE, classNamesOf, datasetName } from '../data.js';
import { prepareImage, type InvertMode } from '../images.js';
import { loadModel } from '../model_store.js';
import { parseScale } from '../notebook_data.js';
import { formatShape, oneOf, positiveInt } from '../options.js';

interface PredictOptions {
  dataset?: string;
  top?: number;
  invert?: InvertMode;
  json?: boolean;
  scale?: string;
}

export interface Prediction {
  file: string;
  className: string;
  classIndex: number;
  confidence: number;
  top: { className: string; classIndex: number; probability: number }[];
  inverted: boolean;
}

export async function predict(modelArg: string, files: string[], opts: PredictOptions, ctx: Context): Promise<Prediction[]> {
  const { model, metadata } = await loadModel(modelArg);
  const classNames = opts.dataset ? classNamesOf(datasetName(opts.dataset)) : metadata?.classNames;
  if (!classNames) throw new CliError(`'${modelArg}' does not say which classes it predicts (no convlab.json); pass --dataset ${DATASET_NAMES.join('|')}`);
  const input = model.inputShape;
  const units = model.outputShape[model.outputShape.length - 1];
  if (input.length !== 4 || input.slice(1).some((d) => d === null)) throw new CliError(`predict needs a model over images of a fixed size; this one expects ${formatShape(input)}`);
  if (units !== classNames.length) throw new CliError(`The model has ${units} outputs but ${classNames.length} class names (${classNames.slice(0, 3).join(', ')}, ...); pass the --dataset it was trained on`);
  const shape = input.slice(1) as number[];
  const top = Math.min(opts.top ?? 3, classNames.length);
  const results: Prediction[] = [];
  for (const file of files) {
    const image = await prepareImage(file, shape, opts.invert ?? 'auto', opts.scale !== undefined ? parseScale(opts.scale) : (metadata?.pixelScale ?? PIXEL_SCALE));
    const p = model.predict(image.x).data;
    const k = classNames.length;
    const order = Array.from({ length: k }, (_, j) => j).sort((a, b) => p[b] - p[a]);
    const best = argmaxRow(p, 0, k);
    results.push({
      file,
      className: classNames[best],
      classIndex: best,
      confidence: p[best],
      top: order.slice(0, top).map((j) => ({ className: classNames[j], classIndex: j, probability: p[j] })),
      inverted: image.inverted,
    });
  }
  if (opts.json) {
    ctx.out(JSON.stringify(results, null, 2));
  } else {
    const w = Math.max(...files.map((f) => path.basename(f).length)) + 2;
    for (const r of results) {
      const topText = r.top.map((t) => `${t.className} ${(100 * t.probability).toFixed(1)}%`).join(', ');
      ctx.out(`${`${path.basename(r.file)}:`.padEnd(w + 1)}${r.className} (${(100 * r.confidence).toFixed(1)}%)  top-${top}: ${topText}${r.inverted ? '  [inverted: light background]' : ''}`);
    }
  }
  return results;
}

export function registerPredict(program: Command, ctx: Context): void {
  program
    .command('predict')
    .description('predict the class of image files with a saved model: class, confidence and top-3')
    .argument('<model>', 'saved model directory (written by convlab train --out), or a Python Keras .keras / .h5 file')
    .argument('<images...>', 'PNG or JPEG files; resized to the model input (stretched), grey for 1-channel models, pixels / 255')
    .option('-d, --dataset <name>', `class names of ${DATASET_NAMES.join(' | ')} (default: those saved with the model)`)
    .option('--top <k>', 'how many classes to list', positiveInt('--top'))
    .option('--invert <mode>', 'for 1-channel models: auto (invert when the border is light, as Fashion-MNIST has a black background) | yes | no', oneOf('--invert', ['auto', 'yes', 'no'] as const), 'auto')
    .option('--scale <factor>', 'multiply pixels by this: 1/255 (default) or 1 for models trained on raw 0-255 pixels')
    .option('--json', 'print the results as JSON')
    .action(async (model: string, images: string[], opts: PredictOptions) => {
      await predict(model, images, opts, ctx);
    });
}
