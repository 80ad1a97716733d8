/**
 * Times loading Fashion-MNIST from the cache (read, gunzip, checksum, parse): median of 5 runs.
 *
 *   node --import tsx bench/datasets.ts [--cache DIR] [--runs N]
 *
 * Without --cache, a temporary cache is seeded from a local copy (the project's shared
 * datasets, $CONVLAB_SHARED_DATASETS, or Debian's /usr/share/datasets) and removed afterwards;
 * with no local copy the first load downloads into it.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { datasets } from '../src/datasets/index.js';

const FILES = ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'];

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

delete process.env.CONVLAB_DATA; // time the cache, not another source
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const runs = Number(arg('--runs') ?? 5);
const given = arg('--cache');
const cacheRoot = given ? path.resolve(given) : mkdtempSync(path.join(os.tmpdir(), 'convlab-bench-cache-'));

try {
  const cacheDir = path.join(cacheRoot, 'fashion-mnist');
  if (!FILES.every((f) => existsSync(path.join(cacheDir, f)) || existsSync(path.join(cacheDir, f.slice(0, -3))))) {
    const shared = process.env.CONVLAB_SHARED_DATASETS ?? path.resolve(repoRoot, '../shared/datasets');
    const local = [path.join(shared, 'fashion-mnist'), '/usr/share/datasets/fashion-mnist'].find((d) => FILES.every((f) => existsSync(path.join(d, f))));
    if (local) {
      mkdirSync(cacheDir, { recursive: true });
      for (const f of FILES) copyFileSync(path.join(local, f), path.join(cacheDir, f));
      console.error(`seeded cache ${cacheDir} from ${local}`);
    } else {
      await datasets.fashionMnist.loadData({ cacheDir: cacheRoot, systemDirs: [] });
    }
  }
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const d = await datasets.fashionMnist.loadData({ cacheDir: cacheRoot, systemDirs: [], download: false });
    times.push(performance.now() - t0);
    if (!d.source.startsWith('cache ') || d.train.count !== 60000) throw new Error(`unexpected load: ${d.source}`);
  }
  const sorted = [...times].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)];
  console.log(`datasets: Fashion-MNIST loadData() from cache (70,000 images, checksums verified): median ${median.toFixed(0)} ms over ${runs} runs [${times.map((t) => t.toFixed(0)).join(', ')}]`);
} finally {
  if (!given) rmSync(cacheRoot, { recursive: true, force: true });
}
