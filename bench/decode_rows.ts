/**
 * The image-folder pipeline's rows of `npm run bench` (issue 18): decode + resize throughput of
 * imageDatasetFromDirectory with 1 and 2 decode threads, reading a folder of generated 128x128
 * JPEGs as 64x64 RGB batches of 32, no cache. Run once, by the wasm 1-thread runner (decoding
 * does not depend on the training backend).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { datasets } from '../src/index.js';
import { rowWanted, timeRepeats, type Measurement } from './common.js';

const IMAGES = 256;
export const decodeKey = (threads: number): string => `decode+resize 128x128 JPEG -> 64x64 RGB, ${threads} thread${threads > 1 ? 's' : ''}`;

/** Photo-like content: smooth gradients, edges and noise, so the JPEGs are not trivially small. */
async function writeFolder(root: string): Promise<void> {
  const size = 128;
  const pixels = Buffer.alloc(size * size * 3);
  let s = 12345;
  for (let i = 0; i < IMAGES; i++) {
    const dir = join(root, `class_${i % 4}`);
    if (i < 4) mkdirSync(dir, { recursive: true });
    for (let p = 0; p < size * size; p++) {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      const x = p % size, y = (p / size) | 0;
      const edge = (x + 2 * y + i * 5) % 64 < 32 ? 60 : 0;
      pixels[3 * p] = (x * 2 + edge + (s >>> 28)) & 255;
      pixels[3 * p + 1] = (y * 2 + i * 3 + (s >>> 27)) & 255;
      pixels[3 * p + 2] = (128 + edge - x + ((s >>> 26) & 31)) & 255;
    }
    writeFileSync(join(dir, `${i}.jpg`), await sharp(pixels, { raw: { width: size, height: size, channels: 3 } }).jpeg({ quality: 90 }).toBuffer());
  }
}

export async function decodeRows(quick: boolean): Promise<Measurement[]> {
  const wanted = [1, 2].filter((t) => rowWanted(decodeKey(t)));
  if (wanted.length === 0) return [];
  const root = mkdtempSync(join(tmpdir(), 'convlab-bench-decode-'));
  const measurements: Measurement[] = [];
  try {
    await writeFolder(root);
    for (const threads of wanted) {
      const ds = await datasets.imageDatasetFromDirectory(root, { imageSize: [64, 64], batchSize: 32, seed: 1, threads, verbose: false });
      let epoch = 0;
      try {
        // One unit reads the whole folder once (every image decoded and resized, in batches of 32).
        const values = await timeRepeats(async (units: number) => {
          for (let u = 0; u < units; u++) for await (const batch of ds.batches(epoch++)) void batch;
        }, ds.count, { quick, maxUnits: 40 });
        measurements.push({ key: decodeKey(threads), unit: 'images/s', values });
      } finally {
        await ds.close();
      }
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  return measurements;
}
