import { MAXIMUM_PAGES, loadKernels, type WasmFeatures } from './loader.js';
import { ThreadPool } from './threads.js';

/*
 * Owns the kernels' WebAssembly memory. Below the heap of the module sit, in order: the parameter
 * block that describes a call (int32 slots, then float64 slots at byte 256), the four thread
 * control words, and the arena. Every kernel call resets the arena, copies its inputs in, runs,
 * and copies its outputs out. The arena only grows (to the largest call seen), so a training loop
 * with a fixed model and batch shape allocates nothing after its first step.
 */

interface KernelExports {
  run(params: number, tid: number, nt: number): void;
  heapBase(): number;
  gemmScratchBytes(): number;
  convScratchBytes(kkci: number, co: number): number;
}

const PARAMS_BYTES = 512;
const CONTROL_BYTES = 64;
const ALIGN = 64;
const PAGE = 65536;

export class WasmEngine {
  readonly exports: KernelExports;
  readonly features: WasmFeatures;
  private readonly params: number;
  private readonly control: number;
  private readonly arenaStart: number;
  private top: number;
  private f32!: Float32Array;
  private i32!: Int32Array;
  private f64!: Float64Array;
  private pool: ThreadPool | null = null;
  private threads = 1;

  private constructor(
    readonly module: WebAssembly.Module,
    readonly memory: WebAssembly.Memory,
    instance: WebAssembly.Instance,
    features: WasmFeatures,
  ) {
    this.exports = instance.exports as unknown as KernelExports;
    this.features = features;
    const base = align(this.exports.heapBase());
    this.params = base;
    this.control = base + PARAMS_BYTES;
    this.arenaStart = align(this.control + CONTROL_BYTES);
    this.top = this.arenaStart;
    this.refreshViews();
  }

  static async create(options: { relaxed?: boolean; shared?: boolean } = {}): Promise<WasmEngine> {
    const { module, memory, features } = await loadKernels(options);
    const instance = await WebAssembly.instantiate(module, { env: { memory } });
    return new WasmEngine(module, memory, instance, features);
  }

  get numThreads(): number {
    return this.threads;
  }

  /** Replaces the worker pool; falls back to one thread where memory cannot be shared. */
  async setThreads(n: number): Promise<number> {
    const wanted = this.features.sharedMemory ? Math.max(1, Math.floor(n)) : 1;
    if (wanted === this.threads && (wanted === 1 || this.pool)) return this.threads;
    await this.pool?.close();
    this.pool = null;
    this.threads = 1;
    if (wanted > 1) {
      this.pool = await ThreadPool.start(this.module, this.memory, this.control >> 2, wanted - 1);
      this.threads = wanted;
    }
    return this.threads;
  }

  close(): void {
    void this.pool?.close();
    this.pool = null;
    this.threads = 1;
  }

  private refreshViews(): void {
    const buffer = this.memory.buffer;
    this.f32 = new Float32Array(buffer);
    this.i32 = new Int32Array(buffer);
    this.f64 = new Float64Array(buffer);
  }

  /** Starts a new call: everything allocated by the previous one is free again. */
  reset(): void {
    this.top = this.arenaStart;
  }

  /** Reserves bytes in the arena and returns their address. */
  alloc(bytes: number): number {
    const ptr = this.top;
    const top = align(ptr + bytes);
    // Check before growing: past the limit, grow() fails late and copies run out of bounds.
    if (top > MAXIMUM_PAGES * PAGE) {
      throw new Error(`wasm backend: this kernel call needs ${(top / 2 ** 30).toFixed(2)} GiB of WebAssembly memory (its inputs, outputs and scratch), more than the ${(MAXIMUM_PAGES * PAGE / 2 ** 30).toFixed(0)} GiB a WebAssembly memory can hold; use a smaller batch or setBackend('reference')`);
    }
    this.top = top;
    const size = this.memory.buffer.byteLength;
    if (this.top > size) {
      this.memory.grow(Math.ceil((this.top - size) / PAGE));
    }
    if (this.f32.buffer.byteLength < this.top || this.f32.buffer !== this.memory.buffer) this.refreshViews();
    return ptr;
  }

  /** Copies a float32 array into the arena. */
  put(values: Float32Array): number {
    const ptr = this.alloc(values.length * 4);
    this.f32.set(values, ptr >> 2);
    return ptr;
  }

  /** Copies any typed array into the arena as int32 (labels). */
  putInt32(values: ArrayLike<number>): number {
    const ptr = this.alloc(values.length * 4);
    this.i32.set(values, ptr >> 2);
    return ptr;
  }

  get(ptr: number, out: Float32Array): void {
    out.set(this.f32.subarray(ptr >> 2, (ptr >> 2) + out.length));
  }

  /** Writes the parameter block: int32 slots from 0, float64 slots from byte 256. */
  setParams(ints: readonly number[], floats: readonly number[] = []): void {
    const p = this.params >> 2;
    for (let i = 0; i < ints.length; i++) this.i32[p + i] = ints[i];
    const f = (this.params + 256) >> 3;
    for (let i = 0; i < floats.length; i++) this.f64[f + i] = floats[i];
  }

  /** Runs the call described by the parameter block on up to `nt` threads. */
  exec(nt: number): void {
    const threads = Math.min(nt, this.threads);
    if (threads <= 1 || !this.pool) {
      this.exports.run(this.params, 0, 1);
      return;
    }
    try {
      this.pool.run(this.params, threads, (tid, n) => this.exports.run(this.params, tid, n));
    } catch (error) {
      // This call fails with the worker's error; later calls run on this thread until
      // setNumThreads() starts a new pool.
      console.warn(`convlab: ${(error as Error).message}; the wasm backend continues on one thread (call setNumThreads() to start workers again)`);
      void this.pool.close();
      this.pool = null;
      this.threads = 1;
      throw error;
    }
  }

  /** For tests of failure handling: ends worker `index` of the pool as a crash would. */
  terminateWorkerForTesting(index: number): void {
    this.pool?.terminateWorker(index);
  }
}

function align(n: number): number {
  return Math.ceil(n / ALIGN) * ALIGN;
}
