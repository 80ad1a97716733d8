/**
 * Files from a drop or a picker, dropped folders walked recursively. A drop's items must be
 * turned into entries (webkitGetAsEntry) before the handler returns, after which the
 * DataTransfer is emptied; the walk itself can then take its time. Only the structural parts
 * of the File System API are used, so Node tests can pass fakes.
 */

/** What webkitGetAsEntry returns: FileSystemFileEntry or FileSystemDirectoryEntry. */
export interface EntryLike {
  isFile: boolean;
  isDirectory: boolean;
  name: string;
  fullPath: string;
  file?(ok: (f: File) => void, fail?: (e: unknown) => void): void;
  createReader?(): { readEntries(ok: (entries: EntryLike[]) => void, fail?: (e: unknown) => void): void };
}

export interface FoundFile {
  file: File;
  /** The path inside the drop ('leaves/oak/1.jpg'), or the file's name. */
  path: string;
}

/** Code-point order, as Python's sorted. */
export function comparePaths(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Keras's order of a folder's files (os.walk's folders sorted by path, each folder's files by
 * name): 'a/z.png' comes before 'a/b/c.png', since folder 'a' sorts before folder 'a/b'.
 */
export function kerasOrder(files: FoundFile[]): FoundFile[] {
  const split = (p: string): [string, string] => {
    const i = p.lastIndexOf('/');
    return i < 0 ? ['', p] : [p.slice(0, i), p.slice(i + 1)];
  };
  return [...files].sort((x, y) => {
    const [dx, nx] = split(x.path);
    const [dy, ny] = split(y.path);
    return comparePaths(dx, dy) || comparePaths(nx, ny);
  });
}

function readAll(dir: EntryLike): Promise<EntryLike[]> {
  const reader = dir.createReader!();
  const all: EntryLike[] = [];
  // readEntries hands out at most 100 entries a call (Chromium): call until it returns none.
  return new Promise((resolve, reject) => {
    const next = () => reader.readEntries((batch) => {
      if (batch.length === 0) return resolve(all);
      all.push(...batch);
      next();
    }, reject);
    next();
  });
}

function fileOf(entry: EntryLike): Promise<File> {
  return new Promise((resolve, reject) => entry.file!(resolve, reject));
}

/** Every file under the entries, folders walked recursively, in Keras's order (kerasOrder). */
export async function walkEntries(entries: EntryLike[], onError: (path: string, err: unknown) => void): Promise<FoundFile[]> {
  const out: FoundFile[] = [];
  const visit = async (entry: EntryLike): Promise<void> => {
    const path = entry.fullPath.replace(/^\//, '') || entry.name;
    try {
      if (entry.isFile && entry.file) out.push({ file: await fileOf(entry), path });
      else if (entry.isDirectory && entry.createReader) {
        for (const child of await readAll(entry)) await visit(child);
      }
    } catch (err) {
      onError(path, err);
    }
  };
  for (const e of entries) await visit(e);
  return kerasOrder(out);
}

/** A drop's items as entries, taken synchronously (call it inside the drop handler). */
export function dropEntries(dt: DataTransfer): { entries: EntryLike[]; files: File[] } {
  const entries: EntryLike[] = [];
  const files: File[] = [];
  for (const item of Array.from(dt.items ?? [])) {
    if (item.kind !== 'file') continue;
    // A DataTransfer built by a script (tests, some extensions) has no entries: use the file.
    const entry = (item as DataTransferItem & { webkitGetAsEntry?: () => EntryLike | null }).webkitGetAsEntry?.() ?? null;
    if (entry) entries.push(entry);
    else {
      const f = item.getAsFile();
      if (f) files.push(f);
    }
  }
  if (entries.length === 0 && files.length === 0) files.push(...Array.from(dt.files ?? []));
  return { entries, files };
}

/** Files from an <input type="file"> (with webkitdirectory, webkitRelativePath gives the path). */
export function pickedFiles(list: FileList | null): FoundFile[] {
  return kerasOrder(Array.from(list ?? [], (file) => ({ file, path: (file as File & { webkitRelativePath?: string }).webkitRelativePath || file.name })));
}
