/**
 * Issue 18's "the pipeline does not starve training", as a script run by hand (too long for npm
 * test); run it under the CPU lock on a shared machine:
 *
 *   flock /tmp/convlab-cpu.lock node --import tsx bench/image_folder_speed.ts [--n 2000]
 *       [--pairs 5] [--threads T] [--prefetch P] [--dir DIR] [--data-dir /work/shared/datasets]
 *
 * Writes the first n CIFAR-10 training images, upscaled to 128x128, as JPEG (quality 90) into
 * class folders under the temporary directory (or reads DIR), then trains the lab CNN at 64x64
 * RGB, batch 32, one epoch at a time, in alternating pairs: from the folder (every image decoded
 * and resized by the pipeline, no cache) and from the same decoded images already in memory.
 * Each figure is the steady rate of fit's batches (first batch's end to the last's); the machine
 * is shared, so the pairs alternate which goes first, and the median of the pairs' ratios is the
 * result. Also reports how long training waited for the folder's batches.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { datasets, ready, setSeed, zoo, Tensor } from '../src/index.js';
import { median } from './common.js';

function arg(name: string, fallback: string | undefined): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
}
const n = Number(arg('n', '2000'));
const pairs = Number(arg('pairs', '5'));
const threads = arg('threads', undefined);
const prefetch = arg('prefetch', undefined);
const given = arg('dir', undefined);
const batchSize = 32;

let root = given;
if (!root) {
  root = mkdtempSync(join(tmpdir(), 'convlab-speed-'));
  const cifar = await datasets.cifar10.loadData({ dir: arg('data-dir', '/work/shared/datasets')!, allowPartialTest: true });
  const images = cifar.train.images.data as Uint8Array;
  const labels = cifar.train.labels.data as Uint8Array;
  for (const c of cifar.classNames) mkdirSync(join(root, c), { recursive: true });
  for (let i = 0; i < n; i++) {
    const img = sharp(Buffer.from(images.subarray(i * 3072, (i + 1) * 3072)), { raw: { width: 32, height: 32, channels: 3 } });
    writeFileSync(join(root, cifar.classNames[labels[i]], `${i}.jpg`), await img.resize(128, 128, { kernel: 'cubic' }).jpeg({ quality: 90 }).toBuffer());
  }
}

await ready();
const options = { imageSize: [64, 64] as [number, number], batchSize, seed: 1, verbose: false, ...(threads ? { threads: Number(threads) } : {}), ...(prefetch ? { prefetch: Number(prefetch) } : {}) };
const ds = await datasets.imageDatasetFromDirectory(root, options);
const all = await ds.toTensors();
const xs = datasets.toFloat(all.xs, { scale: 1 / 255 });
const ys = all.ys as Tensor;
let waited = 0;
const scaled = {
  get count() { return ds.count; },
  batchSize,
  async *batches(epoch?: number) {
    const it = ds.batches(epoch)[Symbol.asyncIterator]();
    for (;;) {
      const t = performance.now();
      const next = await it.next();
      waited += performance.now() - t;
      if (next.done) return;
      yield { xs: datasets.toFloat(next.value.xs, { scale: 1 / 255 }), ys: next.value.ys };
    }
  },
};

let cpuPerImage = 0;
async function rate(source: 'folder' | 'memory', epoch: number): Promise<number> {
  setSeed(1);
  const model = zoo.create('lab-cnn', { inputShape: [64, 64, 3], numClasses: 10 });
  model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  const stamps: number[] = [];
  const callbacks = { onBatchEnd: () => { stamps.push(performance.now()); } };
  waited = 0;
  const cpu = process.cpuUsage();
  if (source === 'folder') await model.fit(scaled, { epochs: epoch + 1, initialEpoch: epoch, verbose: 0, callbacks });
  else await model.fit(xs, ys, { epochs: 1, batchSize, shuffle: true, verbose: 0, callbacks });
  const used = process.cpuUsage(cpu);
  // CPU time of every thread of the process (training's and decoding's) per image.
  cpuPerImage = (used.user + used.system) / 1000 / ds.count;
  // Steady rate: from the first batch's end to the last's, over the full batches in between.
  return ((stamps.length - 1) * batchSize) / ((stamps[stamps.length - 1] - stamps[0]) / 1000);
}

console.log(`${ds.count} images in ${root}; lab CNN 64x64x3, batch ${batchSize}; decode threads ${threads ?? 'default'}, prefetch ${prefetch ?? 'default'}; load average ${loadavg().map((v) => v.toFixed(1)).join(' ')}`);
await rate('folder', 0);
await rate('memory', 0);
const ratios: number[] = [];
const cpuFolder: number[] = [];
const cpuMemory: number[] = [];
for (let p = 0; p < pairs; p++) {
  const order: ('folder' | 'memory')[] = p % 2 === 0 ? ['folder', 'memory'] : ['memory', 'folder'];
  const r: Record<string, number> = {};
  let wait = 0;
  const cpu: Record<string, number> = {};
  for (const source of order) {
    r[source] = await rate(source, p + 1);
    cpu[source] = cpuPerImage;
    if (source === 'folder') wait = waited;
  }
  ratios.push(r.folder / r.memory);
  cpuFolder.push(cpu.folder);
  cpuMemory.push(cpu.memory);
  console.log(`pair ${p + 1}: folder ${r.folder.toFixed(0)} samples/s (waited ${(wait / 1000).toFixed(2)} s for batches; ${cpu.folder.toFixed(2)} ms CPU per image), memory ${r.memory.toFixed(0)} samples/s (${cpu.memory.toFixed(2)} ms CPU per image), ratio ${(r.folder / r.memory).toFixed(3)}; load ${loadavg()[0].toFixed(1)}`);
}
console.log(`median folder/memory ratio over ${pairs} pairs: ${median(ratios).toFixed(3)} (${ratios.map((v) => v.toFixed(2)).join(', ')})`);
// With every core busy, a rate is bounded by the cores over the CPU time per image: this ratio is
// what the folder could reach against memory on an otherwise idle machine of the same cores.
console.log(`median CPU per image: folder ${median(cpuFolder).toFixed(2)} ms, memory ${median(cpuMemory).toFixed(2)} ms (memory/folder ${(median(cpuMemory) / median(cpuFolder)).toFixed(3)})`);
await ds.close();
if (!given) rmSync(root, { recursive: true, force: true });
