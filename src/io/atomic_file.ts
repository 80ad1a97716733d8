import { ModelFormatError } from './limits.js';
import { nodeCrypto, nodeFs, nodePath } from './platform.js';

/**
 * Writes a file so that readers only ever see the old content or the complete new content:
 * the bytes go to a temporary name in the same directory, are flushed to disk, and the file is
 * then renamed over the target (an atomic replacement on POSIX file systems and on NTFS).
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const fs = await nodeFs('Saving a file');
  const { dirname, basename, join } = await nodePath('Saving a file');
  const { randomBytes } = await nodeCrypto('Saving a file');
  const dir = dirname(path);
  const temp = join(dir, `.${basename(path)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  const handle = await fs.open(temp, 'w', 0o644);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } catch (e) {
    await handle.close().catch(() => undefined);
    await fs.rm(temp, { force: true });
    throw e;
  }
  await handle.close();
  try {
    await fs.rename(temp, path);
  } catch (e) {
    await fs.rm(temp, { force: true });
    throw e;
  }
  await syncDirectory(dir);
}

/** Makes a rename durable; some platforms (Windows) cannot open directories, which is fine there. */
async function syncDirectory(dir: string): Promise<void> {
  const fs = await nodeFs('Saving a file');
  let handle: Awaited<ReturnType<typeof fs.open>> | null = null;
  try {
    handle = await fs.open(dir, 'r');
    await handle.sync();
  } catch {
    // Directory fsync is a durability improvement, not a correctness requirement.
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/**
 * Reads a file after checking its size, so an unexpectedly huge file is refused before it is read.
 * The size is taken from the open handle, not the path: a writer renaming a new version over the
 * file meanwhile cannot make the size and the bytes come from different versions.
 */
export async function readFileLimited(path: string, maxBytes: number, what: string, exactBytes?: number, into?: { buffer: Uint8Array; offset: number }): Promise<Uint8Array> {
  const fs = await nodeFs('Reading a file');
  let handle: Awaited<ReturnType<typeof fs.open>>;
  try {
    handle = await fs.open(path, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ModelFormatError(`${what}: file '${path}' does not exist`);
    if (code === 'EISDIR') throw new ModelFormatError(`${what}: '${path}' is a directory, expected a file`);
    throw e;
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new ModelFormatError(`${what}: '${path}' is not a regular file`);
    const size = stat.size;
    if (exactBytes !== undefined && size !== exactBytes) {
      const kind = size < exactBytes ? 'truncated' : 'oversized';
      throw new ModelFormatError(`${what}: '${path}' is ${kind}: it has ${size} bytes but the manifest says ${exactBytes}`);
    }
    if (size > maxBytes) throw new ModelFormatError(`${what}: '${path}' is ${size} bytes, more than the limit of ${maxBytes} bytes`);
    // Reading straight into the caller's buffer saves a copy of large weight shards.
    const data = into ? into.buffer.subarray(into.offset, into.offset + size) : new Uint8Array(size);
    if (data.byteLength !== size) throw new ModelFormatError(`${what}: '${path}' has ${size} bytes, more than the space left for it`);
    let at = 0;
    while (at < size) {
      const { bytesRead } = await handle.read(data, at, size - at, at);
      if (bytesRead === 0) throw new ModelFormatError(`${what}: '${path}' became shorter while it was being read (${at} of ${size} bytes)`);
      at += bytesRead;
    }
    return data;
  } finally {
    await handle.close();
  }
}

const TEMP_NAME = /^\..+\.tmp-(\d+)-[0-9a-f]{8}$/;

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes temporary files left in `dir` by writers that died mid-write (e.g. SIGKILL during a save). */
export async function removeStaleTempFiles(dir: string): Promise<void> {
  const fs = await nodeFs('Saving a file');
  const { join } = await nodePath('Saving a file');
  for (const name of await fs.readdir(dir)) {
    const m = TEMP_NAME.exec(name);
    if (m && Number(m[1]) !== process.pid && !processIsAlive(Number(m[1]))) await fs.rm(join(dir, name), { force: true });
  }
}
