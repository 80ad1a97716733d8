/** Shared helpers for the CLI tests (not a test file itself). */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadImage } from '@napi-rs/canvas';
import { memoryContext } from '../../cli/context.js';
import { main } from '../../cli/main.js';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** A directory holding fashion-mnist/: $CONVLAB_SHARED_DATASETS, ../shared/datasets, or Debian's. */
export const dataRoot = [process.env.CONVLAB_SHARED_DATASETS, path.resolve(repoRoot, '../shared/datasets'), '/usr/share/datasets']
  .filter((d): d is string => Boolean(d))
  .find((d) => existsSync(path.join(d, 'fashion-mnist')));

export const skipWithoutData = dataRoot ? false : 'Fashion-MNIST not found (set CONVLAB_SHARED_DATASETS or install dataset-fashion-mnist); skipping';

export function tempDir(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'convlab-cli-'));
}

export function rmrf(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Runs the CLI in-process; returns the exit status and what it printed. */
export async function run(...argv: string[]) {
  const ctx = memoryContext();
  const code = await main(argv, ctx);
  return { code, stdout: ctx.stdout.join('\n'), stderr: ctx.stderr.join('\n'), progress: ctx.progressText() };
}

/** Decodes a PNG file and returns its size (throws if it is not a valid image). */
export async function pngSize(file: string): Promise<{ width: number; height: number }> {
  const img = await loadImage(file);
  return { width: img.width, height: img.height };
}
