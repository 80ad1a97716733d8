import type { Backend } from './backend.js';
import { referenceBackend } from './reference/index.js';

type BackendFactory = () => Backend | Promise<Backend>;

const factories = new Map<string, BackendFactory>([['reference', () => referenceBackend]]);
const initialised = new Map<string, Backend>([['reference', referenceBackend]]);
let active: Backend = referenceBackend;

/**
 * The backend that becomes active by itself, as TF.js picks its best registered backend: the
 * wasm backend registers itself as the default candidate. Until the user calls setBackend, the
 * first kernel call tries `startSync` (possible in Node), and `ready()` (awaited by fit) tries
 * `start`, which also works in browsers; where both fail, the reference backend stays.
 */
export interface DefaultBackend {
  name: string;
  startSync(): Backend | null;
  start(): Promise<Backend>;
  /** Resolves when the started backend is fully up (its worker threads running). */
  settled(): Promise<void>;
}

let defaultBackend: DefaultBackend | null = null;
/** No setBackend yet, and the default has not been tried synchronously. */
let defaultUntried = true;
let userChose = false;
let defaultStart: Promise<void> | null = null;

/** Names the backend to activate by default; $CONVLAB_BACKEND=reference (Node) opts out. */
export function registerDefaultBackend(candidate: DefaultBackend): void {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.CONVLAB_BACKEND;
  if (env === 'reference') return;
  defaultBackend = candidate;
}

function activateDefault(backend: Backend): void {
  if (userChose || !defaultBackend) return;
  const full = withFallback(backend);
  initialised.set(defaultBackend.name, full);
  active = full;
}

function tryDefaultSync(): void {
  defaultUntried = false;
  if (userChose || !defaultBackend) return;
  try {
    const backend = defaultBackend.startSync();
    if (backend) activateDefault(backend);
  } catch {
    // The reference backend stays; ready() retries asynchronously.
  }
}

/**
 * As `tf.ready()`: resolves once the default backend is up (or known to be unavailable), with
 * the active backend's name. fit() awaits it, so a training run keeps one thread count.
 */
export async function ready(): Promise<string> {
  if (defaultUntried) tryDefaultSync();
  if (!userChose && defaultBackend) {
    const candidate = defaultBackend;
    defaultStart ??= (initialised.has(candidate.name) ? Promise.resolve() : candidate.start().then(activateDefault))
      .then(() => candidate.settled())
      .catch(() => {
        // WebAssembly SIMD or the built kernels are missing: the reference backend stays.
      });
    await defaultStart;
  }
  return active.name;
}

/** Adds a backend under a name; kernels it lacks are served by the reference backend. */
export function registerBackend(name: string, factory: BackendFactory): void {
  factories.set(name, factory);
  initialised.delete(name);
}

function withFallback(partial: Backend): Backend {
  return { ...referenceBackend, ...partial } as Backend;
}

/** As `tf.setBackend`: resolves to true once the named backend is active. */
export async function setBackend(name: string): Promise<boolean> {
  userChose = true;
  defaultUntried = false;
  let backend = initialised.get(name);
  if (!backend) {
    const factory = factories.get(name);
    if (!factory) {
      throw new Error(`Unknown backend '${name}'; registered backends: ${[...factories.keys()].join(', ')}`);
    }
    backend = withFallback(await factory());
    initialised.set(name, backend);
  }
  active = backend;
  return true;
}

/** Switches synchronously to a backend that is already initialised. */
export function setBackendSync(name: string): void {
  const backend = initialised.get(name);
  if (!backend) throw new Error(`Backend '${name}' is not initialised; call 'await setBackend("${name}")' first`);
  userChose = true;
  defaultUntried = false;
  active = backend;
}

export function getBackend(): string {
  if (defaultUntried) tryDefaultSync();
  return active.name;
}

export function listBackends(): string[] {
  return [...factories.keys()];
}

/** The kernels of the active backend. */
export function kernels(): Backend {
  if (defaultUntried) tryDefaultSync();
  return active;
}
