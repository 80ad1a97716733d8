import { MAXIMUM_PAGES, loadKernels, loadKernelsSync, type WasmFeatures } from './loader.js';
import { ThreadPool } from './threads.js';
import { HEADER_WORDS, MAX_SHARES, QUEUE_SLOTS, SLOT_BYTES } from './worker_source.js';
import { setBeforeDataAccess } from '../../tensor/tensor.js';
import { LaneRanges } from './lane_ranges.js';
import type { TypedArray } from '../../tensor/dtype.js';

/*
 * Owns the kernels' WebAssembly memory. Below the heap of the module sit, in order: the command
 * slots, each a parameter block that describes a call (int32 slots, then float64 slots at byte
 * 256), their headers, the thread control words, and the arena. The arena is one stack with two
 * tops: `base` ends the tensors of the running step (src/kernels/arena.ts), which stay put from one kernel call to the next, and
 * `top` ends the current call's copies and scratch, which reset() frees. An operand that already
 * lies in this memory (a step tensor) is used where it is, with no copy in or out; an operand on
 * the JS heap is copied in and its result copied out, as before steps existed. Memory only grows
 * (to the largest step seen), so a training loop with a fixed model and batch shape allocates
 * nothing after its first step.
 *
 * With worker threads, kernel calls are queued, not run (threads.ts): the workers run them while
 * this thread goes on with the JavaScript between kernels, and flush() waits for them. A call of
 * one share with nothing queued before it runs at once on this thread instead (exec()). Whatever
 * reads or reuses memory that queued kernels may still write flushes first: Tensor.data (through
 * setBeforeDataAccess), copying a result out to the JS heap, ending a step, a reference-kernel
 * fallback (backend.ts). Memory that queued calls use stays theirs until the flush: `pendingTop`
 * keeps later calls' scratch and step tensors above it, except kernels' per-thread scratch, which
 * queued calls reuse in zones (one for whole calls, one per lane) that the queue's order keeps
 * apart (scratch()). A training step may end without a flush
 * (end(mark, true)): its backward pass and optimizer update run on while this thread goes on to
 * the next step, which allocates beside the memory they use (`freed`) until it waits for them.
 */

interface KernelExports {
  run(params: number, share: number, shares: number, slot: number): void;
  heapBase(): number;
  gemmScratchBytes(): number;
  convScratchBytes(kkci: number, co: number): number;
  zero(ptr: number, bytes: number): void;
  /** Winograd output tile 4, 2 or 0 (off), in this instance only (workers keep theirs). */
  setWinograd(tile: number): void;
  /** The few-input-channel forward kernel on (1, the default) or off (0: im2col), in this instance only. */
  setFewChannels(on: number): void;
  /** Whether a convolution of this geometry runs as F(4x4, 3x3) (assembly/index.ts). */
  winograd4Uses(kh: number, kw: number, sh: number, sw: number, dh: number, dw: number, ci: number, co: number): number;
  /** Bytes of the transformed F(4x4, 3x3) filter that op 41 writes (assembly/index.ts). */
  winograd4SharedFilterBytes(ci: number, co: number): number;
  /** Whether a convolution of this geometry runs in Winograd tiles of any size (assembly/index.ts). */
  winogradConvUses(kh: number, kw: number, sh: number, sw: number, dh: number, dw: number, ci: number, co: number): number;
  /** The index of the first NaN or ±Infinity among the n floats at x, or -1 (assembly/elementwise.ts). */
  firstNonFinite(x: number, n: number): number;
  /** Per-thread scratch of conv2dMaxPool (assembly/conv_pool.ts). */
  convPoolScratchBytes(kkci: number, co: number, ow: number, ph: number, poh: number): number;
}

const PARAMS_BYTES = QUEUE_SLOTS * SLOT_BYTES;
const HEADER_BYTES = QUEUE_SLOTS * HEADER_WORDS * 4;
const CONTROL_BYTES = 64;
const ALIGN = 64;
const PAGE = 65536;
/**
 * A step that ends with its last kernels still running (end(mark, true)) makes the next step run
 * beside its memory, which doubles what steps take: only steps up to this size do. The lab CNN and
 * LeNet-5 take 10 and 14 MiB at batch 32 (24 and 41 before scratch zones), where the JavaScript
 * between steps is a tenth of a two-thread step; cifar-vgg takes 105 MiB at batch 64 (194 before),
 * whose steps are a hundred times longer.
 */
const OVERLAP_MAX_BYTES = 64 * 2 ** 20;
/** Step tensors stop here (then spill to the JS heap), so a kernel call always has room. */
const STEP_LIMIT = MAXIMUM_PAGES * PAGE * 0.75;

/** An environment variable where there is a process (Node), else undefined (browsers). */
function environment(name: string): string | undefined {
  return (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.[name];
}

export class WasmEngine {
  readonly exports: KernelExports;
  readonly features: WasmFeatures;
  /** Where setParams() writes: the next command slot's parameter block. */
  private params: number;
  private readonly slots: number;
  private readonly headers: number;
  private readonly control: number;
  /** Whether kernel calls are queued that flush() has not waited for. */
  private queued = false;
  /**
   * End of the memory that kernel calls made since the last flush use, queued or run at once (see
   * exec()); 0 with none.
   */
  private pendingTop = 0;
  /**
   * Step memory that an overlapped end() freed while kernel calls queued in that step still use it
   * (their gradients, say, which an optimizer update reads): until the next flush, allocations go
   * around it, so the next step runs in the memory beside it and steps alternate between the two.
   */
  private freed: { lo: number; hi: number } | null = null;
  /** The queue index before which every command that `freed` guards lies. */
  private freedUntil = 0;
  /** Where each running step's memory starts (steps nest): begin() may start one above `freed`. */
  private readonly stepStarts: number[] = [];
  /**
   * Scratch zones (scratch()): per kind of command, index lane + 1 (0: whole calls), the region its
   * kernels' scratch reuses until the next flush or step end.
   */
  private readonly zones: ({ ptr: number; bytes: number } | undefined)[] = [];
  /**
   * Whether queued calls reuse scratch zones (scratch()); false gives every call scratch of its
   * own, as before, for comparisons (CONVLAB_WASM_SCRATCH=0 in the environment).
   */
  reuseScratch = environment('CONVLAB_WASM_SCRATCH') !== '0';
  /**
   * Whether kernel calls are queued (with worker threads); false runs each call before returning,
   * for comparisons (CONVLAB_WASM_QUEUE=0 in the environment).
   */
  queueKernels = environment('CONVLAB_WASM_QUEUE') !== '0';
  /**
   * At most this many threads take part in kernels, while the pool stays up: 1 runs every kernel
   * on this thread. Benchmarks compare thread counts this way, since a new pool's workers start
   * slower than warm ones.
   */
  threadLimit = Infinity;
  /**
   * Whether F(4x4, 3x3) forward and input-gradient calls transform their filter once for all
   * their shares (backend.ts); false transforms it in every share, as before, for comparisons.
   */
  shareWinogradFilter = true;
  /**
   * Shares per thread of an F(4x4, 3x3) filter gradient: each share fills, accumulates and
   * transforms a 36·ci·co sum of its own (4.7 MB for 128 → 256 channels) before the partials
   * are added up, so one per thread moves half the memory that two do (backend.ts).
   */
  winogradFilterGradShares = 1;
  /**
   * F(4x4, 3x3) filter gradients over at most this many 4x4 tiles split their output channels
   * between threads instead of their tiles (assembly/winograd4.ts); 0 never does. cifar-vgg's
   * 4x4x128 → 256 gradient at batch 64 (64 tiles) took 3.5 ms instead of 3.8 on two threads;
   * at 8x8 (256 tiles) splitting the channels was slower, 3.2-3.9 ms against 2.8-3.2
   * (alternating calls, 15 each).
   */
  filterGradChannelSplitTiles = 128;
  /**
   * Data-parallel lanes (lanes.ts): the batch that kernel calls of the running step split into a
   * lane per thread, or 0 for none.
   */
  laneBatch = 0;
  /**
   * Whether a step that asks for it (end(mark, true): fit's training steps) may end with its last
   * kernel calls still queued; false waits for them, as every other step does (CONVLAB_WASM_OVERLAP=0
   * in the environment, for comparisons).
   */
  overlapSteps = environment('CONVLAB_WASM_OVERLAP') !== '0';
  /** Whether steps may split their batch into lanes at all (CONVLAB_WASM_LANES=0 turns it off, for comparisons). */
  lanesEnabled = environment('CONVLAB_WASM_LANES') !== '0';
  /**
   * Below this many multiply-adds (or elements) a call runs whole instead of in lanes: each lane's
   * command costs a few microseconds of JavaScript and a hand-over between cores, more than so
   * small a call takes. A dense 16-8-4 network trained at batch 32 took 81 µs a step on two
   * threads with every call in lanes and 42 µs with none, as on one thread (tests lower it).
   */
  laneMinWork = 8192;
  /** The furthest address ensure() has been asked for since tests last set this to 0 (tests compare what steps take). */
  highWater = 0;
  /** Steps that ended with kernel calls still queued (tests check that fit's steps overlap). */
  overlappedSteps = 0;
  /** Lane commands published so far (tests check that steps use lanes). */
  laneCommands = 0;
  /** The lane whose commands exec() publishes now (lanes.ts), or -1. */
  lane = -1;
  /** Whether exec() publishes a reduce command, which later lane commands need not wait for (lanes.ts). */
  reducing = false;
  /** End of memory that reset() keeps for the rest of a split call (lanes.ts: operands its lanes share); 0 for none. */
  held = 0;
  /** What lane commands since the last barrier read and wrote (lanes.ts). */
  readonly laneRanges = new LaneRanges();
  /** Lane commands wait for every command before this index (the last barrier's successor). */
  private laneAfter = 0;
  /** Per lane, the index of its last command since the last barrier. */
  private lanePrev: (number | undefined)[] = [];
  private readonly flushBeforeAccess = (storage: TypedArray): void => {
    if (this.owns(storage)) this.flush();
  };
  private readonly runLocal = (params: number, share: number, shares: number): void => this.exports.run(params, share, shares, 0);
  readonly arenaStart: number;
  /** End of the running step's tensors; kernel calls allocate above it. */
  private base: number;
  /** End of the current kernel call's copies and scratch. */
  private top: number;
  /**
   * Every buffer object this memory has shown. Growing a shared memory keeps old views valid,
   * but `memory.buffer` then returns a new SharedArrayBuffer, and views keep the one they had.
   */
  private readonly buffers = new WeakSet<ArrayBufferLike>();
  private buffer!: ArrayBufferLike;
  /**
   * Fill freed step memory with NaN, so that a tensor that escaped its step shows up as NaN
   * (tests; CONVLAB_ARENA_POISON=1 in the environment turns it on).
   */
  poison = environment('CONVLAB_ARENA_POISON') === '1';
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
    this.slots = base;
    this.params = base;
    this.headers = base + PARAMS_BYTES;
    this.control = this.headers + HEADER_BYTES;
    this.arenaStart = align(this.control + CONTROL_BYTES);
    this.base = this.arenaStart;
    this.top = this.arenaStart;
    this.refreshViews();
  }

  static async create(options: { relaxed?: boolean; shared?: boolean } = {}): Promise<WasmEngine> {
    const { module, memory, features } = await loadKernels(options);
    const instance = await WebAssembly.instantiate(module, { env: { memory } });
    return new WasmEngine(module, memory, instance, features);
  }

  /** create() without awaiting (Node only): null where the kernels cannot be compiled synchronously. */
  static createSync(): WasmEngine | null {
    const loaded = loadKernelsSync();
    if (!loaded) return null;
    const instance = new WebAssembly.Instance(loaded.module, { env: { memory: loaded.memory } });
    return new WasmEngine(loaded.module, loaded.memory, instance, loaded.features);
  }

  /** Threads a kernel call may use: one inside a lane (lanes.ts), whose other lanes take the other threads. */
  get numThreads(): number {
    return this.lane >= 0 ? 1 : this.threads;
  }

  /** How many lanes a split call gets: one per thread taking part in kernels, 1 where none would. */
  get laneCount(): number {
    return this.pool && this.lanesEnabled ? Math.min(this.threads, this.threadLimit) : 1;
  }

  /** Replaces the worker pool; falls back to one thread where memory cannot be shared. */
  async setThreads(n: number): Promise<number> {
    const wanted = this.features.sharedMemory ? Math.min(MAX_SHARES, Math.max(1, Math.floor(n))) : 1;
    if (wanted === this.threads && (wanted === 1 || this.pool)) return this.threads;
    this.flush();
    await this.pool?.close();
    this.pool = null;
    this.threads = 1;
    this.params = this.slots;
    if (wanted > 1) {
      // Workers start with the default Winograd tile; this instance must cut tiles as they do.
      this.exports.setWinograd(4);
      const queue = { ctrlIndex: this.control >> 2, slotsAt: this.slots, headersIndex: this.headers >> 2 };
      this.pool = await ThreadPool.start(this.module, this.memory, queue, wanted - 1);
      this.threads = wanted;
      // A new pool numbers its commands from 0.
      this.endLaneSegment(0);
      this.params = this.pool.nextParams(this.runLocal);
    }
    return this.threads;
  }

  close(): void {
    this.flush();
    void this.pool?.close();
    this.pool = null;
    this.threads = 1;
    this.params = this.slots;
  }

  private refreshViews(): void {
    const buffer = this.memory.buffer;
    this.buffer = buffer;
    this.buffers.add(buffer);
    this.f32 = new Float32Array(buffer);
    this.i32 = new Int32Array(buffer);
    this.f64 = new Float64Array(buffer);
  }

  /** Bytes of WebAssembly memory, for checks that a steady training loop stops growing it. */
  get memoryBytes(): number {
    return this.memory.buffer.byteLength;
  }

  /** Whether `a` is a view into this engine's memory (a step tensor), usable in place. */
  owns(a: ArrayBufferView): boolean {
    const b = a.buffer;
    return b === this.buffer || this.buffers.has(b);
  }

  /** Starts a new call: the previous call's copies and scratch are free again; step tensors stay. */
  reset(): void {
    if (this.pool?.failure) {
      // A worker died: unless it held a share (then the flush fails after its time-out), the
      // queue drains on this thread, and this call and later ones run here until
      // setNumThreads() starts a new pool. Checked here, where a backend call starts, so that
      // the call is cut into shares for the threads it will really have (shareCount()).
      const why = `wasm backend: ${this.pool.failure}`;
      this.flush();
      if (this.pool) this.dropPool(why);
    }
    this.top = Math.max(this.base, this.pendingTop, this.held);
  }

  /** `ptr`, or the end of `freed` where `bytes` from `ptr` would overlap it. */
  private around(ptr: number, bytes: number): number {
    const f = this.freed;
    return f !== null && ptr < f.hi && ptr + bytes > f.lo ? f.hi : ptr;
  }

  /** Grows the memory (and refreshes the views) so that it holds `end` bytes. */
  private ensure(end: number): void {
    if (end > this.highWater) this.highWater = end;
    // Check before growing: past the limit, grow() fails late and copies run out of bounds.
    if (end > MAXIMUM_PAGES * PAGE) {
      throw new Error(`wasm backend: this kernel call needs ${(end / 2 ** 30).toFixed(2)} GiB of WebAssembly memory (its inputs, outputs and scratch), more than the ${(MAXIMUM_PAGES * PAGE / 2 ** 30).toFixed(0)} GiB a WebAssembly memory can hold; use a smaller batch or setBackend('reference')`);
    }
    if (end <= this.buffer.byteLength) return;
    const size = this.memory.buffer.byteLength;
    if (end > size) this.memory.grow(Math.ceil((end - size) / PAGE));
    this.refreshViews();
  }

  /** Keeps what the current call has allocated through later reset()s, until `held` is set to 0 (lanes.ts). */
  holdCall(): void {
    this.held = this.top;
  }

  /** Reserves bytes for the current kernel call and returns their address. */
  alloc(bytes: number): number {
    const ptr = this.around(this.top, bytes);
    const top = align(ptr + bytes);
    this.ensure(top);
    this.top = top;
    return ptr;
  }

  /**
   * Reserves a kernel's per-thread scratch (its GEMM panels, im2col columns, Winograd tiles) for
   * the current call: what it writes and reads while it runs, and what the call's own later
   * commands read (a filter gradient's partials), never what a later call reads. Queued calls used
   * to take fresh scratch each until the next flush: 19 of the 23 MiB a two-thread lab CNN step
   * touched at batch 32, against 3 MiB of tensors, while one thread reused the same memory call
   * after call. The queue's order makes reuse safe (worker_source.ts): a whole call (a barrier)
   * starts once everything before it is done and everything after it waits for it, and a lane's
   * commands run one after another. So whole calls share one zone and each lane has its own,
   * reused until the next flush or the step's end; reduce commands, which run beside lanes, take
   * fresh memory. A call that needs more than its zone holds gets a larger one (the smaller stays
   * reserved until the flush): what a step takes depends on that step's calls alone, as before.
   */
  scratch(bytes: number): number {
    if (!this.reuseScratch || this.reducing || this.pool === null || this.threadLimit <= 1) return this.alloc(bytes);
    const kind = this.lane + 1;
    const zone = this.zones[kind];
    if (zone !== undefined && zone.bytes >= bytes) return zone.ptr;
    const ptr = this.alloc(bytes);
    this.zones[kind] = { ptr, bytes };
    // Reserved until the next flush even if this call queues nothing, so no later call's memory lands on it.
    this.pendingTop = Math.max(this.pendingTop, this.top);
    return ptr;
  }

  /** The address of a float32 operand: where it lies if in this memory, else a copy's. */
  put(values: Float32Array): number {
    if (this.owns(values)) return values.byteOffset;
    const ptr = this.alloc(values.length * 4);
    this.f32.set(values, ptr >> 2);
    return ptr;
  }

  /** A float32 view of `length` values at byte address `ptr` of this memory (an owned operand). */
  view(ptr: number, length: number): Float32Array {
    return new Float32Array(this.buffer, ptr, length);
  }

  /** The address a kernel writes `out` at: in place if in this memory; get() copies otherwise. */
  out(values: Float32Array): number {
    return this.owns(values) ? values.byteOffset : this.alloc(values.length * 4);
  }

  /**
   * Lets go of `freed` once the kernel calls it guards have run. Only settle() calls it (flush()
   * clears `freed` outright), after waiting for them, so where steps lie never depends on how
   * fast the workers were.
   */
  private releaseFreed(): void {
    if (this.freed !== null && this.pool !== null && this.pool.completedBefore(this.freedUntil)) this.freed = null;
  }

  /** StepArena: starts a step (steps nest); the mark ends it. */
  begin(): number {
    const mark = this.base;
    const start = this.around(mark, 1);
    this.stepStarts.push(start);
    this.base = start;
    this.top = Math.max(this.top, start);
    return mark;
  }

  /** StepArena: the batch that kernel calls split into lanes from now on (lanes.ts); returns the previous one. */
  splitBatch(batch: number): number {
    const previous = this.laneBatch;
    this.laneBatch = batch;
    return previous;
  }

  /**
   * StepArena: frees the step's tensors (poisoning them first when asked). With `overlap`, kernel
   * calls still queued may run on after the step (see `freed`), at most one step's worth.
   */
  end(mark: number, overlap = false): void {
    const start = this.stepStarts.pop() ?? mark;
    this.zones.length = 0;
    // Whether calls were made is what decides, not whether they are still running (timing).
    const hi = Math.max(this.pendingTop, this.top, this.base);
    if (overlap && this.overlapSteps && !this.poison && this.freed === null && this.pendingTop > 0 && this.pool !== null && hi - start <= OVERLAP_MAX_BYTES) {
      this.freed = { lo: start, hi };
      this.freedUntil = this.pool.nextIndex;
      this.pendingTop = 0;
      this.overlappedSteps++;
    } else {
      this.flush();
      if (this.poison) this.f32.fill(NaN, mark >> 2, Math.max(this.base, this.top) >> 2);
    }
    this.base = mark;
    this.top = mark;
  }

  /**
   * StepArena: a zero-filled step tensor. Null, so the JS heap serves it, where memory is not
   * shared (growing private memory detaches every view) or the step would crowd out kernel calls.
   * A kernel call must not allocate step tensors between its reset() and its last get(): a step
   * tensor takes the place of the call's scratch.
   */
  allocFloat32(length: number, zeroed = true): Float32Array | null {
    if (!this.features.sharedMemory) return null;
    // Above memory that a split call keeps for its lanes too (lanes.ts: a lane's kernel may allocate).
    const ptr = this.around(Math.max(this.base, this.pendingTop, this.held), length * 4);
    const end = align(ptr + length * 4);
    if (end > STEP_LIMIT) return null;
    this.ensure(end);
    this.base = end;
    this.top = end;
    if (zeroed) this.exports.zero(ptr, length * 4);
    return new Float32Array(this.buffer, ptr, length);
  }

  /** Copies any typed array into the arena as int32 (labels). */
  putInt32(values: ArrayLike<number>): number {
    const ptr = this.alloc(values.length * 4);
    this.i32.set(values, ptr >> 2);
    return ptr;
  }

  /** Copies a kernel's result to `out`, unless the kernel wrote it in place. */
  get(ptr: number, out: Float32Array): void {
    if (ptr === out.byteOffset && this.owns(out)) return;
    this.flush();
    out.set(this.f32.subarray(ptr >> 2, (ptr >> 2) + out.length));
  }

  /** Writes the parameter block: int32 slots from 0, float64 slots from byte 256. */
  setParams(ints: readonly number[], floats: readonly number[] = []): void {
    const p = this.params >> 2;
    for (let i = 0; i < ints.length; i++) this.i32[p + i] = ints[i];
    const f = (this.params + 256) >> 3;
    for (let i = 0; i < floats.length; i++) this.f64[f + i] = floats[i];
  }

  /**
   * Runs the call described by the parameter block on up to `nt` threads, cut into `perThread`
   * shares per thread (shareCount()), which threads claim as they become free (see
   * worker_source.ts). With workers, the call is queued and runs while this thread goes on (see
   * flush()).
   */
  exec(nt: number, perThread = 1): void {
    const params = this.params;
    const shares = this.shareCount(nt, perThread);
    if (!this.pool || this.threadLimit <= 1) {
      this.flush();
      this.exports.run(params, 0, 1, 0);
      return;
    }
    if (shares === 1 && this.lane < 0 && !this.reducing && this.pool.idle) {
      // A one-share call with nothing queued before it: handing it to a worker would only add a
      // hand-over between cores (a small model's whole step is such calls). It computes the same
      // floats here, with the same scratch slot. Its memory stays reserved until the next flush,
      // as a queued call's would: whether the workers were done is a matter of timing, and where
      // memory goes (hence how far it grows) must not be.
      this.queued = false;
      this.exports.run(params, 0, 1, 0);
      this.endLaneSegment(this.pool.nextIndex);
      this.pendingTop = Math.max(this.pendingTop, this.top);
      setBeforeDataAccess(this.flushBeforeAccess);
      return;
    }
    const index = this.pool.nextIndex;
    if (this.lane >= 0) {
      this.pool.publish(1, shares, this.laneAfter, this.lanePrev[this.lane] ?? index, false, this.lane);
      this.lanePrev[this.lane] = index;
      this.laneCommands++;
    } else if (this.reducing) {
      this.pool.publish(Math.min(nt, this.threads), shares, index, index, false);
    } else {
      this.pool.publish(Math.min(nt, this.threads), shares);
      this.endLaneSegment((index + 1) | 0);
    }
    this.pendingTop = Math.max(this.pendingTop, this.top);
    this.queued = true;
    setBeforeDataAccess(this.flushBeforeAccess);
    if (!this.queueKernels) this.flush();
    this.params = this.nextParams();
  }

  /**
   * How many shares exec(nt, perThread) cuts a call into, for kernels whose shares leave partial
   * results that the backend must size and add up.
   */
  shareCount(nt: number, perThread = 1): number {
    const threads = Math.min(nt, this.threads, this.threadLimit);
    return threads > 1 && this.pool ? Math.min(MAX_SHARES, threads * perThread) : 1;
  }

  private nextParams(): number {
    try {
      return this.pool ? this.pool.nextParams(this.runLocal) : this.slots;
    } catch (error) {
      this.dropPool((error as Error).message);
      throw error;
    }
  }

  /** After a barrier at index - 1: later lane commands wait for it, and for nothing before it. */
  private endLaneSegment(index: number): void {
    this.laneAfter = index;
    this.lanePrev.length = 0;
    this.laneRanges.clear();
  }

  /** StepArena: the queue's position now, for settle(). */
  queuePoint(): number {
    return this.pool?.nextIndex ?? 0;
  }

  /**
   * StepArena: waits until the kernel calls queued before queuePoint() returned `point` have run
   * (this thread taking shares of them too), not for later ones; their results can then be read
   * through a tensor's storage, which unlike its data does not wait for every queued call.
   */
  settle(point: number): void {
    if (this.queued && this.pool) this.drain(this.pool, point);
    this.releaseFreed();
  }

  /** Waits until every queued kernel call has run, this thread taking shares of them too. */
  flush(): void {
    // Calls made since the last flush, queued or run at once (see exec()), or a step's freed memory.
    if (this.pendingTop === 0 && this.freed === null) return;
    const queued = this.queued;
    this.forgetQueued();
    if (!this.pool) return;
    this.endLaneSegment(this.pool.nextIndex);
    if (queued) this.drain(this.pool);
  }

  /** Runs the pool's queue (up to index `until`), this thread taking shares too. */
  private drain(pool: ThreadPool, until?: number): void {
    try {
      pool.drain(this.runLocal, until);
    } catch (error) {
      // A worker died holding a share: this call fails with that error, and later calls run on
      // this thread until setNumThreads() starts a new pool.
      this.dropPool((error as Error).message);
      throw error;
    }
  }

  private dropPool(why: string): void {
    console.warn(`convlab: ${why}; the wasm backend continues on one thread (call setNumThreads() to start workers again)`);
    void this.pool?.close();
    this.pool = null;
    this.threads = 1;
    this.params = this.slots;
    this.forgetQueued();
  }

  /** Forgets what calls since the last flush reserved (their memory, scratch zones, a step's freed memory). */
  private forgetQueued(): void {
    this.queued = false;
    this.pendingTop = 0;
    this.freed = null;
    this.zones.length = 0;
    setBeforeDataAccess(null);
  }

  /** For tests of failure handling: ends worker `index` of the pool as a crash would. */
  terminateWorkerForTesting(index: number): void {
    this.pool?.terminateWorker(index);
  }

  /** Commands queued for the workers since the pool started (tests). */
  get queuedCommands(): number {
    return this.pool?.nextIndex ?? 0;
  }

  /** Waits for the workers that ran out their time with no progress (threads.ts). */
  get stalls(): number {
    return this.pool?.stalls ?? 0;
  }
}

function align(n: number): number {
  return Math.ceil(n / ALIGN) * ALIGN;
}
