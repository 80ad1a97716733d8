/**
 * In-page training speed next to Node's, for the same model, data and settings: the lab's CNN,
 * one epoch over the first N training images of the page's data file, batch 32, Adam 0.001,
 * no validation, on the reference and the wasm backends. Both sides time only the training steps (onBatchBegin → onBatchEnd: forward,
 * backward and update), and each figure is the median of several runs.
 *
 *   flock /tmp/convlab-cpu.lock npx tsx lab/scripts/measure-speed.ts [--images 3200] [--repeats 3]
 *
 * Needs Chromium (/usr/bin/chromium); builds the lab into a temporary folder first.
 */
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { optimizers, setBackend, setSeed, tensor } from '../../src/index.js';
import { startLab } from '../../test/lab/harness.js';
import { decodeLabDataset, type Manifest } from '../src/dataset_format.js';
import { buildModel, PRESETS } from '../src/model_spec.js';

const { values } = parseArgs({ options: { images: { type: 'string', default: '3200' }, repeats: { type: 'string', default: '3' } } });
const images = Number(values.images);
const repeats = Number(values.repeats);
const BATCH = 32;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function nodeRun(x: ReturnType<typeof tensor>, y: ReturnType<typeof tensor>): Promise<number> {
  setSeed(42);
  const model = buildModel(PRESETS.lab.spec);
  model.compile({ optimizer: optimizers.adam({ learningRate: 0.001 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  let ms = 0;
  let steps = 0;
  let t0 = 0;
  await model.fit(x, y, {
    epochs: 1, batchSize: BATCH, verbose: 0,
    callbacks: { onBatchBegin: () => { t0 = performance.now(); }, onBatchEnd: () => { ms += performance.now() - t0; steps++; } },
  });
  return ms / steps;
}

const lab = await startLab();
try {
  const dataDir = path.join(lab.outDir, 'data');
  const manifest = JSON.parse(await readFile(path.join(dataDir, 'fashion-mnist-lab.json'), 'utf8')) as Manifest;
  const data = decodeLabDataset(manifest, new Uint8Array(await readFile(path.join(dataDir, manifest.file))));
  const n = Math.min(images, data.train.count);
  const px = Float32Array.from(data.train.images.subarray(0, n * 784), (v) => v / 255);
  const x = tensor(px, [n, 28, 28, 1], 'float32');
  const y = tensor(data.train.labels.slice(0, n), [n], 'uint8');

  await import('../../src/kernels/wasm/index.js');
  const backends = ['reference', 'wasm'];
  const node: Record<string, number[]> = {};
  for (const b of backends) {
    await setBackend(b);
    node[b] = [];
    for (let i = 0; i < repeats; i++) node[b].push(await nodeRun(x, y));
  }

  const page = lab.context.pages()[0] ?? (await lab.context.newPage());
  await page.goto(lab.url);
  await page.waitForSelector('body[data-ready="yes"]', { timeout: 60_000 });
  const options = await page.locator('#train-samples option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
  if (!options.includes(String(n))) await page.evaluate((v) => { document.querySelector('#train-samples')!.append(new Option(v, v)); }, String(n));
  await page.selectOption('#train-samples', String(n));
  await page.fill('#train-epochs', '1');
  await page.press('#train-epochs', 'Enter');
  await page.fill('#train-val', '0');
  await page.press('#train-val', 'Enter');
  const browser: Record<string, number[]> = {};
  const details: Record<string, string> = {};
  for (const b of backends) {
    await page.selectOption('#train-backend', b);
    await page.waitForSelector(`#backend-info[data-backend="${b}"]`);
    details[b] = (await page.locator('#backend-info').textContent()) ?? '';
    browser[b] = [];
    for (let i = 0; i < repeats; i++) {
      await page.click('#train-start');
      await page.waitForSelector('body[data-training="yes"]');
      await page.waitForSelector('body[data-training="no"]', { timeout: 300_000 });
      browser[b].push(Number(await page.getAttribute('#train-speed', 'data-ms-per-step')));
    }
  }
  const chromeVersion = lab.context.browser()?.version() ?? (await page.evaluate(() => navigator.userAgent)).match(/Chrome\/([\d.]+)/)?.[1];
  const fmt = (xs: number[]) => `${median(xs).toFixed(1)} ms/step (${Math.round((BATCH * 1000) / median(xs))} images/s; runs ${xs.map((v) => v.toFixed(1)).join(', ')})`;
  console.log(`lab CNN (118,980 params), ${n} images, batch ${BATCH}, Adam, 1 epoch, median of ${repeats}; ${os.cpus().length} cores, ${os.cpus()[0]?.model ?? ''}`);
  for (const b of backends) {
    console.log(`  ${b.padEnd(9)} Node ${process.version}: ${fmt(node[b])}`);
    console.log(`  ${b.padEnd(9)} Chromium ${chromeVersion} page worker: ${fmt(browser[b])}  [${details[b]}]`);
  }
} finally {
  await lab.close();
}
