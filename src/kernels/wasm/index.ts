import { registerBackend, registerDefaultBackend } from '../registry.js';
import { createWasmKernels } from './backend.js';
import { WasmEngine } from './engine.js';
import { ThreadPool } from './threads.js';
import { defaultThreadCount, nodeCoreCount, nodeCoreCountSync } from './loader.js';
import { MAX_SHARES } from './worker_source.js';

/*
 * The 'wasm' backend: AssemblyScript kernels compiled to WebAssembly SIMD, run on a pool of
 * worker threads over shared memory. Importing this module registers it as the default backend;
 * `await setBackend('wasm')` compiles the kernels and starts the workers on first use.
 */

let engine: WasmEngine | null = null;
let starting: Promise<WasmEngine> | null = null;
let requestedThreads: number | null = null;

async function defaultThreads(): Promise<number> {
  return (await nodeCoreCount()) ?? defaultThreadCount();
}

async function startEngine(): Promise<WasmEngine> {
  const e = await WasmEngine.create();
  await e.setThreads(requestedThreads ?? (await defaultThreads()));
  engine = e;
  return e;
}

function getEngine(): Promise<WasmEngine> {
  starting ??= startEngine().catch((error: unknown) => {
    starting = null;
    throw error;
  });
  return starting;
}

registerBackend('wasm', async () => createWasmKernels(await getEngine()));

/**
 * The default backend wherever WebAssembly SIMD runs. In Node the kernels compile synchronously
 * at the first kernel call and run on one thread until the workers are up (fit awaits them, so
 * a training run never changes thread count midway); browsers start it in fit, or with
 * `await ready()`.
 */
registerDefaultBackend({
  name: 'wasm',
  startSync() {
    if (starting) return null;
    const e = WasmEngine.createSync();
    if (!e) return null;
    engine = e;
    starting = e.setThreads(requestedThreads ?? nodeCoreCountSync() ?? defaultThreadCount()).then(
      () => e,
      () => e, // without workers the engine goes on with one thread
    );
    return createWasmKernels(e);
  },
  start: async () => createWasmKernels(await getEngine()),
  settled: async () => {
    await starting;
  },
});

/**
 * Sets how many threads the wasm kernels use (default: the number of cores, at most 64) and
 * resolves to the count in use. Results are reproducible bit for bit for a fixed thread count.
 * Where memory cannot be shared (browser pages that are not cross-origin isolated) the backend
 * stays on one thread.
 */
export async function setNumThreads(n: number): Promise<number> {
  if (!Number.isInteger(n) || n < 1) throw new Error(`setNumThreads: expected a positive integer, received ${String(n)}`);
  requestedThreads = n;
  // Let a default start's own setThreads finish first: two pools must not be started at once.
  if (starting) await starting.catch(() => undefined);
  if (!engine) return Math.min(n, MAX_SHARES);
  return engine.setThreads(n);
}

/** Threads the wasm backend uses now (or will use once started). */
export function getNumThreads(): number {
  return engine?.numThreads ?? requestedThreads ?? defaultThreadCount();
}

/** Which build the wasm backend runs, once started: relaxed SIMD (FMA) and shared memory. */
export function wasmInfo(): { started: boolean; relaxedSimd: boolean; sharedMemory: boolean; threads: number } {
  return {
    started: engine !== null,
    relaxedSimd: engine?.features.relaxedSimd ?? false,
    sharedMemory: engine?.features.sharedMemory ?? false,
    threads: getNumThreads(),
  };
}

/** Hooks for tests of failure handling; not part of the public API. */
export const testing = {
  /**
   * The Winograd 3x3 convolutions' output tile: 4 (F(4x4, 3x3), the default), 2 (F(2x2, 3x3)) or
   * 0 (off: im2col), to compare them. Workers keep their own setting, so this refuses engines
   * with workers.
   */
  setWinograd: (tile: 0 | 2 | 4): void => {
    if (!engine) throw new Error('wasm backend: testing.setWinograd needs a started engine');
    if (engine.numThreads > 1) throw new Error(`wasm backend: testing.setWinograd works on one thread only (the engine has ${engine.numThreads})`);
    engine.exports.setWinograd(tile);
  },
  /** The first-layer convolution kernel (assembly/direct_few.ts) on or off (im2col), one thread only. */
  setFewChannels: (on: boolean): void => {
    if (!engine) throw new Error('wasm backend: testing.setFewChannels needs a started engine');
    if (engine.numThreads > 1) throw new Error(`wasm backend: testing.setFewChannels works on one thread only (the engine has ${engine.numThreads})`);
    engine.exports.setFewChannels(on ? 1 : 0);
  },
  /** Transform F(4x4, 3x3) filters once per call for all shares (the default), or in every share. */
  setShareWinogradFilter: async (on: boolean): Promise<void> => {
    (await getEngine()).shareWinogradFilter = on;
  },
  terminateWorker: (index: number): void => engine?.terminateWorkerForTesting(index),
  /** Waits for the workers that saw no progress for a second (a lost wakeup or a dead worker) since the pool started. */
  stalls: (): number => engine?.stalls ?? 0,
  setJobTimeout: (ms: number): void => {
    ThreadPool.jobTimeoutMs = ms;
  },
  /** Fill step memory with NaN when a step ends, so a tensor that escaped it reads as NaN. */
  setArenaPoison: async (on: boolean): Promise<void> => {
    (await getEngine()).poison = on;
  },
  /** Queue kernel calls for the workers (the default), or run each before returning. */
  setQueueKernels: async (on: boolean): Promise<void> => {
    const e = await getEngine();
    e.flush();
    e.queueKernels = on;
  },
  /** Lets training steps split their batch into a lane per thread (the default), or not (src/kernels/wasm/lanes.ts). */
  setDataParallel: async (on: boolean): Promise<void> => {
    const e = await getEngine();
    e.flush();
    e.lanesEnabled = on;
  },
  /** Lets fit's training steps end with their backward pass and update still running (the default), or not (engine.ts overlapSteps). */
  setOverlapSteps: async (on: boolean): Promise<void> => {
    const e = await getEngine();
    e.flush();
    e.overlapSteps = on;
  },
  /** Lets queued kernel calls reuse scratch zones (the default), or gives each call scratch of its own (engine.ts scratch()). */
  setReuseScratch: async (on: boolean): Promise<void> => {
    const e = await getEngine();
    e.flush();
    e.reuseScratch = on;
  },
  /** Commands queued for the workers since the pool started (src/kernels/wasm/threads.ts). */
  queuedCommands: (): number => engine?.queuedCommands ?? 0,
  /** Training steps that ended with kernels still queued (engine.ts overlapSteps). */
  overlappedSteps: (): number => engine?.overlappedSteps ?? 0,
  /** Lane commands published so far (src/kernels/wasm/lanes.ts). */
  laneCommands: (): number => engine?.laneCommands ?? 0,
  /** Uses at most n of the pool's threads, keeping the pool (and its warm workers) up. */
  limitThreads: async (n: number): Promise<void> => {
    const e = await getEngine();
    e.flush();
    e.threadLimit = n;
  },
  /** Bytes of the arena that kernel calls and step tensors have reached since the last resetArenaHighWater(). */
  arenaHighWater: (): number => (engine ? Math.max(0, engine.highWater - engine.arenaStart) : 0),
  resetArenaHighWater: (): void => {
    if (engine) engine.highWater = 0;
  },
  /** Bytes of the engine's WebAssembly memory (0 before it starts). */
  memoryBytes: (): number => engine?.memoryBytes ?? 0,
  /** Whether a typed array is a view into the engine's WebAssembly memory. */
  inWasmMemory: (a: ArrayBufferView): boolean => engine?.owns(a) ?? false,
};

export { WasmEngine, createWasmKernels };
