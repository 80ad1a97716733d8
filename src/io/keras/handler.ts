/**
 * Keras files as IOHandlers: from bytes (browsers, the lab's file picker, fetch) and from a path
 * in Node, recognised by content. Also the notes a load leaves (what was ignored), kept per model.
 */
import type { LayersModel } from '../../models/layers_model.js';
import { readFileLimited } from '../atomic_file.js';
import { type LoadLimits, ModelFormatError, resolveLimits } from '../limits.js';
import { nodeFs } from '../platform.js';
import type { IOHandler, ModelArtifacts, SaveResult } from '../types.js';
import { kerasBytesToArtifacts, sniffKerasFile } from './read.js';

const notesByModel = new WeakMap<LayersModel, string[]>();

/** What loading this model ignored (regularizers, an unsupported optimizer, ...); empty when nothing. */
export function loadNotes(model: LayersModel): string[] {
  return notesByModel.get(model) ?? [];
}

export function setLoadNotes(model: LayersModel, notes: string[]): void {
  notesByModel.set(model, notes);
}

function bytesOf(data: Uint8Array | ArrayBuffer): Uint8Array {
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  throw new Error(`Expected the bytes of a Keras file as a Uint8Array or ArrayBuffer, received ${data === null ? 'null' : typeof data}`);
}

/**
 * An IOHandler reading a Keras `.keras` or `.h5` file from its bytes:
 * `await loadLayersModel(io.fromKerasBytes(new Uint8Array(await file.arrayBuffer())))`.
 */
export function fromKerasBytes(data: Uint8Array | ArrayBuffer, options: { name?: string; limits?: Partial<LoadLimits> } = {}): IOHandler {
  const bytes = bytesOf(data);
  const what = `The Keras file${options.name ? ` '${options.name}'` : ''}`;
  return { load: () => kerasBytesToArtifacts(bytes, what, resolveLimits(options.limits)) };
}

/** The first bytes of a file, to tell a Keras file from a model.json or a directory. */
async function head(path: string): Promise<Uint8Array | null> {
  const fs = await nodeFs('Loading a model');
  let handle;
  try {
    handle = await fs.open(path, 'r');
  } catch {
    return null;
  }
  try {
    if (!(await handle.stat()).isFile()) return null;
    const buf = new Uint8Array(8);
    const { bytesRead } = await handle.read(buf, 0, 8, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** Whether `path` is a Keras zip or HDF5 file (false for directories, model.json and missing paths). */
export async function isKerasFile(path: string): Promise<boolean> {
  const bytes = await head(path);
  return bytes !== null && sniffKerasFile(bytes) !== null;
}

/** Reads a Keras file at `path` as artifacts; null when the path is not one. */
export async function loadKerasFile(path: string, limits: LoadLimits): Promise<(ModelArtifacts & { notes: string[] }) | null> {
  if (!(await isKerasFile(path))) return null;
  const bytes = await readFileLimited(path, limits.maxWeightBytes + limits.maxJsonBytes, 'Loading a Keras file');
  try {
    return await kerasBytesToArtifacts(bytes, `The model at '${path}'`, limits);
  } catch (e) {
    if (e instanceof ModelFormatError) throw e;
    throw new ModelFormatError(`The model at '${path}': ${(e as Error).message}`);
  }
}

/** 'keras' or 'h5' when a save target names a Keras file by its extension ('model.keras', 'file://x.h5'). */
export function kerasSaveFormat(target: string): 'keras' | 'h5' | null {
  if (/^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(target) && !target.startsWith('file://')) return null;
  const lower = target.toLowerCase();
  if (lower.endsWith('.keras')) return 'keras';
  if (lower.endsWith('.h5') || lower.endsWith('.hdf5')) return 'h5';
  return null;
}

/** A model as the bytes of a Keras file: 'keras' (Keras 3 zip) or 'h5' (Keras 2 HDF5). */
export async function toKerasBytes(model: LayersModel, format: 'keras' | 'h5'): Promise<Uint8Array> {
  const { modelToKerasZip, modelToKerasH5 } = await import('./write.js');
  return format === 'keras' ? modelToKerasZip(model) : modelToKerasH5(model);
}

/** Writes a model as a Keras file, to a temporary name first and then renamed. */
export async function saveKerasFile(model: LayersModel, target: string, format: 'keras' | 'h5'): Promise<SaveResult> {
  const { writeFileAtomic } = await import('../atomic_file.js');
  const path = target.startsWith('file://') ? target.slice('file://'.length) : target;
  const bytes = await toKerasBytes(model, format);
  await writeFileAtomic(path, bytes);
  return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', weightDataBytes: bytes.byteLength } };
}
