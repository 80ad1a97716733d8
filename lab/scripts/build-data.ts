/**
 * Converts the verified Fashion-MNIST files into the compact subset the lab page loads
 * (lab/public/data/, git-ignored; Vite copies it into lab/dist/data/).
 *
 *   npx tsx lab/scripts/build-data.ts [--dir DIR] [--train 10000] [--test 2000] [--out DIR]
 *
 * The files are found, checksum-verified and parsed by the library's own loader
 * (src/datasets), so the page trains on exactly the bytes Node would.
 */
import { createHash } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { fashionMnist } from '../../src/datasets/index.js';
import { encodeLabDataset, type Manifest } from '../src/dataset_format.js';

const here = path.dirname(fileURLToPath(import.meta.url));

function count(value: string | undefined, fallback: number, max: number, flag: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0 || n > max) throw new Error(`${flag}: expected an integer in [1, ${max}], received ${JSON.stringify(value)}`);
  return n;
}

/** Writes to a temporary name first so a reader never sees half a file. */
async function writeAtomic(file: string, data: Uint8Array | string): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, data);
  await rename(tmp, file);
}

export async function buildLabData(options: { dir?: string; train?: number; test?: number; out?: string } = {}): Promise<Manifest> {
  const outDir = options.out ?? path.join(here, '..', 'public', 'data');
  // No download: the page must come from the verified local copy (Debian's dataset-fashion-mnist
  // package, or a directory given with --dir / $CONVLAB_FASHION_MNIST_DIR).
  const data = await fashionMnist.loadData({ dir: options.dir ?? process.env.CONVLAB_FASHION_MNIST_DIR, download: false });
  const nTrain = Math.min(options.train ?? 10000, data.train.count);
  const nTest = Math.min(options.test ?? 2000, data.test.count);
  const [, rows, cols] = data.train.images.shape;
  const pixels = rows * cols;
  const file = 'fashion-mnist-lab.bin';
  const { manifest, bytes } = encodeLabDataset({
    dataset: data.name,
    classNames: data.classNames,
    source: data.source,
    notes: data.notes,
    subset: `the first ${nTrain.toLocaleString('en-US')} of ${data.train.count.toLocaleString('en-US')} training images and the first ${nTest.toLocaleString('en-US')} of ${data.test.count.toLocaleString('en-US')} test images, in file order`,
    file,
    rows,
    cols,
    train: { images: (data.train.images.data as Uint8Array).subarray(0, nTrain * pixels), labels: (data.train.labels.data as Uint8Array).subarray(0, nTrain), count: nTrain },
    test: { images: (data.test.images.data as Uint8Array).subarray(0, nTest * pixels), labels: (data.test.labels.data as Uint8Array).subarray(0, nTest), count: nTest },
  });
  const full: Manifest = { ...manifest, segments: [...manifest.segments], sha256: createHash('sha256').update(bytes).digest('hex') };
  await mkdir(outDir, { recursive: true });
  await writeAtomic(path.join(outDir, file), bytes);
  await writeAtomic(path.join(outDir, 'fashion-mnist-lab.json'), JSON.stringify(full, null, 2) + '\n');
  return full;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { dir: { type: 'string' }, train: { type: 'string' }, test: { type: 'string' }, out: { type: 'string' } } });
  try {
    const m = await buildLabData({ dir: values.dir, train: count(values.train, 10000, 60000, '--train'), test: count(values.test, 2000, 10000, '--test'), out: values.out });
    console.log(`lab data: ${m.byteLength.toLocaleString('en-US')} bytes from ${m.source} (${m.subset})`);
  } catch (err) {
    console.error(`build-data: ${(err as Error).message}`);
    process.exit(1);
  }
}
