/** summary, compare, models, --help and the newcomer mistakes that need no data. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { test } from 'node:test';
import { repoRoot, run } from './helpers.js';

test('summary lab-cnn prints the lab\'s table with 118,980 params', async () => {
  const r = await run('summary', 'lab-cnn');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /\(None, 28, 28, 5\)\s+50/);
  assert.match(r.stdout, /\(None, 14, 14, 5\)\s+0/);
  assert.match(r.stdout, /Total params: 118,980/);
});

test('compare lab-mlp lab-conv shows 48,000,100 vs 2,800, the ratio and the shapes', async () => {
  const r = await run('compare', 'lab-mlp', 'lab-conv');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Total params\s+48,000,100\s+2,800/);
  assert.match(r.stdout, /lab-mlp has 17,143 times as many parameters as lab-conv/);
  assert.match(r.stdout, /flatten.*\(None, 480000\)/);
  assert.match(r.stdout, /\(None, 798, 598, 100\)\s+2,800/);
});

test('compare lab-conv lab-conv-pool shows the shape before and after pooling (Desafio 2)', async () => {
  const r = await run('compare', 'lab-conv', 'lab-conv-pool');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /max_pooling2d.*\(None, 399, 299, 100\)/);
  assert.match(r.stdout, /Ratio: lab-conv has 1.00 times/);
});

test('models lists the zoo with sources', async () => {
  const r = await run('models');
  assert.equal(r.code, 0);
  for (const name of ['lab-mlp', 'lab-cnn', 'lenet5', 'lenet5-classic', 'cifar-cnn']) assert.match(r.stdout, new RegExp(`^${name}\\s`, 'm'));
  assert.match(r.stdout, /LeCun et al\. 1998/);
});

test('every command has --help', async () => {
  for (const cmd of ['summary', 'compare', 'models', 'train', 'evaluate', 'predict', 'plot', 'export']) {
    const r = await run(cmd, '--help');
    assert.equal(r.code, 0, cmd);
    assert.match(r.stdout, new RegExp(`Usage: convlab ${cmd}`), cmd);
  }
  const top = await run('--help');
  assert.equal(top.code, 0);
  for (const cmd of ['summary', 'compare', 'train', 'evaluate', 'predict', 'plot']) assert.match(top.stdout, new RegExp(`\\n  ${cmd}`));
  assert.match((await run('train', '--help')).stdout, /--validation-split <f>.*\n?.*--optimizer/s);
});

test('newcomer mistakes: one line, the valid choices, non-zero exit', async () => {
  const cases: [string[], RegExp][] = [
    [['summary', 'lenet'], /^convlab: error: Unknown model 'lenet'; valid models: lab-mlp, lab-conv, .*lenet5/],
    [['train', 'resnet50', '--dataset', 'fashion-mnist'], /Unknown model 'resnet50'; valid models: .*lab-cnn/],
    [['train', 'lenet5', '--dataset', 'imagenet'], /^convlab: error: Unknown dataset 'imagenet'; valid datasets: fashion-mnist, mnist, cifar10$/],
    [['train', 'lab-mlp', '--dataset', 'fashion-mnist'], /parameter-count example .* cannot be trained. Trainable models: lab-cnn, lenet5/],
    [['train', 'lenet5', '--epochs', 'three'], /--epochs must be a non-negative integer, received 'three'/],
    [['train', 'lenet5', '--validation-split', '1.5'], /--validation-split must be a number in \[0, 1\), received '1.5'/],
    [['train', 'lenet5', '--optimizer', 'adagrad'], /--optimizer must be one of adam, adamw, sgd, rmsprop/],
    [['evaluate', '/no/such/model', '--dataset', 'fashion-mnist'], /No saved model at '\/no\/such\/model'/],
    [['predict', '/no/such/model', 'x.png'], /No saved model at/],
    [['frobnicate'], /unknown command 'frobnicate'/],
  ];
  for (const [argv, pattern] of cases) {
    const r = await run(...argv);
    assert.notEqual(r.code, 0, argv.join(' '));
    const first = r.stderr.split('\n')[0];
    assert.match(first, pattern, `${argv.join(' ')} → ${r.stderr}`);
  }
});

test('the command itself: exit status and a single error line (child process)', () => {
  const cli = path.join(repoRoot, 'cli', 'convlab.ts');
  const ok = spawnSync(process.execPath, ['--import', 'tsx', cli, 'summary', 'lenet5'], { cwd: repoRoot, encoding: 'utf8' });
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /Total params: 61,706/);
  const bad = spawnSync(process.execPath, ['--import', 'tsx', cli, 'summary', 'nosuch'], { cwd: repoRoot, encoding: 'utf8' });
  assert.equal(bad.status, 1);
  assert.equal(bad.stderr.trim().split('\n')[0], `convlab: error: Unknown model 'nosuch'; valid models: lab-mlp, lab-conv, lab-conv-pool, lab-cnn, lenet5, lenet5-classic, cifar-cnn, cifar-cnn-bn, fashion-vgg, cifar-vgg (or the directory of a saved model)`);
  assert.equal(bad.stdout, '');
});
