/**
 * `convlab explain <saved model> <image>`: which pixels decide the model's answer. Writes a PNG
 * with the image, the Grad-CAM (or saliency) heat map over it and the top-3 classes.
 */
import * as path from 'node:path';
import type { Command } from 'commander';
import { gradCam, lastConvLayer, saliency } from '../../src/explain/index.js';
import { plotExplanation, writePicture } from '../../src/plots/index.js';
import { CliError, type Context } from '../context.js';
import { DATASET_NAMES, PIXEL_SCALE, classNamesOf, datasetName } from '../data.js';
import { prepareImage, type InvertMode } from '../images.js';
import { loadModel } from '../model_store.js';
import { formatShape, nonNegativeInt, oneOf, positiveInt } from '../options.js';

export const METHODS = ['gradcam', 'saliency', 'smoothgrad'] as const;
type Method = (typeof METHODS)[number];

interface ExplainOptions {
  layer?: string;
  class?: number;
  method?: Method;
  out?: string;
  dataset?: string;
  invert?: InvertMode;
  samples?: number;
  seed?: number;
}

export interface Explanation {
  file: string;
  out: string;
  method: Method;
  layer: string | null;
  classIndex: number;
  className: string;
  top: { className: string; classIndex: number; probability: number }[];
  /** Where the map is largest (row, column of the model input). */
  peak: { y: number; x: number };
}

export async function explainImage(modelArg: string, file: string, opts: ExplainOptions, ctx: Context): Promise<Explanation> {
  const { model, dir, metadata } = await loadModel(modelArg);
  const classNames = opts.dataset ? classNamesOf(datasetName(opts.dataset)) : metadata?.classNames;
  if (!classNames) throw new CliError(`'${modelArg}' does not say which classes it predicts (no convlab.json); pass --dataset ${DATASET_NAMES.join('|')}`);
  const input = model.inputShape;
  const units = model.outputShape[model.outputShape.length - 1];
  if (input.length !== 4 || input.slice(1).some((d) => d === null)) throw new CliError(`explain needs a model over images of a fixed size; this one expects ${formatShape(input)}`);
  if (units !== classNames.length) throw new CliError(`The model has ${units} outputs but ${classNames.length} class names (${classNames.slice(0, 3).join(', ')}, ...); pass the --dataset it was trained on`);
  if (opts.class !== undefined && opts.class >= classNames.length) throw new CliError(`--class must be from 0 to ${classNames.length - 1} (${classNames.length} classes), received ${opts.class}`);
  const method = opts.method ?? 'gradcam';
  if (opts.layer !== undefined && method !== 'gradcam') throw new CliError(`--layer applies to --method gradcam; ${method} explains the input pixels`);

  const image = await prepareImage(file, input.slice(1) as number[], opts.invert ?? 'auto', metadata?.pixelScale ?? PIXEL_SCALE);
  const p = model.predict(image.x).data;
  const order = Array.from({ length: classNames.length }, (_, j) => j).sort((a, b) => p[b] - p[a]);
  const classIndex = opts.class ?? order[0];

  let layerName: string | null = null;
  let map;
  try {
    if (method === 'gradcam') {
      const layer = opts.layer === undefined ? lastConvLayer(model) : model.layers.find((l) => l.name === opts.layer);
      if (!layer) throw new CliError(`The model has no layer '${opts.layer}'; its layers are ${model.layers.map((l) => `${l.name} (${l.className})`).join(', ')}`);
      layerName = layer.name;
      map = gradCam(model, image.x, { layer, classIndex });
    } else {
      map = saliency(model, image.x, { classIndex, method: method === 'smoothgrad' ? 'smoothgrad' : 'vanilla', samples: opts.samples, seed: opts.seed ?? 0 });
    }
  } catch (e) {
    if (e instanceof CliError) throw e;
    throw new CliError((e as Error).message);
  }

  const top = order.map((j) => ({ className: classNames[j], classIndex: j, probability: p[j] }));
  const label = method === 'gradcam' ? `Grad-CAM, layer ${layerName}` : method === 'smoothgrad' ? `SmoothGrad saliency, ${opts.samples ?? 25} samples` : 'vanilla gradient saliency';
  const picture = plotExplanation({
    image: image.raw,
    heatmap: map,
    top,
    explained: { className: classNames[classIndex], classIndex },
    method: label,
    title: `${path.basename(file)}: why "${classNames[classIndex]}"?`,
  });
  const out = path.resolve(opts.out ?? path.join(dir, `explain-${path.parse(file).name}.png`));
  if (path.extname(out).toLowerCase() !== '.png') throw new CliError(`--out must name a .png file, received '${opts.out}'`);
  await writePicture(out, picture);

  const d = map.data;
  let best = 0;
  for (let i = 1; i < d.length; i++) if (d[i] > d[best]) best = i;
  const w = map.shape[1];
  const result: Explanation = { file, out, method, layer: layerName, classIndex, className: classNames[classIndex], top: top.slice(0, 3), peak: { y: Math.floor(best / w), x: best % w } };
  const topText = result.top.map((t) => `${t.className} ${(100 * t.probability).toFixed(1)}%`).join(', ');
  ctx.out(`${path.basename(file)}: explained "${result.className}" (class ${classIndex}) with ${label}; top-3: ${topText}${image.inverted ? '  [inverted: light background]' : ''}`);
  ctx.out(`wrote ${out}`);
  return result;
}

export function registerExplain(program: Command, ctx: Context): void {
  program
    .command('explain')
    .description('show which pixels decide a saved model\'s answer for an image: a PNG with the image, the Grad-CAM heat map over it and the top-3 classes')
    .argument('<model>', 'saved model directory (written by convlab train --out)')
    .argument('<image>', 'PNG or JPEG file, prepared as predict prepares it')
    .option('--layer <name>', 'the layer Grad-CAM explains (default: the last convolution)')
    .option('--class <k>', 'the class explained (default: the predicted one)', nonNegativeInt('--class'))
    .option('--method <m>', `${METHODS.join(' | ')}`, oneOf('--method', METHODS), 'gradcam')
    .option('-o, --out <file.png>', 'where to write the picture (default: explain-<image name>.png in the model directory)')
    .option('-d, --dataset <name>', `class names of ${DATASET_NAMES.join(' | ')} (default: those saved with the model)`)
    .option('--invert <mode>', 'for 1-channel models: auto | yes | no, as for predict', oneOf('--invert', ['auto', 'yes', 'no'] as const), 'auto')
    .option('--samples <n>', 'smoothgrad: noisy copies to average (default 25)', positiveInt('--samples'))
    .option('--seed <n>', 'smoothgrad: seed of the noise (default 0)', nonNegativeInt('--seed'))
    .action(async (model: string, image: string, opts: ExplainOptions) => {
      await explainImage(model, image, opts, ctx);
    });
}
