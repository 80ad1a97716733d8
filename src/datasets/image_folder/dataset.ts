/**
 * The dataset `imageDatasetFromDirectory` returns: Keras's file list and labels, read batch by
 * batch. Batches are decoded in worker threads (pool.ts) while the model trains on the previous
 * ones; at most `prefetch + 1` batches of pixels exist at a time, so memory does not grow with
 * the folder. Node only.
 */
import { Tensor } from '../../tensor/tensor.js';
import { numpyShuffle } from './numpy_shuffle.js';
import type { PixelCache } from './cache.js';
import type { DecodeSpec } from './decode.js';
import { skipSummary, type SkippedFile } from './index_directory.js';
import type { DecodePool } from './pool.js';

export type LabelMode = 'int' | 'categorical' | 'binary';
export type ColorMode = 'grayscale' | 'rgb' | 'rgba';

/** One batch: uint8 images [n, height, width, channels] (0..255, as the built-in datasets) and labels. */
export interface ImageBatch {
  xs: Tensor;
  /** int: int32 [n]; categorical: float32 [n, classes]; binary: float32 [n, 1]; null without labels. */
  ys: Tensor | null;
  paths: string[];
}

/** What a run records so that predict and evaluate prepare images the same way. */
export interface ImagePreprocessing {
  imageSize: [number, number];
  colorMode: ColorMode;
  interpolation: DecodeSpec['interpolation'];
  cropToAspectRatio: boolean;
  classNames: string[];
}

export interface DatasetParts {
  directory: string;
  classNames: string[];
  /** This subset's files and labels, in Keras's order, screened files removed. */
  paths: string[];
  labels: number[];
  /** Each file's row in the shared cache (its position in the unshuffled index). */
  rows: number[];
  labelMode: LabelMode | null;
  colorMode: ColorMode;
  spec: DecodeSpec;
  batchSize: number;
  shuffle: boolean;
  seed: number;
  prefetch: number;
  pool: DecodePool;
  cache: PixelCache | null;
  /** Skipped before reading: extensions and screened files of this subset. */
  skipped: SkippedFile[];
  log: (line: string) => void;
}

export class ImageFolderDataset {
  readonly directory: string;
  readonly classNames: string[];
  /** Keras's `file_paths`: this subset's images, in the order Keras lists them. */
  readonly filePaths: string[];
  readonly labels: Int32Array;
  readonly batchSize: number;
  readonly labelMode: LabelMode | null;
  readonly colorMode: ColorMode;
  /** [height, width, channels] of each image. */
  readonly imageShape: [number, number, number];
  /** Files left out, with reasons: at creation, and those that failed to decode while reading. */
  readonly skipped: SkippedFile[];
  private readonly bad = new Set<number>();
  private readonly parts: DatasetParts;

  constructor(parts: DatasetParts) {
    this.parts = parts;
    this.directory = parts.directory;
    this.classNames = parts.classNames;
    this.filePaths = parts.paths;
    this.labels = Int32Array.from(parts.labels);
    this.batchSize = parts.batchSize;
    this.labelMode = parts.labelMode;
    this.colorMode = parts.colorMode;
    this.imageShape = [parts.spec.height, parts.spec.width, parts.spec.channels];
    this.skipped = [...parts.skipped];
    // Files the cache already knows to be corrupt are left out from the start.
    for (let i = 0; i < parts.rows.length; i++) {
      const failure = parts.cache?.failures.get(parts.rows[i]);
      if (failure) this.recordFailure(i, failure.reason, failure.message);
    }
  }

  /** Images that will be read (files that failed to decode are no longer counted). */
  get count(): number {
    return this.filePaths.length - this.bad.size;
  }

  /** Batches per epoch. */
  get steps(): number {
    return Math.ceil(this.count / this.batchSize);
  }

  get preprocessing(): ImagePreprocessing {
    const { spec } = this.parts;
    return { imageSize: [spec.height, spec.width], colorMode: this.colorMode, interpolation: spec.interpolation, cropToAspectRatio: spec.cropToAspectRatio, classNames: [...this.classNames] };
  }

  private recordFailure(i: number, reason: SkippedFile['reason'], message: string): void {
    if (this.bad.has(i)) return;
    this.bad.add(i);
    this.skipped.push({ path: this.filePaths[i], reason, message });
  }

  /** The order of an epoch: reshuffled each epoch from the seed, as Keras's dataset is. */
  private epochOrder(epoch: number): number[] {
    const order: number[] = [];
    for (let i = 0; i < this.filePaths.length; i++) if (!this.bad.has(i)) order.push(i);
    return this.parts.shuffle ? numpyShuffle(order, (this.parts.seed + 1 + epoch) % 0x100000000) : order;
  }

  /**
   * The batches of one epoch. Decoding runs `prefetch` batches ahead of the consumer; a file that
   * fails to decode is left out of its batch (which is then smaller) and reported once.
   */
  async *batches(epoch = 0): AsyncGenerator<ImageBatch> {
    const order = this.epochOrder(epoch);
    const skippedBefore = this.skipped.length;
    const inFlight: Promise<ImageBatch | null>[] = [];
    let next = 0;
    const launch = (): void => {
      while (inFlight.length <= this.parts.prefetch && next < order.length) {
        const batch = this.loadBatch(order.slice(next, next + this.batchSize));
        // Handled when awaited below; a rejection must not be reported as unhandled before then.
        batch.catch(() => undefined);
        inFlight.push(batch);
        next += this.batchSize;
      }
    };
    launch();
    while (inFlight.length > 0) {
      const batch = await inFlight.shift()!;
      launch();
      if (batch && batch.xs.shape[0] > 0) yield batch;
    }
    await this.parts.cache?.flush();
    const fresh = this.skipped.slice(skippedBefore);
    if (fresh.length > 0) this.parts.log(skipSummary(fresh).replace(/^Skipped/, 'Skipped while decoding'));
  }

  private async loadBatch(indices: number[]): Promise<ImageBatch | null> {
    const { spec, cache } = this.parts;
    const rowSize = spec.height * spec.width * spec.channels;
    let pixels: Uint8Array;
    let ok: Uint8Array;
    if (cache && indices.every((i) => cache.state[this.parts.rows[i]] !== 0)) {
      pixels = new Uint8Array(indices.length * rowSize);
      ok = new Uint8Array(indices.length);
      await Promise.all(indices.map(async (i, k) => {
        const row = this.parts.rows[i];
        if (cache.state[row] !== 1) return;
        await cache.read(row, pixels, k * rowSize);
        ok[k] = 1;
      }));
    } else {
      const result = await this.parts.pool.decode(indices.map((i) => this.filePaths[i]), spec);
      pixels = result.pixels;
      ok = result.ok;
      for (const f of result.failures) {
        this.recordFailure(indices[f.index], f.reason, f.message);
        cache?.markFailed(this.parts.rows[indices[f.index]], { reason: f.reason, message: f.message });
      }
      if (cache) await Promise.all(indices.map((i, k) => (ok[k] ? cache.write(this.parts.rows[i], pixels.subarray(k * rowSize, (k + 1) * rowSize)) : undefined)));
    }
    const kept = indices.filter((_, k) => ok[k]);
    if (kept.length < indices.length) {
      const compact = new Uint8Array(kept.length * rowSize);
      let j = 0;
      for (let k = 0; k < indices.length; k++) if (ok[k]) compact.set(pixels.subarray(k * rowSize, (k + 1) * rowSize), rowSize * j++);
      pixels = compact;
    }
    return { xs: new Tensor(pixels, [kept.length, ...this.imageShape]), ys: this.labelsOf(kept), paths: kept.map((i) => this.filePaths[i]) };
  }

  private labelsOf(indices: number[]): Tensor | null {
    const n = indices.length;
    const k = this.classNames.length;
    switch (this.labelMode) {
      case null: return null;
      case 'int': return new Tensor(Int32Array.from(indices, (i) => this.labels[i]), [n]);
      case 'binary': return new Tensor(Float32Array.from(indices, (i) => this.labels[i]), [n, 1]);
      case 'categorical': {
        const onehot = new Float32Array(n * k);
        indices.forEach((i, r) => (onehot[r * k + this.labels[i]] = 1));
        return new Tensor(onehot, [n, k]);
      }
    }
  }

  /** Every image and label in memory, in file order (small datasets, tests, comparisons). */
  async toTensors(): Promise<{ xs: Tensor; ys: Tensor | null; paths: string[] }> {
    const saved = this.parts.shuffle;
    this.parts.shuffle = false;
    const parts: ImageBatch[] = [];
    try {
      for await (const b of this.batches()) parts.push(b);
    } finally {
      this.parts.shuffle = saved;
    }
    const n = parts.reduce((s, b) => s + b.xs.shape[0], 0);
    const xs = new Uint8Array(n * this.imageShape.reduce((a, b) => a * b, 1));
    let at = 0;
    for (const b of parts) {
      xs.set(b.xs.data as Uint8Array, at);
      at += b.xs.size;
    }
    let ys: Tensor | null = null;
    if (this.labelMode !== null) {
      const first = parts[0]?.ys;
      const rowSize = first ? first.size / first.shape[0] : 1;
      const data = this.labelMode === 'int' ? new Int32Array(n * rowSize) : new Float32Array(n * rowSize);
      let k = 0;
      for (const b of parts) {
        data.set(b.ys!.data as never, k);
        k += b.ys!.size;
      }
      ys = new Tensor(data, this.labelMode === 'int' ? [n] : [n, rowSize]);
    }
    return { xs: new Tensor(xs, [n, ...this.imageShape]), ys, paths: parts.flatMap((b) => b.paths) };
  }

  /** Stops the decode threads and writes the cache's state. */
  async close(): Promise<void> {
    await this.parts.pool.close();
    await this.parts.cache?.close();
  }
}
