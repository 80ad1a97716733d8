/**
 * The zip container of a `.keras` file, read and written with fflate. Reading streams each entry
 * in 64 KiB pieces and counts what comes out, so a zip bomb is refused after at most its limit of
 * bytes, whatever sizes its headers claim; entry names that could climb out of a directory are
 * refused even though nothing is ever extracted to disk.
 */
import { Unzip, UnzipInflate, zipSync, type Zippable } from 'fflate';
import { ModelFormatError } from '../limits.js';

export function isZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && (bytes[2] === 3 || bytes[2] === 5) && (bytes[3] === 4 || bytes[3] === 6);
}

/** Entry names must be plain relative paths, as Keras writes them ('config.json', 'assets/...'). */
function checkEntryName(name: string, what: string): void {
  const bad = name.length === 0 || name.length > 1024 || name.startsWith('/') || name.includes('\\') || name.includes('\0') || /^[a-zA-Z]:/.test(name) || name.split('/').some((s) => s === '..');
  if (bad) throw new ModelFormatError(`${what}: zip entry ${JSON.stringify(name.slice(0, 120))} has a path that climbs out of the archive's directory (absolute, '..', a drive letter or a backslash); refused`);
}

export interface ZipLimits {
  /** Most bytes any one wanted entry may inflate to. */
  entryBytes: Record<string, number>;
  /** Most entries the archive may hold. */
  maxEntries: number;
  /** Most bytes all wanted entries together may inflate to per byte of the archive. */
  maxRatio: number;
}

/**
 * Reads the entries named in limits.entryBytes; other entries (assets/) are checked by name and
 * skipped without being inflated.
 */
export function readZip(bytes: Uint8Array, what: string, limits: ZipLimits): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  let failure: Error | null = null;
  let entries = 0;
  let total = 0;
  // Compressed entries may inflate to at most this much in all: a real .keras file is stored,
  // not deflated, so its entries are never larger than the archive.
  const totalLimit = Math.max(1 << 20, bytes.length * limits.maxRatio);
  const unzip = new Unzip((file) => {
    if (failure) return;
    try {
      checkEntryName(file.name, what);
      if (++entries > limits.maxEntries) throw new ModelFormatError(`${what}: the zip archive has more than ${limits.maxEntries} entries; a .keras file has three (config.json, metadata.json, model.weights.h5) plus assets`);
      if (!Object.hasOwn(limits.entryBytes, file.name)) return;
      if (out.has(file.name)) throw new ModelFormatError(`${what}: the zip archive holds '${file.name}' twice`);
      const limit = limits.entryBytes[file.name];
      const chunks: Uint8Array[] = [];
      let size = 0;
      file.ondata = (err, data, final) => {
        if (failure) return;
        if (err) {
          failure = new ModelFormatError(`${what}: zip entry '${file.name}' is corrupt: ${err.message}`);
          return;
        }
        size += data.length;
        total += data.length;
        if (size > limit) {
          failure = new ModelFormatError(`${what}: zip entry '${file.name}' inflates to more than ${limit} bytes (the limit for it); refused as a possible zip bomb`);
          file.terminate();
          return;
        }
        if (total > totalLimit) {
          failure = new ModelFormatError(`${what}: the zip archive inflates to more than ${limits.maxRatio} times its ${bytes.length} bytes; refused as a zip bomb`);
          file.terminate();
          return;
        }
        chunks.push(data);
        if (final) out.set(file.name, concat(chunks, size));
      };
      file.start();
    } catch (e) {
      failure = e as Error;
    }
  });
  unzip.register(UnzipInflate);
  const piece = 1 << 16;
  try {
    for (let at = 0; at < bytes.length && !failure; at += piece) unzip.push(bytes.subarray(at, at + piece), at + piece >= bytes.length);
  } catch (e) {
    failure ??= new ModelFormatError(`${what}: the zip archive is corrupt: ${(e as Error).message}`);
  }
  if (failure) throw failure;
  return out;
}

function concat(chunks: Uint8Array[], size: number): Uint8Array {
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** A zip of stored (uncompressed) entries in the given order, as Keras's zipfile writes them. */
export function writeZip(entries: [string, Uint8Array][]): Uint8Array {
  const files: Zippable = {};
  // A fixed date keeps two saves of the same model byte-identical.
  const mtime = new Date('2000-01-01T00:00:00Z');
  for (const [name, data] of entries) files[name] = [data, { level: 0, mtime }];
  return zipSync(files);
}
