/**
 * Datasets on the command line: names, loading (with --data-dir and --limit), and the one
 * preprocessing step every convlab model trained by the CLI expects: pixels divided by 255.
 */
import { datasets, type LoadedDataset } from '../src/datasets/index.js';
import { Tensor } from '../src/tensor/tensor.js';
import { CliError, type Context } from './context.js';

export const DATASET_NAMES = ['fashion-mnist', 'mnist', 'cifar10'] as const;
export type DatasetName = (typeof DATASET_NAMES)[number];

/** Pixels 0-255 → 0-1, as the lab's `train_images / 255.0`. Stored with saved models. */
export const PIXEL_SCALE = 1 / 255;

export function datasetName(value: string): DatasetName {
  const v = value.toLowerCase().replace(/_/g, '-');
  const aliases: Record<string, DatasetName> = { 'fashion-mnist': 'fashion-mnist', fashionmnist: 'fashion-mnist', mnist: 'mnist', cifar10: 'cifar10', 'cifar-10': 'cifar10' };
  const name = aliases[v];
  if (!name) throw new CliError(`Unknown dataset '${value}'; valid datasets: ${DATASET_NAMES.join(', ')}`);
  return name;
}

export interface DataOptions {
  dataDir?: string;
  /** Use only the first n training images. */
  limit?: number;
  /** Use only the first n test images. */
  testLimit?: number;
  quiet?: boolean;
  /** Only the test split is needed (evaluate): the training split is left empty. */
  testOnly?: boolean;
}

export interface Split {
  /** float32 [n, h, w, c] in [0, 1] */
  x: Tensor;
  /** uint8 [n] */
  y: Tensor;
  /** the uint8 images, for pictures */
  raw: Tensor;
}

export interface Data {
  name: DatasetName;
  title: string;
  classNames: string[];
  /** [h, w, c] */
  imageShape: number[];
  train: Split;
  test: Split;
  source: string;
}

function firstRows(t: Tensor, n: number): Tensor {
  const rows = Math.min(n, t.shape[0]);
  const row = t.shape.slice(1).reduce((a, b) => a * b, 1);
  return new Tensor(t.data.subarray(0, rows * row), [rows, ...t.shape.slice(1)]);
}

function split(images: Tensor, labels: Tensor, limit: number | undefined): Split {
  const raw = limit === undefined ? images : firstRows(images, limit);
  const y = limit === undefined ? labels : firstRows(labels, limit);
  return { x: datasets.toFloat(raw, { scale: PIXEL_SCALE }), y, raw };
}

async function load(name: DatasetName, ctx: Context, options: DataOptions): Promise<LoadedDataset> {
  const common = { dir: options.dataDir, progress: !options.quiet && ctx.stderrIsTTY };
  try {
    if (name === 'cifar10') return await datasets.cifar10.loadData({ ...common, allowPartialTest: true });
    return await (name === 'mnist' ? datasets.mnist : datasets.fashionMnist).loadData(common);
  } catch (e) {
    // The loader's message already lists where it looked; keep it on one line.
    throw new CliError(`Could not load ${name}: ${(e as Error).message.replace(/\s*\n\s*/g, '; ')}`);
  }
}

export async function loadDataset(name: DatasetName, ctx: Context, options: DataOptions = {}): Promise<Data> {
  const loaded = await load(name, ctx, options);
  for (const note of loaded.notes) if (!options.quiet) ctx.err(`note: ${note}`);
  const imageShape = loaded.train.images.shape.slice(1) as number[];
  const data: Data = {
    name,
    title: loaded.name,
    classNames: loaded.classNames,
    imageShape,
    train: split(loaded.train.images, loaded.train.labels, options.testOnly ? 0 : options.limit),
    test: split(loaded.test.images, loaded.test.labels, options.testLimit),
    source: loaded.source,
  };
  if (!options.quiet) {
    const counts = options.testOnly ? `${data.test.x.shape[0]} test images` : `${data.train.x.shape[0]} training and ${data.test.x.shape[0]} test images`;
    ctx.out(`Dataset ${loaded.name} from ${loaded.source}: ${counts} of ${imageShape.join('x')}, ${data.classNames.length} classes`);
  }
  return data;
}

export function classNamesOf(name: DatasetName): string[] {
  const loader = name === 'cifar10' ? datasets.cifar10 : name === 'mnist' ? datasets.mnist : datasets.fashionMnist;
  return [...loader.classNames];
}
