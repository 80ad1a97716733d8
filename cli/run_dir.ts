/**
 * Run directories are never destroyed or mixed (issue 16).
 *
 * - Without --out, `train` picks a fresh name: runs/<model>-<dataset>, then -2, -3, ... (as
 *   Ultralytics' increment_path does), so a second run never replaces the first.
 * - An explicit --out that already holds a run is refused unless --overwrite is given; then the
 *   old run's files are moved to DIR/.convlab-replaced under the lock before training starts and
 *   deleted once the new run is complete.
 * - While a command writes into a run directory it holds `.convlab.lock` there, created whole
 *   and exclusively (a hard link of a written draft) and holding the pid, host and start time. A
 *   second process gets an error naming that pid; a lock whose process has died (kill(pid, 0)
 *   fails with ESRCH) is taken over with a note.
 */
import { closeSync, existsSync, linkSync, mkdirSync, openSync, promises as fsp, readdirSync, readFileSync, rmdirSync, rmSync, statSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CliError } from './context.js';
import { CHECKPOINT_DIR } from './resume.js';
import { METADATA_FILE } from './model_store.js';
import { PICTURE_FILES } from './pictures.js';

export const LOCK_FILE = '.convlab.lock';

/** The files `convlab train` writes into a run directory (the pictures and evaluation-*.json aside). */
const RUN_FILES = ['model.json', 'weights.bin', METADATA_FILE, 'history.json', 'history.csv', 'evaluation.json', CHECKPOINT_DIR];

interface LockInfo {
  pid: number;
  hostname: string;
  startedAt: string;
  command: string;
}

/** Which of a run's own files `dir` holds (empty when none, or when `dir` does not exist). */
export function runFilesIn(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const pictures = new Set<string>(Object.values(PICTURE_FILES));
  const rank = (n: string) => (RUN_FILES.includes(n) ? RUN_FILES.indexOf(n) : RUN_FILES.length);
  return names
    .filter((n) => RUN_FILES.includes(n) || pictures.has(n) || /^evaluation-[\w-]+\.json$/.test(n))
    .sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0))
    .map((n) => (n === CHECKPOINT_DIR ? `${n}/` : n));
}

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/**
 * When process `pid` started (ms since the epoch), where Linux's /proc says; null elsewhere.
 * A pid is reused after its process ends (in a restarted container, often by the same command),
 * so a live pid that started after the lock was written is not the lock's owner.
 */
function processStartMs(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[19]); // field 22 of proc(5), counted after the command name
    const boot = Number(/^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1]);
    // USER_HZ is 100 on every Linux architecture Node runs on.
    return Number.isFinite(ticks) && Number.isFinite(boot) ? boot * 1000 + ticks * 10 : null;
  } catch {
    return null;
  }
}

/** Lock files this process holds: a lock naming our own pid that is not among them is a stale one. */
const heldHere = new Set<string>();

/**
 * Why the process named in `lock` (on this host) no longer holds it: it has ended, or its pid
 * belongs to another process since; null while it runs.
 */
function staleReason(lock: LockInfo, file: string): string | null {
  if (lock.pid === process.pid) return heldHere.has(file) ? null : `which is no longer running (its pid ${lock.pid} is this process's now)`;
  if (!processIsAlive(lock.pid)) return 'which is no longer running';
  const started = processStartMs(lock.pid);
  const locked = Date.parse(lock.startedAt);
  // Slack for the rounding of ticks and boot time, and for a wall clock set back meanwhile: a
  // lock is judged stale by this test only when it is older than its process by half a minute.
  if (started !== null && Number.isFinite(locked) && started > locked + 30_000) {
    return `which is no longer running (pid ${lock.pid} belongs to a process started at ${new Date(started).toISOString()})`;
  }
  return null;
}

function readLock(file: string): LockInfo | null {
  try {
    const info = JSON.parse(readFileSync(file, 'utf8')) as Partial<LockInfo>;
    return typeof info.pid === 'number' ? (info as LockInfo) : null;
  } catch {
    return null; // gone, or being written by its owner this very moment
  }
}

/**
 * Creates `file` holding `content` only if it does not exist; false when it does. The content is
 * written to a file of this process's own first and hard-linked into place, which fails if `file`
 * exists: so a lock is never seen, or left behind by a killed process, empty or half-written.
 * Where the file system has no hard links, an O_EXCL create and a write do the same with a
 * window of an instant (readers treat an unreadable lock as being written).
 */
function createExclusive(file: string, content: string): boolean {
  const draft = `${file}.${process.pid}.draft`;
  try {
    writeFileSync(draft, content, { mode: 0o644 });
    linkSync(draft, file);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'ENOSYS' && code !== 'EOPNOTSUPP') {
      throw new CliError(`Cannot lock '${path.dirname(file)}': ${(e as Error).message}`);
    }
  } finally {
    rmSync(draft, { force: true });
  }
  let fd: number;
  try {
    fd = openSync(file, 'wx', 0o644);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new CliError(`Cannot lock '${path.dirname(file)}': ${(e as Error).message}`);
  }
  try {
    writeSync(fd, content);
  } finally {
    closeSync(fd);
  }
  return true;
}

export class RunLock {
  private released = false;
  private readonly onExit = () => this.release();

  private constructor(
    readonly dir: string,
    private readonly content: string,
    /** Whether acquire made the directory: then an empty one is removed again on release. */
    private readonly createdDir: boolean,
  ) {
    heldHere.add(this.file);
    // A second Ctrl-C ends the process with process.exit: the lock goes with it.
    process.on('exit', this.onExit);
  }

  get file(): string {
    return path.join(this.dir, LOCK_FILE);
  }

  /**
   * Locks `dir` (created if needed) for `command`, or throws a CliError naming the process that
   * holds it. `note` receives a line when a stale lock is taken over.
   */
  static acquire(dir: string, command: string, note: (line: string) => void): RunLock {
    const info: LockInfo = { pid: process.pid, hostname: os.hostname(), startedAt: new Date().toISOString(), command };
    const content = `${JSON.stringify(info)}\n`;
    const file = path.join(dir, LOCK_FILE);
    const existed = existsSync(dir);
    if (existed && !statSync(dir).isDirectory()) throw new CliError(`'${displayPath(dir)}' is a file, not a directory; choose another --out`);
    try {
      mkdirSync(dir, { recursive: true });
    } catch (e) {
      throw new CliError(`Cannot create the run directory '${displayPath(dir)}': ${(e as Error).message}`);
    }
    for (let attempt = 0; attempt < 3; attempt++) {
      if (createExclusive(file, content)) return new RunLock(dir, content, !existed);
      const holder = readLock(file);
      if (!holder) {
        // Empty or half-written: its owner is writing it now, or died in between. Look again
        // shortly; a file that stays unreadable is reported below.
        sleepSync(50);
        continue;
      }
      const sameHost = holder.hostname === os.hostname();
      const stale = sameHost ? staleReason(holder, file) : null;
      if (stale) {
        if (takeOver(file, holder, content)) {
          note(`convlab: note: '${displayPath(dir)}' was locked by process ${holder.pid} (${holder.command}, started ${holder.startedAt}), ${stale}; taking the lock over`);
          return new RunLock(dir, content, !existed);
        }
        continue;
      }
      const where = sameHost ? '' : ` on host ${holder.hostname}`;
      throw new CliError(
        `'${displayPath(dir)}' is in use by process ${holder.pid}${where} (${holder.command}, started ${holder.startedAt}); wait for it to end, or use another directory` +
          `${sameHost ? '' : `. If that process is gone, delete ${displayPath(file)}`}`,
      );
    }
    throw new CliError(`Cannot lock '${displayPath(dir)}': ${displayPath(file)} exists but cannot be read as a lock; delete it if no convlab command is running there`);
  }

  /** Removes the lock (once), and the directory when acquire made it and nothing was written; safe on every path out. */
  release(): void {
    if (this.released) return;
    this.released = true;
    heldHere.delete(this.file);
    process.off('exit', this.onExit);
    // Only our own lock: one that is not ours any more stays.
    if (readFileSafe(this.file) !== this.content) return;
    try {
      unlinkSync(this.file);
      if (this.createdDir) rmdirSync(this.dir);
    } catch {
      // The directory holds files (the run), or is gone already: leave it.
    }
  }
}

/**
 * Replaces a dead process's lock by ours. Two processes may find the same stale lock at once;
 * a takeover file created with O_EXCL lets one of them replace it, and the loser retries (and
 * then finds the winner's live lock).
 */
function takeOver(file: string, stale: LockInfo, content: string): boolean {
  const guard = `${file}.takeover`;
  if (!createExclusive(guard, `${process.pid}\n`)) {
    const pid = Number(readFileSafe(guard).trim());
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && !processIsAlive(pid)) rmSync(guard, { force: true });
    else sleepSync(50);
    return false;
  }
  try {
    const now = readLock(file);
    if (now && (now.pid !== stale.pid || now.startedAt !== stale.startedAt)) return false;
    rmSync(file, { force: true });
    return createExclusive(file, content);
  } finally {
    rmSync(guard, { force: true });
  }
}

function readFileSafe(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

export function displayPath(p: string): string {
  return path.relative(process.cwd(), p) || '.';
}

/**
 * The directory for a new run without --out: `base`, or `base-2`, `base-3`, ... the first that
 * holds no run and is not locked, returned locked.
 */
export function claimFreshRunDir(base: string, command: string, note: (line: string) => void): { dir: string; lock: RunLock } {
  for (let n = 1; ; n++) {
    const dir = n === 1 ? base : `${base}-${n}`;
    if (runFilesIn(dir).length > 0) continue;
    if (existsSync(dir) && !statSync(dir).isDirectory()) continue;
    let lock: RunLock;
    try {
      lock = RunLock.acquire(dir, command, note);
    } catch (e) {
      if (e instanceof CliError && /is in use by process/.test(e.message)) continue;
      throw e;
    }
    // Another process may have finished a run here between the check and the lock.
    if (runFilesIn(dir).length > 0) {
      lock.release();
      continue;
    }
    return { dir, lock };
  }
}

/** Where `--overwrite` keeps the run it replaces until the new run is complete. */
export const REPLACED_DIR = '.convlab-replaced';

/** What `train` does with a run it replaces: set it aside before training, drop it once the new run is written. */
export interface OldRun {
  setAside(): Promise<void>;
  discard(): Promise<void>;
}

export const NO_OLD_RUN: OldRun = { setAside: async () => undefined, discard: async () => undefined };

/** A run resumed in place: if it was replacing an earlier run, that run goes once this one completes. */
export function resumedRun(dir: string): OldRun {
  return { setAside: async () => undefined, discard: () => fsp.rm(path.join(dir, REPLACED_DIR), { recursive: true, force: true }) };
}

/**
 * Refuses an --out that holds a run unless `overwrite`. With it, returns how to replace the old
 * run (the lock held): train sets it aside once the data is loaded and the model built, so a
 * mistake found before then leaves the old run as it was, and discards it only when the new run
 * is complete, so a run killed before it finishes leaves the old one in DIR/.convlab-replaced.
 */
export function checkExplicitOut(dir: string, overwrite: boolean, note: (line: string) => void): OldRun {
  const found = runFilesIn(dir);
  const replaced = path.join(dir, REPLACED_DIR);
  const earlier = existsSync(replaced);
  if (found.length === 0 && !earlier) return NO_OLD_RUN;
  const shown = displayPath(dir);
  if (found.length > 0 && !overwrite) {
    throw new CliError(
      `'${shown}' already holds a run (${found.slice(0, 4).join(', ')}${found.length > 4 ? ', ...' : ''}); ` +
        `pass --overwrite to replace it, --resume ${shown} to continue it, or leave out --out to write to a fresh directory`,
    );
  }
  return {
    async setAside() {
      if (earlier) {
        // A replacement was interrupted before: the complete run set aside then is the one worth
        // keeping, and what lies in DIR is that interrupted run's partial output.
        for (const name of found) await fsp.rm(path.join(dir, name.replace(/\/$/, '')), { recursive: true, force: true });
        note(`convlab: --overwrite: '${displayPath(replaced)}' holds a run whose replacement was interrupted; it stays there until this run completes${found.length ? ` (removed the interrupted run's ${found.join(', ')})` : ''}`);
      } else {
        await fsp.mkdir(replaced);
        for (const name of found) {
          const n = name.replace(/\/$/, '');
          await fsp.rename(path.join(dir, n), path.join(replaced, n));
        }
        note(`convlab: --overwrite: moved the earlier run in '${shown}' (${found.join(', ')}) to ${REPLACED_DIR}/; it is deleted when this run completes`);
      }
      // Only convlab's own files move: anything else there (an exported model.onnx, notes) is the user's.
      const others = readdirSync(dir).filter((n) => n !== LOCK_FILE && n !== REPLACED_DIR);
      if (others.length) note(`convlab: --overwrite: left in place, not written by convlab train: ${others.slice(0, 5).join(', ')}${others.length > 5 ? ', ...' : ''}`);
    },
    async discard() {
      await fsp.rm(replaced, { recursive: true, force: true });
    },
  };
}

/** Runs `fn` holding the lock of `dir`, for commands that write into a run directory (plot, evaluate). */
export async function withRunLock<T>(dir: string, command: string, note: (line: string) => void, fn: () => Promise<T>): Promise<T> {
  const lock = RunLock.acquire(dir, command, note);
  try {
    return await fn();
  } finally {
    lock.release();
  }
}
