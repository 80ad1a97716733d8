/**
 * Issue 18's "bounded memory", as a script run by hand:
 *
 *   node --import tsx bench/image_folder_memory.ts [--n 10000] [--size 128] [--threads 1] [--train]
 *       [--dir DIR [--generate-only]] [--keep]
 *
 * Generates n JPEG images of size x size in 10 class folders under the temporary directory (or
 * uses DIR, generating them there only when it does not exist yet; --keep leaves the folder),
 * then reads one epoch of 64x64 RGB batches (with --train: trains the lab CNN on them) three
 * times: without a cache, filling a cache, and from the cache. Prints the peak RSS of each pass,
 * sampled every 50 ms, and at the end the process's peak RSS as the kernel counts it (ru_maxrss,
 * generation included).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { datasets, setSeed, zoo } from '../src/index.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
}
const n = Number(arg('n', '10000'));
const size = Number(arg('size', '128'));
const train = process.argv.includes('--train');
const threads = Number(arg('threads', '1'));
const given = process.argv.includes('--dir') ? arg('dir', '') : null;
const generate = !given || !existsSync(given);
const root = given ?? mkdtempSync(join(tmpdir(), 'convlab-memory-'));
let t = Date.now();
const base = Buffer.alloc(size * size * 3);
for (let i = 0; i < (generate ? n : 0); i++) {
  const c = i % 10;
  for (let p = 0; p < size * size; p++) {
    base[p * 3] = (c * 25 + p + i) & 255;
    base[p * 3 + 1] = (p >> 7) & 255;
    base[p * 3 + 2] = (i * 7) & 255;
  }
  if (i < 10) mkdirSync(join(root, `class_${c}`), { recursive: true });
  writeFileSync(join(root, `class_${c}`, `${i}.jpg`), await sharp(base, { raw: { width: size, height: size, channels: 3 } }).jpeg({ quality: 85 }).toBuffer());
}
if (generate) console.log(`wrote ${n} ${size}x${size} JPEGs in ${((Date.now() - t) / 1000).toFixed(1)} s; RSS now ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`);

if (process.argv.includes('--generate-only')) process.exit(0);

async function pass(label: string, cacheDir?: string): Promise<void> {
  const ds = await datasets.imageDatasetFromDirectory(root, { imageSize: [64, 64], batchSize: 64, seed: 1, cacheDir, verbose: false, threads });
  let peak = 0;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
  t = Date.now();
  let images = 0;
  if (train) {
    setSeed(1);
    const model = zoo.create('lab-cnn', { inputShape: [64, 64, 3], numClasses: 10 });
    model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const scaled = { get count() { return ds.count; }, batchSize: ds.batchSize, async *batches(e?: number) { for await (const b of ds.batches(e)) yield { xs: datasets.toFloat(b.xs, { scale: 1 / 255 }), ys: b.ys }; } };
    await model.fit(scaled, { epochs: 1, verbose: 0 });
    images = ds.count;
  } else {
    for await (const b of ds.batches(0)) images += b.xs.shape[0];
  }
  clearInterval(timer);
  peak = Math.max(peak, process.memoryUsage().rss);
  const s = (Date.now() - t) / 1000;
  console.log(`${label}, ${threads} decode thread(s): ${images} images in ${s.toFixed(1)} s (${Math.round(images / s)} images/s), peak RSS ${(peak / 2 ** 20).toFixed(0)} MiB`);
  await ds.close();
}

await pass(train ? 'train, no cache' : 'read, no cache');
const cache = join(root, '.cache');
await pass(train ? 'train, filling the cache' : 'read, filling the cache', cache);
await pass(train ? 'train, from the cache' : 'read, from the cache', cache);
rmSync(cache, { recursive: true, force: true });
if (!given && !process.argv.includes('--keep')) rmSync(root, { recursive: true, force: true });
console.log(`process peak RSS (ru_maxrss, generation included): ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
