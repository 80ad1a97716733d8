import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { renderReport, type Report } from '../../bench/report.js';
import { BIG_MODELS, BIG_TRAIN_CASES, bigTrainKey } from '../../bench/common.js';

const summary = (key: string, values: number[], note?: string) => ({
  key, unit: 'samples/s' as const, values, median: values[1], min: Math.min(...values), max: Math.max(...values), ...(note ? { note } : {}),
});

describe('bench report', () => {
  it('names PyTorch\'s thread setting per row, its BLAS, and compares the real-size rows', () => {
    const key = bigTrainKey('cifar-vgg-noaug', 64);
    const report: Report = {
      date: '2026-12-03T10:00:00.000Z', command: 'npm run bench', repeats: 3, quick: false,
      machine: { cpu: 'cpu', cores: 2, memoryGiB: 24, os: 'Linux', node: 'v20', loadAverageAtStart: 0.1 },
      results: [
        { system: 'convlab wasm 1T', version: 'convlab 0.1.0', notes: [], measurements: [summary(key, [500, 600, 700])] },
        { system: 'PyTorch CPU', version: 'torch 1.13.0a0 (Debian python3-torch), OpenBLAS (kernel Haswell)', notes: [], measurements: [summary(key, [280, 300, 320], '2 threads')] },
      ],
      notes: [],
    };
    const { markdown } = renderReport(report);
    assert.match(markdown, /PyTorch CPU, the setting kept per row: train cifar-vgg without augmentation batch 64: 2 threads/);
    assert.match(markdown, /OpenBLAS \(kernel Haswell\)/);
    assert.match(markdown, /\| train cifar-vgg without augmentation batch 64 \| samples\/s \| 600 ±17% \| 300 ±7% \| – \| 2\.0x \|/);
  });

  it('has one training row per real-size case, named after its model', () => {
    const keys = BIG_TRAIN_CASES.map((c) => bigTrainKey(c.model, c.batch));
    assert.equal(new Set(keys).size, keys.length);
    for (const c of BIG_TRAIN_CASES) assert.ok(bigTrainKey(c.model, c.batch).includes(BIG_MODELS[c.model].label));
  });
});
