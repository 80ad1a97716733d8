import { type LoadLimits, ModelFormatError, resolveLimits } from './limits.js';
import { fromKerasBytes } from './keras/handler.js';
import { sniffKerasFile } from './keras/read.js';
import { artifactsToModelJson, checkShardPath, flattenGroups, parseModelJson } from './model_json.js';
import { registerScheme } from './router.js';
import { artifactsInfo, concatWeightData, type IOHandler, type ModelArtifacts, type SaveResult } from './types.js';

/**
 * Browser storage, with TF.js's URL schemes:
 *   await model.save('downloads://my-model')   // the browser downloads my-model.json + my-model.weights.bin
 *   await model.save('indexeddb://my-model')   // kept in the page's IndexedDB
 *   await loadLayersModel('indexeddb://my-model')
 *   await loadLayersModel(browserFiles([jsonFile, weightsFile]))  // files from an <input type="file">
 * Only browser globals are used, so this module is safe in every bundle; in Node the calls fail
 * with a message saying what is missing.
 */

const DB_NAME = 'convlab_models';
const STORE = 'models';

interface StoredModel {
  name: string;
  artifacts: ModelArtifacts;
  savedAt: string;
}

function indexedDb(): IDBFactory {
  const factory = (globalThis as { indexedDB?: IDBFactory }).indexedDB;
  if (!factory) throw new Error("'indexeddb://' needs IndexedDB, which this environment does not have (it is a browser feature)");
  return factory;
}

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error('IndexedDB request failed'));
  });
}

async function openDb(): Promise<IDBDatabase> {
  const req = indexedDb().open(DB_NAME, 1);
  req.onupgradeneeded = () => {
    if (!req.result.objectStoreNames.contains(STORE)) req.result.createObjectStore(STORE, { keyPath: 'name' });
  };
  return request(req);
}

/** Runs one transaction and resolves when it has committed (so a save is all or nothing). */
async function withStore<T>(mode: IDBTransactionMode, work: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const db = await openDb();
  try {
    const tx = db.transaction(STORE, mode);
    const result = request(work(tx.objectStore(STORE)));
    await new Promise<void>((resolve, reject) => {
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error ?? new Error('IndexedDB transaction failed'));
      tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
    });
    return result;
  } finally {
    db.close();
  }
}

function checkName(name: string, scheme: string): string {
  if (name.length === 0 || name.length > 200) throw new Error(`'${scheme}' needs a model name of 1 to 200 characters, e.g. '${scheme}my-model'`);
  return name;
}

export function indexedDbHandler(name: string, limits?: Partial<LoadLimits>): IOHandler {
  checkName(name, 'indexeddb://');
  return {
    async save(artifacts: ModelArtifacts): Promise<SaveResult> {
      const stored: StoredModel = { name, artifacts: { ...artifacts, weightData: concatWeightData(artifacts.weightData) }, savedAt: new Date().toISOString() };
      await withStore('readwrite', (store) => store.put(stored));
      return { modelArtifactsInfo: artifactsInfo(artifacts) };
    },
    async load(): Promise<ModelArtifacts> {
      const stored = (await withStore('readonly', (store) => store.get(name))) as StoredModel | undefined;
      if (!stored) throw new ModelFormatError(`No model named '${name}' in IndexedDB (database '${DB_NAME}')`);
      const artifacts = stored.artifacts;
      const bytes = concatWeightData(artifacts.weightData).byteLength;
      if (bytes > resolveLimits(limits).maxWeightBytes) throw new ModelFormatError(`The model '${name}' in IndexedDB has ${bytes} bytes of weights, more than the limit`);
      return artifacts;
    },
  };
}

/** Lists, or removes, the models saved in IndexedDB. */
export const browserModels = {
  async list(): Promise<{ name: string; savedAt: string }[]> {
    const all = (await withStore('readonly', (store) => store.getAll())) as StoredModel[];
    return all.map((m) => ({ name: m.name, savedAt: m.savedAt }));
  },
  async remove(name: string): Promise<void> {
    await withStore('readwrite', (store) => store.delete(name));
  },
};

/** Triggers downloads of <name>.json and <name>.weights.bin, as TF.js's 'downloads://'. */
export function downloadsHandler(name: string): IOHandler {
  checkName(name, 'downloads://');
  return {
    async save(artifacts: ModelArtifacts): Promise<SaveResult> {
      const doc = (globalThis as { document?: Document }).document;
      if (!doc || typeof URL.createObjectURL !== 'function') throw new Error("'downloads://' works only in a browser page");
      const shard = `${name}.weights.bin`;
      const json = artifactsToModelJson(artifacts, shard);
      const files: [string, Blob][] = [[`${name}.json`, new Blob([JSON.stringify(json)], { type: 'application/json' })]];
      if (json.weightsManifest[0].paths.length > 0) files.push([shard, new Blob([concatWeightData(artifacts.weightData)], { type: 'application/octet-stream' })]);
      for (const [fileName, blob] of files) {
        const url = URL.createObjectURL(blob);
        const a = doc.createElement('a');
        a.download = fileName;
        a.href = url;
        a.click();
        // Revoke later: the download starts asynchronously and needs the URL until then.
        setTimeout(() => URL.revokeObjectURL(url), 10_000);
      }
      return { modelArtifactsInfo: artifactsInfo(artifacts) };
    },
  };
}

/** A load handler for files the user picked: model.json plus its weight shards (matched by name). */
export function browserFiles(files: ArrayLike<File>, options: { limits?: Partial<LoadLimits> } = {}): IOHandler {
  const list = Array.from(files);
  return {
    async load(): Promise<ModelArtifacts> {
      const limits = resolveLimits(options.limits);
      // One Python Keras file (.keras or .h5), recognised by its first bytes.
      if (list.length === 1 && list[0].size <= limits.maxWeightBytes + limits.maxJsonBytes) {
        const bytes = new Uint8Array(await list[0].arrayBuffer());
        if (sniffKerasFile(bytes)) return fromKerasBytes(bytes, { name: list[0].name, limits: options.limits }).load!();
      }
      const jsonFile = list.find((f) => f.name.toLowerCase().endsWith('.json'));
      if (!jsonFile) throw new ModelFormatError(`Choose the model's .json file together with its weight files, or one Keras .keras or .h5 file; received ${list.map((f) => f.name).join(', ') || 'no files'}`);
      if (jsonFile.size > limits.maxJsonBytes) throw new ModelFormatError(`'${jsonFile.name}' is ${jsonFile.size} bytes, more than the limit of ${limits.maxJsonBytes}`);
      const { json, groups } = parseModelJson(await jsonFile.text(), `'${jsonFile.name}'`, limits);
      const total = groups.reduce((n, g) => n + g.totalBytes, 0);
      const out = new Uint8Array(total);
      let at = 0;
      for (const group of groups) {
        const shards = group.paths.map((p) => {
          const base = checkShardPath(p, jsonFile.name).split('/').pop()!;
          const file = list.find((f) => f.name === base);
          if (!file) throw new ModelFormatError(`Weight file '${base}' is missing: '${jsonFile.name}' lists it; choose it together with the .json file`);
          return file;
        });
        const bytes = shards.reduce((n, f) => n + f.size, 0);
        if (bytes !== group.totalBytes) {
          throw new ModelFormatError(`Weight data is ${bytes < group.totalBytes ? 'truncated' : 'oversized'}: ${shards.map((f) => `'${f.name}'`).join(', ')} hold ${bytes} bytes but '${jsonFile.name}' describes ${group.totalBytes}`);
        }
        for (const f of shards) {
          out.set(new Uint8Array(await f.arrayBuffer()), at);
          at += f.size;
        }
      }
      return { modelTopology: json.modelTopology, weightSpecs: flattenGroups(groups), weightData: out.buffer, format: json.format, generatedBy: json.generatedBy, convertedBy: json.convertedBy };
    },
  };
}

/** Loads over HTTP(S) with fetch: model.json, then its shards relative to it (as TF.js's tf.io.http). */
export function httpHandler(url: string, options: { limits?: Partial<LoadLimits>; fetch?: typeof fetch } = {}): IOHandler {
  return {
    async load(): Promise<ModelArtifacts> {
      const limits = resolveLimits(options.limits);
      const doFetch = options.fetch ?? globalThis.fetch;
      const get = async (target: string, max: number): Promise<ArrayBuffer> => {
        const res = await doFetch(target);
        if (!res.ok) throw new ModelFormatError(`Fetching '${target}' failed: HTTP ${res.status}`);
        const length = Number(res.headers.get('content-length') ?? NaN);
        if (length > max) throw new ModelFormatError(`'${target}' is ${length} bytes, more than the limit of ${max}`);
        const body = await res.arrayBuffer();
        if (body.byteLength > max) throw new ModelFormatError(`'${target}' is ${body.byteLength} bytes, more than the limit of ${max}`);
        return body;
      };
      const text = new TextDecoder().decode(await get(url, limits.maxJsonBytes));
      const { json, groups } = parseModelJson(text, `'${url}'`, limits);
      const buffers: ArrayBuffer[] = [];
      for (const group of groups) {
        let got = 0;
        for (const p of group.paths) {
          const buffer = await get(new URL(checkShardPath(p, url), new URL(url, (globalThis as { location?: { href: string } }).location?.href)).href, group.totalBytes - got);
          got += buffer.byteLength;
          buffers.push(buffer);
        }
        if (got !== group.totalBytes) throw new ModelFormatError(`Weight data from '${url}' is truncated: ${got} bytes received, the manifest describes ${group.totalBytes}`);
      }
      return { modelTopology: json.modelTopology, weightSpecs: flattenGroups(groups), weightData: concatWeightData(buffers), format: json.format, generatedBy: json.generatedBy, convertedBy: json.convertedBy };
    },
  };
}

registerScheme('indexeddb', (rest, limits) => indexedDbHandler(rest, limits));
registerScheme('downloads', (rest) => downloadsHandler(rest));
registerScheme('http', (rest, limits) => httpHandler(`http://${rest}`, { limits }));
registerScheme('https', (rest, limits) => httpHandler(`https://${rest}`, { limits }));
