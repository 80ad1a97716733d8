/*
 * Finds and compiles the right build of the AssemblyScript kernels for this runtime. Four builds
 * exist (assembly/build.mjs): portable or relaxed SIMD, each with shared (threads) or private
 * memory. Node-only modules are imported dynamically so that a browser bundle never pulls them in.
 */

export interface WasmFeatures {
  /** The runtime validated the relaxed-SIMD build (fused multiply-add). */
  relaxedSimd: boolean;
  /** Memory is a SharedArrayBuffer, so worker threads can share it. */
  sharedMemory: boolean;
}

export interface LoadedKernels {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  features: WasmFeatures;
}

const isNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';

/** 64 KiB pages: 4 MiB to start, 4 GiB at most (wasm32's limit). */
const INITIAL_PAGES = 64;
export const MAXIMUM_PAGES = 65536;

function buildUrl(name: string): URL {
  return new URL(`../../../build/wasm/${name}.wasm`, import.meta.url);
}

async function readBuild(name: string): Promise<Uint8Array<ArrayBuffer>> {
  const url = buildUrl(name);
  try {
    if (url.protocol === 'file:') {
      const fs = await import('node:fs/promises');
      return new Uint8Array(await fs.readFile(url)) as Uint8Array<ArrayBuffer>;
    }
    const response = await fetch(url);
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return new Uint8Array(await response.arrayBuffer());
  } catch (error) {
    throw new Error(`wasm backend: cannot load ${url.href} (${(error as Error).message}); run 'npm run build:wasm' to compile the kernels`);
  }
}

/** Node 20 compiles relaxed SIMD only behind a V8 flag, which may be set at run time. */
async function enableRelaxedSimdFlag(): Promise<void> {
  if (!isNode) return;
  try {
    const v8 = await import('node:v8');
    v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
  } catch {
    // Without the flag, validation of the relaxed build fails and the portable build is used.
  }
}

function sharedMemoryPossible(): boolean {
  if (typeof SharedArrayBuffer === 'undefined') return false;
  // Browser pages that are not cross-origin isolated cannot share memory with workers.
  const g = globalThis as { crossOriginIsolated?: boolean };
  return isNode || g.crossOriginIsolated === true;
}

function createMemory(shared: boolean): WebAssembly.Memory | null {
  try {
    return new WebAssembly.Memory({ initial: INITIAL_PAGES, maximum: MAXIMUM_PAGES, shared } as WebAssembly.MemoryDescriptor);
  } catch {
    return null;
  }
}

/** Shared memory where wanted and possible (threads), else private memory; null if neither. */
function kernelMemory(wantShared: boolean): { memory: WebAssembly.Memory; shared: boolean } | null {
  const shared = wantShared && sharedMemoryPossible() ? createMemory(true) : null;
  if (shared) return { memory: shared, shared: true };
  const own = createMemory(false);
  return own ? { memory: own, shared: false } : null;
}

/** Compiles the fastest build this runtime accepts; throws if WebAssembly SIMD is missing. */
export async function loadKernels(options: { relaxed?: boolean; shared?: boolean } = {}): Promise<LoadedKernels> {
  if (typeof WebAssembly !== 'object') throw new Error('wasm backend: WebAssembly is not available in this runtime');
  const chosen = kernelMemory(options.shared !== false);
  if (!chosen) throw new Error('wasm backend: cannot create a WebAssembly.Memory');
  const { memory, shared } = chosen;
  const suffix = shared ? '-mt' : '';
  if (options.relaxed !== false) {
    await enableRelaxedSimdFlag();
    const bytes = await readBuild(`convlab-relaxed${suffix}`);
    if (WebAssembly.validate(bytes)) {
      return { module: await WebAssembly.compile(bytes), memory, features: { relaxedSimd: true, sharedMemory: shared } };
    }
  }
  const bytes = await readBuild(`convlab-simd${suffix}`);
  if (!WebAssembly.validate(bytes)) {
    throw new Error('wasm backend: this runtime does not support WebAssembly SIMD (128-bit); use the reference backend');
  }
  return { module: await WebAssembly.compile(bytes), memory, features: { relaxedSimd: false, sharedMemory: shared } };
}

/** Node's built-in modules without an import statement (Node ≥ 20.16), so this stays synchronous. */
function nodeBuiltin<T>(name: string): T | null {
  const get = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process?.getBuiltinModule;
  return isNode && typeof get === 'function' ? (get(name) as T) : null;
}

/**
 * loadKernels without awaiting, for making wasm the default backend at the first kernel call:
 * Node only (browsers refuse to compile large modules synchronously on the main thread), and
 * null where that is not possible here.
 */
export function loadKernelsSync(): LoadedKernels | null {
  const fs = nodeBuiltin<typeof import('node:fs')>('node:fs');
  if (!fs || typeof WebAssembly !== 'object') return null;
  const chosen = kernelMemory(true);
  if (!chosen) return null;
  const { memory, shared } = chosen;
  const suffix = shared ? '-mt' : '';
  try {
    nodeBuiltin<typeof import('node:v8')>('node:v8')?.setFlagsFromString('--experimental-wasm-relaxed-simd');
  } catch {
    // As in enableRelaxedSimdFlag: the portable build is used instead.
  }
  for (const [name, relaxedSimd] of [[`convlab-relaxed${suffix}`, true], [`convlab-simd${suffix}`, false]] as const) {
    let bytes: Uint8Array<ArrayBuffer>;
    try {
      bytes = new Uint8Array(fs.readFileSync(buildUrl(name))) as Uint8Array<ArrayBuffer>;
    } catch {
      return null;
    }
    if (WebAssembly.validate(bytes)) return { module: new WebAssembly.Module(bytes), memory, features: { relaxedSimd, sharedMemory: shared } };
  }
  return null;
}

/** nodeCoreCount without awaiting; null outside Node. */
export function nodeCoreCountSync(): number | null {
  const os = nodeBuiltin<typeof import('node:os')>('node:os');
  if (!os) return null;
  return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
}

export function defaultThreadCount(): number {
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  if (nav?.hardwareConcurrency) return nav.hardwareConcurrency;
  return 1;
}

/** Node's count of usable cores, or null outside Node. */
export async function nodeCoreCount(): Promise<number | null> {
  if (!isNode) return null;
  const os = await import('node:os');
  return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
}

export { isNode };
