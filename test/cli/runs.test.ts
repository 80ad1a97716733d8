/**
 * Issue 16, item 3: a run never replaces or mixes with another. Without --out, train picks
 * runs/<model>-<dataset>, then -2, -3, ...; an --out holding a run is refused unless --overwrite;
 * a run directory is locked while a command writes into it (pid, host, start time), a stale lock
 * of a dead process is taken over, and --resume takes the lock too.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, promises as fsp, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { RunLock } from '../../cli/run_dir.js';
import { dataRoot, repoRoot, rmrf, run, skipWithoutData, tempDir } from './helpers.js';

/** cli/run_dir.ts's LOCK_FILE, spelled out so that this file also runs against a CLI without locks (and fails there). */
const LOCK_FILE = '.convlab.lock';

const skip = skipWithoutData;
const quick = () => ['--dataset', 'fashion-mnist', '--data-dir', dataRoot!, '--limit', '64', '--test-limit', '32', '--epochs', '1', '--seed', '3', '--no-plots', '--quiet'];
let dir = '';
const cwd = process.cwd();

before(() => {
  dir = tempDir();
  process.chdir(dir); // runs/ is relative to the working directory
});
after(() => {
  process.chdir(cwd);
  rmrf(dir);
});

/** A process that stays alive until killed, to stand for a training run holding a lock. */
function liveProcess(): ChildProcess {
  return spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
}

function writeLock(runDir: string, pid: number, startedAt = new Date().toISOString()): string {
  writeFileSync(path.join(runDir, LOCK_FILE), `${JSON.stringify({ pid, hostname: os.hostname(), startedAt, command: 'convlab train lab-cnn' })}\n`);
  return startedAt;
}

async function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise((resolve) => child.once('exit', resolve));
}

test('without --out a second run goes to runs/<model>-<dataset>-2 and leaves the first as it was', { skip }, async () => {
  const first = path.join(dir, 'runs', 'lab-cnn-fashion-mnist');
  let r = await run('train', 'lab-cnn', ...quick());
  assert.equal(r.code, 0, r.stderr);
  const weights = await fsp.readFile(path.join(first, 'weights.bin'));
  const meta = await fsp.readFile(path.join(first, 'convlab.json'), 'utf8');
  r = await run('train', 'lab-cnn', ...quick(), '--seed', '4');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /^convlab: 'runs\/lab-cnn-fashion-mnist' holds an earlier run; this run goes to 'runs\/lab-cnn-fashion-mnist-2'/m);
  assert.deepEqual(await fsp.readFile(path.join(first, 'weights.bin')), weights);
  assert.equal(await fsp.readFile(path.join(first, 'convlab.json'), 'utf8'), meta);
  assert.ok(existsSync(path.join(`${first}-2`, 'model.json')));
  for (const d of [first, `${first}-2`]) assert.ok(!existsSync(path.join(d, LOCK_FILE)), 'the lock is removed when the run ends');
});

test('an --out holding a run is refused, naming --overwrite; --overwrite replaces it', { skip }, async () => {
  const out = path.join(dir, 'mine');
  assert.equal((await run('train', 'lab-cnn', ...quick(), '--out', out)).code, 0);
  const before = await fsp.readFile(path.join(out, 'convlab.json'), 'utf8');
  let r = await run('train', 'lenet5', ...quick(), '--out', out);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^convlab: error: 'mine' already holds a run \(model\.json, weights\.bin, convlab\.json, history\.json, \.\.\.\); pass --overwrite to replace it, --resume mine to continue it, or leave out --out/);
  assert.equal(await fsp.readFile(path.join(out, 'convlab.json'), 'utf8'), before, 'refused: nothing written');
  assert.ok(!existsSync(path.join(out, LOCK_FILE)));
  writeFileSync(path.join(out, 'notes.txt'), 'mine, not convlab\'s');
  r = await run('train', 'lenet5', ...quick(), '--out', out, '--overwrite');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /^convlab: --overwrite: moved the earlier run in 'mine' \(model\.json, weights\.bin, convlab\.json, history\.json, history\.csv, evaluation\.json, checkpoint\/\) to \.convlab-replaced\/; it is deleted when this run completes$/m);
  assert.match(r.stderr, /^convlab: --overwrite: left in place, not written by convlab train: notes\.txt$/m);
  assert.ok(existsSync(path.join(out, 'notes.txt')));
  assert.ok(!existsSync(path.join(out, '.convlab-replaced')), 'the replaced run goes once the new one is complete');
  assert.equal(JSON.parse(await fsp.readFile(path.join(out, 'convlab.json'), 'utf8')).model, 'lenet5');
  const state = JSON.parse(await fsp.readFile(path.join(out, 'checkpoint', 'training_state.json'), 'utf8'));
  assert.equal(state.userData.model, 'lenet5', 'the checkpoint is the new run\'s, not a mix');
  r = await run('train', '--resume', out, '--overwrite');
  assert.match(r.stderr, /--overwrite replaces a run and --resume continues one/);
});

test('a locked run directory: a clear error naming the pid; a dead process\'s lock is taken over', { skip }, async () => {
  const out = path.join(dir, 'locked');
  await fsp.mkdir(out);
  const holder = liveProcess();
  let started = '';
  try {
    await new Promise((resolve) => holder.once('spawn', resolve));
    started = writeLock(out, holder.pid!);
    let r = await run('train', 'lab-cnn', ...quick(), '--out', out);
    assert.equal(r.code, 1);
    assert.equal(r.stderr.split('\n')[0], `convlab: error: 'locked' is in use by process ${holder.pid} (convlab train lab-cnn, started ${started}); wait for it to end, or use another directory`);
    assert.ok(!existsSync(path.join(out, 'model.json')));
    r = await run('plot', path.join(dir, 'mine'), '--out', out, '--only', 'history');
    assert.match(r.stderr, new RegExp(`is in use by process ${holder.pid}`), 'plot writes into a run only when it is free');
    r = await run('export', path.join(dir, 'mine'), '--onnx', path.join(out, 'model.onnx'));
    assert.match(r.stderr, new RegExp(`is in use by process ${holder.pid}`), 'so does export');
    assert.ok(!existsSync(path.join(out, 'model.onnx')));
  } finally {
    holder.kill();
    await exited(holder);
  }
  const r = await run('train', 'lab-cnn', ...quick(), '--out', out);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, new RegExp(`^convlab: note: 'locked' was locked by process ${holder.pid} \\(convlab train lab-cnn, started ${started}\\), which is no longer running; taking the lock over`, 'm'));
  assert.ok(existsSync(path.join(out, 'model.json')));
  assert.ok(!existsSync(path.join(out, LOCK_FILE)));
});

test('a lock whose pid is in use by a later process (pid reuse, a restarted container) is stale', { skip }, async () => {
  for (const [name, pid] of [['reused-self', process.pid], ['reused-other', process.ppid]] as const) {
    const out = path.join(dir, name);
    await fsp.mkdir(out);
    writeLock(out, pid, '2020-01-01T00:00:00.000Z');
    const r = await run('train', 'lab-cnn', ...quick(), '--out', out);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`was locked by process ${pid} \\(convlab train lab-cnn, started 2020-01-01T00:00:00.000Z\\), which is no longer running \\((its pid ${pid} is this process's now|pid ${pid} belongs to a process started at 20\\d\\d-[^)]+)\\); taking the lock over`));
  }
});

test('--resume takes the lock too', { skip }, async () => {
  const out = path.join(dir, 'mine');
  const holder = liveProcess();
  try {
    writeLock(out, holder.pid!);
    const r = await run('train', '--resume', out, '--epochs', '2', '--quiet');
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`^convlab: error: 'mine' is in use by process ${holder.pid} `));
  } finally {
    holder.kill();
    await exited(holder);
    await fsp.rm(path.join(out, LOCK_FILE), { force: true });
  }
  const r = await run('train', '--resume', out, '--epochs', '2', '--quiet');
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(await fsp.readFile(path.join(out, 'history.json'), 'utf8')).epoch, [1, 2]);
});

test('two train processes with the same --out: the second is refused while the first runs, and the run is whole', { skip }, async () => {
  const out = path.join(dir, 'shared');
  const cli = path.join(repoRoot, 'cli', 'convlab.ts');
  const child = spawn(process.execPath, ['--import', 'tsx', cli, 'train', 'lenet5', ...quick(), '--limit', '2000', '--out', out], { cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe'] });
  let childErr = '';
  child.stderr!.on('data', (d) => (childErr += d));
  try {
    const lock = path.join(out, LOCK_FILE);
    // The lock exists an instant before its owner has written it (O_EXCL create, then write): wait
    // until it reads whole, as RunLock.acquire does.
    const holder = (): { pid?: number } | null => {
      try {
        return JSON.parse(readFileSync(lock, 'utf8')) as { pid?: number };
      } catch {
        return null;
      }
    };
    for (let t = 0; holder() === null && t < 600; t++) await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(holder()?.pid, child.pid, `the first process locks ${out}: ${childErr}`);
    const r = await run('train', 'lab-cnn', ...quick(), '--out', out);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`^convlab: error: 'shared' is in use by process ${child.pid} \\(convlab train lenet5, started `));
  } finally {
    await exited(child);
  }
  assert.equal(child.exitCode, 0, childErr);
  assert.equal(JSON.parse(await fsp.readFile(path.join(out, 'convlab.json'), 'utf8')).model, 'lenet5');
  assert.equal(JSON.parse(await fsp.readFile(path.join(out, 'checkpoint', 'training_state.json'), 'utf8')).userData.model, 'lenet5');
  assert.ok(!existsSync(path.join(out, LOCK_FILE)));
});

test('a run killed with SIGKILL leaves its lock, and the next run takes it over', { skip }, async () => {
  const out = path.join(dir, 'killed');
  const cli = path.join(repoRoot, 'cli', 'convlab.ts');
  // SIGKILL cannot be handled: the lock stays behind, as after a crash or an OOM kill.
  const script = `const { spawn } = require('node:child_process'); const fs = require('node:fs');
    const c = spawn(process.execPath, ['--import', 'tsx', ${JSON.stringify(cli)}, 'train', 'lab-cnn', ${quick().map((a) => JSON.stringify(a)).join(', ')}, '--limit', '5000', '--out', ${JSON.stringify(out)}], { cwd: ${JSON.stringify(repoRoot)}, stdio: 'ignore' });
    const t = setInterval(() => { if (fs.existsSync(${JSON.stringify(path.join(out, LOCK_FILE))})) { clearInterval(t); c.kill('SIGKILL'); } }, 20);
    c.on('exit', () => console.log(c.pid));`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 60_000 });
  const pid = Number(r.stdout.trim());
  assert.ok(pid > 0, r.stderr);
  assert.equal(JSON.parse(readFileSync(path.join(out, LOCK_FILE), 'utf8')).pid, pid);
  const next = await run('train', 'lab-cnn', ...quick(), '--out', out);
  assert.equal(next.code, 0, next.stderr);
  assert.match(next.stderr, new RegExp(`'killed' was locked by process ${pid} \\(convlab train lab-cnn, started [^)]+\\), which is no longer running; taking the lock over`));
});

test('--overwrite killed before the new run completes keeps the old run in .convlab-replaced until a replacement completes', { skip }, async () => {
  const out = path.join(dir, 'replaced');
  assert.equal((await run('train', 'lab-cnn', ...quick(), '--out', out)).code, 0);
  const weights = await fsp.readFile(path.join(out, 'weights.bin'));
  const cli = path.join(repoRoot, 'cli', 'convlab.ts');
  const aside = path.join(out, '.convlab-replaced');
  // Killed once the old run is set aside, during the first epoch (before any checkpoint).
  const script = `const { spawn } = require('node:child_process'); const fs = require('node:fs');
    const c = spawn(process.execPath, ['--import', 'tsx', ${JSON.stringify(cli)}, 'train', 'lenet5', ${quick().map((a) => JSON.stringify(a)).join(', ')}, '--limit', '20000', '--out', ${JSON.stringify(out)}, '--overwrite'], { cwd: ${JSON.stringify(repoRoot)}, stdio: 'ignore' });
    const t = setInterval(() => { if (fs.existsSync(${JSON.stringify(path.join(aside, 'weights.bin'))})) { clearInterval(t); c.kill('SIGKILL'); } }, 5);
    c.on('exit', (code, signal) => console.log(signal));`;
  const killed = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(killed.stdout.trim(), 'SIGKILL', killed.stderr);
  assert.deepEqual(await fsp.readFile(path.join(aside, 'weights.bin')), weights, 'the old run survives the kill');
  assert.ok(!existsSync(path.join(out, 'weights.bin')));
  const r = await run('train', 'lenet5', ...quick(), '--out', out, '--overwrite');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /'replaced\/\.convlab-replaced' holds a run whose replacement was interrupted; it stays there until this run completes/);
  assert.ok(!existsSync(aside), 'gone once the replacement is complete');
  assert.equal(JSON.parse(await fsp.readFile(path.join(out, 'convlab.json'), 'utf8')).model, 'lenet5');
});

test('a lock is created whole: it parses at once, no draft is left beside it, and a second acquire is refused', () => {
  const out = path.join(dir, 'whole-lock');
  const lock = RunLock.acquire(out, 'convlab test', () => {});
  try {
    assert.deepEqual(readdirSync(out), [LOCK_FILE]);
    const info = JSON.parse(readFileSync(path.join(out, LOCK_FILE), 'utf8'));
    assert.equal(info.pid, process.pid);
    assert.equal(info.command, 'convlab test');
    assert.throws(() => RunLock.acquire(out, 'convlab other', () => {}), /is in use by process/);
    assert.deepEqual(readdirSync(out), [LOCK_FILE], 'the refused acquire leaves no draft either');
  } finally {
    lock.release();
  }
  assert.ok(!existsSync(out), 'a directory the lock made and nothing else used is removed on release');
});
