/**
 * `convlab predict <saved model> <image or directory...>`: class, confidence and top-3 for each
 * image. Directories are searched recursively. A file that cannot be read is reported with the
 * reason and what it really is, the others are still predicted, and the exit status is 1 at the
 * end when any failed. `--csv FILE` writes one row per file, written to a temporary name and renamed.
 */
import { mkdir } from 'node:fs/promises';
import * as path from 'node:path';
import type { Command } from 'commander';
import { argmaxRow, writeFileAtomic } from '../../src/plots/index.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { CliError, type Context } from '../context.js';
import { DATASET_NAMES, PIXEL_SCALE, classNamesOf, datasetName } from '../data.js';
import { expandImageArgs } from '../image_paths.js';
import { UnreadableImageError, prepareImage, type InvertMode, type PreparedImage } from '../images.js';
import { loadModel } from '../model_store.js';
import { prepareFolderImage } from '../image_folder.js';
import { parseScale } from '../notebook_data.js';
import { formatShape, oneOf, positiveInt } from '../options.js';

interface PredictOptions {
  dataset?: string;
  top?: number;
  invert?: InvertMode;
  json?: boolean;
  csv?: string;
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

/** A file predict could not read: why, and what it is ('text', 'PNG image', ...; null when unreadable). */
export interface PredictionFailure {
  file: string;
  error: string;
  fileType: string | null;
}

export type PredictResult = Prediction | PredictionFailure;

export const isFailure = (r: PredictResult): r is PredictionFailure => 'error' in r;

/** Images are decoded one by one but predicted this many at a time. */
const BATCH = 32;

export async function predict(modelArg: string, args: string[], opts: PredictOptions, ctx: Context): Promise<PredictResult[]> {
  const { model, metadata } = await loadModel(modelArg);
  const classNames = opts.dataset ? classNamesOf(datasetName(opts.dataset)) : metadata?.classNames;
  if (!classNames) throw new CliError(`'${modelArg}' does not say which classes it predicts (no convlab.json); pass --dataset ${DATASET_NAMES.join('|')}`);
  const input = model.inputShape;
  const units = model.outputShape[model.outputShape.length - 1];
  // (batch, height, width, channels), or (batch, height, width): greyscale without a channel axis,
  // as Keras models that start with Flatten on MNIST's (28, 28) arrays expect.
  if ((input.length !== 4 && input.length !== 3) || input.slice(1).some((d) => d === null)) {
    throw new CliError(`predict needs a model over images of a fixed size, with input (batch, height, width, channels) or (batch, height, width) for greyscale; this one expects ${formatShape(input)}`);
  }
  if (units !== classNames.length) throw new CliError(`The model has ${units} outputs but ${classNames.length} class names (${classNames.slice(0, 3).join(', ')}, ...); pass the --dataset it was trained on`);
  const noChannelAxis = input.length === 3;
  const shape = noChannelAxis ? [input[1] as number, input[2] as number, 1] : (input.slice(1) as number[]);
  if (shape[2] !== 1 && shape[2] !== 3) throw new CliError(`The model expects ${shape[2]} channels per pixel; predict handles 1 (grey) or 3 (RGB)`);
  const k = classNames.length;
  const top = Math.min(opts.top ?? 3, k);

  const results: PredictResult[] = [];
  const fail = (failure: PredictionFailure) => {
    results.push(failure);
    ctx.err(`convlab: error: ${failure.error}`);
  };
  let batch: { label: string; file: string; image: Pick<PreparedImage, 'x' | 'inverted'> }[] = [];
  const flush = () => {
    if (batch.length === 0) return;
    const [h, w, c] = shape;
    const x = new Float32Array(batch.length * h * w * c);
    batch.forEach((b, i) => x.set(b.image.x.data as Float32Array, i * h * w * c));
    const p = model.predict(new Tensor(x, noChannelAxis ? [batch.length, h, w] : [batch.length, h, w, c])).data;
    batch.forEach((b, i) => {
      const order = Array.from({ length: k }, (_, j) => j).sort((a, z) => p[i * k + z] - p[i * k + a]);
      const best = argmaxRow(p, i, k);
      const r: Prediction = {
        file: b.file,
        className: classNames[best],
        classIndex: best,
        confidence: p[i * k + best],
        top: order.slice(0, top).map((j) => ({ className: classNames[j], classIndex: j, probability: p[i * k + j] })),
        inverted: b.image.inverted,
      };
      results.push(r);
      if (!opts.json) printPrediction(r, b.label, top, ctx);
    });
    batch = [];
  };
  for (const entry of await expandImageArgs(args)) {
    if ('reason' in entry) {
      flush(); // keep the output in the order of the files
      fail({ file: entry.file, error: `Cannot read '${entry.file}': ${entry.reason}`, fileType: 'directory' });
      continue;
    }
    const { file, label } = entry;
    try {
      // A run trained on class folders: read each image as its training images were read.
      const scale = opts.scale !== undefined ? parseScale(opts.scale) : (metadata?.pixelScale ?? PIXEL_SCALE);
      const image = metadata?.imageFolder ? await prepareFolderImage(file, metadata.imageFolder) : await prepareImage(file, shape, opts.invert ?? 'auto', scale);
      batch.push({ file, label, image });
    } catch (e) {
      if (!(e instanceof UnreadableImageError)) throw e;
      flush();
      fail({ file, error: e.message, fileType: e.fileType?.name ?? null });
      continue;
    }
    if (batch.length === BATCH) flush();
  }
  flush();

  if (opts.json) ctx.out(JSON.stringify(results, null, 2));
  if (opts.csv) {
    const csv = path.resolve(opts.csv);
    try {
      await mkdir(path.dirname(csv), { recursive: true });
      await writeFileAtomic(csv, predictionsCsv(results, top));
    } catch (e) {
      throw new CliError(`Cannot write --csv '${opts.csv}': ${(e as Error).message}`);
    }
    if (!opts.json) ctx.out(`Wrote ${results.length} rows to ${opts.csv}`);
  }
  const failed = results.filter(isFailure).length;
  if (failed > 0) {
    const predicted = results.length - failed;
    throw new CliError(`${failed} of ${results.length} ${results.length === 1 ? 'file' : 'files'} could not be read (listed above); ${predicted} predicted`);
  }
  return results;
}

function printPrediction(r: Prediction, label: string, top: number, ctx: Context): void {
  const topText = r.top.map((t) => `${t.className} ${(100 * t.probability).toFixed(1)}%`).join(', ');
  ctx.out(`${`${label}:`.padEnd(Math.max(label.length + 3, 16))}${r.className} (${(100 * r.confidence).toFixed(1)}%)  top-${top}: ${topText}${r.inverted ? '  [inverted: light background]' : ''}`);
}

/** One row per file: the prediction and its top-k, or the error (RFC 4180 quoting). */
export function predictionsCsv(results: readonly PredictResult[], top: number): string {
  const header = ['file', 'class', 'class_index', 'confidence'];
  for (let i = 1; i <= top; i++) header.push(`top${i}_class`, `top${i}_probability`);
  header.push('inverted', 'error');
  const rows = [header];
  for (const r of results) {
    if (isFailure(r)) {
      rows.push([r.file, '', '', '', ...Array(2 * top).fill(''), '', r.error]);
      continue;
    }
    const tops = r.top.flatMap((t) => [t.className, String(t.probability)]);
    while (tops.length < 2 * top) tops.push('');
    rows.push([r.file, r.className, String(r.classIndex), String(r.confidence), ...tops, String(r.inverted), '']);
  }
  return `${rows.map((row) => row.map(csvField).join(',')).join('\n')}\n`;
}

function csvField(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function registerPredict(program: Command, ctx: Context): void {
  program
    .command('predict')
    .description('predict the class of images with a saved model: class, confidence and top-3; goes on past unreadable files')
    .argument('<model>', 'saved model directory (written by convlab train --out), or a Python Keras .keras / .h5 file')
    .argument('<images...>', 'image files (PNG, JPEG, WebP, GIF, BMP) or directories, searched recursively; resized to the model input (stretched), grey for 1-channel models and for models whose input has no channel axis (28, 28), pixels / 255')
    .option('-d, --dataset <name>', `class names of ${DATASET_NAMES.join(' | ')} (default: those saved with the model)`)
    .option('--top <k>', 'how many classes to list', positiveInt('--top'))
    .option('--invert <mode>', 'for 1-channel models: auto (invert when the border is light, as Fashion-MNIST has a black background) | yes | no', oneOf('--invert', ['auto', 'yes', 'no'] as const), 'auto')
    .option('--scale <factor>', 'multiply pixels by this: 1/255 (default) or 1 for models trained on raw 0-255 pixels')
    .option('--json', 'print the results as JSON (unreadable files as {file, error, fileType})')
    .option('--csv <file>', 'also write one row per file to <file>: class, confidence, top-k, or the error')
    .action(async (model: string, images: string[], opts: PredictOptions) => {
      await predict(model, images, opts, ctx);
    });
}
