/**
 * How fast "Your images" takes in pictures: generated JPEGs (blurred noise, so they compress
 * like photos) set on a class's file picker in Chromium, timed from the call until the class
 * shows them all (decode in the worker, read back, resize, thumbnail).
 *
 *   flock /tmp/convlab-cpu.lock npx tsx lab/scripts/measure-decode.ts
 */
import sharp from 'sharp';
import { startLab } from '../../test/lab/harness.js';

const CASES: [number, number, number][] = [[640, 480, 40], [4000, 3000, 6]];

async function jpeg(w: number, h: number, seed: number): Promise<Buffer> {
  const px = Buffer.alloc(w * h * 3);
  for (let j = 0; j < px.length; j++) px[j] = ((j * 7919) ^ (j >> 9) ^ (seed * 31)) & 255;
  return sharp(px, { raw: { width: w, height: h, channels: 3 } }).blur(2).jpeg({ quality: 85 }).toBuffer();
}

const lab = await startLab();
try {
  const page = lab.context.pages()[0] ?? (await lab.context.newPage());
  await page.goto(lab.url);
  await page.waitForSelector('body[data-ready="yes"]', { timeout: 30_000 });
  for (const [w, h, n] of CASES) {
    const files = await Promise.all(Array.from({ length: n }, async (_, i) => ({ name: `p${i}.jpg`, mimeType: 'image/jpeg', buffer: await jpeg(w, h, i) })));
    await page.click('#images-clear-1');
    const t0 = performance.now();
    await page.setInputFiles('#images-files-1', files);
    await page.waitForSelector(`#images-class-count-1[data-count="${n}"]`, { timeout: 300_000 });
    const ms = performance.now() - t0;
    const kb = files.reduce((s, f) => s + f.buffer.length, 0) / n / 1024;
    console.log(`${w}x${h} JPEG (${kb.toFixed(0)} KB each): ${n} files in ${ms.toFixed(0)} ms, ${(ms / n).toFixed(1)} ms per file`);
  }
} finally {
  await lab.close();
}
