/**
 * Where the CLI's output goes. Commands write through a Context rather than to process.stdout,
 * so the tests can run them in-process and read what they printed.
 */
import type { ProgressSink } from '../src/callbacks/progbar.js';

export interface Context {
  /** A line of normal output (results, tables). */
  out(line: string): void;
  /** A line of diagnostics (notes, warnings); errors are printed by main. */
  err(line: string): void;
  /** Where progress bars go (Keras-style: redrawn on a terminal, final lines otherwise). */
  progress: ProgressSink;
  /** Whether stderr is a terminal (download progress bars). */
  stderrIsTTY: boolean;
}

/** A mistake of the user's: printed as one line, no stack trace, exit status 1 (or `code`). */
export class CliError extends Error {
  constructor(message: string, readonly code = 1) {
    super(message);
    this.name = 'CliError';
  }
}

/**
 * stdout/stderr of the process. When a reader closes the pipe early (`convlab train ... | head`),
 * further output is dropped but the work goes on, so the model and pictures are still written.
 */
export function processContext(): Context {
  const closed = { stdout: false, stderr: false };
  for (const name of ['stdout', 'stderr'] as const) {
    process[name].on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPIPE') throw e;
      closed[name] = true;
    });
  }
  const write = (name: 'stdout' | 'stderr', s: string) => {
    if (!closed[name]) process[name].write(s);
  };
  return {
    out: (line) => write('stdout', `${line}\n`),
    err: (line) => write('stderr', `${line}\n`),
    progress: { write: (s) => write('stdout', s), isTTY: Boolean(process.stdout.isTTY) },
    stderrIsTTY: Boolean(process.stderr.isTTY),
  };
}

/** A Context that records everything, for tests. */
export function memoryContext(): Context & { stdout: string[]; stderr: string[]; progressText: () => string } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  let progress = '';
  return {
    stdout,
    stderr,
    out: (line) => void stdout.push(line),
    err: (line) => void stderr.push(line),
    progress: { write: (s) => void (progress += s), isTTY: false },
    stderrIsTTY: false,
    progressText: () => progress,
  };
}
