/**
 * Class folders on the command line (`--data DIR`): reading them with imageDatasetFromDirectory,
 * pixels scaled to [0, 1] as for the built-in datasets, the record a run keeps so that `predict`
 * and `evaluate` read images exactly as training did, and an evaluation that streams the folder
 * (memory stays bounded) while keeping a few images for the prediction grid.
 */
import { imageDatasetFromDirectory, decodeFile, type ImageFolderDataset, type ImagePreprocessing } from '../src/datasets/image_folder/index.js';
import type { ColorMode } from '../src/datasets/image_folder/dataset.js';
import { toFloat } from '../src/datasets/preprocess.js';
import type { BatchDataset, DatasetBatch } from '../src/models/batch_dataset.js';
import type { Sequential } from '../src/models/sequential.js';
import { Tensor } from '../src/tensor/tensor.js';
import { open } from 'node:fs/promises';
import { CliError, type Context } from './context.js';
import { sniffFileType } from './file_type.js';
import { UnreadableImageError } from './images.js';
import { PIXEL_SCALE } from './data.js';
import { lossAndAccuracy, type Evaluation } from './evaluation.js';
import { testResults } from './pictures.js';

/** What convlab.json keeps about the folder a run was trained on. */
export interface ImageFolderRecord {
  dir: string;
  preprocessing: Omit<ImagePreprocessing, 'classNames'>;
  validationSplit: number;
  seed: number;
  files: { training: number; validation: number };
  skipped: Record<string, number>;
}

export const COLOR_MODES = ['rgb', 'grayscale', 'rgba'] as const;

export function colorOfChannels(channels: number): ColorMode {
  return channels === 1 ? 'grayscale' : channels === 4 ? 'rgba' : 'rgb';
}

export const CHANNELS: Record<ColorMode, number> = { grayscale: 1, rgb: 3, rgba: 4 };

/** '64x64' or '64' → [64, 64] (height x width). */
export function parseImageSize(value: string): [number, number] {
  const m = /^(\d+)(?:[xX](\d+))?$/.exec(value.trim());
  const h = m ? Number(m[1]) : NaN;
  const w = m ? Number(m[2] ?? m[1]) : NaN;
  if (!(h > 0 && w > 0 && h <= 4096 && w <= 4096)) throw new CliError(`--image-size must be HEIGHTxWIDTH such as 64x64 (1 to 4096), received '${value}'`);
  return [h, w];
}

/** A dataset whose images are floats in [0, 1], as every CLI model expects. */
export function scaled(ds: ImageFolderDataset): BatchDataset {
  return {
    get count() {
      return ds.count;
    },
    batchSize: ds.batchSize,
    async *batches(epoch?: number): AsyncGenerator<DatasetBatch> {
      for await (const b of ds.batches(epoch)) yield { xs: toFloat(b.xs, { scale: PIXEL_SCALE }), ys: b.ys };
    },
  };
}

export interface FolderOptions {
  imageSize: [number, number];
  colorMode: ColorMode;
  validationSplit: number;
  seed: number;
  batchSize: number;
  cacheDir?: string;
  quiet: boolean;
}

export async function openFolder(dir: string, options: FolderOptions, ctx: Context): Promise<{ train: ImageFolderDataset; val: ImageFolderDataset | null }> {
  const common = {
    imageSize: options.imageSize, colorMode: options.colorMode, batchSize: options.batchSize, seed: options.seed,
    cacheDir: options.cacheDir, log: (line: string) => (options.quiet && !line.startsWith('Skipped') ? undefined : ctx.out(line)),
  };
  try {
    if (options.validationSplit > 0) {
      const [train, val] = await imageDatasetFromDirectory(dir, { ...common, validationSplit: options.validationSplit, subset: 'both' });
      return { train, val };
    }
    return { train: await imageDatasetFromDirectory(dir, common), val: null };
  } catch (e) {
    throw new CliError((e as Error).message.replace(/^imageDatasetFromDirectory: /, ''));
  }
}

export function skipCounts(ds: ImageFolderDataset[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const d of ds) for (const s of d.skipped) counts[s.reason] = (counts[s.reason] ?? 0) + 1;
  return counts;
}

/**
 * Loss, accuracy, per class and confusion over every image of `ds`, one batch at a time; the
 * first 15 images are kept for the prediction grid.
 */
export async function evaluateFolderDataset(model: Sequential, ds: ImageFolderDataset, classNames: string[]): Promise<{ ev: Evaluation; raw: Tensor; labels: Int32Array }> {
  const k = classNames.length;
  const probs: number[] = [];
  const labels: number[] = [];
  const keep: Uint8Array[] = [];
  const row = ds.imageShape.reduce((a, b) => a * b, 1);
  for await (const b of ds.batches(0)) {
    const p = model.predict(toFloat(b.xs, { scale: PIXEL_SCALE }), { batchSize: b.xs.shape[0] });
    probs.push(...(p.data as Float32Array));
    labels.push(...(b.ys!.data as Int32Array));
    for (let i = 0; i < b.xs.shape[0] && keep.length < 15; i++) keep.push((b.xs.data as Uint8Array).slice(i * row, (i + 1) * row));
  }
  const n = labels.length;
  if (n === 0) throw new CliError(`no readable images to evaluate in '${ds.directory}'`);
  const y = Int32Array.from(labels);
  const results = testResults(new Tensor(Float32Array.from(probs), [n, k]), y, k);
  const { loss, accuracy } = lossAndAccuracy(results.probabilities, y, k);
  const confusion = Array.from({ length: k }, (_, t) => Array.from(results.confusion.subarray(t * k, (t + 1) * k)));
  const perClass = classNames.map((className, t) => {
    const count = confusion[t].reduce((a, c) => a + c, 0);
    return { className, count, accuracy: count ? confusion[t][t] / count : NaN };
  });
  const raw = new Uint8Array(keep.length * row);
  keep.forEach((r, i) => raw.set(r, i * row));
  return { ev: { loss, accuracy, samples: n, perClass, confusion, results }, raw: new Tensor(raw, [keep.length, ...ds.imageShape]), labels: y };
}

async function firstBytes(file: string, n: number): Promise<Uint8Array | null> {
  try {
    const fh = await open(file, 'r');
    try {
      const { bytesRead, buffer } = await fh.read(new Uint8Array(n), 0, n, 0);
      return buffer.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  } catch {
    return null;
  }
}

/** One image read exactly as the run's training images were (for `convlab predict`). */
export async function prepareFolderImage(file: string, record: ImageFolderRecord): Promise<{ x: Tensor; raw: Tensor; inverted: false }> {
  const p = record.preprocessing;
  const channels = CHANNELS[p.colorMode] as 1 | 3 | 4;
  let decoded: Awaited<ReturnType<typeof decodeFile>>;
  try {
    decoded = await decodeFile(file, { height: p.imageSize[0], width: p.imageSize[1], channels, interpolation: p.interpolation, cropToAspectRatio: p.cropToAspectRatio });
  } catch (e) {
    throw new UnreadableImageError(file, null, (e as Error).message);
  }
  if (!decoded.ok) {
    // Name what the file really is, as predict does for the other runs.
    const head = await firstBytes(file, 64);
    throw new UnreadableImageError(file, head ? sniffFileType(head) : null, decoded.message);
  }
  const raw = new Tensor(decoded.pixels, [1, p.imageSize[0], p.imageSize[1], channels]);
  return { x: toFloat(raw, { scale: PIXEL_SCALE }), raw, inverted: false };
}
