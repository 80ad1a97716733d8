/**
 * `convlab plot <run>`: (re)draws the pictures of a training run, or some of them (--only):
 * history (loss.png, accuracy.png), predictions, confusion, kernels, feature-maps.
 */
import { existsSync, promises as fsp, statSync } from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import { CliError, type Context } from '../context.js';
import { DATASET_NAMES, datasetName, loadDataset } from '../data.js';
import { checkModelFits, evaluateSplit } from '../evaluation.js';
import { prepareImage, type InvertMode } from '../images.js';
import { loadModel } from '../model_store.js';
import { oneOf, positiveInt } from '../options.js';
import { withRunLock } from '../run_dir.js';
import { plotKernels, writePicture } from '../../src/plots/index.js';
import { PICTURE_FILES, writeEvaluationPictures, writeHistoryPictures, writeModelPictures } from '../pictures.js';

const KINDS = ['history', 'predictions', 'confusion', 'kernels', 'feature-maps'] as const;
type Kind = (typeof KINDS)[number];

interface PlotOptions {
  only?: string;
  out?: string;
  dataset?: string;
  dataDir?: string;
  testLimit?: number;
  image?: string;
  invert?: InvertMode;
  quiet?: boolean;
}

function parseKinds(value: string | undefined): Set<Kind> {
  if (!value) return new Set(KINDS);
  const kinds = value.split(',').map((s) => s.trim()).filter(Boolean);
  for (const k of kinds) if (!KINDS.includes(k as Kind)) throw new CliError(`--only: unknown picture '${k}'; valid: ${KINDS.join(', ')}`);
  return new Set(kinds as Kind[]);
}

async function readHistory(file: string): Promise<Record<string, number[]>> {
  let parsed: { history?: unknown };
  try {
    parsed = JSON.parse(await fsp.readFile(file, 'utf8'));
  } catch (e) {
    throw new CliError(`Cannot read ${file}: ${(e as Error).message}`);
  }
  const h = (parsed?.history ?? parsed) as Record<string, unknown>;
  const ok = h && typeof h === 'object' && Object.values(h).every((v) => Array.isArray(v) && v.every((n) => typeof n === 'number'));
  if (!ok) throw new CliError(`${file} is not a training history: expected {"history": {"loss": [...], ...}} as written by convlab train`);
  return h as Record<string, number[]>;
}

export async function plot(target: string, opts: PlotOptions, ctx: Context): Promise<string[]> {
  if (!existsSync(target)) throw new CliError(`No run at '${target}': expected a directory written by 'convlab train --out DIR' (or a history.json)`);
  const dir = statSync(target).isFile() ? path.dirname(path.resolve(target)) : path.resolve(target);
  // The pictures go into the run (or --out): not while a training run is writing there.
  return withRunLock(path.resolve(opts.out ?? dir), 'convlab plot', (line) => ctx.err(line), () => plotLocked(target, opts, ctx));
}

async function plotLocked(target: string, opts: PlotOptions, ctx: Context): Promise<string[]> {
  if (!existsSync(target)) throw new CliError(`No run at '${target}': expected a directory written by 'convlab train --out DIR' (or a history.json)`);
  const kinds = parseKinds(opts.only);
  const isFile = statSync(target).isFile();
  const dir = isFile ? path.dirname(path.resolve(target)) : path.resolve(target);
  const out = path.resolve(opts.out ?? dir);
  const files: string[] = [];
  const historyFile = isFile ? path.resolve(target) : path.join(dir, 'history.json');

  if (kinds.has('history')) {
    if (existsSync(historyFile)) files.push(...(await writeHistoryPictures(out, await readHistory(historyFile), path.basename(dir))));
    else if (opts.only) throw new CliError(`No history.json in '${target}'; history pictures need a run written by convlab train`);
  }
  if (isFile) {
    if (opts.only && [...kinds].some((k) => k !== 'history')) throw new CliError(`'${target}' is a file: only the history pictures can be drawn from it; pass the run directory for the others`);
  } else if ([...kinds].some((k) => k !== 'history')) {
    const { model, metadata } = await loadModel(dir);
    const name = opts.dataset ?? metadata?.dataset;
    const needData = kinds.has('predictions') || kinds.has('confusion') || (kinds.has('feature-maps') && !opts.image);
    let data = null;
    if (needData) {
      if (!name) throw new CliError(`'${target}' does not say which dataset it was trained on (no convlab.json); pass --dataset ${DATASET_NAMES.join('|')}`);
      if (name === 'folder') throw new CliError(`'${target}' was trained on class folders: draw its predictions and confusion matrix with convlab evaluate ${target} --data DIR, its kernels with --only kernels, its feature maps with --image FILE`);
      data = await loadDataset(datasetName(name), ctx, { dataDir: opts.dataDir, testOnly: true, testLimit: opts.testLimit ?? 1000, quiet: opts.quiet });
      checkModelFits(model, data, `The saved model in '${target}'`);
    }
    if (data && (kinds.has('predictions') || kinds.has('confusion'))) {
      const ev = evaluateSplit(model, data.test, data.classNames, ctx, { batchSize: 128, quiet: true });
      files.push(...(await writeEvaluationPictures(out, { raw: data.test.raw, labels: data.test.y.data, classNames: data.classNames, results: ev.results, modelName: path.basename(dir) }, { predictions: kinds.has('predictions'), confusion: kinds.has('confusion') })));
    }
    if (kinds.has('kernels') || kinds.has('feature-maps')) {
      const which = { kernels: kinds.has('kernels'), featureMaps: kinds.has('feature-maps') };
      if (opts.image) {
        const image = await prepareImage(opts.image, model.inputShape.slice(1) as number[], opts.invert ?? 'auto', metadata?.pixelScale ?? 1 / 255);
        files.push(...(await writeModelPictures(out, model, image.x, `${path.basename(opts.image)}${image.inverted ? ' (inverted)' : ''}`, which)));
      } else if (data) {
        files.push(...(await writeModelPictures(out, model, data.test.x, `test image 0: ${data.classNames[data.test.y.data[0]]}`, which)));
      } else {
        files.push(await writePicture(path.join(out, PICTURE_FILES.kernels), plotKernels(model)));
      }
    }
  }
  if (!opts.quiet) ctx.out(files.length ? `Wrote ${files.map((f) => path.relative(process.cwd(), f)).join(', ')}` : 'No pictures to draw');
  return files;
}

export function registerPlot(program: Command, ctx: Context): void {
  program
    .command('plot')
    .description('draw the pictures of a training run: loss/accuracy curves, test predictions, confusion matrix, kernels, feature maps')
    .argument('<run>', 'run directory written by convlab train --out (or a history.json file)')
    .option('--only <list>', `comma-separated subset of ${KINDS.join(',')}`)
    .option('-o, --out <dir>', 'where to write the PNG files (default: the run directory)')
    .option('-d, --dataset <name>', `${DATASET_NAMES.join(' | ')} (default: the run's)`)
    .option('--data-dir <dir>', 'directory holding the dataset files')
    .option('--test-limit <n>', 'test images for the predictions and confusion pictures (default 1000)', positiveInt('--test-limit'))
    .option('--image <file>', 'image for the feature maps (default: the first test image)')
    .option('--invert <mode>', 'auto | yes | no, as for predict', oneOf('--invert', ['auto', 'yes', 'no'] as const), 'auto')
    .option('-q, --quiet', 'print nothing but errors')
    .action(async (run: string, opts: PlotOptions) => {
      await plot(run, opts, ctx);
    });
}
