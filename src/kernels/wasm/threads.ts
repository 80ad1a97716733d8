import { isNode } from './loader.js';
import { AFTER, BARRIER, LANE, COMPLETED, CONTROL_WORDS, DONE, FAILED, HEADER_WORDS, PREV, PROGRESS, PUBLISHED, QUEUE_SLOTS, SHARES, SLOT_BYTES, SPIN_MS, STOP, THREADS, WORKER_SOURCE, advanceCompleted, claimNext, claimWord, finishShare } from './worker_source.js';

/*
 * A pool of kernel workers over one shared WebAssembly.Memory, fed by a queue of kernel calls
 * (see worker_source.ts). The main thread is thread 0: it publishes commands and goes on; when it
 * needs their results it drains the queue, claiming and computing shares of commands that may
 * start like any worker, and waiting when none is left to claim. Workers are unref'd so they never keep a process
 * alive, and every wait has a time limit so a worker that dies holding a share produces an error
 * instead of a hang.
 */

interface PoolWorker {
  terminate(): unknown;
}

const HANDSHAKE_MS = 15000;

export class ThreadPool {
  /** How long a kernel may wait for a worker before the pool gives up on it (tests shorten it). */
  static jobTimeoutMs = 60000;
  private readonly workers: PoolWorker[] = [];
  private broken: string | null = null;
  /** A shared buffer never detaches when memory grows, so one view serves for good. */
  private readonly control: Int32Array;
  private readonly headers: Int32Array;
  /** Commands published so far (ctrl word 1, which only this thread writes). */
  private published = 0;
  /** Waits in drain() that ran out their time with no progress (tests: there should be none). */
  stalls = 0;
  /** Where claimNext() says which command it claimed a share of. */
  private readonly found = new Int32Array(1);

  private constructor(
    private readonly memory: WebAssembly.Memory,
    /** int32 index of the control words in memory (see worker_source.ts). */
    private readonly ctrlIndex: number,
    /** Byte address of the command slots' parameter blocks, and int32 index of their headers. */
    private readonly slotsAt: number,
    private readonly headersIndex: number,
  ) {
    this.control = new Int32Array(memory.buffer, ctrlIndex * 4, CONTROL_WORDS);
    this.headers = new Int32Array(memory.buffer, headersIndex * 4, QUEUE_SLOTS * HEADER_WORDS);
  }

  /** Starts `count` workers (threads beyond the main one) and waits until each has instantiated. */
  static async start(module: WebAssembly.Module, memory: WebAssembly.Memory, queue: { ctrlIndex: number; slotsAt: number; headersIndex: number }, count: number): Promise<ThreadPool> {
    const pool = new ThreadPool(memory, queue.ctrlIndex, queue.slotsAt, queue.headersIndex);
    const ctrl = pool.ctrl();
    for (let i = 0; i < CONTROL_WORDS; i++) Atomics.store(ctrl, i, 0);
    pool.headers.fill(0);
    try {
      await Promise.all(Array.from({ length: count }, (_, i) => pool.spawn(module, i + 1)));
    } catch (error) {
      void pool.close();
      throw error;
    }
    return pool;
  }

  /** Why the pool cannot run jobs (a worker failed or exited), or null while it can. */
  get failure(): string | null {
    return this.broken;
  }

  get size(): number {
    return this.workers.length + 1;
  }

  private ctrl(): Int32Array {
    return this.control;
  }

  private async spawn(module: WebAssembly.Module, tid: number): Promise<void> {
    const data = { module, memory: this.memory, tid, ctrlIndex: this.ctrlIndex, slotsAt: this.slotsAt, headersIndex: this.headersIndex };
    let onMessage: (handler: (m: { type: string; message?: string }) => void) => void;
    let onFailure: (handler: (why: string) => void) => void;
    let settle = (): void => {};
    if (isNode) {
      const { Worker } = await import('node:worker_threads');
      const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: data, execArgv: [] });
      this.workers.push(worker);
      onMessage = (h) => worker.on('message', h);
      // A 'message' listener refs the worker's port again, so unref only once it is removed.
      settle = () => {
        worker.removeAllListeners('message');
        worker.unref();
      };
      onFailure = (h) => {
        worker.on('error', (e) => h(e.message));
        worker.on('exit', (code) => h(`exited with code ${code}`));
      };
    } else {
      const url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: 'text/javascript' }));
      const worker = new Worker(url);
      URL.revokeObjectURL(url);
      worker.postMessage(data);
      this.workers.push(worker);
      onMessage = (h) => worker.addEventListener('message', (e) => h(e.data));
      onFailure = (h) => worker.addEventListener('error', (e) => h(e.message));
    }
    onFailure((why) => {
      this.broken ??= `wasm worker ${tid} ${why}`;
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`wasm worker ${tid} did not start within ${HANDSHAKE_MS / 1000} s`)), HANDSHAKE_MS);
      onFailure((why) => {
        clearTimeout(timer);
        reject(new Error(`wasm worker ${tid} failed to start: ${why}`));
      });
      onMessage((m) => {
        clearTimeout(timer);
        if (m.type === 'ready') resolve();
        else reject(new Error(`wasm worker ${tid} failed to start: ${m.message ?? m.type}`));
      });
    }).finally(settle);
  }

  /**
   * The parameter block of the next command, once its slot is free: with every slot taken, this
   * thread first drains the queue through `runLocal`.
   */
  nextParams(runLocal: (params: number, share: number, shares: number) => void): number {
    if (((this.published - Atomics.load(this.ctrl(), COMPLETED)) | 0) >= QUEUE_SLOTS) this.drain(runLocal);
    return this.paramsOf(this.published);
  }

  private paramsOf(index: number): number {
    return this.slotsAt + (index & (QUEUE_SLOTS - 1)) * SLOT_BYTES;
  }

  /** Whether every published command is complete. */
  get idle(): boolean {
    return Atomics.load(this.control, COMPLETED) === this.published;
  }

  /** The index the next published command gets (commands are numbered from 0, wrapping at 2^32). */
  get nextIndex(): number {
    return this.published;
  }

  /**
   * Publishes the command whose parameters nextParams() located, cut into `shares` shares for a
   * kernel given scratch for `nt` threads, and returns at once: the workers start on it once every
   * command before index `after` is complete and so is command `prev` (its own index for none);
   * `barrier` says that no later command may start before it is complete, and `lane` is a lane
   * command's lane (worker_source.ts).
   */
  publish(nt: number, shares: number, after = this.published, prev = this.published, barrier = true, lane = -1): void {
    if (this.broken) throw new Error(`wasm backend: ${this.broken}; call setNumThreads() to restart the pool`);
    const index = this.published;
    const h = (index & (QUEUE_SLOTS - 1)) * HEADER_WORDS;
    const headers = this.headers;
    Atomics.store(headers, h + DONE, 0);
    Atomics.store(headers, h + THREADS, nt);
    Atomics.store(headers, h + FAILED, 0);
    Atomics.store(headers, h + FAILED + 1, 0);
    Atomics.store(headers, h + SHARES, shares);
    Atomics.store(headers, h + AFTER, after);
    Atomics.store(headers, h + PREV, prev);
    Atomics.store(headers, h + BARRIER, barrier ? 1 : 0);
    Atomics.store(headers, h + LANE, lane);
    Atomics.store(headers, h, claimWord(index, shares));
    this.published = (index + 1) | 0;
    const ctrl = this.ctrl();
    Atomics.store(ctrl, PUBLISHED, this.published);
    Atomics.add(ctrl, PROGRESS, 1);
    Atomics.notify(ctrl, PROGRESS);
  }

  /** Whether every command before index `point` is complete. */
  completedBefore(point: number): boolean {
    return ((Atomics.load(this.control, COMPLETED) - point) | 0) >= 0;
  }

  /**
   * Runs every published command (or, with `until`, every one before that index) to completion,
   * this thread computing the shares it claims through `runLocal` (as thread 0, with slot 0 of
   * each command's scratch) and the shares a worker could not finish, and waiting for the rest.
   */
  drain(runLocal: (params: number, share: number, shares: number) => void, until = this.published): void {
    const ctrl = this.ctrl();
    const limit = ThreadPool.jobTimeoutMs;
    let waitingSince = 0;
    let lastProgress = Atomics.load(ctrl, PROGRESS);
    for (;;) {
      // Read progress before the completed count: a command that completes after this read bumps
      // progress, so the wait below cannot sleep through the last completion (read the other way
      // round, a completion between the two reads left this thread waiting out its full time limit).
      const progress = Atomics.load(ctrl, PROGRESS);
      if (((Atomics.load(ctrl, COMPLETED) - until) | 0) >= 0) break;
      if (progress !== lastProgress) {
        lastProgress = progress;
        waitingSince = 0;
      }
      if (this.runOne(runLocal)) continue;
      // Nothing to claim: the workers hold what may run. Watch for progress rather than sleep (a
      // worker's share ends about when we look), then sleep; a worker that died inside a kernel
      // never makes progress, and its 'exit' event cannot run while this thread waits: the
      // deadline is what turns that into an error.
      const now = Date.now();
      if (waitingSince === 0) waitingSince = now;
      else if (now - waitingSince > limit) {
        this.broken = `a worker did not finish a kernel within ${limit / 1000} s (it may have died)`;
        throw new Error(`wasm backend: ${this.broken}`);
      }
      const spinUntil = performance.now() + SPIN_MS;
      for (let i = 1; Atomics.load(ctrl, PROGRESS) === progress; i++) {
        if ((i & 1023) === 0 && performance.now() > spinUntil) {
          // A wait that runs out its time saw no progress for a second: a dead worker, or a
          // wakeup lost (tests count these).
          if (Atomics.wait(ctrl, PROGRESS, progress, Math.min(1000, limit)) === 'timed-out') this.stalls++;
          break;
        }
      }
    }
  }

  /**
   * Runs one share of the first published command that may start, lane 0's (this thread's) and
   * those of no lane first, or else the shares of a command that a worker could not finish:
   * whether it found any.
   */
  private runOne(runLocal: (params: number, share: number, shares: number) => void): boolean {
    const ctrl = this.ctrl();
    const headers = this.headers;
    const found = this.found;
    let share = claimNext(ctrl, headers, 0, true, found);
    if (share < 0) share = claimNext(ctrl, headers, -1, true, found);
    if (share >= 0) {
      const h = (found[0] & (QUEUE_SLOTS - 1)) * HEADER_WORDS;
      const shares = Atomics.load(headers, h + SHARES);
      runLocal(this.paramsOf(found[0]), share, shares);
      finishShare(ctrl, headers, h, shares);
      return true;
    }
    // Shares a worker could not finish (it says why on stderr): each writes only its own part of
    // the output, so this thread can compute them instead.
    for (let index = Atomics.load(ctrl, COMPLETED); index !== this.published; index = (index + 1) | 0) {
      const h = (index & (QUEUE_SLOTS - 1)) * HEADER_WORDS;
      const shares = Atomics.load(headers, h + SHARES);
      if (Atomics.load(headers, h + DONE) !== shares || (Atomics.load(headers, h + FAILED) | Atomics.load(headers, h + FAILED + 1)) === 0) continue;
      for (let word = 0; word < 2; word++) {
        const failed = Atomics.exchange(headers, h + FAILED + word, 0);
        for (let bit = 0; failed !== 0 && bit < 32; bit++) {
          if (failed & (1 << bit)) runLocal(this.paramsOf(index), word * 32 + bit, shares);
        }
      }
      advanceCompleted(ctrl, headers);
      return true;
    }
    return false;
  }

  /** Ends one worker abruptly, as a crash would (for tests of failure handling). */
  terminateWorker(index: number): void {
    void this.workers[index]?.terminate();
  }

  /**
   * Stops the workers. The promise settles once they are gone, so a new pool on the same control
   * words never shares them with a worker of this one still finishing its last wait.
   */
  close(): Promise<void> {
    const ctrl = this.ctrl();
    Atomics.store(ctrl, STOP, -1);
    Atomics.add(ctrl, PROGRESS, 1);
    Atomics.notify(ctrl, PROGRESS);
    const stopping = this.workers.map((w) => Promise.resolve(w.terminate()).then(() => undefined, () => undefined));
    this.workers.length = 0;
    return Promise.all(stopping).then(() => undefined);
  }
}
