/**
 * Gzip detection and decompression for data files. Browser-safe: uses fflate, no Node imports.
 * (The Node loader decompresses with node:zlib, which is faster, after the same checks.)
 */
import { gunzipSync } from 'fflate';

/** True when the bytes start with the gzip magic number 1f 8b. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Deflate cannot expand data by more than about 1032:1; a larger claim means a corrupt trailer. */
const MAX_DEFLATE_RATIO = 1032;

/**
 * Checks a gzip file's header and its trailer's declared size (ISIZE) before anything is
 * allocated, and returns that size. Throws an Error naming the file when the header is not
 * gzip, the method is not deflate, or the declared size is larger than `maxSize` or impossible.
 */
export function checkGzip(bytes: Uint8Array, name: string, maxSize: number): number {
  if (!isGzip(bytes)) {
    throw new Error(`${name}: expected gzip data (magic bytes 1f 8b), found ${hexBytes(bytes, 2)}`);
  }
  if (bytes.length < 18) {
    throw new Error(`${name}: truncated gzip file: expected at least 18 bytes (header and trailer), found ${bytes.length}`);
  }
  if (bytes[2] !== 8) {
    throw new Error(`${name}: unsupported gzip compression method ${bytes[2]}; expected 8 (deflate)`);
  }
  const n = bytes.length;
  const isize = (bytes[n - 4] | (bytes[n - 3] << 8) | (bytes[n - 2] << 16) | (bytes[n - 1] << 24)) >>> 0;
  if (isize > maxSize) {
    throw new Error(
      `${name}: gzip trailer declares ${formatBytes(isize)} uncompressed, more than the ${formatBytes(maxSize)} ` +
        `expected at most for this file; the file is corrupt, truncated or not the expected one`,
    );
  }
  if (isize > (n - 18) * MAX_DEFLATE_RATIO + 1024) {
    throw new Error(
      `${name}: gzip trailer declares ${formatBytes(isize)} uncompressed, impossible for ${formatBytes(n)} of ` +
        `compressed data; the file is truncated or corrupt`,
    );
  }
  return isize;
}

/** Decompresses gzip data with fflate after `checkGzip`; errors name the file. */
export function gunzip(bytes: Uint8Array, name: string, maxSize: number): Uint8Array {
  const declared = checkGzip(bytes, name, maxSize);
  let out: Uint8Array;
  try {
    out = gunzipSync(bytes);
  } catch (e) {
    // fflate names what it found wrong; a malformed stream can also make it read past its own
    // buffers, and the engine's message for that (a RangeError) says nothing about the file.
    const why = e instanceof RangeError || e instanceof TypeError ? 'the compressed stream is malformed' : (e as Error).message;
    throw new Error(`${name}: gzip data is corrupt or truncated (${why})`);
  }
  if (out.length >>> 0 !== declared) {
    throw new Error(`${name}: gzip trailer declares ${declared} bytes uncompressed, found ${out.length}; the file is corrupt`);
  }
  return out;
}

/** Returns the uncompressed bytes: gunzipped when the data starts with the gzip magic, else as is. */
export function maybeGunzip(bytes: Uint8Array, name: string, maxSize: number): Uint8Array {
  return isGzip(bytes) ? gunzip(bytes, name, maxSize) : bytes;
}

export function hexBytes(bytes: Uint8Array, n: number): string {
  if (bytes.length === 0) return 'an empty file';
  return Array.from(bytes.subarray(0, n), (b) => b.toString(16).padStart(2, '0')).join(' ');
}

export function formatBytes(n: number): string {
  return `${n.toLocaleString('en-US')} bytes`;
}
