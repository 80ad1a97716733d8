import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { readTrainingState } from '../../src/io/index.js';
import { dataRoot, repoRoot, rmrf, skipWithoutData, tempDir } from '../cli/helpers.js';

/*
 * Ctrl-C during `convlab train`, in a child process: the first SIGINT stops after the current
 * batch, writes a checkpoint and prints how to resume (exit status 130); a second SIGINT exits
 * at once. Either way no temporary file is left, and `--resume` finishes the run.
 */
const work = tempDir();
after(() => rmrf(work));

interface Child {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** ms from the first SIGINT to the exit */
  stopMs: number;
}

/** Runs `convlab train ...args`; sends SIGINT `signals` times (`gapMs` apart) once training has begun. */
function train(args: string[], signals: number, gapMs = 0, delayMs = 800): Promise<Child> {
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), path.join(repoRoot, 'cli/convlab.ts'), 'train', ...args], { cwd: work, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let firstSignal = 0;
  let sent = 0;
  const send = () => {
    if (child.exitCode !== null) return;
    if (sent === 0) firstSignal = Date.now();
    child.kill('SIGINT');
    if (++sent < signals) setTimeout(send, gapMs);
  };
  child.stdout.on('data', (d: Buffer) => {
    const before = stdout;
    stdout += d.toString();
    if (signals > 0 && !before.includes('Training ') && stdout.includes('Training ')) setTimeout(send, delayMs);
  });
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const killer = setTimeout(() => child.kill('SIGKILL'), 90_000);
  return new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      clearTimeout(killer);
      resolve({ code, signal, stdout, stderr, stopMs: firstSignal ? Date.now() - firstSignal : 0 });
    });
  });
}

/** Every file under `dir`, temporary ones included. */
function tree(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((d) => d.isFile()).map((d) => path.relative(dir, path.join(d.parentPath, d.name)));
}

const common = (out: string, batchSize = 16) => ['lab-cnn', '--data-dir', dataRoot ?? '', '--limit', '6000', '--test-limit', '200', '--batch-size', String(batchSize), '--seed', '5', '--no-plots', '--out', out];

describe('Ctrl-C during convlab train', { skip: skipWithoutData }, () => {
  it('first Ctrl-C: stops after the batch, saves a checkpoint, prints how to resume; --resume finishes', async () => {
    const out = path.join(work, 'run-once');
    const r = await train([...common(out), '--epochs', '2', '--backend', 'reference'], 1);
    assert.equal(r.code, 130, `exit ${r.code} (signal ${r.signal})\n${r.stderr}`);
    assert.match(r.stderr, /interrupted: stopping after the current batch/);
    assert.match(r.stderr, /training interrupted (during epoch 1 of 2 \(after batch \d+ of 300\)|after epoch 1 of 2).*Checkpoint saved in .*checkpoint; resume with: convlab train --resume run-once/);
    assert.ok(r.stopMs < 15_000, `took ${r.stopMs} ms to stop`);
    const files = tree(out);
    assert.deepEqual(files.filter((f) => /\.tmp-/.test(f)), [], 'no temporary files left');
    assert.ok(!files.includes('model.json'), 'an interrupted run does not write the final model');
    const state = await readTrainingState(path.join(out, 'checkpoint'));
    assert.ok(state.epoch === 0 || state.epoch === 1, `checkpoint after ${state.epoch} epochs`);
    assert.equal(state.history.epoch.length, state.epoch, 'the history holds the complete epochs only');

    const resumed = await train(['--resume', out, '--backend', 'reference', '--quiet'], 0);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.ok(existsSync(path.join(out, 'model.json')));
    const final = await readTrainingState(path.join(out, 'checkpoint'));
    assert.equal(final.epoch, 2);
    assert.equal(final.history.epoch.length, 2);
  });

  it('second Ctrl-C: exits at once, leaving only complete files', async () => {
    const out = path.join(work, 'run-twice');
    // The reference backend's batches of 256 take a few hundred ms of JavaScript that does not
    // yield, so both signals arrive while the process is busy: the fast backend could finish the
    // batch, save and exit between them, and then there is no second Ctrl-C to test.
    const r = await train([...common(out, 256), '--epochs', '3', '--backend', 'reference'], 2, 15);
    assert.equal(r.code, 130, `exit ${r.code} (signal ${r.signal})\n${r.stderr}`);
    assert.match(r.stderr, /interrupted again: exiting now/);
    assert.ok(r.stopMs < 2000, `took ${r.stopMs} ms to exit`);
    assert.deepEqual(tree(out).filter((f) => /\.tmp-/.test(f)), [], 'no temporary files left');
    assert.ok(!existsSync(path.join(out, 'model.json')));
  });
});
