/**
 * Builds a LoadedDataset from uncompressed file contents. Browser-safe: the Node loader and
 * `fromFiles` (for bytes a browser fetched itself) share it.
 */
import { tensor } from '../tensor/tensor.js';
import { cifarRecordCount, decodeCifarBatch } from './cifar10.js';
import { maybeGunzip } from './gzip.js';
import { parseIdxImages, parseIdxLabels } from './idx.js';
import {
  CIFAR10_IMAGE_BYTES,
  CIFAR10_RECORD_BYTES,
  CIFAR10_RECORDS_PER_BATCH,
  CIFAR10_TEST_FILE,
  CIFAR10_TRAIN_FILES,
  type Cifar10Spec,
  type IdxDatasetSpec,
} from './specs.js';
import type { LoadedDataset, Split } from './types.js';

/** One file's uncompressed bytes and the name to use in errors (usually its path). */
export interface RawFile {
  name: string;
  bytes: Uint8Array;
}

export interface AssembleInfo {
  source: string;
  notes: string[];
  /** Require the official record counts (60,000/10,000; 10,000 per CIFAR batch). */
  strictCounts: boolean;
}

/** Largest uncompressed size accepted for an IDX file of this spec (checked before allocating). */
export function maxIdxBytes(spec: IdxDatasetSpec, fileName: string, strictCounts: boolean): number {
  const f = spec.files.find((x) => x.name === fileName);
  if (!strictCounts || !f) return 1 << 30;
  return f.kind === 'images' ? 16 + f.count * spec.rows * spec.cols : 8 + f.count;
}

/** Largest uncompressed size accepted for a CIFAR-10 batch. */
export function maxCifarBatchBytes(strictCounts: boolean): number {
  return strictCounts ? CIFAR10_RECORDS_PER_BATCH * CIFAR10_RECORD_BYTES : 1 << 30;
}

/** `files` maps each spec file name (e.g. 'train-images-idx3-ubyte') to its uncompressed bytes. */
export function assembleIdx(spec: IdxDatasetSpec, files: Record<string, RawFile>, info: AssembleInfo): LoadedDataset {
  const splits: Record<'train' | 'test', Partial<{ images: ReturnType<typeof parseIdxImages>; labels: ReturnType<typeof parseIdxLabels>; imageFile: string; labelFile: string }>> = {
    train: {},
    test: {},
  };
  for (const f of spec.files) {
    const file = files[f.name];
    if (!file) throw new Error(`${spec.title}: missing file ${f.name}`);
    const count = info.strictCounts ? f.count : undefined;
    if (f.kind === 'images') {
      splits[f.split].images = parseIdxImages(file.bytes, file.name, { rows: spec.rows, cols: spec.cols, count });
      splits[f.split].imageFile = file.name;
    } else {
      splits[f.split].labels = parseIdxLabels(file.bytes, file.name, { numClasses: spec.classNames.length, count });
      splits[f.split].labelFile = file.name;
    }
  }
  const make = (s: 'train' | 'test'): Split => {
    const { images, labels, imageFile, labelFile } = splits[s];
    if (!images || !labels) throw new Error(`${spec.title}: missing the ${s} images or labels`);
    if (images.count !== labels.count) {
      throw new Error(`${spec.title}: ${imageFile} holds ${images.count} images but ${labelFile} holds ${labels.count} labels`);
    }
    if (images.count === 0) throw new Error(`${spec.title}: ${imageFile} holds 0 images; expected at least one (the file is truncated or not the expected one)`);
    return {
      images: tensor(images.data, [images.count, images.rows, images.cols, 1], 'uint8'),
      labels: tensor(labels.data, [labels.count], 'uint8'),
      count: images.count,
    };
  };
  return {
    name: spec.name,
    train: make('train'),
    test: make('test'),
    classNames: [...spec.classNames],
    source: info.source,
    notes: info.notes,
  };
}

export interface CifarAssembleInfo extends AssembleInfo {
  /** Accept a test batch with fewer than 10,000 records. */
  allowPartialTest: boolean;
  /** Class names read from batches.meta.txt, if any. */
  classNames?: string[];
}

/** Decodes the training batches (in order) and the test batch into NHWC uint8 tensors. */
export function assembleCifar10(spec: Cifar10Spec, train: RawFile[], test: RawFile, info: CifarAssembleInfo): LoadedDataset {
  const expected = info.strictCounts ? CIFAR10_RECORDS_PER_BATCH : undefined;
  // Sizes are checked for every batch before the outputs are allocated.
  const counts = train.map((f) => cifarRecordCount(f.bytes.length, f.name, { expectedRecords: expected }));
  const testCount = cifarRecordCount(test.bytes.length, test.name, { maxRecords: info.strictCounts ? CIFAR10_RECORDS_PER_BATCH : undefined });
  if (expected !== undefined && testCount !== expected && !info.allowPartialTest) {
    throw new Error(
      `${test.name}: the official test batch holds ${expected.toLocaleString('en-US')} records, this file ${testCount.toLocaleString('en-US')}; ` +
        `pass allowPartialTest: true (or testFile) to use a partial test set`,
    );
  }
  const total = counts.reduce((a, b) => a + b, 0);
  const trainImages = new Uint8Array(total * CIFAR10_IMAGE_BYTES);
  const trainLabels = new Uint8Array(total);
  let offset = 0;
  for (const f of train) offset += decodeCifarBatch(f.bytes, f.name, trainImages, trainLabels, offset);
  const testImages = new Uint8Array(testCount * CIFAR10_IMAGE_BYTES);
  const testLabels = new Uint8Array(testCount);
  decodeCifarBatch(test.bytes, test.name, testImages, testLabels, 0);
  const notes = [...info.notes];
  if (expected !== undefined && testCount < expected) {
    notes.push(`partial test set: read ${testCount.toLocaleString('en-US')} of ${expected.toLocaleString('en-US')} official test records from ${test.name}`);
  }
  return {
    name: spec.name,
    train: { images: tensor(trainImages, [total, 32, 32, 3], 'uint8'), labels: tensor(trainLabels, [total], 'uint8'), count: total },
    test: { images: tensor(testImages, [testCount, 32, 32, 3], 'uint8'), labels: tensor(testLabels, [testCount], 'uint8'), count: testCount },
    classNames: info.classNames ?? [...spec.classNames],
    source: info.source,
    notes,
  };
}

/**
 * Builds an IDX dataset from file contents you already have (e.g. fetched in a browser): keys
 * are file names with or without `.gz`. Gzip is detected by its magic bytes. No checksums are
 * checked here (the format checks still apply).
 */
export function idxFromFiles(spec: IdxDatasetSpec, files: Record<string, Uint8Array>, source = 'bytes supplied to fromFiles()'): LoadedDataset {
  const raw: Record<string, RawFile> = {};
  for (const f of spec.files) {
    const key = f.name in files ? f.name : `${f.name}.gz`;
    const bytes = files[key];
    if (!bytes) throw new Error(`${spec.title}: fromFiles needs ${f.name} or ${f.name}.gz; received ${Object.keys(files).join(', ') || 'nothing'}`);
    raw[f.name] = { name: key, bytes: maybeGunzip(bytes, key, maxIdxBytes(spec, f.name, false)) };
  }
  return assembleIdx(spec, raw, { source, notes: ['checksums not verified (fromFiles)'], strictCounts: false });
}

/** CIFAR-10 from file contents you already have: keys `data_batch_1.bin`..`_5.bin` and `test_batch.bin`, `.gz` optional. */
export function cifar10FromFiles(spec: Cifar10Spec, files: Record<string, Uint8Array>, source = 'bytes supplied to fromFiles()'): LoadedDataset {
  const get = (name: string): RawFile => {
    const key = name in files ? name : `${name}.gz`;
    const bytes = files[key];
    if (!bytes) throw new Error(`${spec.title}: fromFiles needs ${name} or ${name}.gz; received ${Object.keys(files).join(', ') || 'nothing'}`);
    return { name: key, bytes: maybeGunzip(bytes, key, maxCifarBatchBytes(false)) };
  };
  return assembleCifar10(spec, CIFAR10_TRAIN_FILES.map(get), get(CIFAR10_TEST_FILE), {
    source,
    notes: ['checksums not verified (fromFiles)'],
    strictCounts: false,
    allowPartialTest: true,
  });
}
