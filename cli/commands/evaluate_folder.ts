/**
 * `convlab evaluate RUN --data DIR`: a saved model on class folders, the images read as the run
 * read its training images (convlab.json's imageFolder), the classes matched by name.
 */
import * as path from 'node:path';
import { imageDatasetFromDirectory } from '../../src/datasets/image_folder/index.js';
import { writeFileAtomic } from '../../src/plots/index.js';
import { chooseBackend } from '../backend.js';
import { CliError, type Context } from '../context.js';
import { checkModelFits, evaluationJson, printEvaluation } from '../evaluation.js';
import { colorOfChannels, evaluateFolderDataset } from '../image_folder.js';
import { loadModel } from '../model_store.js';
import { writeEvaluationPictures } from '../pictures.js';

export interface FolderEvaluateOptions {
  data: string;
  batchSize?: number;
  out?: string;
  plots: boolean;
  quiet?: boolean;
  backend?: string;
}

export async function evaluateFolder(modelArg: string, opts: FolderEvaluateOptions, ctx: Context): Promise<void> {
  const { model, dir, metadata } = await loadModel(modelArg);
  await chooseBackend(opts.backend);
  const classNames = metadata?.classNames;
  if (!classNames) throw new CliError(`'${modelArg}' does not say which classes it predicts (no convlab.json); its class names must match the folder names of --data`);
  const shape = model.inputShape.slice(1) as number[];
  if (shape.length !== 3 || shape.some((d) => d === null)) throw new CliError(`evaluate --data needs a model over images of a fixed size; this one expects ${JSON.stringify(model.inputShape)}`);
  const p = metadata?.imageFolder?.preprocessing ?? { imageSize: [shape[0], shape[1]] as [number, number], colorMode: colorOfChannels(shape[2]), interpolation: 'bilinear' as const, cropToAspectRatio: false };
  const log = (line: string) => (opts.quiet && !line.startsWith('Skipped') ? undefined : ctx.out(line));
  let ds;
  try {
    ds = await imageDatasetFromDirectory(path.resolve(opts.data), { ...p, classNames, shuffle: false, batchSize: opts.batchSize ?? 64, log });
  } catch (e) {
    throw new CliError(`${(e as Error).message.replace(/^imageDatasetFromDirectory: /, '')} (the model's classes: ${classNames.join(', ')})`);
  }
  try {
    checkModelFits(model, { name: path.basename(path.resolve(opts.data)), imageShape: ds.imageShape, classNames }, `The saved model in '${modelArg}'`);
    const { ev, raw, labels } = await evaluateFolderDataset(model, ds, classNames);
    printEvaluation(ev, classNames, ctx);
    if (opts.plots) {
      const out = path.resolve(opts.out ?? dir);
      const files = await writeEvaluationPictures(out, { raw, labels, classNames, results: ev.results, modelName: path.basename(dir) });
      const json = path.join(out, `evaluation-${path.basename(path.resolve(opts.data))}.json`);
      await writeFileAtomic(json, `${JSON.stringify({ data: path.resolve(opts.data), ...evaluationJson(ev) }, null, 2)}\n`);
      if (!opts.quiet) ctx.out(`Wrote ${[...files, json].map((f) => path.relative(process.cwd(), f)).join(', ')}`);
    }
  } finally {
    await ds.close();
  }
}
