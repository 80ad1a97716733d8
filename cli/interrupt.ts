/**
 * Ctrl-C during `convlab train`. The first SIGINT asks training to stop after the batch it is
 * running (fit yields to the event loop between batches, so the handler runs there); `train`
 * then writes a checkpoint, says how to resume, and exits with status 130. A second SIGINT
 * exits at once. Files already in place are whole either way, because every save writes a
 * temporary file and renames it; on the way out this process's own temporary files are removed,
 * so not even a half-written `.name.tmp-PID-...` is left behind.
 */
import { readdirSync, unlinkSync } from 'node:fs';
import * as path from 'node:path';

/** 128 + SIGINT (2), what shells report for a command stopped by Ctrl-C. */
export const INTERRUPTED_EXIT_CODE = 130;

export interface Interrupt {
  /** Whether Ctrl-C has been pressed since `onInterrupt`. */
  readonly requested: boolean;
  /** Restores the default Ctrl-C behaviour (the process ends at once). */
  dispose(): void;
}

/** Removes the temporary files this process is writing in `dirs` (see src/io/atomic_file.ts). */
export function removeOwnTempFiles(dirs: readonly string[]): void {
  const mine = new RegExp(`^\\..+\\.tmp-${process.pid}-[0-9a-f]{8}$`);
  for (const dir of dirs) {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue; // not created yet
    }
    for (const name of names) {
      if (!mine.test(name)) continue;
      try {
        unlinkSync(path.join(dir, name));
      } catch {
        // Already renamed into place by the write in progress: then it is complete.
      }
    }
  }
}

/**
 * Handles SIGINT until `dispose()`: the first calls `onFirst`, the second removes this
 * process's temporary files from `dirs`, prints `exitMessage` and exits with status 130.
 */
export function onInterrupt(options: { onFirst: () => void; dirs: readonly string[]; err: (line: string) => void; exitMessage: string }): Interrupt {
  let count = 0;
  const handler = () => {
    count++;
    if (count === 1) {
      options.onFirst();
      return;
    }
    removeOwnTempFiles(options.dirs);
    options.err(options.exitMessage);
    process.exit(INTERRUPTED_EXIT_CODE);
  };
  process.on('SIGINT', handler);
  return {
    get requested() {
      return count > 0;
    },
    dispose() {
      process.off('SIGINT', handler);
    },
  };
}
