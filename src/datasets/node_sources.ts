/**
 * Finding, reading, verifying and downloading dataset files on Node. Sources, in order:
 *   1. `loadData({ dir })`: the files in `dir/<name>/` or directly in `dir`;
 *   2. `$CONVLAB_DATA/<name>/`;
 *   3. the cache, `<cacheDir>/<name>/` (default `~/.cache/convlab/datasets`, env CONVLAB_CACHE);
 *   4. system copies, `<systemDir>/<name>/` (default `/usr/share/datasets`: Debian's
 *      `dataset-fashion-mnist` package installs there);
 *   5. a download from the official URL (or `baseUrl` / `$CONVLAB_DATASET_MIRROR`) into the cache.
 * Node-only: the parsers it calls (idx.ts, cifar10.ts, assemble.ts) are not.
 */
import { createReadStream, promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import * as zlib from 'node:zlib';
import * as tarStream from 'tar-stream';
import { assembleCifar10, assembleIdx, maxCifarBatchBytes, maxIdxBytes, type RawFile } from './assemble.js';
import { parseBatchesMeta } from './cifar10.js';
import { checkGzip, formatBytes, isGzip } from './gzip.js';
import { verifyBytes } from './node_checksum.js';
import { DEFAULT_STALL_MS, StallGuard } from './stall_guard.js';
import { downloadFile } from './node_download.js';
import {
  CIFAR10_ARCHIVE,
  CIFAR10_ARCHIVE_DIR,
  CIFAR10_META_FILE,
  CIFAR10_TEST_FILE,
  CIFAR10_TRAIN_FILES,
  type Cifar10Spec,
  type DatasetSpec,
  type IdxDatasetSpec,
} from './specs.js';
import type { Cifar10LoadOptions, LoadedDataset, LoadOptions } from './types.js';

const gunzipAsync = promisify(zlib.gunzip) as (buf: Uint8Array, options: zlib.ZlibOptions) => Promise<Buffer>;

/** Debian's location for data packages such as dataset-fashion-mnist. */
export const DEFAULT_SYSTEM_DIRS: readonly string[] = Object.freeze(['/usr/share/datasets']);

/** The cache root: CONVLAB_CACHE, else $XDG_CACHE_HOME/convlab/datasets, else ~/.cache/convlab/datasets. */
export function defaultCacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.CONVLAB_CACHE) return path.resolve(env.CONVLAB_CACHE);
  const base = env.XDG_CACHE_HOME ? env.XDG_CACHE_HOME : path.join(os.homedir(), '.cache');
  return path.join(base, 'convlab', 'datasets');
}

function cacheRootOf(options: LoadOptions): string {
  return options.cacheDir ? path.resolve(options.cacheDir) : defaultCacheRoot();
}

/** URL of the folder the dataset's files are downloaded from (ends with '/'). */
export function downloadBaseUrl(spec: DatasetSpec, options: LoadOptions): string {
  let url = options.baseUrl ?? (process.env.CONVLAB_DATASET_MIRROR ? `${process.env.CONVLAB_DATASET_MIRROR.replace(/\/+$/, '')}/${spec.name}/` : spec.url);
  if (!url.endsWith('/')) url += '/';
  return url;
}

interface Place {
  /** e.g. 'dir option', 'CONVLAB_DATA', 'cache', 'system copy'. */
  label: string;
  dir: string;
  /** Set for a source that is not configured (nothing to look at, only to report). */
  unset?: string;
}

function subdirsFor(spec: DatasetSpec, root: string): string[] {
  const dirs = [path.join(root, spec.name)];
  if (spec.format === 'cifar10') dirs.push(path.join(root, spec.name, CIFAR10_ARCHIVE_DIR), path.join(root, CIFAR10_ARCHIVE_DIR));
  return dirs;
}

function placesFor(spec: DatasetSpec, options: LoadOptions): Place[] {
  const places: Place[] = [];
  if (options.dir) {
    const root = path.resolve(options.dir);
    for (const d of subdirsFor(spec, root)) places.push({ label: 'dir option', dir: d });
    places.push({ label: 'dir option', dir: root });
  }
  const env = process.env.CONVLAB_DATA;
  if (env) {
    for (const d of subdirsFor(spec, path.resolve(env))) places.push({ label: 'CONVLAB_DATA', dir: d });
  } else {
    places.push({ label: 'CONVLAB_DATA', dir: '', unset: 'CONVLAB_DATA: not set' });
  }
  places.push({ label: 'cache', dir: path.join(cacheRootOf(options), spec.name) });
  for (const root of options.systemDirs ?? DEFAULT_SYSTEM_DIRS) {
    places.push({ label: 'system copy', dir: path.join(path.resolve(root), spec.name) });
  }
  const seen = new Set<string>();
  return places.filter((p) => p.unset || (seen.has(p.dir) ? false : (seen.add(p.dir), true)));
}

async function listDir(dir: string): Promise<Set<string> | null> {
  try {
    return new Set(await fsp.readdir(dir));
  } catch {
    return null;
  }
}

/** The name present in `names` for this file: uncompressed first, then '.gz'. */
function pick(names: Set<string>, fileName: string): string | null {
  if (names.has(fileName)) return fileName;
  if (names.has(`${fileName}.gz`)) return `${fileName}.gz`;
  return null;
}

function toU8(buf: Buffer): Uint8Array {
  // Small Buffers may share Node's pool; copy those so tensors never alias unrelated memory.
  if (buf.byteOffset !== 0 || buf.buffer.byteLength !== buf.byteLength) return new Uint8Array(buf);
  return new Uint8Array(buf.buffer, 0, buf.byteLength);
}

interface ReadFile {
  path: string;
  stored: Uint8Array;
  raw: Uint8Array;
}

/** Reads a file, checking its size before reading and its gzip trailer before inflating. */
async function readMaybeGzipped(file: string, maxRaw: number): Promise<ReadFile> {
  const st = await fsp.stat(file);
  if (!st.isFile()) throw new Error(`${file}: not a regular file`);
  const maxStored = maxRaw + Math.ceil(maxRaw / 1000) + 1024;
  if (st.size > maxStored) {
    throw new Error(`${file}: file is ${formatBytes(st.size)}, larger than the ${formatBytes(maxRaw)} expected at most; it is not the expected file`);
  }
  const stored = toU8(await fsp.readFile(file));
  if (!isGzip(stored)) return { path: file, stored, raw: stored };
  checkGzip(stored, file, maxRaw);
  let raw: Buffer;
  try {
    raw = await gunzipAsync(stored, { maxOutputLength: Math.max(1, maxRaw), chunkSize: 1 << 20 });
  } catch (e) {
    const err = e as Error & { code?: string };
    if (err.code === 'ERR_BUFFER_TOO_LARGE') {
      throw new Error(`${file}: decompresses to more than the ${formatBytes(maxRaw)} expected at most; it is not the expected file`);
    }
    throw new Error(`${file}: gzip data is corrupt or truncated (${err.message})`);
  }
  return { path: file, stored, raw: toU8(raw) };
}

interface VerifyContext {
  verify: boolean;
  table: Readonly<Record<string, string>>;
  verified: string[];
  unverified: string[];
}

function verifyContext(spec: DatasetSpec, options: LoadOptions): VerifyContext {
  return { verify: options.verify !== false, table: options.checksums ?? spec.checksums, verified: [], unverified: [] };
}

function checkFile(ctx: VerifyContext, f: ReadFile, storedName: string, rawName: string): void {
  if (!ctx.verify) return;
  const r = verifyBytes({ path: f.path, storedName, rawName, stored: f.stored, raw: f.raw, table: ctx.table });
  (r.verified ? ctx.verified : ctx.unverified).push(r.detail);
}

function verificationNotes(ctx: VerifyContext): string[] {
  if (!ctx.verify) return ['checksums not checked (verify: false)'];
  const notes: string[] = [];
  if (ctx.verified.length) notes.push(`checksums verified for ${ctx.verified.length} file(s)`);
  notes.push(...ctx.unverified);
  return notes;
}

function describePlace(p: Place, spec: DatasetSpec): string {
  const debianDir = path.join('/usr/share/datasets', spec.name);
  const deb = spec.format === 'idx' && spec.debianPackage && p.dir === debianDir ? `, Debian package ${spec.debianPackage}` : '';
  return `${p.dir} (${p.label}${deb})`;
}

function howToGet(spec: DatasetSpec, options: LoadOptions): string[] {
  const cacheDir = path.join(cacheRootOf(options), spec.name);
  const url = downloadBaseUrl(spec, options);
  const lines: string[] = [];
  if (spec.format === 'idx' && spec.debianPackage) {
    lines.push(`on Debian/Ubuntu (works without access to the download site): apt-get install ${spec.debianPackage}   (installs /usr/share/datasets/${spec.name}/)`);
  }
  const files = spec.format === 'idx' ? spec.files.map((f) => `${f.name}.gz`) : [CIFAR10_ARCHIVE];
  lines.push(`download ${files.map((f) => url + f).join(', ')} into ${cacheDir}/`);
  lines.push(`or put the files in any directory and pass loadData({ dir }), or set CONVLAB_DATA to a folder holding ${spec.name}/`);
  return lines;
}

function noSourceError(spec: DatasetSpec, options: LoadOptions, looked: string[], download: string): Error {
  return new Error(
    `${spec.title} is not available: ${download}\n` +
      `Looked in:\n${looked.map((l) => `  - ${l}`).join('\n')}\n` +
      `To get the data:\n${howToGet(spec, options).map((l) => `  - ${l}`).join('\n')}`,
  );
}

function progressOf(options: LoadOptions): boolean {
  return options.progress ?? Boolean(process.stderr.isTTY);
}

// ---------------------------------------------------------------------------------------------
// MNIST-style IDX datasets

function missingIdx(spec: IdxDatasetSpec, names: Set<string>): string[] {
  return spec.files.filter((f) => !pick(names, f.name)).map((f) => `${f.name}[.gz]`);
}

async function loadIdxFrom(spec: IdxDatasetSpec, dir: string, names: Set<string>, options: LoadOptions, source: string, extraNotes: string[] = []): Promise<LoadedDataset> {
  const ctx = verifyContext(spec, options);
  const strict = !options.checksums;
  const raw: Record<string, RawFile> = {};
  // Read in parallel, but judge in the spec's order, so a bad set always names the same file first.
  const reads = await Promise.allSettled(spec.files.map((f) => readMaybeGzipped(path.join(dir, pick(names, f.name)!), maxIdxBytes(spec, f.name, strict))));
  spec.files.forEach((f, i) => {
    const read = reads[i];
    if (read.status === 'rejected') throw read.reason;
    const file = read.value;
    checkFile(ctx, file, file.raw === file.stored ? f.name : pick(names, f.name)!, f.name);
    raw[f.name] = { name: file.path, bytes: file.raw };
  });
  return assembleIdx(spec, raw, { source, notes: [...extraNotes, ...verificationNotes(ctx)], strictCounts: strict });
}

/**
 * The places to look, in order, that exist, with their file names; every place skipped is noted
 * in `looked` for the "no source" error.
 */
async function* existingPlaces(spec: DatasetSpec, options: LoadOptions, looked: string[]): AsyncGenerator<{ place: Place; names: Set<string> }> {
  for (const place of placesFor(spec, options)) {
    if (place.unset) {
      looked.push(place.unset);
      continue;
    }
    const names = await listDir(place.dir);
    if (!names) {
      looked.push(`${describePlace(place, spec)}: no such directory`);
      continue;
    }
    yield { place, names };
  }
}

export async function loadIdxDataset(spec: IdxDatasetSpec, options: LoadOptions = {}): Promise<LoadedDataset> {
  const looked: string[] = [];
  for await (const { place, names } of existingPlaces(spec, options, looked)) {
    const missing = missingIdx(spec, names);
    if (missing.length) {
      looked.push(`${describePlace(place, spec)}: missing ${missing.join(', ')}`);
      continue;
    }
    return loadIdxFrom(spec, place.dir, names, options, `${place.label} ${place.dir}`);
  }
  if (options.download === false) {
    looked.push('download: disabled (download: false)');
    throw noSourceError(spec, options, looked, 'no local copy was found and downloading is disabled.');
  }
  const cacheDir = path.join(cacheRootOf(options), spec.name);
  const baseUrl = downloadBaseUrl(spec, options);
  const downloaded: string[] = [];
  try {
    await fsp.mkdir(cacheDir, { recursive: true });
    for (const f of spec.files) {
      if (pick((await listDir(cacheDir)) ?? new Set(), f.name)) continue;
      const storedName = `${f.name}.gz`;
      await downloadOne(spec, options, baseUrl + storedName, path.join(cacheDir, storedName), storedName, f.name, maxIdxBytes(spec, f.name, !options.checksums));
      downloaded.push(storedName);
    }
  } catch (e) {
    looked.push(`download from ${baseUrl}: failed`);
    throw noSourceError(spec, options, looked, `no local copy was found and the download failed: ${(e as Error).message}`);
  }
  const names = (await listDir(cacheDir)) ?? new Set<string>();
  return loadIdxFrom(spec, cacheDir, names, options, `downloaded from ${baseUrl} into cache ${cacheDir}`, downloaded.length ? [`downloaded ${downloaded.join(', ')}`] : []);
}

/**
 * Downloads one file into the cache, verified against the table entry for the file as stored
 * (the official .gz/.tar.gz checksum). Without such an entry, verification needs one for the
 * uncompressed content, checked after the download and before the rename.
 */
async function downloadOne(
  spec: DatasetSpec,
  options: LoadOptions,
  url: string,
  dest: string,
  storedName: string,
  rawName: string | null,
  maxRaw: number,
): Promise<void> {
  const verify = options.verify !== false;
  const table = options.checksums ?? spec.checksums;
  let expected: string | null = null;
  if (verify) {
    expected = table[storedName] ?? null;
    if (!expected && !(rawName && table[rawName])) {
      throw new Error(`no checksum is known for ${storedName}, so a download of it cannot be verified; pass checksums: { '${storedName}': '<md5 or sha256>' } or verify: false`);
    }
  }
  const maxBytes = maxRaw + Math.ceil(maxRaw / 1000) + 1024;
  if (expected || !verify) {
    await downloadFile({ url, dest, expected, checksumKey: storedName, maxBytes, progress: progressOf(options), signal: options.signal, stallMs: options.stallTimeout });
    return;
  }
  // Only the uncompressed checksum is known: download under a temporary name, check, rename.
  const staging = `${dest}.unverified`;
  try {
    await downloadFile({ url, dest: staging, expected: null, checksumKey: storedName, maxBytes, progress: progressOf(options), signal: options.signal, stallMs: options.stallTimeout });
    const file = await readMaybeGzipped(staging, maxRaw);
    verifyBytes({ path: url, storedName: file.raw === file.stored ? rawName! : storedName, rawName: rawName!, stored: file.stored, raw: file.raw, table });
    await fsp.rename(staging, dest);
  } finally {
    await fsp.rm(staging, { force: true }).catch(() => {});
  }
}

// ---------------------------------------------------------------------------------------------
// CIFAR-10

const PARTIAL_TEST = /^test_batch.+\.bin(\.gz)?$/;

type CifarFound =
  | { kind: 'files'; dir: string; train: string[]; test: string; partialAllowed: boolean; meta: string | null }
  | { kind: 'archive'; file: string }
  | { kind: 'missing'; reason: string };

function partialOptionHint(name: string): string {
  return `pass loadData({ allowPartialTest: true }) or loadData({ testFile: '${name}' })`;
}

async function inspectCifarDir(spec: Cifar10Spec, dir: string, names: Set<string>, options: Cifar10LoadOptions): Promise<CifarFound> {
  const train = CIFAR10_TRAIN_FILES.map((f) => pick(names, f));
  if (train.every((t) => t !== null)) {
    const meta = names.has(CIFAR10_META_FILE) ? path.join(dir, CIFAR10_META_FILE) : null;
    const trainPaths = train.map((t) => path.join(dir, t!));
    if (options.testFile) {
      const file = path.isAbsolute(options.testFile) ? options.testFile : path.join(dir, options.testFile);
      const st = await fsp.stat(file).catch(() => null);
      if (!st?.isFile()) {
        throw new Error(`${spec.title}: testFile '${options.testFile}' was not found (looked for ${file}, next to the training batches in ${dir})`);
      }
      return { kind: 'files', dir, train: trainPaths, test: file, partialAllowed: true, meta };
    }
    const full = pick(names, CIFAR10_TEST_FILE);
    if (full) return { kind: 'files', dir, train: trainPaths, test: path.join(dir, full), partialAllowed: Boolean(options.allowPartialTest), meta };
    const partials = [...names].filter((n) => PARTIAL_TEST.test(n)).sort();
    if (partials.length === 0) return { kind: 'missing', reason: `has the training batches but no ${CIFAR10_TEST_FILE}[.gz]` };
    if (!options.allowPartialTest) {
      throw new Error(
        `${spec.title}: the full test batch ${CIFAR10_TEST_FILE} (10,000 records) is missing in ${dir}. ` +
          `It holds only ${partials.join(', ')}, a partial test set. To use it, ${partialOptionHint(partials[0])}; ` +
          `accuracies on a partial test set are not comparable with published CIFAR-10 results.`,
      );
    }
    if (partials.length > 1) {
      throw new Error(`${spec.title}: ${dir} holds several partial test batches (${partials.join(', ')}); choose one with loadData({ testFile })`);
    }
    return { kind: 'files', dir, train: trainPaths, test: path.join(dir, partials[0]), partialAllowed: true, meta };
  }
  if (names.has(CIFAR10_ARCHIVE)) return { kind: 'archive', file: path.join(dir, CIFAR10_ARCHIVE) };
  const missing = CIFAR10_TRAIN_FILES.filter((_, i) => train[i] === null);
  return { kind: 'missing', reason: `missing ${missing.map((m) => `${m}[.gz]`).join(', ')} (and no ${CIFAR10_ARCHIVE})` };
}

function records(n: number): string {
  return `${n.toLocaleString('en-US')} record${n === 1 ? '' : 's'}`;
}

function stripGz(name: string): string {
  return name.endsWith('.gz') ? name.slice(0, -3) : name;
}

async function loadCifarFiles(spec: Cifar10Spec, found: Extract<CifarFound, { kind: 'files' }>, options: Cifar10LoadOptions, source: string): Promise<LoadedDataset> {
  const ctx = verifyContext(spec, options);
  const strict = !options.checksums;
  const read = async (file: string): Promise<RawFile> => {
    const f = await readMaybeGzipped(file, maxCifarBatchBytes(strict));
    const base = path.basename(file);
    checkFile(ctx, f, f.raw === f.stored ? stripGz(base) : base, stripGz(base));
    return { name: file, bytes: f.raw };
  };
  const [train, test] = await Promise.all([Promise.all(found.train.map(read)), read(found.test)]);
  let classNames: string[] | undefined;
  if (found.meta) classNames = parseBatchesMeta(await fsp.readFile(found.meta), found.meta, spec.classNames.length);
  const notes = verificationNotes(ctx);
  const data = assembleCifar10(spec, train, test, { source, notes, strictCounts: strict, allowPartialTest: found.partialAllowed, classNames });
  if (path.basename(found.test) !== CIFAR10_TEST_FILE && path.basename(found.test) !== `${CIFAR10_TEST_FILE}.gz`) {
    data.source += ` (test set: ${records(data.test.count)} from ${path.basename(found.test)})`;
  } else if (strict && data.test.count !== 10000) {
    data.source += ` (test set: ${records(data.test.count)}, partial)`;
  }
  return data;
}

const ARCHIVE_WANTED = new Set([...CIFAR10_TRAIN_FILES, CIFAR10_TEST_FILE, CIFAR10_META_FILE]);

/**
 * The size a tar header declares, or an error naming the member. tar-stream decodes a damaged
 * size field to null (base-256 with a bad lead byte), NaN, a negative or a fractional number,
 * and then waits forever for the bytes of such an entry, whether it is read or skipped.
 */
function memberSize(file: string, header: { name: string; size?: number | null }): number {
  const size = header.size;
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    throw new Error(`${file}: member '${header.name}' declares an invalid size (${size}); the archive is corrupt`);
  }
  return size;
}

/**
 * Reads the wanted members of cifar-10-binary.tar.gz into memory (size-checked before
 * allocation). Every way it can end is bounded: the data ends, an error names the archive, or
 * `stallMs` pass without a byte read or delivered and the read fails saying where it stopped.
 */
async function readCifarArchive(file: string, maxEntry: number, stallMs: number): Promise<Map<string, { name: string; bytes: Uint8Array }>> {
  const out = new Map<string, { name: string; bytes: Uint8Array }>();
  const source = createReadStream(file);
  const gunzip = zlib.createGunzip();
  const extract = tarStream.extract();
  let where = 'before the first member';
  const fail = (what: string) => (e: Error) => extract.destroy(new Error(`${file}: ${what} (${e.message})`));
  const guard = new StallGuard(
    stallMs,
    (idle) => new Error(`${file}: reading the archive made no progress for ${(idle / 1000).toFixed(1)} s (${where}); the archive is damaged or the file stopped delivering data`),
    (e) => {
      source.destroy();
      gunzip.destroy();
      extract.destroy(e);
    },
  );
  source.on('data', () => guard.mark());
  source.on('error', fail('cannot read the archive'));
  gunzip.on('error', fail('gzip data is corrupt or truncated'));
  source.pipe(gunzip).pipe(extract as unknown as NodeJS.WritableStream);
  try {
    for await (const entry of extract) {
      guard.mark();
      where = `in member '${entry.header.name}'`;
      // Refuse a bad size before anything else: skipping such an entry would never finish either.
      const size = memberSize(file, entry.header);
      if (entry.header.type !== 'file' || !ARCHIVE_WANTED.has(path.posix.basename(entry.header.name))) {
        entry.resume();
        continue;
      }
      if (size > maxEntry) throw new Error(`${file}: member ${entry.header.name} is ${formatBytes(size)}, more than the ${formatBytes(maxEntry)} expected`);
      const bytes = new Uint8Array(size);
      let at = 0;
      for await (const chunk of entry as AsyncIterable<Uint8Array>) {
        guard.mark();
        if (at + chunk.length > size) throw new Error(`${file}: member ${entry.header.name} is longer than its header says`);
        bytes.set(chunk, at);
        at += chunk.length;
      }
      if (at !== size) throw new Error(`${file}: member ${entry.header.name} is truncated: ${at} of ${size} bytes`);
      out.set(path.posix.basename(entry.header.name), { name: `${file}:${entry.header.name}`, bytes });
      where = `after member '${entry.header.name}'`;
    }
  } catch (e) {
    source.destroy();
    gunzip.destroy();
    const msg = (e as Error).message;
    throw new Error(msg.startsWith(file) ? msg : `${file}: not a valid tar.gz archive (${msg})`);
  } finally {
    guard.stop();
  }
  return out;
}

async function loadCifarArchive(spec: Cifar10Spec, file: string, options: Cifar10LoadOptions, source: string, extraNotes: string[] = []): Promise<LoadedDataset> {
  const ctx = verifyContext(spec, options);
  const strict = !options.checksums;
  const members = await readCifarArchive(file, maxCifarBatchBytes(strict), options.stallTimeout ?? DEFAULT_STALL_MS);
  const get = (name: string): RawFile => {
    const m = members.get(name);
    if (!m) throw new Error(`${file}: the archive has no ${CIFAR10_ARCHIVE_DIR}/${name}; it is incomplete or not ${CIFAR10_ARCHIVE}`);
    checkFile(ctx, { path: m.name, stored: m.bytes, raw: m.bytes }, name, name);
    return { name: m.name, bytes: m.bytes };
  };
  const train = CIFAR10_TRAIN_FILES.map(get);
  const test = get(CIFAR10_TEST_FILE);
  const meta = members.get(CIFAR10_META_FILE);
  const classNames = meta ? parseBatchesMeta(meta.bytes, meta.name, spec.classNames.length) : undefined;
  return assembleCifar10(spec, train, test, {
    source,
    notes: [...extraNotes, ...verificationNotes(ctx)],
    strictCounts: strict,
    allowPartialTest: Boolean(options.allowPartialTest),
    classNames,
  });
}

export async function loadCifar10Dataset(spec: Cifar10Spec, options: Cifar10LoadOptions = {}): Promise<LoadedDataset> {
  const looked: string[] = [];
  for await (const { place, names } of existingPlaces(spec, options, looked)) {
    const found = await inspectCifarDir(spec, place.dir, names, options);
    if (found.kind === 'missing') {
      looked.push(`${describePlace(place, spec)}: ${found.reason}`);
      continue;
    }
    const source = `${place.label} ${found.kind === 'archive' ? found.file : place.dir}`;
    return found.kind === 'archive' ? loadCifarArchive(spec, found.file, options, source) : loadCifarFiles(spec, found, options, source);
  }
  if (options.download === false) {
    looked.push('download: disabled (download: false)');
    throw noSourceError(spec, options, looked, 'no local copy was found and downloading is disabled.');
  }
  const cacheDir = path.join(cacheRootOf(options), spec.name);
  const baseUrl = downloadBaseUrl(spec, options);
  const dest = path.join(cacheDir, CIFAR10_ARCHIVE);
  try {
    await fsp.mkdir(cacheDir, { recursive: true });
    // The archive holds six 30 MB batches; allow a little over that compressed.
    await downloadOne(spec, options, baseUrl + CIFAR10_ARCHIVE, dest, CIFAR10_ARCHIVE, null, 200_000_000);
  } catch (e) {
    looked.push(`download from ${baseUrl}: failed`);
    throw noSourceError(spec, options, looked, `no local copy was found and the download failed: ${(e as Error).message}`);
  }
  return loadCifarArchive(spec, dest, options, `downloaded from ${baseUrl}${CIFAR10_ARCHIVE} into cache ${cacheDir}`, [`downloaded ${CIFAR10_ARCHIVE}`]);
}
