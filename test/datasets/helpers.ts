/** Shared helpers for the datasets tests (not a test file itself). */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import * as tarStream from 'tar-stream';
import { encodeCifarBatch } from '../../src/datasets/cifar10.js';
import { encodeIdx } from '../../src/datasets/idx.js';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The project's shared datasets folder: $CONVLAB_SHARED_DATASETS, else ../shared/datasets beside the repo. */
export const sharedDatasets = process.env.CONVLAB_SHARED_DATASETS
  ? path.resolve(process.env.CONVLAB_SHARED_DATASETS)
  : path.resolve(repoRoot, '../shared/datasets');

/** A skip reason when `dir` is absent, else false (for node:test's `skip` option). */
export function skipUnless(dir: string, what: string): string | false {
  return existsSync(dir) ? false : `${what} not found at ${dir}; skipping`;
}

export function tempDir(prefix = 'convlab-datasets-'): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function rmrf(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** All entries under `dir`, recursively, relative to it (temp files included). */
export function listTree(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: false }).map(String).sort();
}

/** Runs `fn` with environment variables set (undefined: unset) and restores them afterwards. */
export async function withEnv<T>(vars: Record<string, string | undefined>, fn: () => Promise<T>): Promise<T> {
  const saved: Record<string, string | undefined> = {};
  for (const k of Object.keys(vars)) {
    saved[k] = process.env[k];
    if (vars[k] === undefined) delete process.env[k];
    else process.env[k] = vars[k];
  }
  try {
    return await fn();
  } finally {
    for (const k of Object.keys(saved)) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  }
}

export const md5 = (b: Uint8Array): string => createHash('md5').update(b).digest('hex');
export const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** Deterministic bytes: pixel i of image n. */
export function pixel(n: number, i: number, salt = 0): number {
  return (n * 31 + i * 7 + salt * 13) & 0xff;
}

export interface TinyIdx {
  /** file name (with .gz) -> gzipped bytes */
  files: Record<string, Uint8Array>;
  /** checksums of the .gz files, for loadData({ checksums }) */
  checksums: Record<string, string>;
  trainCount: number;
  testCount: number;
  trainLabels: Uint8Array;
}

/** A tiny MNIST-format dataset: `trainCount` train and `testCount` test images of 28x28. */
export function makeTinyIdx(trainCount = 20, testCount = 10, salt = 0): TinyIdx {
  const images = (n: number) => {
    const v = new Uint8Array(n * 784);
    for (let k = 0; k < n; k++) for (let i = 0; i < 784; i++) v[k * 784 + i] = pixel(k, i, salt);
    return encodeIdx([n, 28, 28], v);
  };
  const labels = (n: number) => encodeIdx([n], Uint8Array.from({ length: n }, (_, i) => (i + salt) % 10));
  const raw: Record<string, Uint8Array> = {
    'train-images-idx3-ubyte': images(trainCount),
    'train-labels-idx1-ubyte': labels(trainCount),
    't10k-images-idx3-ubyte': images(testCount),
    't10k-labels-idx1-ubyte': labels(testCount),
  };
  const files: Record<string, Uint8Array> = {};
  const checksums: Record<string, string> = {};
  for (const [name, bytes] of Object.entries(raw)) {
    const gz = new Uint8Array(gzipSync(bytes));
    files[`${name}.gz`] = gz;
    checksums[`${name}.gz`] = md5(gz);
    checksums[name] = sha256(bytes);
  }
  return { files, checksums, trainCount, testCount, trainLabels: raw['train-labels-idx1-ubyte'].subarray(8) };
}

export interface TinyCifar {
  /** batch name -> uncompressed batch */
  batches: Record<string, Uint8Array>;
  /** NHWC images and labels per batch name */
  images: Record<string, Uint8Array>;
  labels: Record<string, Uint8Array>;
  checksums: Record<string, string>;
}

/** Five tiny training batches of `perBatch` records and a test batch of `testCount`. */
export function makeTinyCifar(perBatch = 4, testCount = 3): TinyCifar {
  const out: TinyCifar = { batches: {}, images: {}, labels: {}, checksums: {} };
  const names = [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`).concat('test_batch.bin');
  names.forEach((name, b) => {
    const n = name === 'test_batch.bin' ? testCount : perBatch;
    const images = new Uint8Array(n * 3072);
    for (let i = 0; i < images.length; i++) images[i] = pixel(b * 100 + Math.floor(i / 3072), i % 3072, 5);
    const labels = Uint8Array.from({ length: n }, (_, i) => (b * 3 + i) % 10);
    out.images[name] = images;
    out.labels[name] = labels;
    out.batches[name] = encodeCifarBatch(images, labels);
    out.checksums[name] = md5(out.batches[name]);
  });
  return out;
}

/** A cifar-10-binary.tar.gz holding cifar-10-batches-bin/<files>. */
export async function makeTarGz(files: Record<string, Uint8Array | string>, dir = 'cifar-10-batches-bin'): Promise<Uint8Array> {
  const pack = tarStream.pack();
  const chunks: Buffer[] = [];
  const done = new Promise<void>((resolve, reject) => {
    pack.on('data', (c: Buffer) => chunks.push(c));
    pack.on('end', () => resolve());
    pack.on('error', reject);
  });
  pack.entry({ name: `${dir}/`, type: 'directory' });
  for (const [name, content] of Object.entries(files)) {
    const buf = typeof content === 'string' ? Buffer.from(content) : Buffer.from(content.buffer, content.byteOffset, content.byteLength);
    pack.entry({ name: `${dir}/${name}`, size: buf.length }, buf);
  }
  pack.finalize();
  await done;
  return new Uint8Array(gzipSync(Buffer.concat(chunks)));
}

export type Behaviour = 'ok' | 'truncate' | 'destroy' | 'error500' | 'stall';

export interface TestServer {
  url: string;
  /** Requests received, by path. */
  hits: string[];
  /** Serves `bytes` at `/<route>/<name>` with the behaviour the route names. */
  files: Map<string, Uint8Array>;
  close(): Promise<void>;
}

/**
 * An HTTP server on 127.0.0.1 (ephemeral port). Paths are `/<behaviour>/<file name>` or
 * `/<behaviour>/<dataset>/<file name>`; the file is looked up by its last path component.
 */
export async function startServer(files: Record<string, Uint8Array>): Promise<TestServer> {
  const map = new Map(Object.entries(files));
  const hits: string[] = [];
  const server = http.createServer((req, res) => {
    const url = req.url ?? '/';
    hits.push(url);
    const parts = url.split('/').filter(Boolean);
    const behaviour = parts[0] as Behaviour;
    const body = map.get(parts[parts.length - 1]);
    if (behaviour === 'error500') {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('internal error');
      return;
    }
    if (!body) {
      res.writeHead(404);
      res.end('not found');
      return;
    }
    const half = body.subarray(0, Math.max(1, body.length >> 1));
    if (behaviour === 'truncate') {
      // Promises more than it sends, then closes the connection cleanly.
      res.writeHead(200, { 'content-length': String(body.length + 1000), 'content-type': 'application/octet-stream' });
      res.write(body, () => res.socket?.end());
      return;
    }
    if (behaviour === 'stall') {
      // Sends half the body, then keeps the connection open without another byte.
      res.writeHead(200, { 'content-length': String(body.length), 'content-type': 'application/octet-stream' });
      res.write(half);
      return;
    }
    if (behaviour === 'destroy') {
      res.writeHead(200, { 'content-length': String(body.length), 'content-type': 'application/octet-stream' });
      res.write(half, () => setTimeout(() => res.socket?.destroy(), 20));
      return;
    }
    res.writeHead(200, { 'content-length': String(body.length), 'content-type': 'application/octet-stream' });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    hits,
    files: map,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
