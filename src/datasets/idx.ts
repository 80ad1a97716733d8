/**
 * Parser for the IDX format of MNIST and Fashion-MNIST (`*-idx3-ubyte`, `*-idx1-ubyte`).
 * Works on uncompressed bytes; browser-safe. Every size is checked against the buffer before
 * anything is read or allocated, and every error names the file.
 *
 * Format (big-endian): 0x00 0x00, a type byte (0x08 = unsigned byte), the number of
 * dimensions, then one uint32 per dimension, then the values in row-major order.
 */
import { formatBytes, hexBytes, isGzip } from './gzip.js';

export interface IdxArray {
  dims: number[];
  /** A view into the input buffer (no copy). */
  data: Uint8Array;
}

const TYPE_NAMES: Record<number, string> = {
  0x08: 'unsigned byte',
  0x09: 'signed byte',
  0x0b: 'int16',
  0x0c: 'int32',
  0x0d: 'float32',
  0x0e: 'float64',
};

function magicHex(b: Uint8Array): string {
  if (b.length < 4) return `${b.length} byte(s): ${hexBytes(b, 4)}`;
  return '0x' + Array.from(b.subarray(0, 4), (x) => x.toString(16).padStart(2, '0')).join('');
}

/**
 * Parses an unsigned-byte IDX array with `ndims` dimensions. Returns the dims and a view of the
 * values. Throws when the magic number, dimension count or byte size does not match.
 */
export function parseIdx(bytes: Uint8Array, name: string, ndims: number): IdxArray {
  const expectedMagic = `0x000008${ndims.toString(16).padStart(2, '0')}`;
  if (isGzip(bytes)) {
    throw new Error(`${name}: expected IDX magic number ${expectedMagic}, found gzip data (1f 8b); decompress it first`);
  }
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0) {
    throw new Error(`${name}: not an IDX file: expected magic number ${expectedMagic}, found ${magicHex(bytes)}`);
  }
  if (bytes[2] !== 0x08) {
    const t = TYPE_NAMES[bytes[2]] ?? 'unknown';
    throw new Error(
      `${name}: expected IDX magic number ${expectedMagic} (unsigned bytes), found ${magicHex(bytes)} (type 0x${bytes[2].toString(16).padStart(2, '0')}, ${t})`,
    );
  }
  if (bytes[3] !== ndims) {
    throw new Error(
      `${name}: expected IDX magic number ${expectedMagic} (${ndims} dimension${ndims === 1 ? '' : 's'}), found ${magicHex(bytes)} (${bytes[3]} dimensions)`,
    );
  }
  const headerBytes = 4 + 4 * ndims;
  if (bytes.length < headerBytes) {
    throw new Error(`${name}: truncated IDX header: expected ${headerBytes} bytes, found ${bytes.length}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  let items = 1;
  for (let i = 0; i < ndims; i++) {
    const d = view.getUint32(4 + 4 * i, false);
    dims.push(d);
    items *= d; // exact in float64 up to 2^53; anything near that is rejected below
  }
  const expectedBytes = headerBytes + items;
  if (expectedBytes !== bytes.length) {
    const what = expectedBytes > bytes.length ? 'truncated or header corrupt' : 'unexpected trailing bytes';
    throw new Error(
      `${name}: IDX header declares dimensions [${dims.join(', ')}], i.e. ${formatBytes(expectedBytes)} ` +
        `(${headerBytes}-byte header + ${items.toLocaleString('en-US')} values), but the file has ${formatBytes(bytes.length)} (${what})`,
    );
  }
  return { dims, data: bytes.subarray(headerBytes) };
}

export interface IdxImages {
  count: number;
  rows: number;
  cols: number;
  /** count*rows*cols pixels, row-major; a view into the input. */
  data: Uint8Array;
}

/** Parses an `idx3-ubyte` image file, checking the image size and, when given, the count. */
export function parseIdxImages(
  bytes: Uint8Array,
  name: string,
  expected: { rows?: number; cols?: number; count?: number } = {},
): IdxImages {
  const { dims, data } = parseIdx(bytes, name, 3);
  const [count, rows, cols] = dims;
  if ((expected.rows !== undefined && rows !== expected.rows) || (expected.cols !== undefined && cols !== expected.cols)) {
    throw new Error(`${name}: expected ${expected.rows}x${expected.cols} images, found ${rows}x${cols}`);
  }
  if (expected.count !== undefined && count !== expected.count) {
    throw new Error(`${name}: expected ${expected.count.toLocaleString('en-US')} images, found ${count.toLocaleString('en-US')}`);
  }
  return { count, rows, cols, data };
}

export interface IdxLabels {
  count: number;
  data: Uint8Array;
}

/** Parses an `idx1-ubyte` label file, checking every label is below `numClasses`. */
export function parseIdxLabels(
  bytes: Uint8Array,
  name: string,
  expected: { numClasses?: number; count?: number } = {},
): IdxLabels {
  const { dims, data } = parseIdx(bytes, name, 1);
  const count = dims[0];
  if (expected.count !== undefined && count !== expected.count) {
    throw new Error(`${name}: expected ${expected.count.toLocaleString('en-US')} labels, found ${count.toLocaleString('en-US')}`);
  }
  if (expected.numClasses !== undefined) {
    const k = expected.numClasses;
    for (let i = 0; i < data.length; i++) {
      if (data[i] >= k) {
        throw new Error(`${name}: label ${i} is ${data[i]}; expected a class index 0..${k - 1}`);
      }
    }
  }
  return { count, data };
}

/** Builds an IDX file (header + values); handy for tests and for saving subsets. */
export function encodeIdx(dims: readonly number[], values: Uint8Array): Uint8Array {
  const items = dims.reduce((a, b) => a * b, 1);
  if (items !== values.length) throw new Error(`encodeIdx: dims [${dims.join(', ')}] need ${items} values, received ${values.length}`);
  const header = 4 + 4 * dims.length;
  const out = new Uint8Array(header + items);
  const view = new DataView(out.buffer);
  out[2] = 0x08;
  out[3] = dims.length;
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(values, header);
  return out;
}
