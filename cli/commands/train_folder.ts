/**
 * `convlab train <model> --data DIR`: train on the user's own class folders. A zoo model is built
 * for the folder's image size and class count, or, with `--from RUN_OR_MODEL`, a saved model's
 * base gets a new head for the folder's classes (`--freeze-base` trains the head only). The run
 * records the class names and how images were read (convlab.json's imageFolder), so `predict`
 * and `evaluate --data` read images the same way.
 */
import * as path from 'node:path';
import { BatchLearningRateScheduler, stepSchedules } from '../../src/callbacks/step_schedules.js';
import { getNumThreads } from '../../src/kernels/wasm/index.js';
import type { Sequential } from '../../src/models/sequential.js';
import { replaceHead } from '../../src/models/transfer.js';
import { writeFileAtomic } from '../../src/plots/index.js';
import { setSeed } from '../../src/utils/random.js';
import { zoo } from '../../src/zoo/index.js';
import { chooseBackend } from '../backend.js';
import { CliError, type Context } from '../context.js';
import type { OldRun } from '../run_dir.js';
import { evaluationJson, printEvaluation } from '../evaluation.js';
import { CHANNELS, colorOfChannels, evaluateFolderDataset, openFolder, scaled, skipCounts, type ImageFolderRecord } from '../image_folder.js';
import { loadModel, saveModel, writeMetadata } from '../model_store.js';
import { writeEvaluationPictures, writeHistoryPictures, writeModelPictures } from '../pictures.js';
import type { ColorMode } from '../../src/datasets/image_folder/dataset.js';
import { toFloat } from '../../src/datasets/preprocess.js';
import { PIXEL_SCALE } from '../data.js';
import type { Optimizer } from '../../src/optimizers/index.js';

export interface FolderTrainOptions {
  data: string;
  dataset?: string;
  limit?: number;
  testLimit?: number;
  labelSmoothing?: number;
  flipAverage?: boolean;
  imageSize?: [number, number];
  color?: ColorMode;
  from?: string;
  freezeBase?: boolean;
  cacheDir?: string;
  epochs?: number;
  batchSize?: number;
  validationSplit?: number;
  optimizer?: 'adam' | 'adamw' | 'sgd' | 'rmsprop';
  lr?: number;
  schedule?: 'constant' | 'one-cycle';
  weightDecay?: number;
  seed?: number;
  out?: string;
  backend?: string;
  resume?: string;
  quiet?: boolean;
  plots: boolean;
}

type MakeOptimizer = (name: 'adam' | 'adamw' | 'sgd' | 'rmsprop', learningRate: number, weightDecay: number | undefined) => Optimizer;

/** Claims and locks the run directory (train.ts's claimOut): a fresh one, or --out checked and locked. */
type ClaimRunDir = (modelName: string, dataName: string) => { out: string; oldRun: OldRun };

export async function trainFolder(modelArg: string | undefined, opts: FolderTrainOptions, ctx: Context, makeOptimizer: MakeOptimizer, claimRunDir: ClaimRunDir): Promise<void> {
  if (opts.resume) throw new CliError('--resume is not available for --data runs yet; train again with more --epochs');
  const builtIn = (['dataset', 'limit', 'testLimit', 'labelSmoothing', 'flipAverage'] as const).filter((k) => opts[k] !== undefined);
  if (builtIn.length > 0) throw new CliError(`--data trains on class folders; ${builtIn.map((k) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`).join(', ')} appl${builtIn.length > 1 ? 'y' : 'ies'} to the built-in datasets only`);
  if (opts.freezeBase && !opts.from) throw new CliError('--freeze-base needs --from RUN_OR_MODEL: the base of which model to freeze');
  const quiet = Boolean(opts.quiet);
  let base: Sequential | null = null;
  let modelName: string;
  let defaultShape: number[];
  if (opts.from) {
    base = (await loadModel(opts.from)).model;
    defaultShape = base.inputShape.slice(1) as number[];
    if (defaultShape.length !== 3 || defaultShape.some((d) => d === null)) throw new CliError(`--from '${opts.from}': expected a model over images of a fixed size, it expects ${JSON.stringify(base.inputShape)}`);
    modelName = modelArg ?? path.basename(path.resolve(opts.from));
  } else {
    if (!modelArg) throw new CliError(`Name a model to train (${zoo.names.join(', ')}), or --from RUN_OR_MODEL`);
    if (!zoo.names.includes(modelArg)) throw new CliError(`Unknown model '${modelArg}'; valid models: ${zoo.names.join(', ')}`);
    modelName = modelArg;
    defaultShape = zoo.entry(modelArg).inputShape;
  }
  const defaults = !opts.from && modelArg ? zoo.entry(modelArg).train : undefined;
  const imageSize = opts.imageSize ?? (defaultShape.length === 3 ? [defaultShape[0], defaultShape[1]] as [number, number] : [64, 64] as [number, number]);
  const colorMode = opts.color ?? (base ? colorOfChannels(defaultShape[2]) : 'rgb');
  const inputShape = [imageSize[0], imageSize[1], CHANNELS[colorMode]];
  if (base && inputShape.some((d, i) => d !== defaultShape[i])) {
    throw new CliError(`--from '${opts.from}' expects ${defaultShape.join('x')} images; leave --image-size and --color out, or give ${defaultShape[0]}x${defaultShape[1]} and ${colorOfChannels(defaultShape[2])}`);
  }
  const epochs = opts.epochs ?? defaults?.epochs ?? 10;
  const batchSize = opts.batchSize ?? defaults?.batchSize ?? 32;
  const validationSplit = opts.validationSplit ?? 0.2;
  const seed = opts.seed ?? 1337;
  const optimizerName = opts.optimizer ?? defaults?.optimizer ?? 'adam';
  const learningRate = opts.lr ?? (base ? 1e-3 : defaults?.learningRate ?? 1e-3);
  const schedule = opts.schedule ?? defaults?.schedule ?? 'constant';
  const weightDecay = opts.weightDecay ?? defaults?.weightDecay;
  const dataDir = path.resolve(opts.data);
  // Before any work, as for the built-in datasets: a run never lands on another run.
  const { out, oldRun } = claimRunDir(modelName, path.basename(dataDir));
  const backend = await chooseBackend(opts.backend);
  setSeed(seed);

  const { train, val } = await openFolder(dataDir, { imageSize, colorMode, validationSplit, seed, batchSize, cacheDir: opts.cacheDir, quiet }, ctx);
  const classNames = train.classNames;
  try {
    const model = base ? replaceHead(base, { numClasses: classNames.length, freezeBase: Boolean(opts.freezeBase) }) : zoo.create(modelName, { inputShape, numClasses: classNames.length });
    model.compile({ optimizer: makeOptimizer(optimizerName, learningRate, weightDecay), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    if (!quiet) {
      model.summary((line) => ctx.out(line));
      const how = base ? `${opts.freezeBase ? 'a new head on the frozen base' : 'a new head and the base'} of '${opts.from}'` : modelName;
      ctx.out(`Training ${how} on ${train.count} images of ${inputShape.join('x')} in ${classNames.length} classes (${classNames.join(', ')})${val ? `, validating on ${val.count}` : ''}: ${epochs} epochs, batch size ${batchSize}, ${optimizerName} (learning rate ${learningRate}), ${backend} backend`);
    }
    const started = Date.now();
    const fitted = await model.fit(scaled(train), {
      epochs,
      validationData: val ? scaled(val) : undefined,
      verbose: quiet ? 0 : 1,
      progressSink: ctx.progress,
      callbacks: schedule === 'one-cycle' ? [new BatchLearningRateScheduler(stepSchedules.oneCycle(learningRate))] : [],
    });
    const seconds = (Date.now() - started) / 1000;
    if (!quiet) ctx.out(`Trained in ${seconds.toFixed(1)} s (${Math.round((train.count * epochs) / Math.max(seconds, 1e-9))} samples/s)`);

    await oldRun.setAside();
    await saveModel(model, out);
    const evaluated = val ? await evaluateFolderDataset(model, val, classNames) : null;
    if (evaluated) {
      if (!quiet) ctx.out(`Evaluating on the ${evaluated.ev.samples} validation images`);
      printEvaluation(evaluated.ev, classNames, ctx, 'validation');
    }
    const record: ImageFolderRecord = {
      dir: dataDir,
      preprocessing: { imageSize, colorMode, interpolation: 'bilinear', cropToAspectRatio: false },
      validationSplit, seed,
      files: { training: train.count, validation: val?.count ?? 0 },
      skipped: skipCounts(val ? [train, val] : [train]),
    };
    const training = { epochs, batchSize, validationSplit, optimizer: optimizerName, learningRate, schedule, weightDecay: weightDecay ?? null, seed, trainSamples: train.count, seconds, backend, threads: getNumThreads(), from: opts.from ? path.resolve(opts.from) : null, freezeBase: Boolean(opts.freezeBase) };
    await writeMetadata(out, {
      model: modelName, dataset: 'folder', imageFolder: record, classNames, inputShape, training,
      ...(evaluated ? { test: { loss: evaluated.ev.loss, accuracy: evaluated.ev.accuracy, samples: evaluated.ev.samples } } : {}),
    });
    const history = fitted.history;
    await writeFileAtomic(path.join(out, 'history.json'), `${JSON.stringify({ epoch: fitted.epoch.map((e) => e + 1), history }, null, 2)}\n`);
    const { historyCsv } = await import('./train.js');
    await writeFileAtomic(path.join(out, 'history.csv'), historyCsv(history));
    if (evaluated) await writeFileAtomic(path.join(out, 'evaluation.json'), `${JSON.stringify({ validation: evaluationJson(evaluated.ev) }, null, 2)}\n`);
    const files = ['model.json', 'weights.bin', 'convlab.json', 'history.json', 'history.csv', ...(evaluated ? ['evaluation.json'] : [])];
    if (opts.plots) {
      files.push(...(await writeHistoryPictures(out, history, modelName)).map((f) => path.basename(f)));
      if (evaluated && evaluated.raw.shape[0] > 0) {
        files.push(...(await writeEvaluationPictures(out, { raw: evaluated.raw, labels: evaluated.labels, classNames, results: evaluated.ev.results, modelName })).map((f) => path.basename(f)));
        files.push(...(await writeModelPictures(out, model, toFloat(evaluated.raw, { scale: PIXEL_SCALE }), `validation image 0: ${classNames[evaluated.labels[0]]}`)).map((f) => path.basename(f)));
      }
    }
    await oldRun.discard();
    if (!quiet) ctx.out(`Wrote ${files.length} files to ${path.relative(process.cwd(), out) || '.'}: ${files.join(', ')}`);
  } finally {
    await train.close();
    await val?.close();
  }
}
