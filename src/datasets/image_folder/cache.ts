/**
 * An on-disk cache of decoded, resized images, so epochs after the first read pixels instead of
 * decoding files. One pixel file per folder and preprocessing (its name is a hash of both, and of
 * every file's size and modification time, so a changed folder gets a new cache), addressed by
 * the file's position in the unshuffled index; the training and validation subsets share it.
 * A small JSON state file says which rows are filled and which files failed to decode; it is
 * written to a temporary name and renamed. Node only.
 */
import { createHash } from 'node:crypto';
import { mkdir, open, readFile, rename, stat, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { DecodeSpec, SkipReason } from './decode.js';

const VERSION = 1;

export interface CacheFailure {
  reason: SkipReason;
  message: string;
}

export class PixelCache {
  /** 0: not cached yet, 1: pixels cached, 2: the file failed to decode. */
  readonly state: Uint8Array;
  readonly failures = new Map<number, CacheFailure>();
  private dirty = false;

  private constructor(
    private readonly handle: FileHandle,
    private readonly statePath: string,
    readonly rowSize: number,
    rows: number,
    readonly path: string,
  ) {
    this.state = new Uint8Array(rows);
  }

  static async open(dir: string, paths: string[], spec: DecodeSpec): Promise<PixelCache> {
    await mkdir(dir, { recursive: true });
    const hash = createHash('sha256');
    hash.update(JSON.stringify({ version: VERSION, spec }));
    for (const p of paths) {
      const s = await stat(p).catch(() => null);
      hash.update(`\n${p}\t${s?.size ?? -1}\t${s?.mtimeMs ?? -1}`);
    }
    const key = hash.digest('hex').slice(0, 24);
    const rowSize = spec.height * spec.width * spec.channels;
    const pixelPath = join(dir, `${key}.pixels`);
    const handle = await open(pixelPath, 'a+').then(async (h) => {
      await h.close();
      return open(pixelPath, 'r+');
    });
    const cache = new PixelCache(handle, join(dir, `${key}.json`), rowSize, paths.length, pixelPath);
    const saved = await readFile(cache.statePath, 'utf8').then((t) => JSON.parse(t) as { rows: number; ok: number[]; failed: [number, SkipReason, string][] }).catch(() => null);
    if (saved && saved.rows === paths.length) {
      for (const r of saved.ok) cache.state[r] = 1;
      for (const [r, reason, message] of saved.failed) {
        cache.state[r] = 2;
        cache.failures.set(r, { reason, message });
      }
    }
    return cache;
  }

  async read(row: number, into: Uint8Array, offset: number): Promise<void> {
    const { bytesRead } = await this.handle.read(into, offset, this.rowSize, row * this.rowSize);
    if (bytesRead !== this.rowSize) throw new Error(`image cache ${this.path}: row ${row} is short (${bytesRead} of ${this.rowSize} bytes); delete the cache folder to rebuild it`);
  }

  async write(row: number, pixels: Uint8Array): Promise<void> {
    await this.handle.write(pixels, 0, this.rowSize, row * this.rowSize);
    this.state[row] = 1;
    this.dirty = true;
  }

  markFailed(row: number, failure: CacheFailure): void {
    this.state[row] = 2;
    this.failures.set(row, failure);
    this.dirty = true;
  }

  /** Writes the state file; pixels are written first, so a row marked filled is on disk. */
  async flush(): Promise<void> {
    if (!this.dirty) return;
    this.dirty = false;
    await this.handle.datasync();
    const ok: number[] = [];
    for (let r = 0; r < this.state.length; r++) if (this.state[r] === 1) ok.push(r);
    const failed = [...this.failures].map(([r, f]) => [r, f.reason, f.message]);
    const tmp = `${this.statePath}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify({ version: VERSION, rows: this.state.length, ok, failed }));
    await rename(tmp, this.statePath);
  }

  private closed = false;

  /** Flushes and closes; the training and validation subsets share a cache, so twice is fine. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.flush();
    await this.handle.close();
  }
}
