/**
 * Keras's `index_directory` (keras/src/utils/dataset_utils.py), read and restated: class folders
 * are the non-hidden subfolders in string order (or `classNames`, in the order given); each is
 * walked recursively, folders in path order and files in name order; a file is listed when its
 * lower-cased name ends in one of Keras's extensions; the list is shuffled with NumPy's
 * RandomState(seed), then the validation split takes its last fraction. Node only.
 */
import { open, readdir, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { numpyShuffle } from './numpy_shuffle.js';
import { SNIFF_BYTES, sniffImage } from './sniff.js';
import type { SkipReason } from './decode.js';

/** Keras's ALLOWLIST_FORMATS. */
export const ALLOWED_EXTENSIONS = ['.bmp', '.gif', '.jpeg', '.jpg', '.png'] as const;

/** Python's string order (code points), which differs from JavaScript's (UTF-16 units) past U+FFFF. */
export function compareCodePoints(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i].codePointAt(0)! - y[i].codePointAt(0)!;
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

export function hasAllowedExtension(name: string): boolean {
  const lower = name.toLowerCase();
  return ALLOWED_EXTENSIONS.some((ext) => lower.endsWith(ext));
}

export interface SkippedFile {
  path: string;
  reason: SkipReason | 'extension';
  message: string;
}

export interface DirectoryIndex {
  classNames: string[];
  /** Keras's file list, before the shuffle: class by class, each walked in path order. */
  paths: string[];
  labels: number[];
  /** Files outside Keras's extensions, found in the class folders (Keras ignores them silently). */
  ignored: SkippedFile[];
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/** os.walk without following links, then sorted by folder path; files sorted by name. */
async function walk(root: string): Promise<{ dir: string; files: string[] }[]> {
  const out: { dir: string; files: string[] }[] = [];
  const visit = async (dir: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return; // os.walk ignores folders it cannot list
    }
    const files: string[] = [];
    for (const e of entries) {
      if (e.isDirectory()) await visit(join(dir, e.name));
      else if (e.isFile()) files.push(e.name);
      else if (e.isSymbolicLink() && !(await isDirectory(join(dir, e.name)))) files.push(e.name);
    }
    out.push({ dir, files: files.sort(compareCodePoints) });
  };
  await visit(root);
  return out.sort((a, b) => compareCodePoints(a.dir, b.dir));
}

/**
 * Keras's file list. With `inferred` false (labels: null) the folder itself is walked, as Keras
 * does, and there are no classes.
 */
export async function indexDirectory(directory: string, classNames?: string[], inferred = true): Promise<DirectoryIndex> {
  if (!(await isDirectory(directory))) throw new Error(`imageDatasetFromDirectory: '${directory}' is not a folder; expected a folder holding ${inferred ? 'one subfolder per class' : 'images'}`);
  if (!inferred) {
    const paths: string[] = [];
    const ignored: SkippedFile[] = [];
    for (const { dir, files } of await walk(directory)) {
      for (const name of files) {
        const path = join(dir, name);
        if (hasAllowedExtension(name)) paths.push(path);
        else ignored.push({ path, reason: 'extension', message: `extension not in Keras's list (${ALLOWED_EXTENSIONS.join(' ')})` });
      }
    }
    return { classNames: [], paths, labels: paths.map(() => 0), ignored };
  }
  const subdirs: string[] = [];
  for (const name of (await readdir(directory)).sort(compareCodePoints)) {
    if (!name.startsWith('.') && (await isDirectory(join(directory, name)))) subdirs.push(name);
  }
  if (classNames !== undefined) {
    const missing = classNames.filter((c) => !subdirs.includes(c));
    if (missing.length > 0) throw new Error(`imageDatasetFromDirectory: classNames ${JSON.stringify(missing)} have no folder in '${directory}'; its class folders are ${JSON.stringify(subdirs)}`);
  }
  const classes = classNames ?? subdirs;
  const paths: string[] = [];
  const labels: number[] = [];
  const ignored: SkippedFile[] = [];
  for (let label = 0; label < classes.length; label++) {
    const classDir = join(directory, classes[label]);
    for (const { dir, files } of await walk(classDir)) {
      for (const name of files) {
        const path = join(directory, classes[label], relative(classDir, join(dir, name)));
        if (hasAllowedExtension(name)) {
          paths.push(path);
          labels.push(label);
        } else {
          ignored.push({ path, reason: 'extension', message: `extension not in Keras's list (${ALLOWED_EXTENSIONS.join(' ')})` });
        }
      }
    }
  }
  return { classNames: [...classes], paths, labels, ignored };
}

/** Keras's shuffle of the whole list, paths and labels alike. */
export function shuffleIndex(paths: string[], labels: number[], seed: number): { paths: string[]; labels: number[] } {
  return { paths: numpyShuffle([...paths], seed), labels: numpyShuffle([...labels], seed) };
}

/** Keras's get_training_or_validation_split: the last int(split * n) files are for validation. */
export function splitAt(count: number, validationSplit: number): number {
  return count - Math.trunc(validationSplit * count);
}

/**
 * Reads the first bytes of each listed file: empty files, unreadable ones and content that is
 * not a decodable image are found before training starts, without decoding anything.
 */
export async function screenFiles(paths: string[]): Promise<(SkippedFile | null)[]> {
  const head = new Uint8Array(SNIFF_BYTES);
  const out: (SkippedFile | null)[] = [];
  for (const path of paths) {
    let handle;
    try {
      handle = await open(path, 'r');
      const { bytesRead } = await handle.read(head, 0, SNIFF_BYTES, 0);
      if (bytesRead === 0) {
        out.push({ path, reason: 'empty', message: 'empty file (0 bytes)' });
        continue;
      }
      const sniffed = sniffImage(head.subarray(0, bytesRead));
      if (sniffed.format !== null) out.push(null);
      else if (sniffed.what === 'not an image') out.push({ path, reason: 'not-an-image', message: 'content is not a JPEG, PNG, GIF or BMP image' });
      else out.push({ path, reason: 'unsupported-format', message: `${sniffed.what} content (Keras reads JPEG, PNG, GIF and BMP)` });
    } catch (e) {
      out.push({ path, reason: 'unreadable', message: (e as NodeJS.ErrnoException).code ?? (e as Error).message });
    } finally {
      await handle?.close();
    }
  }
  return out;
}

const REASON_TEXT: Record<SkippedFile['reason'], string> = {
  extension: 'not a Keras image extension',
  empty: 'empty',
  unreadable: 'unreadable',
  'not-an-image': 'not an image',
  'unsupported-format': 'unsupported format',
  corrupt: 'truncated or corrupt',
};

/** One line: counts by reason, then the first few paths. */
export function skipSummary(skipped: SkippedFile[], firstPaths = 3): string {
  if (skipped.length === 0) return '';
  const counts = new Map<string, number>();
  for (const s of skipped) counts.set(REASON_TEXT[s.reason], (counts.get(REASON_TEXT[s.reason]) ?? 0) + 1);
  const byReason = [...counts].map(([r, n]) => `${n} ${r}`).join(', ');
  const first = skipped.slice(0, firstPaths).map((s) => `${s.path} (${s.message})`).join('; ');
  return `Skipped ${skipped.length} file${skipped.length === 1 ? '' : 's'}: ${byReason}. First: ${first}${skipped.length > firstPaths ? '; ...' : ''}`;
}
