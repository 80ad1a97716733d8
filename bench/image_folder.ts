/**
 * Issue 18's "same accuracy as the built-in loader" and "the pipeline does not starve training",
 * as a script run by hand (too long for npm test):
 *
 *   node --import tsx bench/image_folder.ts [--data-dir /work/shared/datasets] [--n 5000]
 *       [--epochs 5] [--seeds 1,2] [--model lenet5] [--threads 1]
 *
 * Writes the first n CIFAR-10 training images into class folders (even indices as PNG, odd as
 * JPEG quality 95), reads them back with imageDatasetFromDirectory (80/20 split by seed), and
 * trains the same model with the same seed twice: on the folder pipeline, and on the same
 * images and split held in memory from the built-in loader. Prints validation accuracy and
 * training samples/s for both, and for the folder with an on-disk cache (the first epoch fills it).
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import sharp from 'sharp';
import { datasets, setSeed, zoo, Tensor, ready } from '../src/index.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
}

const dataDir = arg('data-dir', '/work/shared/datasets');
const n = Number(arg('n', '5000'));
const epochs = Number(arg('epochs', '5'));
const seeds = arg('seeds', '1,2').split(',').map(Number);
const modelName = arg('model', 'lenet5');
const threads = Number(arg('threads', '1'));
const batchSize = 32;

const cifar = await datasets.cifar10.loadData({ dir: dataDir, allowPartialTest: true });
const images = cifar.train.images.data as Uint8Array;
const labels = cifar.train.labels.data as Uint8Array;
const root = mkdtempSync(join(tmpdir(), 'convlab-cifar-folder-'));
const t0 = Date.now();
for (const c of cifar.classNames) mkdirSync(join(root, c), { recursive: true });
for (let i = 0; i < n; i++) {
  const img = sharp(Buffer.from(images.subarray(i * 3072, (i + 1) * 3072)), { raw: { width: 32, height: 32, channels: 3 } });
  const file = join(root, cifar.classNames[labels[i]], `${String(i).padStart(5, '0')}.${i % 2 ? 'jpg' : 'png'}`);
  writeFileSync(file, await (i % 2 ? img.jpeg({ quality: 95 }) : img.png()).toBuffer());
}
console.log(`wrote ${n} CIFAR-10 images (PNG and JPEG) to ${root} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

const scale = (x: Tensor) => datasets.toFloat(x, { scale: 1 / 255 });
function rowsOf(indices: number[]): { x: Tensor; y: Tensor } {
  const x = new Uint8Array(indices.length * 3072);
  indices.forEach((i, r) => x.set(images.subarray(i * 3072, (i + 1) * 3072), r * 3072));
  return { x: scale(new Tensor(x, [indices.length, 32, 32, 3])), y: new Tensor(Int32Array.from(indices, (i) => labels[i]), [indices.length]) };
}

await ready();
for (const seed of seeds) {
  const [train, val] = await datasets.imageDatasetFromDirectory(root, { imageSize: [32, 32], batchSize, seed, validationSplit: 0.2, subset: 'both', threads, verbose: false });
  const scaled = (ds: typeof train) => ({
    get count() { return ds.count; }, batchSize: ds.batchSize,
    async *batches(e?: number) { for await (const b of ds.batches(e)) yield { xs: scale(b.xs), ys: b.ys }; },
  });
  const index = (p: string) => Number(basename(p).slice(0, 5));
  const memTrain = rowsOf(train.filePaths.map(index));
  const memVal = rowsOf(val.filePaths.map(index));
  const results: string[] = [];
  const cacheDir = join(root, '.cache');
  const [cTrain, cVal] = await datasets.imageDatasetFromDirectory(root, { imageSize: [32, 32], batchSize, seed, validationSplit: 0.2, subset: 'both', threads, verbose: false, cacheDir });
  for (const source of ['folder', 'folder, cacheDir', 'memory'] as const) {
    setSeed(seed);
    const model = zoo.create(modelName, { inputShape: [32, 32, 3], numClasses: 10 });
    model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const start = Date.now();
    const h = source === 'folder'
      ? await model.fit(scaled(train), { epochs, validationData: scaled(val), verbose: 0 })
      : source === 'folder, cacheDir'
        ? await model.fit(scaled(cTrain), { epochs, validationData: scaled(cVal), verbose: 0 })
        : await model.fit(memTrain.x, memTrain.y, { epochs, batchSize, validationData: [memVal.x, memVal.y], verbose: 0 });
    const seconds = (Date.now() - start) / 1000;
    const acc = h.history.val_accuracy.at(-1)!;
    results.push(`${source}: val_accuracy ${acc.toFixed(4)}, ${Math.round((train.count * epochs) / seconds)} samples/s (fit incl. validation, ${seconds.toFixed(1)} s)`);
  }
  console.log(`seed ${seed}, ${modelName}, ${train.count} train / ${val.count} val, ${epochs} epochs, decode threads ${threads}:\n  ${results.join('\n  ')}`);
  await train.close();
  await val.close();
  await cTrain.close();
  await cVal.close();
  rmSync(cacheDir, { recursive: true, force: true });
}
rmSync(root, { recursive: true, force: true });
