/**
 * Downloads one file into the cache: streamed to a temporary file next to its destination,
 * hashed on the way, verified, and only then renamed into place. On any error the temporary
 * file is removed, so the cache never holds a half file. Node-only.
 */
import { createHash, randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { algorithmOf, type HashAlgorithm } from './node_checksum.js';
import { DEFAULT_STALL_MS, StallGuard } from './stall_guard.js';

export interface DownloadRequest {
  url: string;
  /** Final path in the cache. */
  dest: string;
  /** Hex digest the downloaded bytes must have (32 digits: md5, 64: sha256); null: not checked. */
  expected: string | null;
  /** Name of the checksum in the table, for messages. */
  checksumKey: string;
  /** Larger downloads are refused (checked against Content-Length first). */
  maxBytes: number;
  progress: boolean;
  signal?: AbortSignal;
  /** Milliseconds without a byte from the server after which the download fails (default 30,000). */
  stallMs?: number;
}

/** Prefix of temporary download files (they end in `.part`). */
export const TEMP_PREFIX = '.convlab-download-';

export function tempPathFor(dest: string): string {
  return path.join(path.dirname(dest), `${TEMP_PREFIX}${path.basename(dest)}-${process.pid}-${randomBytes(4).toString('hex')}.part`);
}

/**
 * Removes temporary download files left in `dir` by processes that no longer run (killed
 * mid-download). In-flight downloads of live processes are left alone.
 */
export async function removeStaleTemps(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await fsp.readdir(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const m = /^\.convlab-download-.+-(\d+)-[0-9a-f]{8}\.part$/.exec(name);
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid === process.pid) continue;
    let alive = true;
    try {
      process.kill(pid, 0);
    } catch (e) {
      alive = (e as NodeJS.ErrnoException).code === 'EPERM';
    }
    if (!alive) {
      await fsp.rm(path.join(dir, name), { force: true }).catch(() => {});
      removed.push(name);
    }
  }
  return removed;
}

function mb(n: number): string {
  return (n / 1e6).toFixed(1);
}

/** A one-line progress bar on stderr, redrawn at most ten times a second. */
class ProgressBar {
  private last = 0;
  private readonly start = Date.now();
  constructor(private readonly label: string, private readonly total: number | null, private readonly enabled: boolean) {}

  update(received: number, force = false): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (!force && now - this.last < 100) return;
    this.last = now;
    const secs = Math.max(0.001, (now - this.start) / 1000);
    const rate = `${mb(received / secs)} MB/s`;
    let line: string;
    if (this.total) {
      const frac = Math.min(1, received / this.total);
      const width = 24;
      const full = Math.round(frac * width);
      line = `${this.label} [${'#'.repeat(full)}${'.'.repeat(width - full)}] ${(frac * 100).toFixed(0).padStart(3)}% ${mb(received)}/${mb(this.total)} MB ${rate}`;
    } else {
      line = `${this.label} ${mb(received)} MB ${rate}`;
    }
    process.stderr.write(`\r${line}\x1b[K`);
  }

  finish(received: number): void {
    if (!this.enabled) return;
    this.update(received, true);
    process.stderr.write('\n');
  }
}

/** Downloads, verifies and atomically installs one file; returns the number of bytes. */
export async function downloadFile(req: DownloadRequest): Promise<number> {
  await removeStaleTemps(path.dirname(req.dest));
  const tmp = tempPathFor(req.dest);
  let fh: fsp.FileHandle | null = null;
  let received = 0;
  let total: number | null = null;
  const bar = { current: null as ProgressBar | null };
  // A server that accepts the connection and then stops sending must not hang the load.
  const stalled = new AbortController();
  const guard = new StallGuard(
    req.stallMs ?? DEFAULT_STALL_MS,
    (idle) => new Error(`no data from the server for ${(idle / 1000).toFixed(1)} s`),
    (e) => stalled.abort(e),
  );
  const signal = req.signal ? AbortSignal.any([req.signal, stalled.signal]) : stalled.signal;
  try {
    let res: Response;
    try {
      res = await fetch(req.url, { headers: { 'accept-encoding': 'identity' }, signal, redirect: 'follow' });
      guard.mark();
    } catch (e) {
      throw new Error(`could not connect to ${req.url}: ${describe(e)}`);
    }
    if (!res.ok) {
      await res.body?.cancel().catch(() => {});
      throw new Error(`HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''} for ${req.url}`);
    }
    const lengthHeader = res.headers.get('content-length');
    total = lengthHeader !== null && /^\d+$/.test(lengthHeader) ? Number(lengthHeader) : null;
    if (total !== null && total > req.maxBytes) {
      await res.body?.cancel().catch(() => {});
      throw new Error(`${req.url} is ${total} bytes (Content-Length), more than the ${req.maxBytes} expected`);
    }
    if (!res.body) throw new Error(`${req.url}: empty response`);
    const algorithm: HashAlgorithm | null = req.expected ? algorithmOf(req.expected, req.checksumKey) : null;
    const hash = algorithm ? createHash(algorithm) : null;
    fh = await fsp.open(tmp, 'wx');
    bar.current = new ProgressBar(`${path.basename(req.dest)}`, total, req.progress);
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        guard.mark();
        received += chunk.length;
        if (received > req.maxBytes) throw new TooLargeError(`${req.url} sent more than the ${req.maxBytes} bytes expected`);
        hash?.update(chunk);
        await fh.write(chunk);
        bar.current.update(received);
      }
    } catch (e) {
      if (e instanceof TooLargeError) throw e;
      throw new Error(`download of ${req.url} was interrupted after ${received} of ${total ?? 'an unknown number of'} bytes: ${describe(e)}`);
    }
    if (total !== null && received !== total) {
      throw new Error(`download of ${req.url} is truncated: received ${received} of ${total} bytes (Content-Length)`);
    }
    await fh.sync();
    await fh.close();
    fh = null;
    bar.current.finish(received);
    bar.current = null;
    if (hash && req.expected) {
      const actual = hash.digest('hex');
      if (actual !== req.expected.toLowerCase()) {
        throw new Error(
          `Checksum mismatch for ${path.basename(req.dest)} downloaded from ${req.url}: expected ${algorithm} ${req.expected.toLowerCase()} ` +
            `(${req.checksumKey}), found ${algorithm} ${actual}; the file was not kept`,
        );
      }
    }
    await fsp.rename(tmp, req.dest);
    return received;
  } catch (e) {
    if (bar.current && req.progress) process.stderr.write('\n');
    if (fh) await fh.close().catch(() => {});
    await fsp.rm(tmp, { force: true }).catch(() => {});
    throw e;
  } finally {
    guard.stop();
  }
}

class TooLargeError extends Error {}

function describe(e: unknown): string {
  const err = e as Error & { cause?: unknown };
  let msg = err?.message ?? String(e);
  let cause = err?.cause as (Error & { code?: string; cause?: unknown }) | undefined;
  for (let depth = 0; cause && depth < 3; depth++) {
    msg += ` (${cause.code ? `${cause.code}: ` : ''}${cause.message ?? String(cause)})`;
    cause = cause.cause as typeof cause;
  }
  return msg;
}
