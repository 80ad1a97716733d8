/**
 * Parser for the CIFAR-10 binary version (`data_batch_N.bin`, `test_batch.bin`,
 * `batches.meta.txt`). Works on uncompressed bytes; browser-safe.
 *
 * Each record is 3073 bytes: one label byte (0..9), then the 1024 red, 1024 green and 1024 blue
 * values of a 32x32 image, each plane row-major. Images come out interleaved (NHWC).
 */
import { CIFAR10_IMAGE_BYTES, CIFAR10_RECORD_BYTES } from './specs.js';
import { formatBytes } from './gzip.js';

const PLANE = 1024;

/**
 * Number of records in a batch of `byteLength` bytes, checked before anything is allocated:
 * the size must be a non-zero multiple of 3073, and equal `expectedRecords` records when given,
 * or at most `maxRecords`.
 */
export function cifarRecordCount(
  byteLength: number,
  name: string,
  expected: { expectedRecords?: number; maxRecords?: number } = {},
): number {
  if (byteLength === 0) throw new Error(`${name}: empty file; expected CIFAR-10 records of ${CIFAR10_RECORD_BYTES} bytes`);
  if (byteLength % CIFAR10_RECORD_BYTES !== 0) {
    const whole = Math.floor(byteLength / CIFAR10_RECORD_BYTES);
    throw new Error(
      `${name}: size ${formatBytes(byteLength)} is not a multiple of the ${CIFAR10_RECORD_BYTES}-byte CIFAR-10 record ` +
        `(${whole} whole records and ${byteLength % CIFAR10_RECORD_BYTES} bytes over); the file is truncated or not a CIFAR-10 binary batch`,
    );
  }
  const count = byteLength / CIFAR10_RECORD_BYTES;
  if (expected.expectedRecords !== undefined && count !== expected.expectedRecords) {
    throw new Error(
      `${name}: expected ${expected.expectedRecords.toLocaleString('en-US')} records ` +
        `(${formatBytes(expected.expectedRecords * CIFAR10_RECORD_BYTES)}), found ${count.toLocaleString('en-US')} (${formatBytes(byteLength)})`,
    );
  }
  if (expected.maxRecords !== undefined && count > expected.maxRecords) {
    throw new Error(
      `${name}: expected at most ${expected.maxRecords.toLocaleString('en-US')} records, found ${count.toLocaleString('en-US')} (${formatBytes(byteLength)})`,
    );
  }
  return count;
}

/**
 * Decodes every record of `bytes` into `images` (NHWC, 3072 bytes per image) and `labels`,
 * starting at record `offset` of the outputs. Labels above 9 are an error naming the record.
 */
export function decodeCifarBatch(
  bytes: Uint8Array,
  name: string,
  images: Uint8Array,
  labels: Uint8Array,
  offset = 0,
  numClasses = 10,
): number {
  const count = cifarRecordCount(bytes.length, name);
  if ((offset + count) * CIFAR10_IMAGE_BYTES > images.length || offset + count > labels.length) {
    throw new Error(`${name}: ${count} records do not fit the output at record ${offset}`);
  }
  for (let r = 0; r < count; r++) {
    const src = r * CIFAR10_RECORD_BYTES;
    const label = bytes[src];
    if (label >= numClasses) {
      throw new Error(`${name}: record ${r} (byte offset ${src}) has label ${label}; expected a class index 0..${numClasses - 1}`);
    }
    labels[offset + r] = label;
    const red = src + 1;
    const green = red + PLANE;
    const blue = green + PLANE;
    let dst = (offset + r) * CIFAR10_IMAGE_BYTES;
    for (let p = 0; p < PLANE; p++) {
      images[dst] = bytes[red + p];
      images[dst + 1] = bytes[green + p];
      images[dst + 2] = bytes[blue + p];
      dst += 3;
    }
  }
  return count;
}

export interface CifarBatch {
  count: number;
  /** count x 32 x 32 x 3, interleaved RGB. */
  images: Uint8Array;
  labels: Uint8Array;
}

/** Parses one binary batch into fresh NHWC image and label arrays. */
export function parseCifarBatch(
  bytes: Uint8Array,
  name: string,
  expected: { expectedRecords?: number; maxRecords?: number } = {},
): CifarBatch {
  const count = cifarRecordCount(bytes.length, name, expected);
  const images = new Uint8Array(count * CIFAR10_IMAGE_BYTES);
  const labels = new Uint8Array(count);
  decodeCifarBatch(bytes, name, images, labels, 0);
  return { count, images, labels };
}

/** Parses `batches.meta.txt`: one class name per line (trailing blank lines allowed); expects 10. */
export function parseBatchesMeta(data: Uint8Array | string, name: string, numClasses = 10): string[] {
  const text = typeof data === 'string' ? data : new TextDecoder('utf-8').decode(data);
  const names = text.split(/\r?\n/).map((s) => s.trim());
  while (names.length > 0 && names[names.length - 1] === '') names.pop();
  if (names.length !== numClasses || names.some((s) => s === '')) {
    throw new Error(`${name}: expected ${numClasses} class names, one per line, found ${names.length} line(s)${names.some((s) => s === '') ? ' with blank ones' : ''}`);
  }
  return names;
}

/** Builds a binary batch from NHWC images and labels (for tests and for saving subsets). */
export function encodeCifarBatch(images: Uint8Array, labels: Uint8Array): Uint8Array {
  const count = labels.length;
  if (images.length !== count * CIFAR10_IMAGE_BYTES) {
    throw new Error(`encodeCifarBatch: ${count} labels need ${count * CIFAR10_IMAGE_BYTES} image bytes, received ${images.length}`);
  }
  const out = new Uint8Array(count * CIFAR10_RECORD_BYTES);
  for (let r = 0; r < count; r++) {
    const dst = r * CIFAR10_RECORD_BYTES;
    out[dst] = labels[r];
    const src = r * CIFAR10_IMAGE_BYTES;
    for (let p = 0; p < PLANE; p++) {
      out[dst + 1 + p] = images[src + 3 * p];
      out[dst + 1 + PLANE + p] = images[src + 3 * p + 1];
      out[dst + 1 + 2 * PLANE + p] = images[src + 3 * p + 2];
    }
  }
  return out;
}
