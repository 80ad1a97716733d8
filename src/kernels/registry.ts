import type { Backend } from './backend.js';
import { referenceBackend } from './reference/index.js';

type BackendFactory = () => Backend | Promise<Backend>;

const factories = new Map<string, BackendFactory>([['reference', () => referenceBackend]]);
const ready = new Map<string, Backend>([['reference', referenceBackend]]);
let active: Backend = referenceBackend;

/** Adds a backend under a name; kernels it lacks are served by the reference backend. */
export function registerBackend(name: string, factory: BackendFactory): void {
  factories.set(name, factory);
  ready.delete(name);
}

function withFallback(partial: Backend): Backend {
  return { ...referenceBackend, ...partial } as Backend;
}

/** As `tf.setBackend`: resolves to true once the named backend is active. */
export async function setBackend(name: string): Promise<boolean> {
  let backend = ready.get(name);
  if (!backend) {
    const factory = factories.get(name);
    if (!factory) {
      throw new Error(`Unknown backend '${name}'; registered backends: ${[...factories.keys()].join(', ')}`);
    }
    backend = withFallback(await factory());
    ready.set(name, backend);
  }
  active = backend;
  return true;
}

/** Switches synchronously to a backend that is already initialised. */
export function setBackendSync(name: string): void {
  const backend = ready.get(name);
  if (!backend) throw new Error(`Backend '${name}' is not initialised; call 'await setBackend("${name}")' first`);
  active = backend;
}

export function getBackend(): string {
  return active.name;
}

export function listBackends(): string[] {
  return [...factories.keys()];
}

/** The kernels of the active backend. */
export function kernels(): Backend {
  return active;
}
