/**
 * `imageDatasetFromDirectory`, as Keras's `keras.utils.image_dataset_from_directory`:
 *
 *   const [train, val] = await imageDatasetFromDirectory('photos', {
 *     imageSize: [64, 64], validationSplit: 0.2, subset: 'both', seed: 1337 });
 *   await model.fit(train, { epochs: 5, validationData: val });
 *
 * Option names are Keras's in camelCase; the differences are listed in docs/image-folders.md.
 * Node only.
 */
import { availableParallelism } from 'node:os';
import { PixelCache } from './cache.js';
import { ImageFolderDataset, type ColorMode, type LabelMode } from './dataset.js';
import { indexDirectory, screenFiles, shuffleIndex, skipSummary, splitAt, type SkippedFile } from './index_directory.js';
import { DecodePool } from './pool.js';
import { INTERPOLATIONS, type Interpolation } from './resize.js';

export interface ImageDatasetOptions {
  /** 'inferred' (default): labels from the class folders; null: images only. */
  labels?: 'inferred' | null;
  /** 'int' (default), 'categorical' (one-hot), 'binary' (two classes, float 0/1), or null. */
  labelMode?: LabelMode | null;
  /** The class folders to use, in this order (default: every folder, in string order). */
  classNames?: string[];
  colorMode?: ColorMode;
  /** Default 32. */
  batchSize?: number;
  /** [height, width], default [256, 256]. */
  imageSize?: [number, number] | number;
  /** Shuffle the file list and each epoch (default true). */
  shuffle?: boolean;
  /** Seed of the shuffles; required with validationSplit when shuffling. */
  seed?: number;
  validationSplit?: number;
  subset?: 'training' | 'validation' | 'both';
  /** 'bilinear' (default), 'nearest', 'bicubic' or 'area'. */
  interpolation?: Interpolation;
  /** Crop the largest central window with the target's aspect ratio before resizing. */
  cropToAspectRatio?: boolean;
  /** Print "Found N files belonging to K classes." and the skip summary (default true). */
  verbose?: boolean;
  /** Where those lines go (default console.log). */
  log?: (line: string) => void;
  /** Decode threads (default: the cores less one, 1 to 4; 0 decodes on this thread). */
  threads?: number;
  /** Batches decoded ahead of training (default 2). */
  prefetch?: number;
  /** A folder for the on-disk cache of decoded, resized images (default: no cache). */
  cacheDir?: string;
}

const COLOR_CHANNELS: Record<ColorMode, 1 | 3 | 4> = { grayscale: 1, rgb: 3, rgba: 4 };

function fail(message: string): never {
  throw new Error(`imageDatasetFromDirectory: ${message}`);
}

function checkOptions(o: ImageDatasetOptions): void {
  if (o.labels !== undefined && o.labels !== 'inferred' && o.labels !== null) fail(`labels must be 'inferred' or null, received ${JSON.stringify(o.labels)}`);
  if (o.labelMode !== undefined && o.labelMode !== null && !['int', 'categorical', 'binary'].includes(o.labelMode)) fail(`labelMode must be 'int', 'categorical', 'binary' or null, received ${JSON.stringify(o.labelMode)}`);
  if (o.colorMode !== undefined && !(o.colorMode in COLOR_CHANNELS)) fail(`colorMode must be 'grayscale', 'rgb' or 'rgba', received ${JSON.stringify(o.colorMode)}`);
  if (o.interpolation !== undefined && !INTERPOLATIONS.includes(o.interpolation)) fail(`interpolation must be one of ${INTERPOLATIONS.join(', ')}, received ${JSON.stringify(o.interpolation)}`);
  const split = o.validationSplit;
  if (split !== undefined && split !== 0 && !(split > 0 && split < 1)) fail(`validationSplit must be between 0 and 1, received ${split}`);
  if (Boolean(split) !== Boolean(o.subset)) fail(`subset and validationSplit go together: received validationSplit ${split} and subset ${JSON.stringify(o.subset)}`);
  if (o.subset !== undefined && !['training', 'validation', 'both'].includes(o.subset)) fail(`subset must be 'training', 'validation' or 'both', received ${JSON.stringify(o.subset)}`);
  if (split && o.shuffle !== false && o.seed === undefined) fail('with validationSplit and shuffling, give a seed so the training and validation subsets do not overlap (as Keras requires)');
  if (o.batchSize !== undefined && !(Number.isInteger(o.batchSize) && o.batchSize > 0)) fail(`batchSize must be a positive integer, received ${o.batchSize}`);
  if (o.threads !== undefined && !(Number.isInteger(o.threads) && o.threads >= 0)) fail(`threads must be a non-negative integer, received ${o.threads}`);
  if (o.prefetch !== undefined && !(Number.isInteger(o.prefetch) && o.prefetch >= 0)) fail(`prefetch must be a non-negative integer, received ${o.prefetch}`);
}

function imageSizeOf(size: ImageDatasetOptions['imageSize']): [number, number] {
  const hw = size === undefined ? [256, 256] : typeof size === 'number' ? [size, size] : size;
  if (!Array.isArray(hw) || hw.length !== 2 || !hw.every((d) => Number.isInteger(d) && d > 0)) fail(`imageSize must be [height, width] of positive integers, received ${JSON.stringify(size)}`);
  return [hw[0], hw[1]];
}

export function imageDatasetFromDirectory(directory: string, options: ImageDatasetOptions & { subset: 'both' }): Promise<[ImageFolderDataset, ImageFolderDataset]>;
export function imageDatasetFromDirectory(directory: string, options?: ImageDatasetOptions): Promise<ImageFolderDataset>;
export async function imageDatasetFromDirectory(directory: string, options: ImageDatasetOptions = {}): Promise<ImageFolderDataset | [ImageFolderDataset, ImageFolderDataset]> {
  checkOptions(options);
  const labeled = options.labels !== null && options.labelMode !== null;
  const labelMode = labeled ? (options.labelMode ?? 'int') : null;
  const colorMode = options.colorMode ?? 'rgb';
  const [height, width] = imageSizeOf(options.imageSize);
  const shuffle = options.shuffle ?? true;
  const seed = options.seed ?? Math.floor(Math.random() * 1e6);
  const log = options.verbose === false ? () => undefined : (options.log ?? ((line: string) => console.log(line)));
  const spec = { height, width, channels: COLOR_CHANNELS[colorMode], interpolation: options.interpolation ?? 'bilinear', cropToAspectRatio: options.cropToAspectRatio ?? false };

  // As Keras: without labels (labels or labelMode null) the folder itself is read, without classes.
  if (!labeled && options.classNames !== undefined) fail('classNames needs labels; with labels or labelMode null the folder is read without classes');
  const index = await indexDirectory(directory, options.classNames, labeled);
  if (labeled && index.classNames.length === 0) {
    fail(`'${directory}' has no class folders${index.paths.length ? '' : ''}; expected one subfolder per class, e.g. ${directory}/cats/*.jpg and ${directory}/dogs/*.jpg`);
  }
  if (labeled && index.classNames.length === 1) fail(`'${directory}' has one class folder ('${index.classNames[0]}'); a classifier needs two or more, one subfolder per class`);
  if (labelMode === 'binary' && index.classNames.length !== 2) fail(`labelMode 'binary' needs exactly 2 classes, found ${index.classNames.length}: ${JSON.stringify(index.classNames)}`);

  const screened = await screenFiles(index.paths);
  const perClass = new Array(index.classNames.length).fill(0);
  index.labels.forEach((label, i) => (screened[i] === null && labeled ? perClass[label]++ : undefined));
  const empty = index.classNames.filter((_, c) => perClass[c] === 0);
  if (screened.every((s) => s !== null)) fail(`no readable images in '${directory}' (Keras reads .bmp .gif .jpeg .jpg .png); found ${index.paths.length} with those extensions and ${index.ignored.length} other files`);
  if (empty.length > 0) fail(`class folder${empty.length > 1 ? 's' : ''} ${empty.map((c) => `'${c}'`).join(', ')} in '${directory}' ha${empty.length > 1 ? 've' : 's'} no readable images (Keras reads ${['.bmp', '.gif', '.jpeg', '.jpg', '.png'].join(' ')}); add images or remove the folder`);

  const usable = screened.filter((s) => s === null).length;
  log(!labeled ? `Found ${index.paths.length} files.` : `Found ${index.paths.length} files belonging to ${index.classNames.length} classes.`);
  const allSkipped = [...index.ignored, ...screened.filter((s): s is SkippedFile => s !== null)];
  if (allSkipped.length > 0) log(`${skipSummary(allSkipped)} (${usable} images usable)`);

  // Keras's order: shuffle the whole list with the seed, then split; screened files leave after.
  const rows = index.paths.map((_, i) => i);
  const order = shuffle ? shuffleIndex(rows.map(String), rows, seed).labels : rows;
  const cache = options.cacheDir ? await PixelCache.open(options.cacheDir, index.paths, spec) : null;
  const threads = options.threads ?? Math.max(1, Math.min(4, availableParallelism() - 1));
  const make = (subsetRows: number[], subsetShuffle: boolean): ImageFolderDataset => {
    const kept = subsetRows.filter((r) => screened[r] === null);
    const inSubset = new Set(subsetRows.map((r) => index.paths[r]));
    return new ImageFolderDataset({
      directory, classNames: index.classNames, labelMode, colorMode, spec, seed, cache, log,
      paths: kept.map((r) => index.paths[r]), labels: kept.map((r) => index.labels[r]), rows: kept,
      batchSize: options.batchSize ?? 32, shuffle: subsetShuffle, prefetch: options.prefetch ?? 2,
      pool: new DecodePool(threads),
      skipped: screened.filter((s): s is SkippedFile => s !== null && inSubset.has(s.path)),
    });
  };
  const split = options.validationSplit ?? 0;
  if (!split) return make(order, shuffle);
  const at = splitAt(order.length, split);
  if (at === order.length || at === 0) fail(`validationSplit ${split} of ${order.length} files leaves no ${at === 0 ? 'training' : 'validation'} files`);
  const train = order.slice(0, at);
  const val = order.slice(at);
  if (options.subset === 'training') log(`Using ${train.length} files for training.`);
  if (options.subset === 'validation') log(`Using ${val.length} files for validation.`);
  if (options.subset === 'both') {
    log(`Using ${train.length} files for training.`);
    log(`Using ${val.length} files for validation.`);
    // As Keras: the validation subset is not shuffled between epochs.
    return [make(train, shuffle), make(val, false)];
  }
  return options.subset === 'training' ? make(train, shuffle) : make(val, shuffle);
}

export { ImageFolderDataset, indexDirectory };
export type { ColorMode, ImageBatch, ImagePreprocessing, LabelMode } from './dataset.js';
export type { SkippedFile } from './index_directory.js';
export { ALLOWED_EXTENSIONS, skipSummary } from './index_directory.js';
export type { Interpolation } from './resize.js';
export { decodeFile, type DecodeSpec } from './decode.js';
