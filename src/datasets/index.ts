/**
 * Datasets with Keras's `keras.datasets.X.load_data()`:
 *
 *   const { train, test, classNames } = await datasets.fashionMnist.loadData();
 *   train.images  // uint8 Tensor [60000, 28, 28, 1]
 *   train.labels  // uint8 Tensor [60000]
 *   for (const { xs, ys } of datasets.batches(train.images, train.labels, { batchSize: 32, shuffle: true })) ...
 *
 * `loadData` reads files (Node): it loads its Node-only code on first use, so this module can be
 * imported in a browser, where `fromFiles` builds a dataset from bytes fetched by the page.
 */
import { cifar10FromFiles, idxFromFiles } from './assemble.js';
import { batches, gatherBatch, gatherLabels, normalizeBatch, subset, toFloat } from './preprocess.js';
import { CIFAR10, FASHION_MNIST, MNIST, type Cifar10Spec, type IdxDatasetSpec } from './specs.js';
import type { Cifar10LoadOptions, LoadedDataset, LoadOptions } from './types.js';
import type { ImageDatasetOptions, ImageFolderDataset } from './image_folder/index.js';

export type { ImageDatasetOptions, ImageFolderDataset, ImageBatch, ImagePreprocessing, SkippedFile, ColorMode, LabelMode, Interpolation } from './image_folder/index.js';

export interface IdxDatasetLoader {
  readonly name: string;
  readonly classNames: readonly string[];
  readonly spec: IdxDatasetSpec;
  /** Finds (or downloads), verifies and parses the dataset. Node only. */
  loadData(options?: LoadOptions): Promise<LoadedDataset>;
  /** Builds the dataset from file contents already in memory (browser-safe; no checksum check). */
  fromFiles(files: Record<string, Uint8Array>): LoadedDataset;
}

export interface Cifar10Loader {
  readonly name: string;
  readonly classNames: readonly string[];
  readonly spec: Cifar10Spec;
  loadData(options?: Cifar10LoadOptions): Promise<LoadedDataset>;
  fromFiles(files: Record<string, Uint8Array>): LoadedDataset;
}

function idxLoader(spec: IdxDatasetSpec): IdxDatasetLoader {
  return {
    name: spec.name,
    classNames: spec.classNames,
    spec,
    async loadData(options: LoadOptions = {}) {
      const node = await import('./node_sources.js');
      return node.loadIdxDataset(spec, options);
    },
    fromFiles(files) {
      return idxFromFiles(spec, files);
    },
  };
}

export const fashionMnist: IdxDatasetLoader = idxLoader(FASHION_MNIST);
export const mnist: IdxDatasetLoader = idxLoader(MNIST);
export const cifar10: Cifar10Loader = {
  name: CIFAR10.name,
  classNames: CIFAR10.classNames,
  spec: CIFAR10,
  async loadData(options: Cifar10LoadOptions = {}) {
    const node = await import('./node_sources.js');
    return node.loadCifar10Dataset(CIFAR10, options);
  },
  fromFiles(files) {
    return cifar10FromFiles(CIFAR10, files);
  },
};

/**
 * Keras's `image_dataset_from_directory`: class folders in, batches out (Node only; see
 * docs/image-folders.md). Loaded on first use, so this module stays importable in browsers.
 */
export function imageDatasetFromDirectory(directory: string, options: ImageDatasetOptions & { subset: 'both' }): Promise<[ImageFolderDataset, ImageFolderDataset]>;
export function imageDatasetFromDirectory(directory: string, options?: ImageDatasetOptions): Promise<ImageFolderDataset>;
export async function imageDatasetFromDirectory(directory: string, options: ImageDatasetOptions = {}): Promise<ImageFolderDataset | [ImageFolderDataset, ImageFolderDataset]> {
  // A specifier bundlers cannot follow: the lab's bundle must not try to pack sharp and
  // @napi-rs/canvas (native Node modules) that this Node-only loader uses.
  const specifier = './image_folder/index.js';
  const folder = (await import(/* @vite-ignore */ specifier)) as typeof import('./image_folder/index.js');
  return folder.imageDatasetFromDirectory(directory, options);
}

/** The datasets namespace, as `keras.datasets`, plus the preprocessing helpers. */
export const datasets = {
  fashionMnist,
  mnist,
  cifar10,
  toFloat,
  normalizeBatch,
  gatherBatch,
  gatherLabels,
  batches,
  subset,
  imageDatasetFromDirectory,
} as const;

export { batches, gatherBatch, gatherLabels, normalizeBatch, subset, toFloat };
export type { Batch, BatchOptions, ScaleOptions } from './preprocess.js';
export type { Cifar10LoadOptions, LoadedDataset, LoadOptions, Split } from './types.js';
export { parseIdx, parseIdxImages, parseIdxLabels, encodeIdx } from './idx.js';
export { parseCifarBatch, decodeCifarBatch, parseBatchesMeta, encodeCifarBatch } from './cifar10.js';
export { isGzip, gunzip } from './gzip.js';
export { CIFAR10_CLASS_NAMES, FASHION_MNIST_CLASS_NAMES, MNIST_CLASS_NAMES } from './specs.js';
