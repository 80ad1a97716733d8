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

interface Job {
  request: BatchRequest;
  resolve: (r: BatchResult) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  /** Batches sent to this thread, in the order it answers them (it decodes one at a time). */
  jobs: Job[];
  /** Armed while the thread decodes a batch: it must answer within batchTimeoutMs. */
  timer: NodeJS.Timeout | null;
  /** Whether the thread has started a batch yet (a new thread first loads its modules). */
  ready: boolean;
}

/**
 * Worker threads, each decoding one batch at a time from its own queue. Batches are sent to the
 * least busy thread as soon as they are asked for, not when a thread comes free: the training
 * loop runs on this thread and reads the threads' answers only between steps, so a thread that
 * waited here for its next batch would sit idle through the rest of a step. A thread holding
 * batches that gives no answer within `batchTimeoutMs` (a decoder stuck on a file, a path on a
 * file system that stopped answering) has its batches failed, naming the first file of the one
 * it was on, and is replaced: training never waits forever on a batch.
 */
export class DecodePool {
  private slots: Slot[] | null = null;
  private nextId = 0;
  private closed = false;
  private spawn: ((slot: number) => Worker) | null = null;
  private deaths = 0;
  private broken: string | null = null;

  constructor(
    readonly threads: number,
    readonly batchTimeoutMs = DEFAULT_BATCH_TIMEOUT_MS,
  ) {}

  async decode(paths: string[], spec: DecodeSpec): Promise<BatchResult> {
    if (this.closed) throw new Error('imageDatasetFromDirectory: the dataset was closed; create it again to read more batches');
    const request: BatchRequest = { id: this.nextId++, paths, spec };
    if (this.threads === 0) return decodeBatch(request);
    if (this.broken) throw new Error(this.broken);
    await this.start();
    if (this.closed || !this.slots) throw new Error('imageDatasetFromDirectory: the dataset was closed');
    return new Promise((resolve, reject) => {
      let slot = 0;
      for (let s = 1; s < this.slots!.length; s++) if (this.slots![s].jobs.length < this.slots![slot].jobs.length) slot = s;
      const target = this.slots![slot];
      target.jobs.push({ request, resolve, reject });
      this.hold(target);
      if (!target.timer && target.ready) this.arm(slot);
      target.worker.postMessage(request);
    });
  }

  private async start(): Promise<void> {
    if (this.slots) return;
    const { Worker } = await import('node:worker_threads');
    if (this.slots) return;
    // Under tsx (tests, examples) the sources are .ts and workers inherit tsx's loader.
    const url = new URL(import.meta.url.endsWith('.ts') ? './decode_worker.ts' : './decode_worker.js', import.meta.url);
    this.spawn = (slot: number) => {
      // tsx's loader does not reach worker threads by itself: a .ts worker registers it first.
      const worker = url.pathname.endsWith('.ts')
        ? new Worker(`import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(url.href)}); });`, { eval: true })
        : new Worker(url);
      // Idle decode threads must not keep a finished program alive.
      worker.unref();
      worker.on('message', (message: BatchResult | { started: number }) => ('started' in message ? this.started(slot, worker) : this.finish(slot, worker, message)));
      worker.on('error', (e) => this.fail(slot, worker, e));
      worker.on('exit', (code) => this.fail(slot, worker, new Error(`exited with code ${code}`)));
      return worker;
    };
    this.slots = [];
    for (let slot = 0; slot < this.threads; slot++) this.slots.push({ worker: this.spawn(slot), jobs: [], timer: null, ready: false });
  }

  /** While a thread holds batches the process waits for it; idle threads must not keep it alive. */
  private hold(s: Slot): void {
    if (s.jobs.length > 0) s.worker.ref();
    else s.worker.unref();
  }

  /** The thread began its next batch: that batch's time starts now (not while it loaded or queued). */
  private started(slot: number, worker: Worker): void {
    const s = this.slots?.[slot];
    if (!s || s.worker !== worker || s.jobs.length === 0) return;
    s.ready = true;
    if (s.timer) clearTimeout(s.timer);
    this.arm(slot);
  }

  private arm(slot: number): void {
    const s = this.slots![slot];
    const { paths } = s.jobs[0].request;
    const worker = s.worker;
    s.timer = setTimeout(() => {
      this.fail(slot, worker, new Error(`no answer within ${(this.batchTimeoutMs / 1000).toFixed(1)} s for a batch of ${paths.length} starting with '${paths[0]}'; the thread was replaced`));
      void worker.terminate();
    }, this.batchTimeoutMs);
  }

  private finish(slot: number, worker: Worker, result: BatchResult): void {
    const s = this.slots?.[slot];
    if (!s || s.worker !== worker) return;
    const at = s.jobs.findIndex((j) => j.request.id === result.id);
    if (at < 0) return;
    const [job] = s.jobs.splice(at, 1);
    if (s.timer) clearTimeout(s.timer);
    s.timer = null;
    if (s.jobs.length > 0) this.arm(slot);
    this.hold(s);
    // Typed arrays arrive as plain Uint8Arrays over their transferred buffers.
    job.resolve({ ...result, pixels: new Uint8Array(result.pixels.buffer, result.pixels.byteOffset, result.pixels.byteLength) });
  }

  /**
   * A decode thread died (an 'error', then its 'exit') or stopped answering: the batch it was on
   * (the first it holds: it decodes them in order) fails with the reason, and a new thread takes
   * its place and its other batches. After several deaths, its batches and later ones fail too.
   */
  private fail(slot: number, worker: Worker, error: Error): void {
    if (this.closed || !this.slots || this.slots[slot].worker !== worker) return;
    const s = this.slots[slot];
    const message = `imageDatasetFromDirectory: a decode thread stopped: ${error.message}`;
    if (s.timer) clearTimeout(s.timer);
    s.timer = null;
    const [current, ...rest] = s.jobs.splice(0);
    current?.reject(new Error(message));
    if (++this.deaths > 2 * this.threads + 2) {
      // No new thread: its batches and later ones fail with the reason (other threads finish theirs).
      this.broken = `${message} (and ${this.deaths - 1} before it; giving up)`;
      for (const job of rest) job.reject(new Error(this.broken));
      return;
    }
    s.worker = this.spawn!(slot);
    s.ready = false;
    s.jobs = rest;
    this.hold(s);
    for (const job of rest) s.worker.postMessage(job.request);
  }

  async close(): Promise<void> {
    if (this.closed && !this.slots) return;
    this.closed = true;
    const slots = this.slots ?? [];
    this.slots = null;
    for (const s of slots) {
      if (s.timer) clearTimeout(s.timer);
      for (const job of s.jobs.splice(0)) job.reject(new Error('imageDatasetFromDirectory: the dataset was closed'));
    }
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }
}
