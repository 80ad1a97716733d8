/**
 * The image files named on predict's command line: files as given, directories searched
 * recursively for images by extension (Keras's allow-list, plus .webp, which convlab decodes),
 * hidden files and folders (.DS_Store, .git) left out, in string order as Keras lists them.
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';

export const IMAGE_EXTENSIONS = ['.bmp', '.gif', '.jpeg', '.jpg', '.png', '.webp'];

export interface ImageArg {
  /** The path to read. */
  file: string;
  /** How results name it: the file as given, or its path under the directory given. */
  label: string;
}

/** A command-line path that yields no image to read: reported like an unreadable file. */
export interface MissingArg {
  file: string;
  reason: string;
}

/** The files to read, in command-line order, and the directories without images in their places. */
export async function expandImageArgs(args: readonly string[]): Promise<(ImageArg | MissingArg)[]> {
  const entries: (ImageArg | MissingArg)[] = [];
  for (const arg of args) {
    let isDir = false;
    try {
      isDir = (await fsp.stat(arg)).isDirectory();
    } catch {
      // Not there: prepareImage reports it with the reason, in its place among the files.
    }
    if (!isDir) {
      entries.push({ file: arg, label: path.basename(arg) });
      continue;
    }
    const found = await imagesUnder(arg);
    if (found.length === 0) entries.push({ file: arg, reason: `a directory with no image files in it or below it (looked for ${IMAGE_EXTENSIONS.join(', ')}, any case)` });
    for (const f of found) entries.push({ file: f, label: f });
  }
  return entries;
}

async function imagesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  const seen = new Set<string>();
  const walk = async (d: string): Promise<void> => {
    const real = await fsp.realpath(d);
    if (seen.has(real)) return; // a symlink loop
    seen.add(real);
    const entries = await fsp.readdir(d, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const p = path.join(d, e.name);
      let isDir = e.isDirectory();
      let isFile = e.isFile();
      if (e.isSymbolicLink()) {
        const st = await fsp.stat(p).catch(() => null);
        isDir = Boolean(st?.isDirectory());
        isFile = Boolean(st?.isFile());
      }
      if (isDir) await walk(p);
      else if (isFile && IMAGE_EXTENSIONS.includes(path.extname(e.name).toLowerCase())) out.push(p);
    }
  };
  await walk(dir);
  return out;
}
