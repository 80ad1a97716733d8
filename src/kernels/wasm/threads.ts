import { isNode } from './loader.js';
import { CONTROL_WORDS, SPIN_MS, WORKER_SOURCE, claimShare, claimWord } from './worker_source.js';

/*
 * A pool of kernel workers over one shared WebAssembly.Memory. The main thread is thread 0: it
 * publishes a job by bumping the generation word, claims and computes shares like any worker
 * (see worker_source.ts), then waits until every share a worker claimed is done. Workers are
 * unref'd so they never keep a process alive, and every wait has a time limit so a worker that
 * dies holding a share produces an error instead of a hang.
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

  private constructor(
    private readonly memory: WebAssembly.Memory,
    /** int32 index of the control words in memory (see worker_source.ts). */
    private readonly ctrlIndex: number,
  ) {
    this.control = new Int32Array(memory.buffer, ctrlIndex * 4, CONTROL_WORDS);
  }

  /** Starts `count` workers (threads beyond the main one) and waits until each has instantiated. */
  static async start(module: WebAssembly.Module, memory: WebAssembly.Memory, ctrlIndex: number, count: number): Promise<ThreadPool> {
    const pool = new ThreadPool(memory, ctrlIndex);
    const ctrl = pool.ctrl();
    for (let i = 0; i < CONTROL_WORDS; i++) Atomics.store(ctrl, i, 0);
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
    const data = { module, memory: this.memory, tid, ctrlIndex: this.ctrlIndex };
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
   * Runs the job in the parameter block at `params`, cut into `shares` shares, on up to `nt`
   * threads (nt <= size), the main thread computing the shares it claims through `runLocal`.
   * Returns once every share is done.
   */
  run(params: number, nt: number, shares: number, runLocal: (share: number, shares: number) => void): void {
    if (this.broken) throw new Error(`wasm backend: ${this.broken}; call setNumThreads() to restart the pool`);
    const ctrl = this.ctrl();
    const generation = (Atomics.load(ctrl, 0) + 1) & 0x7fffffff;
    Atomics.store(ctrl, 1, 0);
    Atomics.store(ctrl, 2, nt);
    Atomics.store(ctrl, 3, params);
    Atomics.store(ctrl, 4, claimWord(generation, shares));
    Atomics.store(ctrl, 0, generation);
    Atomics.notify(ctrl, 0);
    let mine = 0;
    for (let share = claimShare(ctrl, generation); share >= 0; share = claimShare(ctrl, generation)) {
      runLocal(share, shares);
      mine++;
    }
    const expected = shares - mine;
    const limit = ThreadPool.jobTimeoutMs;
    const deadline = Date.now() + limit;
    // A worker holding a share ends it about when we end ours: watch rather than sleep.
    const spinUntil = performance.now() + SPIN_MS;
    for (let i = 1; Atomics.load(ctrl, 1) < expected; i++) {
      if ((i & 1023) === 0 && performance.now() > spinUntil) break;
    }
    for (let done = Atomics.load(ctrl, 1); done < expected; done = Atomics.load(ctrl, 1)) {
      // A worker that died inside a kernel never counts its share done, and its 'exit' event
      // cannot run while this thread waits: the deadline is what turns that into an error.
      if (Date.now() > deadline) {
        this.broken = `a worker did not finish a kernel within ${limit / 1000} s (it may have died)`;
        throw new Error(`wasm backend: ${this.broken}`);
      }
      Atomics.wait(ctrl, 1, done, Math.min(1000, limit));
    }
    // Shares a worker could not finish (it says why on stderr): each writes only its own part of
    // the output, so this thread can compute them instead.
    for (let word = 0; word < 2; word++) {
      const failed = Atomics.exchange(ctrl, 6 + word, 0);
      for (let bit = 0; failed !== 0 && bit < 32; bit++) {
        if (failed & (1 << bit)) runLocal(word * 32 + bit, shares);
      }
    }
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
    Atomics.store(ctrl, 0, -1);
    Atomics.notify(ctrl, 0);
    const stopping = this.workers.map((w) => Promise.resolve(w.terminate()).then(() => undefined, () => undefined));
    this.workers.length = 0;
    return Promise.all(stopping).then(() => undefined);
  }
}
