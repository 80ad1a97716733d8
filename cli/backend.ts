/**
 * `--backend`: picks the kernel backend. Optional backends register themselves when their module
 * is imported, so they are imported here on demand; a backend that fails to load is simply not
 * offered, and asking for it names the reason.
 */
import { getBackend, listBackends, setBackend } from '../src/kernels/registry.js';
import { CliError } from './context.js';

// Through a variable, so the CLI builds and runs even where that module is absent.
const OPTIONAL_BACKENDS: Record<string, string> = { wasm: '../src/kernels/wasm/index.js' };
const loadErrors = new Map<string, string>();

async function loadOptional(): Promise<void> {
  for (const [name, specifier] of Object.entries(OPTIONAL_BACKENDS)) {
    if (listBackends().includes(name) || loadErrors.has(name)) continue;
    try {
      await import(specifier);
    } catch (e) {
      loadErrors.set(name, (e as Error).message.split('\n')[0]);
    }
  }
}

/**
 * Activates `name` (else $CONVLAB_BACKEND, else 'auto'). 'auto' takes the WebAssembly backend
 * when it loads and starts here, and the reference backend otherwise. Returns the active name.
 */
export async function chooseBackend(name: string | undefined): Promise<string> {
  const wanted = name ?? process.env.CONVLAB_BACKEND ?? 'auto';
  await loadOptional();
  if (wanted === 'auto') {
    if (listBackends().includes('wasm')) {
      try {
        await setBackend('wasm');
      } catch {
        await setBackend('reference');
      }
    }
    return getBackend();
  }
  if (!listBackends().includes(wanted)) {
    const why = loadErrors.get(wanted);
    throw new CliError(why ? `Backend '${wanted}' could not be loaded: ${why}` : `Unknown backend '${wanted}'; available backends: auto, ${listBackends().join(', ')}`);
  }
  try {
    await setBackend(wanted);
  } catch (e) {
    throw new CliError(`Backend '${wanted}' failed to start: ${(e as Error).message.split('\n')[0]}`);
  }
  return getBackend();
}
