/**
 * `convlab train <model> --dataset ...`: the lab's workflow in one command. Fit with the Keras
 * progress bar, evaluate on the test set, and write the model, its history and the pictures.
 */
import { statSync } from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import { BatchLearningRateScheduler, stepSchedules } from '../../src/callbacks/step_schedules.js';
import { Adam, AdamW, RMSprop, SGD, type Optimizer } from '../../src/optimizers/index.js';
import { writeFileAtomic } from '../../src/plots/index.js';
import { getNumThreads } from '../../src/kernels/wasm/index.js';
import { setSeed } from '../../src/utils/random.js';
import { zoo } from '../../src/zoo/index.js';
import { chooseBackend } from '../backend.js';
import { CliError, type Context } from '../context.js';
import { DATASET_NAMES, datasetName, loadDataset } from '../data.js';
import { checkModelFits, evaluateSplit, evaluationJson, heldOutEvaluation, printEvaluation } from '../evaluation.js';
import { saveModel, writeMetadata } from '../model_store.js';
import { checkpointCallback, checkpointDir, mergeHistory, readRunSettings, restoreCheckpoint, type History, type RunSettings } from '../resume.js';
import { INTERRUPTED_EXIT_CODE, onInterrupt } from '../interrupt.js';
import { fraction, nonNegativeInt, nonNegativeNumber, oneOf, positiveInt, positiveNumber } from '../options.js';
import { RunLock, checkExplicitOut, claimFreshRunDir, displayPath, NO_OLD_RUN, resumedRun, type OldRun } from '../run_dir.js';
import { writeEvaluationPictures, writeHistoryPictures, writeModelPictures } from '../pictures.js';
import { COLOR_MODES, parseImageSize } from '../image_folder.js';
import { trainFolder } from './train_folder.js';

const OPTIMIZERS = ['adam', 'adamw', 'sgd', 'rmsprop'] as const;
const SCHEDULES = ['constant', 'one-cycle'] as const;

interface TrainOptions {
  dataset?: string;
  epochs?: number;
  batchSize?: number;
  validationSplit?: number;
  optimizer?: (typeof OPTIMIZERS)[number];
  lr?: number;
  schedule?: (typeof SCHEDULES)[number];
  weightDecay?: number;
  labelSmoothing?: number;
  flipAverage?: boolean;
  seed?: number;
  dataDir?: string;
  out?: string;
  limit?: number;
  testLimit?: number;
  backend?: string;
  resume?: string;
  overwrite?: boolean;
  quiet?: boolean;
  plots: boolean;
  data?: string;
  imageSize?: [number, number];
  color?: (typeof COLOR_MODES)[number];
  from?: string;
  freezeBase?: boolean;
  cacheDir?: string;
}

function makeOptimizer(name: (typeof OPTIMIZERS)[number], learningRate: number, weightDecay: number | undefined): Optimizer {
  if (name === 'sgd') return new SGD({ learningRate, weightDecay });
  if (name === 'rmsprop') {
    if (weightDecay) throw new CliError('--weight-decay applies to adamw and sgd, not rmsprop');
    return new RMSprop({ learningRate });
  }
  if (name === 'adamw') return new AdamW({ learningRate, weightDecay });
  if (weightDecay) throw new CliError('--weight-decay applies to adamw and sgd; use --optimizer adamw for Adam with weight decay');
  return new Adam({ learningRate });
}

/** history.csv: one row per epoch, columns as in `pd.DataFrame(history.history)`. */
export function historyCsv(history: Record<string, number[]>): string {
  const keys = Object.keys(history);
  const rows = Math.max(0, ...keys.map((k) => history[k].length));
  const lines = [['epoch', ...keys].join(',')];
  for (let e = 0; e < rows; e++) lines.push([String(e + 1), ...keys.map((k) => (history[k][e] ?? '').toString())].join(','));
  return `${lines.join('\n')}\n`;
}

export async function train(modelArg: string | undefined, opts: TrainOptions, ctx: Context): Promise<void> {
  if (opts.resume && opts.overwrite) throw new CliError(`--overwrite replaces a run and --resume continues one; pass one of them`);
  const locks: RunLock[] = [];
  try {
    if (opts.data) {
      // Class folders (--data DIR): cli/commands/train_folder.ts, in a run directory claimed as below.
      const note = (line: string) => ctx.err(line);
      await trainFolder(modelArg, { ...opts, data: opts.data }, ctx, makeOptimizer, (modelName, dataName) => claimOut(modelName, dataName, opts, false, locks, note));
      return;
    }
    if (opts.from || opts.freezeBase || opts.imageSize || opts.color || opts.cacheDir) throw new CliError('--from, --freeze-base, --image-size, --color and --cache-dir apply to class folders: add --data DIR');
    await trainLocked(modelArg, opts, ctx, locks);
  } finally {
    for (const lock of locks.reverse()) lock.release();
  }
}

/** `train`, holding in `locks` the run directories it reads and writes until it returns. */
async function trainLocked(modelArg: string | undefined, opts: TrainOptions, ctx: Context, locks: RunLock[]): Promise<void> {
  const note = (line: string) => ctx.err(line);
  let resumed: { settings: RunSettings; epoch: number } | null = null;
  if (opts.resume) {
    // Locked before its checkpoint is read: a run still training there would change it meanwhile.
    if (isDirectory(opts.resume)) locks.push(RunLock.acquire(path.resolve(opts.resume), 'convlab train --resume', note));
    resumed = await readRunSettings(opts.resume);
    const s = resumed.settings;
    if (modelArg && modelArg !== s.model) throw new CliError(`'${opts.resume}' is a run of ${s.model}, not ${modelArg}; leave the model out to resume it`);
    // The saved settings, unless given again on the command line (e.g. more --epochs).
    opts = {
      ...opts,
      dataset: opts.dataset ?? s.dataset,
      epochs: opts.epochs ?? s.epochs,
      batchSize: opts.batchSize ?? s.batchSize,
      validationSplit: opts.validationSplit ?? s.validationSplit,
      optimizer: opts.optimizer ?? (s.optimizer as TrainOptions['optimizer']),
      lr: opts.lr ?? s.learningRate,
      schedule: opts.schedule ?? (s.schedule as TrainOptions['schedule']),
      weightDecay: opts.weightDecay ?? s.weightDecay ?? undefined,
      labelSmoothing: opts.labelSmoothing ?? s.labelSmoothing ?? undefined,
      flipAverage: opts.flipAverage ?? s.flipAverage ?? undefined,
      limit: opts.limit ?? s.limit ?? undefined,
      testLimit: opts.testLimit ?? s.testLimit ?? undefined,
      dataDir: opts.dataDir ?? s.dataDir ?? undefined,
      seed: s.seed ?? undefined,
      out: opts.out ?? opts.resume,
    };
    if (resumed.epoch >= (opts.epochs ?? 0)) throw new CliError(`'${opts.resume}' has already trained ${resumed.epoch} of ${opts.epochs} epochs; pass --epochs N with N > ${resumed.epoch} to train more`);
  }
  if (!modelArg && !resumed) throw new CliError(`Name a model to train (${zoo.entries.filter((e) => e.trainable).map((e) => e.name).join(', ')}), or --resume DIR`);
  const modelName = modelArg ?? resumed!.settings.model;
  if (!zoo.names.includes(modelName)) throw new CliError(`Unknown model '${modelName}'; valid models: ${zoo.names.join(', ')}`);
  const entry = zoo.entry(modelName);
  if (!entry.trainable || !entry.train) {
    const trainable = zoo.entries.filter((e) => e.trainable).map((e) => e.name);
    throw new CliError(`Model '${modelName}' is a parameter-count example without a classifier; it cannot be trained. Trainable models: ${trainable.join(', ')}`);
  }
  const dataset = datasetName(opts.dataset ?? entry.dataset ?? '');
  const defaults = entry.train;
  const epochs = opts.epochs ?? defaults.epochs;
  const batchSize = opts.batchSize ?? defaults.batchSize;
  const validationSplit = opts.validationSplit ?? defaults.validationSplit;
  const optimizerName = opts.optimizer ?? defaults.optimizer;
  const learningRate = opts.lr ?? defaults.learningRate;
  const schedule = opts.schedule ?? defaults.schedule ?? 'constant';
  const weightDecay = opts.weightDecay ?? defaults.weightDecay;
  const labelSmoothing = opts.labelSmoothing ?? defaults.labelSmoothing ?? 0;
  const flipAverage = opts.flipAverage ?? defaults.flipAverage ?? false;
  const quiet = Boolean(opts.quiet);
  const { out, oldRun } = claimOut(modelName, dataset, opts, resumed !== null, locks, note);
  const backend = await chooseBackend(opts.backend);
  if (opts.seed !== undefined && !resumed) setSeed(opts.seed);

  const data = await loadDataset(dataset, ctx, { dataDir: opts.dataDir, limit: opts.limit, testLimit: opts.testLimit, quiet });
  const model = entry.create({ inputShape: data.imageShape, numClasses: data.classNames.length });
  checkModelFits(model, data, `Model '${modelName}'`);
  model.compile({ optimizer: makeOptimizer(optimizerName, learningRate, weightDecay), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'], labelSmoothing });
  if (!quiet) {
    model.summary((line) => ctx.out(line));
    const extras = [schedule === 'one-cycle' ? 'one-cycle schedule' : '', weightDecay ? `weight decay ${weightDecay}` : '', labelSmoothing ? `label smoothing ${labelSmoothing}` : '', flipAverage ? 'flip-averaged evaluation' : ''].filter(Boolean);
    ctx.out(`Training ${modelName} on ${data.train.x.shape[0]} ${dataset} images: ${epochs} epochs, batch size ${batchSize}, validation split ${validationSplit}, ${optimizerName} (learning rate ${learningRate}${extras.length ? `, ${extras.join(', ')}` : ''}), ${backend} backend`);
  }
  const settings: RunSettings = {
    model: modelName, dataset, epochs, batchSize, validationSplit, optimizer: optimizerName, learningRate, schedule, weightDecay: weightDecay ?? null, labelSmoothing, flipAverage,
    seed: opts.seed ?? null, limit: opts.limit ?? null, testLimit: opts.testLimit ?? null, dataDir: opts.dataDir ? path.resolve(opts.dataDir) : null,
  };
  let before: History = { epoch: [], history: {} };
  let initialEpoch = 0;
  if (resumed) {
    ({ epoch: initialEpoch, history: before } = await restoreCheckpoint(opts.resume!, model));
    if (!quiet) ctx.out(`Resuming ${modelName} from '${opts.resume}' after epoch ${initialEpoch} of ${epochs}`);
  }
  const resumeHint = `convlab train --resume ${shellQuote(path.relative(process.cwd(), out) || '.')}`;
  const interrupt = onInterrupt({
    dirs: [out, checkpointDir(out)],
    err: (line) => ctx.err(line),
    exitMessage: `convlab: interrupted again: exiting now; the last complete checkpoint is in ${checkpointDir(out)} (${resumeHint})`,
    onFirst: () => {
      model.stopTraining = true;
      ctx.err('\nconvlab: interrupted: stopping after the current batch to save a checkpoint (press Ctrl-C again to quit at once)');
    },
  });
  await oldRun.setAside();
  const checkpoint = checkpointCallback(out, model, settings, before, () => interrupt.requested);
  const started = Date.now();
  let fitted;
  try {
    fitted = await model.fit(data.train.x, data.train.y, {
      epochs,
      initialEpoch,
      batchSize,
      validationSplit: validationSplit > 0 ? validationSplit : undefined,
      verbose: quiet ? 0 : 1,
      progressSink: ctx.progress,
      callbacks: schedule === 'one-cycle' ? [new BatchLearningRateScheduler(stepSchedules.oneCycle(learningRate)), checkpoint] : [checkpoint],
    });
  } catch (e) {
    interrupt.dispose();
    throw e;
  }
  if (!interrupt.requested) {
    interrupt.dispose();
  } else if (checkpoint.completedEpochs < epochs) {
    // The handler stays until the process exits: a second Ctrl-C while it winds down (workers
    // stopping) must still exit with 130 and the message, not die by the signal.
    const p = checkpoint.partial;
    const where = p
      ? `during epoch ${p.epoch + 1} of ${epochs} (after batch ${p.batches} of ${p.steps}); the checkpoint holds the weights at that batch and ${p.epoch} complete epoch(s), and resuming runs epoch ${p.epoch + 1} again`
      : `after epoch ${checkpoint.completedEpochs} of ${epochs}`;
    throw new CliError(`training interrupted ${where}. Checkpoint saved in ${checkpointDir(out)}; resume with: ${resumeHint}`, INTERRUPTED_EXIT_CODE);
  } else {
    // Ctrl-C came during the last batch: every epoch is done, so finish (a second Ctrl-C still quits at once).
    ctx.err('convlab: training had finished; evaluating and saving the model (press Ctrl-C again to quit at once)');
  }
  const history = mergeHistory(before, fitted);
  const seconds = (Date.now() - started) / 1000;
  const samplesSeen = Math.floor(data.train.x.shape[0] * (1 - validationSplit)) * (epochs - initialEpoch);
  if (!quiet) ctx.out(`Trained in ${seconds.toFixed(1)} s (${Math.round(samplesSeen / Math.max(seconds, 1e-9))} samples/s)`);

  if (!quiet) ctx.out(`Evaluating on ${data.test.x.shape[0]} test images`);
  const ev = evaluateSplit(model, data.test, data.classNames, ctx, { batchSize: Math.max(batchSize, 128), quiet, flipAverage });
  printEvaluation(ev, data.classNames, ctx);
  const validation = validationSplit > 0 ? heldOutEvaluation(model, data, validationSplit, ctx, { batchSize: Math.max(batchSize, 128), quiet, flipAverage }) : null;

  await saveModel(model, out);
  const training = { epochs, batchSize, validationSplit, optimizer: optimizerName, learningRate, schedule, weightDecay: weightDecay ?? null, labelSmoothing, flipAverage, seed: opts.seed ?? null, trainSamples: data.train.x.shape[0], seconds, backend, threads: getNumThreads() };
  await writeMetadata(out, { model: modelName, dataset, classNames: data.classNames, inputShape: data.imageShape, training, test: { loss: ev.loss, accuracy: ev.accuracy, samples: ev.samples } });
  await writeFileAtomic(path.join(out, 'history.json'), `${JSON.stringify({ epoch: history.epoch.map((e) => e + 1), history: history.history }, null, 2)}\n`);
  await writeFileAtomic(path.join(out, 'history.csv'), historyCsv(history.history));
  await writeFileAtomic(path.join(out, 'evaluation.json'), `${JSON.stringify({ ...evaluationJson(ev), validation }, null, 2)}\n`);
  const files = ['model.json', 'weights.bin', 'convlab.json', 'history.json', 'history.csv', 'evaluation.json', 'checkpoint/'].map((f) => path.join(out, f));
  if (opts.plots) {
    files.push(...(await writeHistoryPictures(out, history.history, modelName)));
    files.push(...(await writeEvaluationPictures(out, { raw: data.test.raw, labels: data.test.y.data, classNames: data.classNames, results: ev.results, modelName })));
    files.push(...(await writeModelPictures(out, model, data.test.x, `test image 0: ${data.classNames[data.test.y.data[0]]}`)));
  }
  await oldRun.discard();
  if (!quiet) ctx.out(`Wrote ${files.length} files to ${path.relative(process.cwd(), out) || '.'}: ${files.map((f) => path.basename(f)).join(', ')}`);
  interrupt.dispose();
}

/**
 * The run directory, locked: --out (refused when it holds a run, unless --overwrite), the run
 * being resumed, or else a fresh runs/<model>-<dataset>[-N].
 */
function claimOut(modelName: string, dataset: string, opts: TrainOptions, resuming: boolean, locks: RunLock[], note: (line: string) => void): { out: string; oldRun: OldRun } {
  const command = `convlab train ${modelName}`;
  if (resuming && path.resolve(opts.out!) === path.resolve(opts.resume!)) return { out: path.resolve(opts.out!), oldRun: resumedRun(path.resolve(opts.out!)) };
  if (opts.out) {
    const out = path.resolve(opts.out);
    locks.push(RunLock.acquire(out, command, note));
    return { out, oldRun: checkExplicitOut(out, Boolean(opts.overwrite), note) };
  }
  const base = path.resolve('runs', `${modelName}-${dataset}`);
  const { dir, lock } = claimFreshRunDir(base, command, note);
  locks.push(lock);
  if (dir !== base) note(`convlab: '${displayPath(base)}' holds an earlier run; this run goes to '${displayPath(dir)}' (--out DIR to choose the directory)`);
  return { out: dir, oldRun: NO_OLD_RUN };
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** Quotes a path for the resume hint only when a shell would split or expand it. */
function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

export function registerTrain(program: Command, ctx: Context): void {
  program
    .command('train')
    .description('train a zoo model on a dataset, evaluate it on the test set, and save the model, history and pictures')
    .argument('[model]', `zoo model: ${zoo.entries.filter((e) => e.trainable).map((e) => e.name).join(', ')}`)
    .option('-d, --dataset <name>', `${DATASET_NAMES.join(' | ')} (default: the model's own)`)
    .option('-e, --epochs <n>', 'epochs (default: the model\'s, see `convlab models`)', nonNegativeInt('--epochs'))
    .option('-b, --batch-size <n>', 'samples per gradient step', positiveInt('--batch-size'))
    .option('--validation-split <f>', 'fraction of the training images held out for val_loss/val_accuracy (Keras: the last ones)', fraction('--validation-split'))
    .option('--optimizer <name>', OPTIMIZERS.join(' | '), oneOf('--optimizer', OPTIMIZERS))
    .option('--lr <rate>', 'learning rate (the peak rate with --schedule one-cycle)', positiveNumber('--lr'))
    .option('--schedule <name>', `learning-rate schedule: ${SCHEDULES.join(' | ')} (warm-up, then cosine annealing, every batch)`, oneOf('--schedule', SCHEDULES))
    .option('--weight-decay <w>', 'weight decay (decoupled for adamw, L2-style for sgd)', nonNegativeNumber('--weight-decay'))
    .option('--label-smoothing <s>', 'label smoothing of the cross-entropy, in [0, 1)', fraction('--label-smoothing'))
    .option('--flip-average', 'evaluate with test-time augmentation: average each prediction with the mirrored image\'s')
    .option('--no-flip-average', 'evaluate on the images as they are')
    .option('--seed <n>', 'random seed for initialisation, shuffling and dropout', nonNegativeInt('--seed'))
    .option('--data-dir <dir>', 'directory holding the dataset files (else $CONVLAB_DATA, the cache, /usr/share/datasets, or a download)')
    .option('-o, --out <dir>', 'where to write the model, history and pictures (default runs/<model>-<dataset>, or -2, -3, ... when that holds a run); refused when it holds a run')
    .option('--overwrite', 'with --out: replace the run already in that directory')
    .option('--limit <n>', 'train on the first n training images only', positiveInt('--limit'))
    .option('--test-limit <n>', 'evaluate on the first n test images only', positiveInt('--test-limit'))
    .option('--backend <name>', 'kernel backend: auto (wasm when it starts, else reference), wasm or reference (default $CONVLAB_BACKEND, else auto)')
    .option('--resume <dir>', 'continue the run in <dir> after its last completed epoch (its checkpoint/ holds the settings; --epochs N to train more)')
    .option('--no-plots', 'skip the pictures')
    .option('-q, --quiet', 'no progress bars or summaries, only the results')
    .option('--data <dir>', 'train on your own images: one subfolder per class (as Keras\'s image_dataset_from_directory); see docs/image-folders.md')
    .option('--image-size <HxW>', 'with --data: resize images to HEIGHTxWIDTH (default: the model\'s input size)', parseImageSize)
    .option('--color <mode>', `with --data: ${COLOR_MODES.join(' | ')} (default rgb)`, oneOf('--color', COLOR_MODES))
    .option('--from <run>', 'with --data: start from a saved model or run, its classifier replaced by one for the folder\'s classes')
    .option('--freeze-base', 'with --from: train the new head only, the base frozen')
    .option('--cache-dir <dir>', 'with --data: keep decoded, resized images here for later epochs and runs')
    .action(async (name: string | undefined, opts: TrainOptions) => train(name, opts, ctx));
}
