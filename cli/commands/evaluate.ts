/** `convlab evaluate <saved model> --dataset ...`: loss, accuracy, per class, confusion matrix. */
import * as path from 'node:path';
import type { Command } from 'commander';
import { writeFileAtomic } from '../../src/plots/index.js';
import { chooseBackend } from '../backend.js';
import { CliError, type Context } from '../context.js';
import { DATASET_NAMES, PIXEL_SCALE, datasetName, loadDataset } from '../data.js';
import { loadNotebookData, parseScale } from '../notebook_data.js';
import { checkModelFits, evaluateSplit, evaluationJson, printEvaluation } from '../evaluation.js';
import { loadModel } from '../model_store.js';
import { positiveInt } from '../options.js';
import { withRunLock } from '../run_dir.js';
import { writeEvaluationPictures } from '../pictures.js';
import { evaluateFolder } from './evaluate_folder.js';

interface EvaluateOptions {
  dataset?: string;
  dataDir?: string;
  testLimit?: number;
  batchSize?: number;
  out?: string;
  plots: boolean;
  quiet?: boolean;
  backend?: string;
  data?: string;
  scale?: string;
  standardize?: boolean;
}

export async function evaluate(modelArg: string, opts: EvaluateOptions, ctx: Context): Promise<void> {
  if (opts.data) {
    if (opts.dataset) throw new CliError('give --data DIR (class folders) or --dataset NAME, not both');
    return evaluateFolder(modelArg, { ...opts, data: opts.data }, ctx);
  }
  const { model, dir, metadata, keras, notes } = await loadModel(modelArg);
  await chooseBackend(opts.backend);
  if (!opts.dataset && metadata?.dataset === 'folder') throw new CliError(`'${modelArg}' was trained on class folders (${metadata.imageFolder?.dir}); pass --data DIR with folders named ${metadata.classNames.join(', ')}`);
  const name = opts.dataset ?? metadata?.dataset;
  if (!name) throw new CliError(`'${modelArg}' does not say which dataset it was trained on (no convlab.json); pass --dataset ${DATASET_NAMES.join('|')}`);
  const dataset = datasetName(name);
  const quiet = Boolean(opts.quiet);
  for (const note of notes ?? []) if (!quiet) ctx.err(`note: ${note}`);
  // A Keras file, --scale or --standardize: prepare the test set as the notebook did.
  const notebook = keras || opts.scale !== undefined || opts.standardize;
  const data = notebook
    ? await loadNotebookData(dataset, ctx, { dataDir: opts.dataDir, testLimit: opts.testLimit, quiet, scale: opts.scale !== undefined ? parseScale(opts.scale) : (metadata?.pixelScale ?? PIXEL_SCALE), standardize: Boolean(opts.standardize), inputShape: model.inputShape.slice(1) })
    : await loadDataset(dataset, ctx, { dataDir: opts.dataDir, testOnly: true, testLimit: opts.testLimit, quiet });
  checkModelFits(model, data, `The saved model in '${modelArg}'`);
  const ev = evaluateSplit(model, data.test, data.classNames, ctx, { batchSize: opts.batchSize ?? 128, quiet });
  printEvaluation(ev, data.classNames, ctx);
  if (opts.plots) {
    // Pictures go beside a saved model directory; for a Keras file, into the current directory.
    const out = path.resolve(opts.out ?? (keras ? '.' : dir));
    // Into the run directory by default: not while a training run is writing there.
    const files = await withRunLock(out, 'convlab evaluate', (line) => ctx.err(line), async () => {
      const written = await writeEvaluationPictures(out, { raw: data.test.raw, labels: data.test.y.data, classNames: data.classNames, results: ev.results, modelName: path.basename(dir) });
      await writeFileAtomic(path.join(out, `evaluation-${dataset}.json`), `${JSON.stringify(evaluationJson(ev), null, 2)}\n`);
      return written;
    });
    if (!quiet) ctx.out(`Wrote ${files.map((f) => path.relative(process.cwd(), f)).join(', ')}`);
  }
}

export function registerEvaluate(program: Command, ctx: Context): void {
  program
    .command('evaluate')
    .description('evaluate a saved model on a test set: loss, accuracy, per-class accuracy, confusion matrix (+ pictures)')
    .argument('<model>', 'saved model directory (written by convlab train --out), or a Python Keras .keras / .h5 file')
    .option('-d, --dataset <name>', `${DATASET_NAMES.join(' | ')} (default: the one it was trained on)`)
    .option('--data <dir>', 'evaluate on class folders instead (one subfolder per class, named as the model\'s classes)')
    .option('--scale <factor>', 'multiply pixels by this, as the notebook did: 1/255 (default) or 1 for raw 0-255 pixels')
    .option('--standardize', "then subtract the training set's per-channel mean and divide by its std (CIFAR-10 ResNet notebooks)")
    .option('--data-dir <dir>', 'directory holding the dataset files')
    .option('--test-limit <n>', 'evaluate on the first n test images only', positiveInt('--test-limit'))
    .option('-b, --batch-size <n>', 'samples per batch', positiveInt('--batch-size'))
    .option('-o, --out <dir>', 'where to write confusion_matrix.png and predictions.png (default: the model directory)')
    .option('--backend <name>', 'kernel backend: auto | wasm | reference (default $CONVLAB_BACKEND, else auto)')
    .option('--no-plots', 'skip the pictures')
    .option('-q, --quiet', 'no progress bar')
    .action(async (model: string, opts: EvaluateOptions) => evaluate(model, opts, ctx));
}
