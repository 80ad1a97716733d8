/**
 * Decoding batches off the main thread. A pool of worker threads decodes and resizes whole
 * batches, so the training loop, which runs on the main thread, only copies finished pixels.
 * With `threads: 0` batches are decoded in this thread (sharp still decodes in libuv's pool).
 */
import { decodeFile, type DecodeSpec, type SkipReason } from './decode.js';

export interface BatchRequest {
  id: number;
  paths: string[];
  spec: DecodeSpec;
}

export interface BatchResult {
  id: number;
  /** Row i holds paths[i] when ok[i] is 1; failed rows are zero. */
  pixels: Uint8Array;
  ok: Uint8Array;
  failures: { index: number; reason: SkipReason; message: string }[];
}

export async function decodeBatch(request: BatchRequest): Promise<BatchResult> {
  const { spec, paths } = request;
  const rowSize = spec.height * spec.width * spec.channels;
  const pixels = new Uint8Array(paths.length * rowSize);
  const ok = new Uint8Array(paths.length);
  const failures: BatchResult['failures'] = [];
  for (let i = 0; i < paths.length; i++) {
    const decoded = await decodeFile(paths[i], spec);
    if (decoded.ok) {
      pixels.set(decoded.pixels, i * rowSize);
      ok[i] = 1;
    } else {
      failures.push({ index: i, reason: decoded.reason, message: decoded.message });
    }
  }
  return { id: request.id, pixels, ok, failures };
}

type Worker = import('node:worker_threads').Worker;

/** How long one batch may take in a decode thread before the thread is replaced and the batch fails. */
export const DEFAULT_BATCH_TIMEOUT_MS = 300_000;

/**
 * Worker threads, each decoding one batch at a time; requests queue when all are busy. A batch
 * whose thread gives no answer within `batchTimeoutMs` (a decoder stuck on a file, a path on a
 * file system that stopped answering) fails naming its first file, and the thread is replaced:
 * training never waits forever on a batch.
 */
export class DecodePool {
  private workers: { worker: Worker; busy: boolean }[] | null = null;
  private readonly queue: { request: BatchRequest; resolve: (r: BatchResult) => void; reject: (e: Error) => void }[] = [];
  private readonly pending = new Map<number, { resolve: (r: BatchResult) => void; reject: (e: Error) => void; slot: number; timer: NodeJS.Timeout }>();
  private nextId = 0;
  private closed = false;

  constructor(
    readonly threads: number,
    readonly batchTimeoutMs = DEFAULT_BATCH_TIMEOUT_MS,
  ) {}

  async decode(paths: string[], spec: DecodeSpec): Promise<BatchResult> {
    if (this.closed) throw new Error('imageDatasetFromDirectory: the dataset was closed; create it again to read more batches');
    const request: BatchRequest = { id: this.nextId++, paths, spec };
    if (this.threads === 0) return decodeBatch(request);
    await this.start();
    return new Promise((resolve, reject) => {
      this.queue.push({ request, resolve, reject });
      this.dispatch();
    });
  }

  private async start(): Promise<void> {
    if (this.workers) return;
    const { Worker } = await import('node:worker_threads');
    if (this.workers) return;
    // Under tsx (tests, examples) the sources are .ts and workers inherit tsx's loader.
    const url = new URL(import.meta.url.endsWith('.ts') ? './decode_worker.ts' : './decode_worker.js', import.meta.url);
    this.spawn = (slot: number) => {
      // tsx's loader does not reach worker threads by itself: a .ts worker registers it first.
      const worker = url.pathname.endsWith('.ts')
        ? new Worker(`import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(url.href)}); });`, { eval: true })
        : new Worker(url);
      // Idle decode threads must not keep a finished program alive.
      worker.unref();
      worker.on('message', (result: BatchResult) => this.finish(slot, result));
      worker.on('error', (e) => this.fail(slot, worker, e));
      worker.on('exit', (code) => this.fail(slot, worker, new Error(`exited with code ${code}`)));
      return { worker, busy: false };
    };
    this.workers = [];
    for (let slot = 0; slot < this.threads; slot++) this.workers.push(this.spawn(slot));
  }

  private spawn: ((slot: number) => { worker: Worker; busy: boolean }) | null = null;
  private deaths = 0;

  private dispatch(): void {
    for (let slot = 0; slot < (this.workers?.length ?? 0) && this.queue.length > 0; slot++) {
      const w = this.workers![slot];
      if (w.busy) continue;
      const job = this.queue.shift()!;
      w.busy = true;
      const { paths } = job.request;
      // A ref'd timer: while a batch is out, the process waits for it (the threads are unref'd).
      const timer = setTimeout(() => {
        const worker = w.worker;
        this.fail(slot, worker, new Error(`no answer within ${(this.batchTimeoutMs / 1000).toFixed(1)} s for a batch of ${paths.length} starting with '${paths[0]}'; the thread was replaced`));
        void worker.terminate();
      }, this.batchTimeoutMs);
      this.pending.set(job.request.id, { resolve: job.resolve, reject: job.reject, slot, timer });
      w.worker.postMessage(job.request);
    }
  }

  private finish(slot: number, result: BatchResult): void {
    const job = this.pending.get(result.id);
    if (job) clearTimeout(job.timer);
    this.pending.delete(result.id);
    this.workers![slot].busy = false;
    // Typed arrays arrive as plain Uint8Arrays over their transferred buffers.
    job?.resolve({ ...result, pixels: new Uint8Array(result.pixels.buffer, result.pixels.byteOffset, result.pixels.byteLength) });
    this.dispatch();
  }

  /**
   * A decode thread died (an 'error', then its 'exit'): its batch fails with the reason, and a new
   * thread takes its place, so later batches are not left waiting on a dead one. After several
   * deaths the queued batches fail too.
   */
  private fail(slot: number, worker: Worker, error: Error): void {
    if (this.closed || !this.workers || this.workers[slot].worker !== worker) return;
    const message = `imageDatasetFromDirectory: a decode thread stopped: ${error.message}`;
    for (const [id, job] of this.pending) {
      if (job.slot !== slot) continue;
      clearTimeout(job.timer);
      this.pending.delete(id);
      job.reject(new Error(message));
    }
    if (++this.deaths > 2 * this.threads + 2) {
      for (const { reject } of this.queue.splice(0)) reject(new Error(`${message} (and ${this.deaths - 1} before it; giving up)`));
      return;
    }
    this.workers[slot] = this.spawn!(slot);
    this.dispatch();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const workers = this.workers ?? [];
    this.workers = null;
    for (const { reject } of this.queue.splice(0)) reject(new Error('imageDatasetFromDirectory: the dataset was closed'));
    for (const job of this.pending.values()) {
      clearTimeout(job.timer);
      job.reject(new Error('imageDatasetFromDirectory: the dataset was closed'));
    }
    this.pending.clear();
    await Promise.all(workers.map((w) => w.worker.terminate()));
  }
}
