import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { CliError } from '../../cli/context.js';
import { prepareImage } from '../../cli/images.js';
import { datasets, parseIdxImages } from '../../src/datasets/index.js';
import { gunzip } from '../../src/datasets/gzip.js';
import { ModelFormatError, layers, sequential } from '../../src/index.js';
import { loadTrainingState } from '../../src/io/index.js';
import { assertSpecificError, within } from './fuzz.js';

/*
 * Replays the regression corpus: every input that once made a parser crash, hang or allocate
 * what a lying header claimed, and the hand-made hostile inputs its guards must keep refusing.
 * Each must fail with its specific error, quickly and without a large allocation.
 */
const corpusDir = join(dirname(fileURLToPath(import.meta.url)), 'corpus');
const root = mkdtempSync(join(tmpdir(), 'convlab-corpus-'));
after(() => rmSync(root, { recursive: true, force: true }));

interface Entry {
  file: string;
  parser: 'image' | 'cifar-archive' | 'idx3' | 'gzip' | 'training-state';
  kind: 'fixed' | 'guard';
  expect: string;
  note: string;
}
const { entries } = JSON.parse(readFileSync(join(corpusDir, 'index.json'), 'utf8')) as { entries: Entry[] };

async function replay(entry: Entry, path: string): Promise<void> {
  const bytes = () => new Uint8Array(readFileSync(path));
  switch (entry.parser) {
    case 'image':
      await prepareImage(path, [28, 28, 1], 'auto', 1 / 255);
      return;
    case 'cifar-archive': {
      const dir = mkdtempSync(join(root, 'cifar-'));
      copyFileSync(path, join(dir, 'cifar-10-binary.tar.gz'));
      await datasets.cifar10.loadData({ dir, download: false, verify: false, checksums: {}, systemDirs: [], cacheDir: join(root, 'cache'), allowPartialTest: true });
      return;
    }
    case 'idx3':
      parseIdxImages(bytes(), entry.file, { rows: 28, cols: 28 });
      return;
    case 'gzip':
      gunzip(bytes(), entry.file, 2 ** 30);
      return;
    case 'training-state': {
      // A whole checkpoint folder, loaded into the model it was saved from.
      const model = sequential({ layers: [layers.conv2d({ filters: 2, kernelSize: 3, inputShape: [5, 5, 1] }), layers.flatten(), layers.dense({ units: 3, activation: 'softmax' })] });
      model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
      await loadTrainingState(path, model, { restoreRandom: false });
      return;
    }
    default:
      throw new Error(`corpus/index.json: unknown parser '${(entry as Entry).parser}' for ${entry.file}`);
  }
}

describe('regression corpus', () => {
  it('lists every file in the corpus folder', () => {
    const files = readdirSync(corpusDir).filter((f) => f !== 'index.json' && f !== 'findings.json').sort();
    const { findings } = JSON.parse(readFileSync(join(corpusDir, 'findings.json'), 'utf8')) as { findings: Array<{ file?: string }> };
    const listed = new Set([...entries.map((e) => e.file), ...findings.flatMap((f) => (f.file ? [f.file] : []))]);
    assert.deepEqual([...listed].sort(), files);
  });

  for (const entry of entries) {
    it(`${entry.file} (${entry.kind}): refused with a specific error`, async () => {
      const rss = process.memoryUsage().rss;
      const started = Date.now();
      await assert.rejects(within(5000, entry.file, () => replay(entry, join(corpusDir, entry.file))), (e: Error) => {
        const expected = entry.parser === 'image' ? CliError : entry.parser === 'training-state' ? ModelFormatError : Error;
        assertSpecificError(e, [expected], new RegExp(entry.expect));
        return true;
      });
      assert.ok(Date.now() - started < 2000, `took ${Date.now() - started} ms`);
      const grown = (process.memoryUsage().rss - rss) / 2 ** 20;
      assert.ok(grown < 64, `resident memory grew by ${grown.toFixed(0)} MiB`);
    });
  }
});
