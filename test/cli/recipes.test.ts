/**
 * The training recipes end to end on a small slice: `convlab train` applies the recipe's
 * schedule, label smoothing and flip-averaged evaluation, evaluates the held-out images, and
 * `npm run results` turns the run directories into docs/results.md without typing a figure.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { dataRoot, repoRoot, rmrf, run, skipWithoutData, tempDir } from './helpers.js';

const skip = skipWithoutData;
let dir = '';
before(() => {
  dir = tempDir();
});
after(() => rmrf(dir));

test('train fashion-vgg runs the recipe, reports flip-averaged and held-out figures, and results.ts writes them up', { skip }, async () => {
  const runDir = path.join(dir, 'runs', 'fashion-vgg', 'seed-3');
  const r = await run('train', 'fashion-vgg', '--data-dir', dataRoot!, '--limit', '640', '--test-limit', '300', '--epochs', '2', '--validation-split', '0.2', '--seed', '3', '--out', runDir, '--no-plots');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /adamw \(learning rate 0\.005, one-cycle schedule, weight decay 0\.05, label smoothing 0\.1, flip-averaged evaluation\)/);
  assert.match(r.stdout, /test accuracy: [01]\.\d{4} \(300 images, averaged with mirrored images; without: [01]\.\d{4}\)/);
  assert.match(r.stdout, /Held-out validation \(last 128 training images\): loss \d\.\d{4} - accuracy [01]\.\d{4} \(flip-averaged\)/);
  const evaluation = JSON.parse(readFileSync(path.join(runDir, 'evaluation.json'), 'utf8'));
  assert.equal(evaluation.flipAverage, true);
  assert.equal(evaluation.samples, 300);
  assert.equal(evaluation.validation.samples, 128);
  assert.ok(evaluation.withoutFlipAverage.accuracy >= 0 && evaluation.withoutFlipAverage.accuracy <= 1);
  const history = JSON.parse(readFileSync(path.join(runDir, 'history.json'), 'utf8'));
  // One-cycle: the rate logged after epoch 1 (mid-run) is above the final, annealed one.
  assert.equal(history.history.lr.length, 2);
  assert.ok(history.history.lr[0] > history.history.lr[1] && history.history.lr[1] < 0.005 * 0.01);
  const meta = JSON.parse(readFileSync(path.join(runDir, 'convlab.json'), 'utf8'));
  assert.equal(meta.training.schedule, 'one-cycle');

  // What results.ts writes after training a run itself: the commit it was trained at.
  writeFileSync(path.join(runDir, 'provenance.json'), JSON.stringify({ commit: 'abc1234 + changes' }));
  const docs = path.join(dir, 'docs');
  const report = spawnSync(process.execPath, ['--import', 'tsx', 'bench/results.ts', '--report-only', '--runs', path.join(dir, 'runs'), '--docs', docs], { cwd: repoRoot, encoding: 'utf8' });
  assert.equal(report.status, 0, report.stderr);
  const md = readFileSync(path.join(docs, 'results.md'), 'utf8');
  assert.match(md, /## fashion-vgg/);
  assert.match(md, /npx convlab train fashion-vgg --seed 3/);
  assert.ok(md.includes(`| 3 | ${evaluation.accuracy.toFixed(4)} | ${evaluation.withoutFlipAverage.accuracy.toFixed(4)} | ${evaluation.validation.accuracy.toFixed(4)} (128 images) |`), md);
  assert.match(md, /391,850 parameters; 2 epochs, batch 128, adamw/);
  assert.match(md, /\| 2 \| abc1234 \+ changes \|/);
});

test('recipe settings are checked like every other flag', { skip }, async () => {
  const r = await run('train', 'lenet5', '--data-dir', dataRoot!, '--limit', '64', '--epochs', '1', '--optimizer', 'adam', '--weight-decay', '0.1', '--out', path.join(dir, 'wd'));
  assert.equal(r.code, 1);
  assert.match(r.stderr, /--weight-decay applies to adamw and sgd; use --optimizer adamw for Adam with weight decay/);
  const s = await run('train', 'lenet5', '--schedule', 'cosine');
  assert.equal(s.code, 1);
  assert.match(s.stderr, /--schedule must be one of constant, one-cycle, received 'cosine'|--schedule.*cosine/);
});
