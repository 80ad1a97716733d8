/**
 * HDF5 through h5wasm (the HDF5 C library compiled to WebAssembly, maintained by NIST). Files are
 * opened from bytes in h5wasm's in-memory file system, so the same code runs in Node and in a
 * browser, and an external link in a hostile file has no real file system to reach.
 * This module only wraps what the Keras readers and writers need, and checks every dataset's
 * type and size before its values are read.
 */
import type { Dataset, Group, File as H5File } from 'h5wasm';
import { ModelFormatError } from '../limits.js';

type H5Module = typeof import('h5wasm');

let loaded: Promise<H5Module> | null = null;
let counter = 0;

/** h5wasm is imported on first use: it carries a 4 MB WebAssembly build most programs never need. */
async function h5(): Promise<H5Module> {
  loaded ??= import('h5wasm').then(async (m) => {
    const module = await m.ready;
    // HDF5 errors become exceptions (with HDF5's error stack as the message) instead of being
    // printed to stderr while the call limps on.
    (module as unknown as { activate_throwing_error_handler(): number }).activate_throwing_error_handler();
    return m;
  });
  return loaded;
}

function memfs(m: H5Module): { writeFile(path: string, data: Uint8Array): void; readFile(path: string): Uint8Array; unlink(path: string): void } {
  return (m.FS ?? (m.Module as unknown as { FS: never }).FS) as never;
}

/** The HDF5 signature, at offset 0 for every file Keras writes (HDF5 allows 512, 1024, ...). */
export const HDF5_SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

export function isHdf5(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && HDF5_SIGNATURE.every((b, i) => bytes[i] === b);
}

/** An open HDF5 file and a few safe accessors. Always close() it (the bytes live in wasm memory). */
export class Hdf5Reader {
  private constructor(private readonly m: H5Module, private readonly file: H5File, private readonly path: string, readonly what: string) {}

  static async open(bytes: Uint8Array, what: string): Promise<Hdf5Reader> {
    if (!isHdf5(bytes)) throw new ModelFormatError(`${what} is not an HDF5 file (it does not start with the HDF5 signature)`);
    const m = await h5();
    const path = `/convlab-read-${++counter}.h5`;
    memfs(m).writeFile(path, bytes);
    let file: H5File;
    try {
      file = new m.File(path, 'r');
      file.keys();
    } catch (e) {
      memfs(m).unlink(path);
      throw new ModelFormatError(`${what} is not a readable HDF5 file: ${String((e as Error)?.message ?? e).split('\n')[0]}`);
    }
    return new Hdf5Reader(m, file, path, what);
  }

  close(): void {
    try {
      this.file.close();
    } finally {
      memfs(this.m).unlink(this.path);
    }
  }

  /** The group at `path` ('' for the root), or null when there is none (or it is not a group). */
  group(path: string): Group | null {
    if (path === '' || path === '/') return this.file;
    let entity;
    try {
      entity = this.file.get(path);
    } catch {
      return null;
    }
    return entity instanceof this.m.Group ? (entity as Group) : null;
  }

  keys(group: Group): string[] {
    try {
      return group.keys();
    } catch (e) {
      throw new ModelFormatError(`${this.what}: cannot list HDF5 group '${group.path}': ${(e as Error).message}`);
    }
  }

  /** A string attribute, or a list of strings (Keras 2 wrote byte strings, Keras 3 UTF-8 ones). */
  attr(group: Group, name: string): unknown {
    const attrs = group.attrs;
    if (!Object.hasOwn(attrs, name)) return undefined;
    const a = attrs[name];
    const size = (a.shape ?? []).reduce((p, d) => p * d, 1);
    if (size > 1_000_000) throw new ModelFormatError(`${this.what}: attribute '${name}' of '${group.path}' holds ${size} values; a Keras file never needs that many`);
    const value = a.value;
    if (value instanceof Uint8Array && typeof a.dtype === 'string' && a.dtype.startsWith('S')) return new TextDecoder().decode(value);
    return value;
  }

  /** The dataset at `path` with its shape and element type, checked but not read. */
  dataset(path: string): { ds: Dataset; shape: number[]; dtype: 'float32' | 'float64' | 'int64' | 'other' } | null {
    let entity;
    try {
      entity = this.file.get(path);
    } catch {
      return null;
    }
    if (!(entity instanceof this.m.Dataset)) return null;
    const ds = entity as Dataset;
    const meta = ds.metadata;
    const shape = meta.shape ?? [];
    // type 1 is H5T_FLOAT, 0 H5T_INTEGER (h5wasm's metadata); Keras weights are float32.
    const dtype = meta.type === 1 && meta.size === 4 ? 'float32' : meta.type === 1 && meta.size === 8 ? 'float64' : meta.type === 0 && meta.size === 8 ? 'int64' : 'other';
    return { ds, shape, dtype };
  }

  /** Reads a float dataset whose shape the caller has already compared with what it expects. */
  readFloats(path: string, expectedShape: readonly number[]): Float32Array | Float64Array {
    const found = this.dataset(path);
    if (!found) throw new ModelFormatError(`${this.what}: the weight dataset '${path}' is missing`);
    const { ds, shape, dtype } = found;
    if (shape.length !== expectedShape.length || shape.some((d, i) => d !== expectedShape[i])) {
      throw new ModelFormatError(`${this.what}: weight '${path}' has shape ${JSON.stringify(shape)} in the file but the model needs ${JSON.stringify(expectedShape)}`);
    }
    if (dtype !== 'float32' && dtype !== 'float64') {
      // Integer scalars are counters (Keras 3 Normalization's int64 count): read as a number.
      const scalar = shape.length === 0 ? ds.value : null;
      if (typeof scalar === 'bigint' || typeof scalar === 'number') return Float32Array.of(Number(scalar));
      throw new ModelFormatError(`${this.what}: weight '${path}' is stored as ${JSON.stringify(ds.dtype)}; convlab reads float32 and float64 weights`);
    }
    let value = ds.value;
    // h5wasm reads a scalar dataset as a plain number.
    if (typeof value === 'number') value = dtype === 'float64' ? Float64Array.of(value) : Float32Array.of(value);
    const n = expectedShape.reduce((p, d) => p * d, 1);
    if (!(value instanceof Float32Array || value instanceof Float64Array) || value.length !== n) {
      throw new ModelFormatError(`${this.what}: weight '${path}' could not be read as ${n} ${dtype} values`);
    }
    return value;
  }

  /** A scalar integer dataset (an optimizer's iteration count), or null. */
  readScalar(path: string): number | null {
    const found = this.dataset(path);
    if (!found || found.shape.length !== 0) return null;
    const v = found.ds.value;
    if (typeof v === 'bigint') return Number(v);
    if (typeof v === 'number') return v;
    return null;
  }
}

/** Builds an HDF5 file in wasm memory and returns its bytes. */
export async function writeHdf5(fill: (file: H5File, m: H5Module) => void): Promise<Uint8Array> {
  const m = await h5();
  const path = `/convlab-write-${++counter}.h5`;
  const file = new m.File(path, 'w');
  try {
    fill(file, m);
  } finally {
    file.close();
  }
  try {
    return memfs(m).readFile(path).slice();
  } finally {
    memfs(m).unlink(path);
  }
}
