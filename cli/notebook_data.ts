/**
 * Test data prepared the way a notebook prepares it, for `evaluate --scale/--standardize` and for
 * models from Python Keras files: pixels times a scale (1/255, or 1 for raw pixels), optionally
 * standardised per channel with the training set's mean and standard deviation (computed after
 * scaling, as `(x - x_train.mean(axis=(0,1,2))) / x_train.std(axis=(0,1,2))`), and reshaped to
 * the model's input when only the layout differs ((28, 28) against (28, 28, 1)).
 * MNIST may be present as its test files only; they are enough unless --standardize is asked.
 */
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { datasets, type LoadedDataset } from '../src/datasets/index.js';
import { gunzip } from '../src/datasets/gzip.js';
import { parseIdxImages, parseIdxLabels } from '../src/datasets/idx.js';
import { Tensor } from '../src/tensor/tensor.js';
import { CliError, type Context } from './context.js';
import { classNamesOf, type Data, type DatasetName } from './data.js';

export interface NotebookDataOptions {
  dataDir?: string;
  testLimit?: number;
  scale: number;
  standardize: boolean;
  quiet: boolean;
  /** The model's input shape without the batch dimension. */
  inputShape: (number | null)[];
}

/** '1/255', '0.00392', '1' or '255' (raw pixels are scale 1). */
export function parseScale(value: string): number {
  const fraction = /^\s*(\d+(?:\.\d+)?)\s*\/\s*(\d+(?:\.\d+)?)\s*$/.exec(value);
  const n = fraction ? Number(fraction[1]) / Number(fraction[2]) : Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new CliError(`--scale must be a positive number such as 1/255 or 1, received '${value}'`);
  return n;
}

/** MNIST or Fashion-MNIST from its two t10k files, for machines that hold only the test set. */
function idxTestOnly(name: DatasetName, dataDir: string | undefined): { images: Tensor; labels: Tensor; source: string } | null {
  const folder = name === 'mnist' ? 'mnist' : 'fashion-mnist';
  const dirs = [dataDir, dataDir && path.join(dataDir, folder), process.env.CONVLAB_DATA && path.join(process.env.CONVLAB_DATA, folder)].filter(Boolean) as string[];
  for (const dir of dirs) {
    const file = (base: string) => [base, `${base}.gz`].map((f) => path.join(dir, f)).find((f) => existsSync(f));
    const images = file('t10k-images-idx3-ubyte');
    const labels = file('t10k-labels-idx1-ubyte');
    if (!images || !labels) continue;
    const read = (f: string) => (f.endsWith('.gz') ? gunzip(readFileSync(f), f, 1 << 28) : new Uint8Array(readFileSync(f)));
    const im = parseIdxImages(read(images), images);
    const lb = parseIdxLabels(read(labels), labels, { numClasses: 10, count: im.count });
    return { images: new Tensor(im.data, [im.count, im.rows, im.cols, 1]), labels: new Tensor(lb.data, [lb.count]), source: dir };
  }
  return null;
}

async function loadRaw(name: DatasetName, options: NotebookDataOptions): Promise<{ test: { images: Tensor; labels: Tensor }; train: Tensor | null; source: string }> {
  let loaded: LoadedDataset | null = null;
  let failure: Error | null = null;
  try {
    const common = { dir: options.dataDir, progress: false };
    loaded = name === 'cifar10' ? await datasets.cifar10.loadData({ ...common, allowPartialTest: true }) : await (name === 'mnist' ? datasets.mnist : datasets.fashionMnist).loadData(common);
  } catch (e) {
    failure = e as Error;
  }
  if (loaded) return { test: loaded.test, train: loaded.train.images, source: loaded.source };
  if (name !== 'cifar10' && !options.standardize) {
    const only = idxTestOnly(name, options.dataDir);
    if (only) return { test: only, train: null, source: `${only.source} (test files only)` };
  }
  throw new CliError(`Could not load ${name}${options.standardize ? ' with its training set (--standardize needs it)' : ''}: ${String(failure?.message).replace(/\s*\n\s*/g, '; ')}`);
}

function firstRows(t: Tensor, n: number | undefined): Tensor {
  if (n === undefined || n >= t.shape[0]) return t;
  const row = t.shape.slice(1).reduce((a, b) => a * b, 1);
  return new Tensor(t.data.subarray(0, n * row), [n, ...t.shape.slice(1)]);
}

/** Per-channel mean and standard deviation of scaled training images (NHWC). */
function channelStats(train: Tensor, scale: number): { mean: number[]; std: number[] } {
  const c = train.shape[3];
  const sum = new Float64Array(c);
  const sq = new Float64Array(c);
  const d = train.data;
  for (let i = 0; i < d.length; i++) {
    const v = d[i] * scale;
    sum[i % c] += v;
    sq[i % c] += v * v;
  }
  const n = d.length / c;
  const mean = Array.from(sum, (s) => s / n);
  return { mean, std: Array.from(sq, (s, k) => Math.sqrt(Math.max(s / n - mean[k] ** 2, 1e-12))) };
}

export async function loadNotebookData(name: DatasetName, ctx: Context, options: NotebookDataOptions): Promise<Data> {
  const raw = await loadRaw(name, options);
  const images = firstRows(raw.test.images, options.testLimit);
  const labels = firstRows(raw.test.labels, options.testLimit);
  const x = datasets.toFloat(images, { scale: options.scale });
  let how = `pixels x ${options.scale === 1 / 255 ? '1/255' : options.scale}`;
  if (options.standardize) {
    const { mean, std } = channelStats(raw.train!, options.scale);
    const c = mean.length;
    for (let i = 0; i < x.size; i++) x.data[i] = (x.data[i] - mean[i % c]) / std[i % c];
    how += `, standardised with the training set's mean ${mean.map((m) => m.toFixed(4)).join('/')} and std ${std.map((s) => s.toFixed(4)).join('/')}`;
  }
  let imageShape = images.shape.slice(1);
  const want = options.inputShape;
  const size = imageShape.reduce((a, b) => a * b, 1);
  if (want.every((d) => d !== null) && want.reduce<number>((a, b) => a * (b as number), 1) === size && want.join() !== imageShape.join()) {
    imageShape = want as number[];
  }
  const test = { x: x.reshape([x.shape[0], ...imageShape]), y: labels, raw: images };
  if (!options.quiet) ctx.out(`Dataset ${name} from ${raw.source}: ${labels.size} test images, ${how}`);
  const empty = { x: new Tensor(new Float32Array(0), [0, ...imageShape]), y: new Tensor(new Uint8Array(0), [0]), raw: new Tensor(new Uint8Array(0), [0, ...images.shape.slice(1)]) };
  return { name, title: name, classNames: classNamesOf(name), imageShape, train: empty, test, source: raw.source };
}
